//! The pipeline: which step acts, in which order, at each point of a
//! partition's life. This is the one place the order is written down; a new
//! step (filters, throttling, delays, virtual partitions, transactions) is a
//! file in `steps/`, a field of [`Partition`] and a line here.
//!
//! | When                 | Steps, in order                                                         |
//! |----------------------|-------------------------------------------------------------------------|
//! | messages fetched     | buffer at or after the head (older ones are replays; none while paused for a retry or held) |
//! | before a job         | hold (none while held) → retry (hold while paused) → dead letter (write an exhausted head) → batch (one message while narrowing, else `max_messages`) → filtering (drop, hold; all dropped: next batch) → tick (when nothing is buffered) → virtual partitions (split the batch into parallel lanes) |
//! | a lane finished      | virtual partitions (store the lowest offset not done; wait for the other lanes) → as a batch finished |
//! | a batch finished     | control (take what the consumer asked) → offsets (store, up to a seek) → head moves (past dropped messages) → on success control (pause, seek) / on failure control (cancel hold) → dead letter (count, narrow) → retry (pause, backoff) |
//! | a tick finished      | control (pause, resume)                                                 |
//! | dead letter written  | offsets (store past it) → head moves; a failed write: retry (pause, backoff, write again) |
//! | after dispatching    | backpressure (pause full buffers)                                       |
//! | before polling       | backpressure (group-wide: wait for a job instead while buffers are full) |
//! | time passes          | (nothing resumes while held) control (end due holds) → retry (seek back, resume) → backpressure (resume drained) → tick |
//! | held, released       | hold (pause fetching; resume where it stopped)                          |

use std::time::{Duration, Instant};

use super::effects::{Backoff, Effect, Finished, Offset, PartitionKey, Rules, Start, Work};
use super::partition::Partition;
use super::steps::virtual_partitions::{self, Partitioner};
use super::steps::{backpressure, control, dead_letter, filtering, offsets, retry, tick};

/// Buffers fetched messages at or after the head.
pub(crate) fn fetched<M: Offset, S>(part: &mut Partition<M, S>, messages: impl Iterator<Item = M>) {
    if part.retry.paused.is_some() || part.control.held.is_some() {
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
    unix_ms: i64,
    out: &mut Vec<Effect<M>>,
) -> Vec<Start<M>> {
    match next_job(key, part, rules, now, unix_ms, out) {
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
    unix_ms: i64,
    out: &mut Vec<Effect<M>>,
) -> Option<Start<M>> {
    let work = loop {
        if part.hold.held || part.retry.paused.is_some() {
            return None;
        }
        if dead_letter::before_job(key, part, rules, out) {
            return None;
        }
        match part.buffer.front().map(M::offset) {
            Some(first) => {
                part.advance_head(first);
                let size = if part.dead_letter.narrows(first) || !rules.batch_consuming {
                    1
                } else {
                    rules.max_messages.max(1)
                };
                let take = size.min(part.buffer.len());
                let batch = part.buffer.drain(..take).collect();
                if let Some(batch) =
                    filtering::before_job(key, part, rules, batch, now, unix_ms, out)
                {
                    break Work::Consume(batch);
                }
            }
            None if tick::take_due(&mut part.tick, rules, now) => break Work::Tick,
            None => return None,
        }
    };
    part.job = true;
    Some(Start {
        key: key.clone(),
        generation: part.generation,
        attempt: retry::attempt(part),
        stored: part.offsets.stored,
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
    let requests = std::mem::take(&mut part.control.requested);
    let Finished::Consumed {
        first,
        last,
        mark,
        result,
    } = done
    else {
        control::after_job(key, part, requests, now, out);
        return;
    };
    let end = filtering::covered_end(part, last, result.is_ok());
    // A seek stores nothing at or after where the next batch starts.
    let store_end = requests.seek.map_or(end, |seek| seek.min(end));
    let mark = offsets::valid_mark(mark, last).map(|m| m.min(store_end));
    if store_end > first {
        offsets::after_batch(key, part, rules, store_end - 1, mark, result.is_ok(), out);
    }
    match result {
        Ok(()) => {
            part.advance_head(end);
            control::after_job(key, part, requests, now, out);
        }
        Err(failure) => {
            control::cancel(part);
            let resume = resume_at(first, mark);
            part.advance_head(resume);
            let next = if dead_letter::after_failure(part, rules, resume, last, failure.culprit) {
                retry::Next::DeadLetter
            } else {
                retry::Next::Attempt
            };
            retry::after_failure(key, part, resume, failure.error, next, backoff, now, out);
        }
    }
}

/// Where processing resumes after a failed batch starting at `first`: after
/// the last message marked during it, else at its start.
pub(crate) fn resume_at(first: i64, mark: Option<i64>) -> i64 {
    mark.filter(|m| *m > first).unwrap_or(first)
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
            let next = retry::Next::DeadLetterAgain;
            retry::after_failure(key, part, offset, error, next, backoff, now, out);
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
    if part.hold.held {
        return;
    }
    control::due(key, part, now, next_due, out);
    retry::due(key, part, now, next_due, out);
    backpressure::due(key, part, rules, out);
    tick::due(&part.tick, now, next_due);
}
