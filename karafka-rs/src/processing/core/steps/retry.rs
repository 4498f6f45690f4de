//! Retry with backoff: a failed batch pauses its partition, drops what it
//! buffered and, after `pause_timeout` (doubled with each consecutive failure
//! when `pause_with_exponential_backoff`, up to `pause_max_timeout`), seeks
//! back to where processing resumes and fetches again. A message bound for the
//! dead letter queue is fetched again at once, to be written there: that pause
//! announces no retry, as no attempt follows (nor does the pause after a failed
//! dead letter write, which the write follows).

use std::time::{Duration, Instant};

use super::super::effects::{Backoff, Effect, PartitionKey, PauseReason};
use super::super::partition::Partition;

/// What the retry step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Consecutive failed jobs at the head.
    pub(crate) failed: u32,
    /// Paused until a retry from `.0` at `.1`.
    pub(crate) paused: Option<(i64, Instant)>,
    /// The last failure, for the dead letter record and reports.
    pub(crate) last_error: String,
}

/// What follows a failure at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Another attempt, after the backoff pause.
    Attempt,
    /// The message's retries are exhausted: it is written to the dead letter
    /// queue as soon as it is fetched again.
    DeadLetter,
    /// Its dead letter write failed: the write is tried again after the backoff pause.
    DeadLetterAgain,
}

/// The attempt number of the next job at the head.
pub(crate) fn attempt<M, S>(part: &Partition<M, S>) -> u32 {
    part.retry.failed.saturating_add(1)
}

/// After a failure at `resume`: pauses the partition until the retry is due.
#[allow(clippy::too_many_arguments)]
pub(crate) fn after_failure<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    resume: i64,
    error: String,
    next: Next,
    backoff: &Backoff,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) {
    part.retry.failed = part.retry.failed.saturating_add(1);
    if next == Next::Attempt {
        // The dead letter record keeps the consumer's error, not the write's.
        part.retry.last_error = error;
    }
    let (pause, reason) = match next {
        Next::Attempt => (backoff.pause_for(part.retry.failed), PauseReason::Retry),
        Next::DeadLetter => (Duration::ZERO, PauseReason::DeadLetter),
        Next::DeadLetterAgain => (
            backoff.pause_for(part.retry.failed),
            PauseReason::DeadLetter,
        ),
    };
    part.buffer.clear();
    part.backpressure.paused = false;
    part.retry.paused = Some((resume, now + pause));
    out.push(Effect::Pause {
        key: key.clone(),
        offset: resume,
        reason,
        timeout: Some(pause),
    });
    if next == Next::Attempt {
        out.push(Effect::Retrying {
            key: key.clone(),
            offset: resume,
            attempt: attempt(part),
            pause,
        });
    }
}

/// Resumes the partition if its retry is due; else notes when it will be.
pub(crate) fn due<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    now: Instant,
    next_due: &mut Option<Duration>,
    out: &mut Vec<Effect<M>>,
) {
    let Some((offset, at)) = part.retry.paused else {
        return;
    };
    if at > now {
        *next_due = Some(next_due.map_or(at - now, |d| d.min(at - now)));
        return;
    }
    part.retry.paused = None;
    part.backpressure.paused = false;
    // Fetching starts over there: nothing past it is fetched any more.
    part.fetched_to = Some(offset);
    out.push(Effect::SeekAndResume {
        key: key.clone(),
        offset,
    });
}

/// A seek to `offset` failed: stays paused (keeping what it buffered) and
/// tries again after a pause.
pub(crate) fn resume_failed<M, S>(
    part: &mut Partition<M, S>,
    offset: i64,
    backoff: &Backoff,
    now: Instant,
) {
    let pause = backoff.pause_for(part.retry.failed.max(1));
    part.retry.paused = Some((offset, now + pause));
}
