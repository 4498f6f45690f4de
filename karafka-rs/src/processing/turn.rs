//! One turn of a fetch loop, written once: the server's listener and
//! `TestApp` both run it, each with its own [`Source`] of messages.
//!
//! The order: collect what came back (finished jobs, dead letter
//! acknowledgements) → dispatch new jobs → apply backpressure → resume what is
//! due → poll, unless the buffers are full enough (then wait for a completion
//! instead) → (while jobs run and nothing came) wait briefly for a
//! completion → accept what was polled.

use std::time::{Duration, Instant};

use super::client::PartitionClient;
use super::processor::Processor;
use crate::messages::RawMessage;

/// Longest wait for a completion while jobs run and nothing was fetched.
pub(crate) const BUSY_POLL: Duration = Duration::from_millis(2);

/// What a poll may wait for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PollPlan {
    /// When the next retry or tick is due.
    pub(crate) next_due: Option<Duration>,
    /// Messages are buffered or work is in flight.
    pub(crate) busy: bool,
    /// Jobs or dead letter writes are in flight.
    pub(crate) jobs_running: bool,
}

/// Where a turn's messages come from, and the client that carries out the
/// processing's partition operations.
pub(crate) trait Source {
    /// The partition client.
    fn client(&self) -> &dyn PartitionClient;

    /// Takes the messages available now (waiting as `plan` allows), tagging
    /// each with the rebalance epoch it was polled at.
    fn poll(&mut self, processor: &Processor, plan: PollPlan) -> Round;
}

/// The messages of one poll round, with their route indexes.
#[derive(Default)]
pub(crate) struct Round {
    pub(crate) messages: Vec<(usize, RawMessage)>,
    pub(crate) epochs: Epochs,
}

/// The rebalance epoch of each message of a round: `first`, until the indexes in `changes`.
#[derive(Default)]
pub(crate) struct Epochs {
    first: u64,
    changes: Vec<(usize, u64)>,
}

impl Epochs {
    /// The epoch of the message at `index`.
    pub(crate) fn at(&self, index: usize) -> u64 {
        self.changes
            .iter()
            .rev()
            .find(|(from, _)| *from <= index)
            .map_or(self.first, |(_, epoch)| *epoch)
    }
}

impl Round {
    /// An empty round with room for `capacity` messages, starting at `epoch`.
    pub(crate) fn new(capacity: usize, epoch: u64) -> Self {
        Round {
            messages: Vec::with_capacity(capacity),
            epochs: Epochs {
                first: epoch,
                changes: Vec::new(),
            },
        }
    }

    /// Adds a message polled at `epoch`.
    pub(crate) fn push(&mut self, route: usize, message: RawMessage, epoch: u64) {
        let current = self
            .epochs
            .changes
            .last()
            .map_or(self.epochs.first, |c| c.1);
        if epoch != current {
            self.epochs.changes.push((self.messages.len(), epoch));
        }
        self.messages.push((route, message));
    }

    /// Messages in the round.
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the round is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }
}

/// What one turn did.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Turn {
    /// Messages polled.
    pub(crate) fetched: usize,
    /// Time spent polling.
    pub(crate) polled_for: Duration,
}

/// Runs one turn. `dispatching: false` (stopping, quiet) starts no new work;
/// `accepting: false` (stopping) drops what was polled, unprocessed and
/// unstored, for the next owner to fetch.
pub(crate) fn turn(
    processor: &Processor,
    source: &mut dyn Source,
    dispatching: bool,
    accepting: bool,
) -> Turn {
    processor.collect_completions(source.client());
    if dispatching {
        processor.dispatch(source.client());
    }
    processor.apply_backpressure(source.client());
    let next_due = processor.resume_due(source.client());
    if let Some(hold) = processor.poll_hold() {
        // What is not polled stays in the client's bounded queue: nothing
        // fetched is dropped, as a pause would.
        let wait = next_due.map_or(hold, |due| due.min(hold));
        processor.wait_completions(source.client(), wait);
        return Turn {
            fetched: 0,
            polled_for: Duration::ZERO,
        };
    }
    let plan = PollPlan {
        next_due,
        busy: processor.is_busy(),
        jobs_running: processor.has_in_flight(),
    };
    let polled_at = Instant::now();
    // While jobs run, take only what is already fetched, then wait for a
    // completion rather than for Kafka: a worker that finishes gets its
    // partition's next batch at once, not after a poll times out.
    let round = source.poll(processor, plan);
    let polled_for = polled_at.elapsed();
    if plan.jobs_running && round.is_empty() {
        let wait = next_due.map_or(BUSY_POLL, |due| due.min(BUSY_POLL));
        processor.wait_completions(source.client(), wait);
    }
    let fetched = round.len();
    if accepting && fetched > 0 {
        processor.accept(round);
    }
    Turn {
        fetched,
        polled_for,
    }
}
