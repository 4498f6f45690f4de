//! The events the framework emits: a fixed registry of Karafka's dotted names
//! ([`EventKind`]), one [`Event`] variant per name, and a typed payload for each.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Backend;

pub use super::statistics::{PartitionStatistics, Statistics};
pub use super::swarm::{SwarmNodeExited, SwarmNodeStalled, SwarmNodeStarted};

/// Topic-partitions affected by a rebalance, grouped by topic.
pub type Partitions = Vec<(Arc<str>, Vec<i32>)>;

/// The body of a generated `on_*` method: nothing, or a call to the shared method it falls back to.
macro_rules! listener_default {
    ($listener:ident, $event:ident) => {
        let _ = $event;
    };
    ($listener:ident, $event:ident, $via:ident) => {
        $listener.$via($event)
    };
}
pub(crate) use listener_default;

macro_rules! event_kinds {
    ($($(#[$doc:meta])* $variant:ident => $name:literal, $method:ident, $payload:ty $(, via $via:ident)?;)*) => {
        /// One entry of the fixed registry of event names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum EventKind {
            $($(#[$doc])* $variant,)*
        }

        impl EventKind {
            /// Every event kind, in registry order.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)*];
            /// How many event kinds there are.
            pub const COUNT: usize = EventKind::ALL.len();

            /// Karafka's dotted name, such as `consumer.consumed`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)*
                }
            }

            /// The kind with this dotted name.
            pub fn from_name(name: &str) -> Option<EventKind> {
                match name {
                    $($name => Some(EventKind::$variant),)*
                    _ => None,
                }
            }

            pub(crate) const fn index(self) -> usize {
                self as usize
            }
        }

        /// Something that happened in the app; each variant is one registered event name.
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum Event {
            $($(#[$doc])* $variant($payload),)*
        }

        impl Event {
            /// Which registered event this is.
            pub fn kind(&self) -> EventKind {
                match self {
                    $(Event::$variant(_) => EventKind::$variant,)*
                }
            }

            /// Hands the event to the listener's `on_<name>` method (dots as underscores).
            pub fn dispatch<L: super::Listener + ?Sized>(&self, listener: &L) {
                match self {
                    $(Event::$variant(payload) => listener.$method(payload),)*
                }
            }
        }

        /// The listener trait's per-event methods, generated from the registry.
        macro_rules! listener_methods {
            () => {
                $(
                    #[doc = concat!("Called on `", $name, "`.")]
                    fn $method(&self, event: &$payload) {
                        $crate::instrumentation::events::listener_default!(self, event $(, $via)?);
                    }
                )*
            };
        }
        pub(crate) use listener_methods;
    };
}

event_kinds! {
    /// The app is configured and its routes are valid; the server is about to boot.
    AppInitialized => "app.initialized", on_app_initialized, AppStatusChanged, via on_app_status;
    /// Consumers are subscribed and fetching.
    AppRunning => "app.running", on_app_running, AppStatusChanged, via on_app_status;
    /// Quiet mode: running work finishes, no new work starts, the groups stay joined.
    AppQuieting => "app.quieting", on_app_quieting, AppStatusChanged, via on_app_status;
    /// A graceful stop has begun.
    AppStopping => "app.stopping", on_app_stopping, AppStatusChanged, via on_app_status;
    /// Everything is stopped and committed.
    AppStopped => "app.stopped", on_app_stopped, AppStatusChanged, via on_app_status;
    /// One iteration of a consumer group's fetch loop (many per second: keep it cheap).
    FetchLoop => "connection.listener.fetch_loop", on_connection_listener_fetch_loop, FetchLoop;
    /// A fetch loop polled the client; says how many messages came back.
    FetchLoopReceived => "connection.listener.fetch_loop.received", on_connection_listener_fetch_loop_received, FetchLoopReceived;
    /// A batch is about to be handed to its consumer.
    ConsumerConsume => "consumer.consume", on_consumer_consume, ConsumerConsume;
    /// A batch was processed successfully and its offsets stored.
    ConsumerConsumed => "consumer.consumed", on_consumer_consumed, ConsumerConsumed;
    /// A consumer's `revoked` hook ran: its partition was taken away.
    ConsumerRevoked => "consumer.revoked", on_consumer_revoked, ConsumerHook;
    /// A consumer's `shutdown` hook ran: the server is stopping.
    ConsumerShutdown => "consumer.shutdown", on_consumer_shutdown, ConsumerHook;
    /// A consumer's `tick` hook ran.
    ConsumerTick => "consumer.tick", on_consumer_tick, ConsumerHook;
    /// A partition was paused: its buffer is full, it waits for a retry, or for a dead letter write.
    ConsumerConsumingPause => "consumer.consuming.pause", on_consumer_consuming_pause, ConsumerConsumingPause;
    /// A failed batch's partition is paused until its retry.
    ConsumerConsumingRetry => "consumer.consuming.retry", on_consumer_consuming_retry, ConsumerConsumingRetry;
    /// A filter dropped messages of a batch (they count as consumed).
    FilteringDropped => "filtering.dropped", on_filtering_dropped, FilteringDropped;
    /// A filter held a partition back (`throttle`, `delay_by`, or a custom filter).
    FilteringPaused => "filtering.paused", on_filtering_paused, FilteringPaused;
    /// A consumer group was given partitions.
    PartitionsAssigned => "rebalance.partitions_assigned", on_rebalance_partitions_assigned, Rebalance;
    /// A consumer group is giving partitions up.
    PartitionsRevoked => "rebalance.partitions_revoked", on_rebalance_partitions_revoked, Rebalance;
    /// A message that kept failing was written to the dead letter queue and skipped.
    DeadLetterQueueDispatched => "dead_letter_queue.dispatched", on_dead_letter_queue_dispatched, DeadLetterQueueDispatched;
    /// Every message of one responder call was delivered.
    ResponderResponded => "responder.responded", on_responder_responded, ResponderResponded;
    /// The broker acknowledged a message karafka produced.
    ProducerDelivered => "producer.delivered", on_producer_delivered, ProducerDelivered;
    /// librdkafka statistics of a consumer group's client (`statistics.interval.ms`).
    StatisticsEmitted => "statistics.emitted", on_statistics_emitted, Statistics;
    /// The process received a signal it acts on (SIGINT, SIGTERM, SIGTSTP).
    ProcessNoticeSignal => "process.notice_signal", on_process_notice_signal, ProcessNoticeSignal;
    /// Something failed; processing goes on.
    ErrorOccurred => "error.occurred", on_error_occurred, ErrorOccurred;
    /// A swarm supervisor started a node (`server --swarm`).
    SwarmNodeStarted => "swarm.node.started", on_swarm_node_started, SwarmNodeStarted;
    /// A swarm node's process ended; says whether and when it restarts.
    SwarmNodeExited => "swarm.node.exited", on_swarm_node_exited, SwarmNodeExited;
    /// A swarm node stopped reporting or its fetch loops stalled; it is killed and restarted.
    SwarmNodeStalled => "swarm.node.stalled", on_swarm_node_stalled, SwarmNodeStalled;
}

impl Event {
    /// Karafka's dotted name of the event.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for EventKind {
    type Err = crate::Error;

    fn from_str(name: &str) -> crate::Result<EventKind> {
        EventKind::from_name(name).ok_or_else(|| crate::Error::UnknownEvent {
            name: name.to_owned(),
            known: EventKind::ALL
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// The server's lifecycle status, as the `app.*` events report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppStatus {
    /// Configured; booting.
    Initialized,
    /// Fetching and processing.
    Running,
    /// Finishing running work, taking no new work.
    Quieting,
    /// Stopping gracefully.
    Stopping,
    /// Stopped.
    Stopped,
}

impl AppStatus {
    /// The status as a word (`running`, `quieting`, ...).
    pub fn name(self) -> &'static str {
        match self {
            AppStatus::Initialized => "initialized",
            AppStatus::Running => "running",
            AppStatus::Quieting => "quieting",
            AppStatus::Stopping => "stopping",
            AppStatus::Stopped => "stopped",
        }
    }
}

/// Payload of the `app.*` events.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppStatusChanged {
    /// The app's `client_id`.
    pub client_id: Arc<str>,
    /// The status the app is now in.
    pub status: AppStatus,
}

impl AppStatusChanged {
    pub(crate) fn new(client_id: &str, status: AppStatus) -> Self {
        AppStatusChanged {
            client_id: Arc::from(client_id),
            status,
        }
    }

    /// The event this payload belongs to.
    pub(crate) fn into_event(self) -> Event {
        match self.status {
            AppStatus::Initialized => Event::AppInitialized(self),
            AppStatus::Running => Event::AppRunning(self),
            AppStatus::Quieting => Event::AppQuieting(self),
            AppStatus::Stopping => Event::AppStopping(self),
            AppStatus::Stopped => Event::AppStopped(self),
        }
    }
}

/// Payload of `connection.listener.fetch_loop`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchLoop {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
}

/// Payload of `connection.listener.fetch_loop.received`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FetchLoopReceived {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Messages this poll round returned (0 when nothing came).
    pub messages: usize,
    /// How long the poll round took.
    pub duration: Duration,
}

/// Payload of `consumer.consume`: a batch about to be consumed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerConsume {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the batch.
    pub topic: Arc<str>,
    /// Partition of the batch.
    pub partition: i32,
    /// Type name of the consumer.
    pub consumer: &'static str,
    /// Where the batch runs.
    pub backend: Backend,
    /// Messages in the batch.
    pub size: usize,
    /// First offset of the batch.
    pub first_offset: i64,
    /// Last offset of the batch.
    pub last_offset: i64,
    /// Which attempt this is (1 the first time).
    pub attempt: u32,
    /// Time from the batch's last message's timestamp until now, when it has one.
    pub consumption_lag: Option<Duration>,
    /// The virtual partition (lane) the batch runs on, on a route with `virtual_partitions`.
    pub virtual_partition: Option<usize>,
}

/// Payload of `consumer.consumed`: a batch processed successfully.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerConsumed {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the batch.
    pub topic: Arc<str>,
    /// Partition of the batch.
    pub partition: i32,
    /// Type name of the consumer.
    pub consumer: &'static str,
    /// Where the batch ran.
    pub backend: Backend,
    /// Messages in the batch.
    pub size: usize,
    /// First offset of the batch.
    pub first_offset: i64,
    /// Last offset of the batch.
    pub last_offset: i64,
    /// How long `consume` took.
    pub duration: Duration,
    /// Which attempt succeeded.
    pub attempt: u32,
    /// Time from the batch's last message's timestamp until `consume` started, when it has one.
    pub consumption_lag: Option<Duration>,
    /// The virtual partition (lane) the batch ran on, on a route with `virtual_partitions`.
    pub virtual_partition: Option<usize>,
}

