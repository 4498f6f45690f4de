//! The vocabulary of the core: what a route asks of it ([`Rules`]), what a
//! finished job reports ([`Finished`]), and what the core asks its driver to do
//! ([`Effect`]).

use std::time::Duration;

pub use crate::instrumentation::PauseReason;

/// Identifies a topic-partition within a consumer group.
pub type PartitionKey = crate::messages::TopicPartition;

/// Anything the core can buffer: it reads the offset (and, in filters, the timestamp).
pub use crate::messages::Offset;

/// The route options the core follows for one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// `false` hands messages over one at a time.
    pub batch_consuming: bool,
    /// Most messages per job.
    pub max_messages: usize,
    /// Offsets move only with marks.
    pub manual_offsets: bool,
    /// Time between ticks of an idle partition, if it ticks.
    pub tick_interval: Option<Duration>,
    /// `max_retries` of the route's dead letter queue, if it has one.
    pub dead_letter_retries: Option<u32>,
    /// Messages buffered before the partition is paused (backpressure).
    pub buffer_limit: usize,
    /// Most virtual partitions a batch is split into, if the route has them.
    pub virtual_partitions: Option<usize>,
}

/// How long a partition pauses after its `n`th consecutive failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first pause.
    pub base: Duration,
    /// The longest pause.
    pub max: Duration,
    /// Whether each failure doubles the pause.
    pub exponential: bool,
}

impl Backoff {
    /// The pause after `failures` consecutive failures (1-based).
    pub fn pause_for(&self, failures: u32) -> Duration {
        let pause = if self.exponential {
            let factor = 1u32 << failures.saturating_sub(1).min(31);
            self.base.saturating_mul(factor)
        } else {
            self.base
        };
        pause.min(self.max)
    }
}

/// What a job does.
#[derive(Debug)]
pub enum Work<M> {
    /// Consume a batch (non-empty, in offset order, starting at the partition's head).
    Consume(Vec<M>),
    /// Call the `tick` hook.
    Tick,
}

/// A job the core starts: the driver runs it and reports back with [`Finished`].
#[derive(Debug)]
pub struct Start<M> {
    /// The partition.
    pub key: PartitionKey,
    /// The ownership the job belongs to; echoed back in [`Finished`].
    pub generation: u64,
    /// Which attempt at this position it is: 1, then 2 after a failure...
    pub attempt: u32,
    /// The offset stored so far in this ownership, if any (a mark below it is refused).
    pub stored: Option<i64>,
    /// The virtual partition (lane) the job runs for; 0 without virtual partitions.
    pub lane: usize,
    /// The work.
    pub work: Work<M>,
}

/// How a consume job went, as the core needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// A batch `first..=last` returned; `mark` is the offset after the last
    /// message the consumer marked as consumed during it, if any.
    Consumed {
        /// First offset of the batch.
        first: i64,
        /// Last offset of the batch.
        last: i64,
        /// Offset after the last marked message.
        mark: Option<i64>,
        /// `Ok`, or the failure (an `Err` or a panic).
        result: Result<(), Failure>,
    },
    /// A tick returned (how it went is the driver's to report).
    Ticked,
}

impl Finished {
    /// The offset of the message a failed batch failed at: the one its error
    /// names, else the first one not marked as consumed; `None` when it succeeded.
    pub fn failed_at(&self) -> Option<i64> {
        let Finished::Consumed {
            first,
            last,
            mark,
            result: Err(failure),
        } = self
        else {
            return None;
        };
        let unmarked =
            super::pipeline::resume_at(*first, super::steps::offsets::valid_mark(*mark, *last));
        Some(
            failure
                .culprit
                .filter(|c| (*first..=*last).contains(c))
                .unwrap_or(unmarked.min(*last)),
        )
    }
}

/// A failed consume job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The message the error names (a payload that cannot be deserialized), if any.
    pub culprit: Option<i64>,
    /// The error, as text (kept for the dead letter record).
    pub error: String,
}

/// A message whose retries are exhausted, to write to the dead letter queue.
#[derive(Debug)]
pub struct DeadLetter<M> {
    /// The source partition.
    pub key: PartitionKey,
    /// The ownership; echoed back with the acknowledgement.
    pub generation: u64,
    /// The message.
    pub message: M,
    /// Failed attempts of its own (`max_retries + 1`).
    pub attempts: u32,
    /// The last error.
    pub error: String,
}

/// What the driver must do for the core.
#[derive(Debug)]
pub enum Effect<M> {
    /// Store `offset` (the next to consume) for committing.
    StoreOffset {
        /// The partition.
        key: PartitionKey,
        /// The offset after the last processed message.
        offset: i64,
    },
    /// Stop fetching a partition.
    Pause {
        /// The partition.
        key: PartitionKey,
        /// Where fetching will resume.
        offset: i64,
        /// Why.
        reason: PauseReason,
        /// How long, for a retry pause.
        timeout: Option<Duration>,
    },
    /// A failed batch will be retried (emitted with its retry pause).
    Retrying {
        /// The partition.
        key: PartitionKey,
        /// Where the retry starts.
        offset: i64,
        /// The attempt that will run next.
        attempt: u32,
        /// The pause before it.
        pause: Duration,
    },
    /// Seek the partition to `offset` and fetch it again.
    SeekAndResume {
        /// The partition.
        key: PartitionKey,
        /// The offset to fetch from.
        offset: i64,
    },
    /// Write a message to the route's dead letter queue; report the outcome
    /// with `Core::dead_letter_written`.
    WriteDeadLetter(DeadLetter<M>),
    /// A filter dropped messages (they count as consumed) or held the
    /// partition back; reported, nothing to carry out.
    Filtered(Filtered),
}

/// What one filter did to one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtered {
    /// The partition.
    pub key: PartitionKey,
    /// The filter's name.
    pub filter: &'static str,
    /// Offsets of the messages it dropped.
    pub dropped: Vec<i64>,
    /// Where it held the partition back from and for how long (zero: it
    /// fetches from there again at once), if it did.
    pub held: Option<(i64, Duration)>,
}
