//! The library's one error type and its `Result` alias.

use std::path::PathBuf;
use std::sync::Arc;

/// A boxed error from user code or a custom deserializer.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with karafka's [`enum@Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in karafka-rs, each variant naming what was wrong.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration file or environment variable has a bad key or value.
    #[error("invalid configuration in {}: key `{key}`: {reason}", file.display())]
    Config {
        /// The file (or the environment variable) the bad value came from.
        file: PathBuf,
        /// The dotted key that was wrong.
        key: String,
        /// What was wrong with it.
        reason: String,
    },
    /// A configuration file is not valid TOML.
    #[error("invalid TOML in {}, line {line}, column {column}: {reason}\n{excerpt}", file.display())]
    ConfigSyntax {
        /// The file.
        file: PathBuf,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error in that line, from 1.
        column: usize,
        /// What was wrong.
        reason: String,
        /// The offending line, numbered, with a caret under the column.
        excerpt: String,
    },
    /// The routes are unusable: duplicates, none at all, conflicting options.
    #[error("invalid routes: {0}")]
    Routing(String),
    /// A message payload could not be turned into the route's payload type.
    #[error(
        "cannot deserialize message {topic}/{partition}@{offset} with {deserializer}: {reason}"
    )]
    Deserialization {
        /// Topic of the message.
        topic: String,
        /// Partition of the message.
        partition: i32,
        /// Offset of the message.
        offset: i64,
        /// Name of the deserializer that failed.
        deserializer: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The Kafka client reported an error.
    #[error("kafka: {context}: {source}")]
    Kafka {
        /// What karafka was doing when the error happened.
        context: String,
        /// The client's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// A message was not delivered: the broker refused it, or did not acknowledge it in time.
    #[error("cannot deliver to topic `{topic}`{}: {source}", within(.timeout_ms))]
    Delivery {
        /// The topic the message was for.
        topic: String,
        /// The `delivery_timeout` that passed, when the message timed out.
        timeout_ms: Option<u64>,
        /// The client's error.
        #[source]
        source: rdkafka::error::KafkaError,
    },
    /// Flushing the producer left messages undelivered.
    #[error("{count} messages were not delivered within {timeout_ms} ms")]
    Undelivered {
        /// How many messages were still in the producer's queue.
        count: usize,
        /// How long the flush waited.
        timeout_ms: u64,
    },
    /// A responder was used against its declaration: an undeclared topic, a required
    /// topic left out, a topic used twice without `multiple_usage`.
    #[error("responder `{responder}` cannot respond: topic `{topic}` {reason}; nothing was sent")]
    ResponderUsage {
        /// The responder's name.
        responder: String,
        /// The topic misused.
        topic: String,
        /// What was wrong.
        reason: String,
    },
    /// A responder's payload could not be encoded by its topic's serializer.
    #[error("responder `{responder}` cannot serialize its message to topic `{topic}` with {serializer}: {reason}; nothing was sent")]
    Serialization {
        /// The responder's name.
        responder: String,
        /// The topic the message was for.
        topic: String,
        /// Name of the serializer that failed.
        serializer: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// The shared producer was asked for before any app was loaded in the process.
    #[error("no karafka app is loaded in this process: call `karafka::App::load()` (or create and start an `App`) before using responders or the producer")]
    NoApp,
    /// The brokers could not be reached within the allowed time.
    #[error("cannot reach the brokers {brokers} within {timeout_ms} ms: {reason}")]
    Unreachable {
        /// The bootstrap servers that were tried.
        brokers: String,
        /// How long karafka waited.
        timeout_ms: u64,
        /// The client's last word on it.
        reason: String,
    },
    /// The embedded development broker could not be started or found.
    #[error("embedded broker: {0}")]
    Embedded(String),
    /// Graceful shutdown did not finish within `shutdown_timeout`.
    #[error("shutdown did not finish within {timeout_ms} ms; still running: {still_running}")]
    ShutdownTimeout {
        /// The configured shutdown timeout.
        timeout_ms: u64,
        /// What was still in flight, for the operator.
        still_running: String,
    },
    /// The server stopped on its own: a consumer group's fetch thread panicked or
    /// its Kafka client hit a fatal error (see `ServerHandle::wait`).
    #[error("the server stopped: {reason}")]
    ServerFailed {
        /// Which group failed, and how.
        reason: StopReason,
    },
    /// A subscription named an event that is not in the registry.
    #[error("unknown event `{name}`; known events: {known}")]
    UnknownEvent {
        /// The name that was asked for.
        name: String,
        /// Every registered event name.
        known: String,
    },
    /// `Context::mark_as_consumed` was given a message older than what is stored.
    #[error("cannot mark {topic}/{partition}@{offset} as consumed: offset {stored} is already stored, and stored offsets never move back")]
    MarkBehindStored {
        /// Topic of the message.
        topic: String,
        /// Partition of the message.
        partition: i32,
        /// Offset of the message.
        offset: i64,
        /// The offset stored for the partition.
        stored: i64,
    },
    /// User code (a consumer hook) failed or panicked.
    #[error("{0}")]
    User(BoxError),
    /// A test consumed a topic whose consumer kept failing on a message that has
    /// no dead letter queue to go to (the server would retry it forever).
    #[error("{topic}/{partition}@{offset} still fails after {attempts} attempts (no dead letter queue, so the server would retry it forever): {error}")]
    Unprocessed {
        /// Topic of the message.
        topic: String,
        /// Its partition.
        partition: i32,
        /// Its offset.
        offset: i64,
        /// How many times it was attempted.
        attempts: u32,
        /// The last error.
        error: String,
    },
    /// A swarm (`server --swarm`) could not run its nodes, or gave up restarting them.
    #[error("swarm: {0}")]
    Swarm(String),
    /// A cluster administration request failed or was refused.
    #[error("{0}")]
    Admin(String),
    /// A consumer group's offsets cannot be changed while it has members.
    #[error("cannot {action} group `{group}` while it has active members (state {state}, {members} members): stop its consumers first")]
    GroupActive {
        /// The group.
        group: String,
        /// What was refused (`seek`, `delete`, ...).
        action: String,
        /// Its state, as the coordinator reports it.
        state: String,
        /// How many members it has.
        members: usize,
    },
    /// A failure inside karafka itself (a background task that died).
    #[error("internal error: {0}")]
    Internal(String),
    /// An I/O error, with what karafka was doing.
    #[error("{context}: {source}")]
    Io {
        /// What karafka was doing.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps any error from user code.
    pub fn user(error: impl Into<BoxError>) -> Self {
        Error::User(error.into())
    }

    /// A client error; the value of a secret setting in a configuration error is filtered.
    pub(crate) fn kafka(context: impl Into<String>, source: rdkafka::error::KafkaError) -> Self {
        Error::Kafka {
            context: context.into(),
            source: crate::redaction::redact_config_error(source),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// The message of a panic payload (user code or a listener that panicked).
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}

/// ` within delivery_timeout (N ms)` for a delivery that timed out.
fn within(timeout_ms: &Option<u64>) -> String {
    timeout_ms
        .map(|ms| format!(" within delivery_timeout ({ms} ms)"))
        .unwrap_or_default()
}

impl From<anyhow::Error> for Error {
    fn from(error: anyhow::Error) -> Self {
        Error::User(error.into())
    }
}

impl From<serde_json::Error> for Error {
    fn from(error: serde_json::Error) -> Self {
        Error::User(Box::new(error))
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        Error::User(Box::new(error))
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::User(message.into())
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::User(message.into())
    }
}

/// Why a server stopped on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// A consumer group's fetch thread panicked outside user code.
    FetchThreadPanicked {
        /// The group whose thread panicked.
        consumer_group: Arc<str>,
        /// The panic's message.
        message: String,
    },
    /// A consumer group's Kafka client hit a fatal error (such as a static member
    /// fenced by another with the same `group.instance.id`) and cannot go on.
    FatalClientError {
        /// The group whose client failed.
        consumer_group: Arc<str>,
        /// librdkafka's description of the error.
        error: String,
    },
}

impl StopReason {
    /// The consumer group that failed.
    pub fn consumer_group(&self) -> &str {
        match self {
            StopReason::FetchThreadPanicked { consumer_group, .. }
            | StopReason::FatalClientError { consumer_group, .. } => consumer_group,
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::FetchThreadPanicked {
                consumer_group,
                message,
            } => write!(
                f,
                "consumer group {consumer_group}: its fetch thread panicked: {message}"
            ),
            StopReason::FatalClientError {
                consumer_group,
                error,
            } => write!(
                f,
                "consumer group {consumer_group}: fatal Kafka client error: {error}"
            ),
        }
    }
}
