//! The pipeline: which step acts, in which order, at each point of a
//! partition's life. This is the one place the order is written down; a new
//! step (filters, throttling, delays, virtual partitions, transactions) is a
//! file in `steps/`, a field of [`Partition`] and a line here.
//!
//! | When                 | Steps, in order                                                         |
//! |----------------------|-------------------------------------------------------------------------|
//! | messages fetched     | buffer at or after the head (older ones are replays)                    |
//! | before a job         | retry (hold while paused) → dead letter (write an exhausted head) → batch (one message while narrowing, else `max_messages`) → tick (when nothing is buffered) → virtual partitions (split the batch into parallel lanes) |
//! | a lane finished      | virtual partitions (store the lowest offset not done; wait for the other lanes) → as a batch finished |
//! | a batch finished     | offsets (store) → head moves → dead letter (count, narrow) → retry (pause, backoff) |
//! | dead letter written  | offsets (store past it) → head moves                                    |
//! | after dispatching    | backpressure (pause full buffers)                                       |
//! | before polling       | backpressure (group-wide: wait for a job instead while buffers are full) |
//! | time passes          | retry (seek back, resume) → backpressure (resume drained) → tick        |

use std::time::{Duration, Instant};

use super::effects::{Backoff, Effect, Finished, Offset, PartitionKey, Rules, Start, Work};
use super::partition::Partition;
use super::steps::virtual_partitions::{self, Partitioner};
use super::steps::{backpressure, dead_letter, offsets, retry, tick};

/// Buffers fetched messages at or after the head.
pub(crate) fn fetched<M: Offset, S>(part: &mut Partition<M, S>, messages: impl Iterator<Item = M>) {
    if part.retry.paused.is_some() {
        // Fetched again after the seek.
        return;
    }
    let floor = part.head.unwrap_or(i64::MIN);
    for message in messages {
        let offset = message.offset();
        if offset >= floor {
            part.fetched_to = Some(offset + 1);
            part.buffer.push_back(message);
        }
    }
}

/// The next jobs of an idle partition (one per lane; none if it has no work);
/// a dead letter write goes to `out`.
pub(crate) fn next_jobs<M: Offset, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    partitioner: Option<&Partitioner<M>>,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) -> Vec<Start<M>> {
    match next_job(key, part, rules, now, out) {
        Some(job) => virtual_partitions::split(part, rules, partitioner, job),
        None => Vec::new(),
    }
}

/// The next job of an idle partition, if it has one; a dead letter write goes to `out`.
fn next_job<M: Offset, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) -> Option<Start<M>> {
    if part.retry.paused.is_some() {
        return None;
    }
    if dead_letter::before_job(key, part, rules, out) {
        return None;
    }
    let work = match part.buffer.front().map(M::offset) {
        Some(first) => {
            part.advance_head(first);
            let size = if part.dead_letter.narrows(first) || !rules.batch_consuming {
                1
            } else {
                rules.max_messages.max(1)
            };
            let take = size.min(part.buffer.len());
            Work::Consume(part.buffer.drain(..take).collect())
        }
        None if tick::take_due(&mut part.tick, rules, now) => Work::Tick,
        None => return None,
    };
    part.job = true;
    Some(Start {
        key: key.clone(),
        generation: part.generation,
        attempt: retry::attempt(part),
        lane: 0,
        work,
    })
}

/// Applies a finished job (of lane `lane`) of the current ownership.
#[allow(clippy::too_many_arguments)]
pub(crate) fn finished<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    lane: usize,
    done: Finished,
    backoff: &Backoff,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) {
    let Some(done) = virtual_partitions::finished(key, part, rules, lane, done, out) else {
        return;
    };
    part.job = false;
    let Finished::Consumed {
        first,
        last,
        mark,
        result,
    } = done
    else {
        return;
    };
    let mark = offsets::valid_mark(mark, last);
    offsets::after_batch(key, part, rules, last, mark, result.is_ok(), out);
    match result {
        Ok(()) => part.advance_head(last + 1),
        Err(failure) => {
            let resume = mark.filter(|m| *m > first).unwrap_or(first);
            part.advance_head(resume);
            let exhausted = dead_letter::after_failure(part, rules, resume, last, failure.culprit);
            retry::after_failure(
                key,
                part,
                resume,
                failure.error,
                exhausted,
                backoff,
                now,
                out,
            );
        }
    }
}

/// Applies the broker's answer to a dead letter write of the message at `offset`.
pub(crate) fn written<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    offset: i64,
    result: Result<(), String>,
    backoff: &Backoff,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) {
    match result {
        Ok(()) => dead_letter::written(key, part, offset, out),
        Err(error) => {
            part.dead_letter.writing = None;
            retry::after_failure(key, part, offset, error, false, backoff, now, out);
        }
    }
}

/// After a dispatch pass.
pub(crate) fn after_dispatch<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) {
    backpressure::after_dispatch(key, part, rules, out);
}

/// As time passes: resumes what is due; notes when the next thing is.
pub(crate) fn due<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    now: Instant,
    next_due: &mut Option<Duration>,
    out: &mut Vec<Effect<M>>,
) {
    retry::due(key, part, now, next_due, out);
    backpressure::due(key, part, rules, out);
    tick::due(&part.tick, now, next_due);
}
