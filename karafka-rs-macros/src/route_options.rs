//! The route options: the one place they are declared.
//!
//! Everything about an option is derived from its entry here: the names the
//! `routes!` DSL accepts at each level and how it parses the value (this crate),
//! and in the runtime (`karafka::routing`, through the hidden
//! `__route_options!` macro) the `RouteOptions` field, the topic-over-group
//! merge, the default, the field of the resolved `Topic`, its `Debug` and its
//! column in the CLI's `routes` table. What the option does is written where
//! it acts (usually `karafka::processing`).
//!
//! An entry:
//!
//! ```text
//! /// Its doc line.
//! name: RuntimeType {
//!     dsl: bool | integer(<int type>, <minimum>) | variant(<dsl> = <Variant>, ...)
//!        | dead_letter_queue | topic_config | filters | throttle | virtual_partitions,
//!     on: [group, topic],                      // where the DSL accepts it
//!     resolved: <Type> = |option, config| <expr>, // the Topic field, from the merged Option and &Config
//!     column: "<HEADER>" = |value| <String>,   // optional: a column of `routes`
//! }
//! ```
//!
//! A `variant` option's runtime type is exported at the crate root
//! (`::karafka::<Type>::<Variant>` is what the DSL expands to).

route_options! {
    /// Processing backend.
    backend: Backend {
        dsl: variant(inline = Inline, worker_pool = WorkerPool),
        on: [group, topic],
        resolved: Backend = |option, config| option.unwrap_or(config.backend),
        column: "BACKEND" = |backend| backend.name().to_owned(),
    }
    /// `false` hands messages to the consumer one at a time.
    batch_consuming: bool {
        dsl: bool,
        on: [group, topic],
        resolved: bool = |option, _config| option.unwrap_or(true),
    }
    /// Most messages per batch.
    max_messages: usize {
        dsl: integer(usize, 1),
        on: [group, topic],
        resolved: usize = |option, config| option.unwrap_or(config.max_messages),
    }
    /// Where to start without a committed offset.
    initial_offset: InitialOffset {
        dsl: variant(earliest = Earliest, latest = Latest),
        on: [group, topic],
        resolved: InitialOffset = |option, _config| option.unwrap_or(InitialOffset::Earliest),
    }
    /// `false` keeps the route declared but not subscribed.
    active: bool {
        dsl: bool,
        on: [topic],
        resolved: bool = |option, _config| option.unwrap_or(true),
    }
    /// `true`: offsets are stored only for messages the consumer marks.
    manual_offset_management: bool {
        dsl: bool,
        on: [group, topic],
        resolved: bool = |option, _config| option.unwrap_or(false),
    }
    /// Milliseconds between `tick` calls of each partition's consumer.
    tick_interval: u64 {
        dsl: integer(u64, 1),
        on: [group, topic],
        resolved: Option<Duration> = |option, _config| option.map(Duration::from_millis),
    }
    /// Where messages go after `max_retries` failed retries.
    dead_letter_queue: DeadLetterQueue {
        dsl: dead_letter_queue,
        on: [group, topic],
        resolved: Option<DeadLetterQueue> = |option, _config| option,
        column: "DEAD LETTER QUEUE" = |dlq| match dlq {
            Some(dlq) => format!("{} after {} retries", dlq.topic, dlq.max_retries),
            None => "-".to_owned(),
        },
    }
    /// Splits each partition's batches into groups by a partitioner, consumed in parallel.
    virtual_partitions: VirtualPartitions {
        dsl: virtual_partitions,
        on: [group, topic],
        resolved: Option<VirtualPartitions> = |option, _config| option,
        column: "VIRTUAL PARTITIONS" = |vp| match vp {
            Some(vp) => vp.to_string(),
            None => "-".to_owned(),
        },
    }
    /// How the topic is declared on the cluster (`topics create | migrate`, boot creation).
    config: TopicConfig {
        dsl: topic_config,
        on: [topic],
        resolved: Option<TopicConfig> = |option, _config| option,
    }
    /// Filter types (`[A, B]`) each batch runs through before its consumer sees it.
    filters: Filters {
        dsl: filters,
        on: [group, topic],
        resolved: Filters = |option, _config| option.unwrap_or_default(),
        column: "FILTERS" = |filters| filters.names(),
    }
    /// At most `limit` messages per `interval` ms per partition (pausing, never sleeping).
    throttle: Throttling {
        dsl: throttle,
        on: [group, topic],
        resolved: Option<Throttling> = |option, _config| option,
        column: "THROTTLE" = |throttle| throttle.map_or_else(|| "-".to_owned(), |t| t.to_string()),
    }
    /// Milliseconds a message must be old before it is consumed (delayed topics).
    delay_by: u64 {
        dsl: integer(u64, 1),
        on: [group, topic],
        resolved: Option<Duration> = |option, _config| option.map(Duration::from_millis),
        column: "DELAY BY" = |delay| millis(*delay),
    }
    /// Milliseconds after which a message is skipped (reported) instead of consumed.
    expire_in: u64 {
        dsl: integer(u64, 1),
        on: [group, topic],
        resolved: Option<Duration> = |option, _config| option.map(Duration::from_millis),
        column: "EXPIRE IN" = |expire| millis(*expire),
    }
}
