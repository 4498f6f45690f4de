//! The events the framework emits, named after Karafka's dotted event names.

use std::sync::Arc;
use std::time::Duration;

/// Topic-partitions affected by a rebalance, grouped by topic.
pub type Partitions = Vec<(Arc<str>, Vec<i32>)>;

/// What kind of failure an `error.occurred` event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// `consume` returned an error or panicked.
    ConsumerConsume,
    /// A consumer hook (`initialized`, `revoked`, `shutdown`) failed.
    ConsumerHook,
    /// Polling the Kafka client failed.
    ConnectionClientPoll,
    /// Storing or committing offsets failed.
    ConnectionClientCommit,
    /// A librdkafka client error (broker down, authentication, ...).
    ConnectionClient,
    /// Writing a message to its dead letter queue failed.
    DeadLetterQueueDispatch,
    /// The producer could not deliver a message (`call_async`, or at shutdown).
    ProducerDelivery,
}

impl ErrorType {
    /// Karafka's dotted name of the error type.
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::ConsumerConsume => "consumer.consume.error",
            ErrorType::ConsumerHook => "consumer.hook.error",
            ErrorType::ConnectionClientPoll => "connection.client.poll.error",
            ErrorType::ConnectionClientCommit => "connection.client.commit.error",
            ErrorType::ConnectionClient => "connection.client.error",
            ErrorType::DeadLetterQueueDispatch => "dead_letter_queue.dispatch.error",
            ErrorType::ProducerDelivery => "producer.delivery.error",
        }
    }
}

/// Something that happened in the app.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The app is configured and its routes are valid.
    AppInitialized,
    /// Consumers are subscribed and fetching.
    AppRunning,
    /// Quiet mode: running work finishes, no new work starts, the group is kept.
    AppQuieting,
    /// A graceful stop has begun.
    AppStopping,
    /// Everything is stopped and committed.
    AppStopped,
    /// A consumer group was given partitions.
    PartitionsAssigned {
        /// Group name as routed.
        consumer_group: Arc<str>,
        /// What was assigned.
        partitions: Partitions,
    },
    /// A consumer group is giving partitions up.
    PartitionsRevoked {
        /// Group name as routed.
        consumer_group: Arc<str>,
        /// What was revoked.
        partitions: Partitions,
    },
    /// A batch was processed successfully and its offsets stored.
    ConsumerConsumed {
        /// Group name as routed.
        consumer_group: Arc<str>,
        /// Topic of the batch.
        topic: Arc<str>,
        /// Partition of the batch.
        partition: i32,
        /// Type name of the consumer.
        consumer: &'static str,
        /// Messages in the batch.
        size: usize,
        /// First offset of the batch.
        first_offset: i64,
        /// Last offset of the batch.
        last_offset: i64,
        /// How long `consume` took.
        duration: Duration,
        /// Which attempt succeeded.
        attempt: u32,
    },
    /// A failed batch's partition is paused until its retry.
    ConsumerConsumingRetry {
        /// Group name as routed.
        consumer_group: Arc<str>,
        /// Topic of the batch.
        topic: Arc<str>,
        /// Partition of the batch.
        partition: i32,
        /// The offset processing resumes from.
        offset: i64,
        /// The attempt that will run next.
        attempt: u32,
        /// How long the partition stays paused.
        pause: Duration,
    },
    /// A message that kept failing was written to the dead letter queue and skipped.
    DeadLetterQueueDispatched {
        /// Group name as routed.
        consumer_group: Arc<str>,
        /// Source topic.
        topic: Arc<str>,
        /// Source partition.
        partition: i32,
        /// Source offset.
        offset: i64,
        /// Where it went.
        dead_letter_topic: Arc<str>,
        /// How many attempts failed.
        attempts: u32,
    },
    /// Every message of one respond call was delivered.
    ResponderResponded {
        /// The responder's name.
        responder: &'static str,
        /// The topics it wrote to, each once, in the order first used.
        topics: Vec<Arc<str>>,
        /// How many messages it sent.
        messages: usize,
        /// From the call until the last acknowledgement.
        duration: Duration,
    },
    /// Something failed; processing goes on.
    ErrorOccurred {
        /// What kind of failure.
        error_type: ErrorType,
        /// Group name as routed, when the error belongs to one.
        consumer_group: Option<Arc<str>>,
        /// Topic, when the error belongs to one.
        topic: Option<Arc<str>>,
        /// Partition, when the error belongs to one.
        partition: Option<i32>,
        /// First offset of the failed batch, when there is one.
        offset: Option<i64>,
        /// Which attempt failed, for consumer errors.
        attempt: Option<u32>,
        /// The error, as text.
        error: String,
    },
}

impl Event {
    /// Karafka's dotted name of the event.
    pub fn name(&self) -> &'static str {
        match self {
            Event::AppInitialized => "app.initialized",
            Event::AppRunning => "app.running",
            Event::AppQuieting => "app.quieting",
            Event::AppStopping => "app.stopping",
            Event::AppStopped => "app.stopped",
            Event::PartitionsAssigned { .. } => "rebalance.partitions_assigned",
            Event::PartitionsRevoked { .. } => "rebalance.partitions_revoked",
            Event::ConsumerConsumed { .. } => "consumer.consumed",
            Event::ConsumerConsumingRetry { .. } => "consumer.consuming.retry",
            Event::DeadLetterQueueDispatched { .. } => "dead_letter_queue.dispatched",
            Event::ResponderResponded { .. } => "responder.responded",
            Event::ErrorOccurred { .. } => "error.occurred",
        }
    }
}