/// Payload of `consumer.revoked`, `consumer.shutdown` and `consumer.tick`: a hook that ran.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerHook {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the consumer.
    pub topic: Arc<str>,
    /// Partition of the consumer.
    pub partition: i32,
    /// Type name of the consumer.
    pub consumer: &'static str,
    /// How long the hook took.
    pub duration: Duration,
}

/// Why a partition was paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PauseReason {
    /// Its buffer of fetched messages is full (bounded memory).
    Backpressure,
    /// A batch failed; it waits for the retry.
    Retry,
    /// A message's retries are exhausted (or its dead letter write failed):
    /// it is fetched again to be written to the dead letter queue.
    DeadLetter,
    /// A pause command (the Web UI's) holds it until a resume command.
    Command,
    /// Its consumer asked (`Context::pause`).
    Consumer,
    /// A filter held it back (`throttle`, `delay_by`, or a custom filter).
    Filter,
}

impl PauseReason {
    /// The reason as a word.
    pub fn name(self) -> &'static str {
        match self {
            PauseReason::Backpressure => "backpressure",
            PauseReason::Retry => "retry",
            PauseReason::DeadLetter => "dead_letter",
            PauseReason::Command => "command",
            PauseReason::Consumer => "consumer",
            PauseReason::Filter => "filter",
        }
    }
}

