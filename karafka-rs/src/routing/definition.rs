//! What the `routes!` macro produces: route definitions before defaults and validation.

pub use super::options::RouteOptions;
use crate::consumer::erased::{factory, ConsumerFactory};
use crate::consumer::Consumer;
use crate::messages::deserializers::Deserializer;
use crate::messages::payload_type::{Format, PayloadType};

/// The `config` route option: the topic as `topics migrate` declares it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TopicConfig {
    /// Partitions (unset: the configuration's `default_partitions`).
    pub partitions: Option<i32>,
    /// Replication factor (unset: 1).
    pub replication_factor: Option<i32>,
    /// Topic-level Kafka settings, such as `("retention.ms", "86400000")`.
    pub settings: &'static [(&'static str, &'static str)],
}

/// The `dead_letter_queue` route option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterQueue {
    /// The topic failing messages are written to.
    pub topic: &'static str,
    /// Retries (after the first attempt) before a message goes there.
    pub max_retries: u32,
}

/// One routed topic as declared.
pub struct TopicDef {
    pub(crate) name: String,
    pub(crate) consumer_name: &'static str,
    pub(crate) deserializer_name: String,
    pub(crate) format: Format,
    pub(crate) payload: PayloadType,
    pub(crate) factory: ConsumerFactory,
    pub(crate) options: RouteOptions,
}

impl TopicDef {
    /// Routes `topic` to consumer type `C`, reading payloads with `deserializer`.
    pub fn new<C, D>(topic: &str, deserializer: D, options: RouteOptions) -> TopicDef
    where
        C: Consumer + Default,
        D: Deserializer<C::Payload>,
    {
        let consumer_name = std::any::type_name::<C>()
            .rsplit("::")
            .next()
            .unwrap_or("Consumer");
        let deserializer_name = deserializer.name();
        TopicDef {
            name: topic.to_owned(),
            consumer_name,
            deserializer_name: deserializer_name.to_owned(),
            format: Format::of_deserializer::<D>(deserializer_name),
            payload: PayloadType::named::<C::Payload>(),
            factory: factory::<C, D>(deserializer),
            options,
        }
    }

    /// Names the consumer as the route declared it (the default is its type's name).
    pub fn consumer_name(mut self, name: &'static str) -> TopicDef {
        self.consumer_name = name;
        self
    }

    /// Describes the consumer's payload type for the AsyncAPI document (`routes!`
    /// passes one with a JSON Schema when the type implements `JsonSchema`).
    pub fn payload_type(mut self, payload: PayloadType) -> TopicDef {
        self.payload = payload;
        self
    }
}

/// One consumer group as declared.
pub struct ConsumerGroupDef {
    pub(crate) name: String,
    pub(crate) options: RouteOptions,
    pub(crate) topics: Vec<TopicDef>,
}

impl ConsumerGroupDef {
    /// A consumer group with group-level default options and its topics.
    pub fn new(name: &str, options: RouteOptions, topics: Vec<TopicDef>) -> Self {
        ConsumerGroupDef {
            name: name.to_owned(),
            options,
            topics,
        }
    }
}

/// One `routes!` invocation, registered with inventory.
pub struct RouteSource {
    /// `CARGO_MANIFEST_DIR` of the crate that declared the routes: the app's root.
    pub manifest_dir: &'static str,
    /// `CARGO_PKG_NAME` of that crate: the app's name in its AsyncAPI document.
    pub package: &'static str,
    /// `CARGO_PKG_VERSION` of that crate: the version of its AsyncAPI document.
    pub version: &'static str,
    /// `file:line` of the invocation, for error messages.
    pub location: &'static str,
    /// Builds the declared groups.
    pub build: fn() -> Vec<ConsumerGroupDef>,
}

inventory::collect!(RouteSource);