/// Payload of `consumer.consuming.pause`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerConsumingPause {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the paused partition.
    pub topic: Arc<str>,
    /// The paused partition.
    pub partition: i32,
    /// The offset fetching resumes from.
    pub offset: i64,
    /// Why it was paused.
    pub reason: PauseReason,
    /// How long a retry pause lasts; `None` for backpressure, which lasts until the buffer drains.
    pub timeout: Option<Duration>,
}

/// Payload of `filtering.dropped`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FilteringDropped {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the batch.
    pub topic: Arc<str>,
    /// Partition of the batch.
    pub partition: i32,
    /// The filter's name (`expire_in`, or a filter type's name).
    pub filter: &'static str,
    /// Offsets of the dropped messages.
    pub offsets: Vec<i64>,
}

/// Payload of `filtering.paused`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FilteringPaused {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the partition.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The filter's name (`throttle`, `delay_by`, or a filter type's name).
    pub filter: &'static str,
    /// Where fetching resumes.
    pub offset: i64,
    /// How long the partition is held back (zero: it fetches from `offset` again at once).
    pub pause: Duration,
}

/// Payload of `consumer.consuming.retry`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerConsumingRetry {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Topic of the batch.
    pub topic: Arc<str>,
    /// Partition of the batch.
    pub partition: i32,
    /// The offset processing resumes from.
    pub offset: i64,
    /// The attempt that will run next.
    pub attempt: u32,
    /// How long the partition stays paused.
    pub pause: Duration,
}

/// Payload of `rebalance.partitions_assigned` and `rebalance.partitions_revoked`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rebalance {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// The partitions, by topic, sorted.
    pub partitions: Partitions,
}

/// Payload of `dead_letter_queue.dispatched`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeadLetterQueueDispatched {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// Source topic.
    pub topic: Arc<str>,
    /// Source partition.
    pub partition: i32,
    /// Source offset.
    pub offset: i64,
    /// Where it went.
    pub dead_letter_topic: Arc<str>,
    /// How many attempts failed.
    pub attempts: u32,
}

/// Payload of `responder.responded`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponderResponded {
    /// The responder's name.
    pub responder: &'static str,
    /// The topics it wrote to, each once, in the order first used.
    pub topics: Vec<Arc<str>>,
    /// How many messages it sent.
    pub messages: usize,
    /// From the call until the last acknowledgement.
    pub duration: Duration,
}

/// Payload of `producer.delivered`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProducerDelivered {
    /// Topic the message went to.
    pub topic: Arc<str>,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
}

/// Payload of `process.notice_signal`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProcessNoticeSignal {
    /// `SIGINT`, `SIGTERM` or `SIGTSTP`.
    pub signal: &'static str,
}

/// What kind of failure an `error.occurred` event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorType {
    /// `consume` returned an error or panicked.
    ConsumerConsume,
    /// A consumer's `initialized` hook failed.
    ConsumerInitialized,
    /// A consumer's `revoked` hook failed.
    ConsumerRevoked,
    /// A consumer's `shutdown` hook failed.
    ConsumerShutdown,
    /// A consumer's `tick` hook failed.
    ConsumerTick,
    /// Polling the Kafka client failed.
    ConnectionClientPoll,
    /// Storing or committing offsets failed.
    ConnectionClientCommit,
    /// A librdkafka client error (broker down, authentication, ...).
    ConnectionClient,
    /// A consumer group's fetch thread panicked or its client hit a fatal error:
    /// the group is lost and the server stops (see `ServerHandle::wait`).
    ConnectionListenerFetchLoop,
    /// Writing a message to its dead letter queue failed.
    DeadLetterQueueDispatch,
    /// The producer could not deliver a message.
    ProducerDelivery,
    /// librdkafka statistics could not be decoded.
    Statistics,
    /// A listener or subscribed closure failed or panicked (processing went on).
    Listener,
}

impl ErrorType {
    /// Karafka's dotted name of the error type.
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::ConsumerConsume => "consumer.consume.error",
            ErrorType::ConsumerInitialized => "consumer.initialized.error",
            ErrorType::ConsumerRevoked => "consumer.revoked.error",
            ErrorType::ConsumerShutdown => "consumer.shutdown.error",
            ErrorType::ConsumerTick => "consumer.tick.error",
            ErrorType::ConnectionClientPoll => "connection.client.poll.error",
            ErrorType::ConnectionClientCommit => "connection.client.commit.error",
            ErrorType::ConnectionClient => "connection.client.error",
            ErrorType::ConnectionListenerFetchLoop => "connection.listener.fetch_loop.error",
            ErrorType::DeadLetterQueueDispatch => "dead_letter_queue.dispatch.error",
            ErrorType::ProducerDelivery => "producer.delivery.error",
            ErrorType::Statistics => "statistics.emitted.error",
            ErrorType::Listener => "instrumentation.listener.error",
        }
    }
}

impl std::fmt::Display for ErrorType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Payload of `error.occurred`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ErrorOccurred {
    /// What kind of failure.
    pub error_type: ErrorType,
    /// Group name as routed, when the error belongs to one.
    pub consumer_group: Option<Arc<str>>,
    /// Topic, when the error belongs to one.
    pub topic: Option<Arc<str>>,
    /// Partition, when the error belongs to one.
    pub partition: Option<i32>,
    /// First offset of the failed batch, when there is one.
    pub offset: Option<i64>,
    /// Which attempt failed, for consumer errors.
    pub attempt: Option<u32>,
    /// The error, as text.
    pub error: String,
}

impl ErrorOccurred {
    /// An error of `error_type` that belongs to no group or partition.
    pub fn new(error_type: ErrorType, error: impl Into<String>) -> Self {
        ErrorOccurred {
            error_type,
            consumer_group: None,
            topic: None,
            partition: None,
            offset: None,
            attempt: None,
            error: error.into(),
        }
    }

    /// The same error, belonging to `consumer_group`.
    pub fn in_group(mut self, consumer_group: Arc<str>) -> Self {
        self.consumer_group = Some(consumer_group);
        self
    }

    /// The same error, belonging to a topic-partition (and an offset, when known).
    pub fn at(mut self, topic: Arc<str>, partition: i32, offset: Option<i64>) -> Self {
        self.topic = Some(topic);
        self.partition = Some(partition);
        self.offset = offset;
        self
    }

    /// The same error, of a given attempt.
    pub fn attempt(mut self, attempt: u32) -> Self {
        self.attempt = Some(attempt);
        self
    }
}
