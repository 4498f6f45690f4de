//! Dead letter queue: on a route with one, a message goes there after exactly
//! `max_retries + 1` failed attempts of its own, and only then.
//!
//! A failed attempt is a message's own when the job held only that message
//! (past the last mark), or when the error names it (a payload that cannot be
//! deserialized). A batch that fails without naming a message counts for none
//! of its messages: the core retries its unmarked part one message at a time
//! ("narrowing"), so the message that fails is known. The message is written
//! off the fetch thread; its offset is stored only once the broker
//! acknowledged the write, and no job of the partition runs meanwhile.

use super::super::effects::{DeadLetter, Effect, PartitionKey, Rules};
use super::super::partition::Partition;
use super::offsets;

/// What the dead letter step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Retry one message at a time up to (and including) this offset.
    pub(crate) narrow_until: Option<i64>,
    /// Failed attempts of their own of messages at or after the head.
    pub(crate) own: Vec<(i64, u32)>,
    /// The offset of a message being written to the dead letter queue.
    pub(crate) writing: Option<i64>,
}

impl State {
    /// The head moved to `head`: forgets what lies behind it; returns the own
    /// failures already counted for the message at the head.
    pub(crate) fn moved_to(&mut self, head: i64) -> u32 {
        if self.narrow_until.is_some_and(|until| until < head) {
            self.narrow_until = None;
        }
        self.own.retain(|(offset, _)| *offset >= head);
        self.own_of(head)
    }

    /// Failed attempts of its own of the message at `offset`.
    fn own_of(&self, offset: i64) -> u32 {
        self.own
            .iter()
            .find(|(o, _)| *o == offset)
            .map_or(0, |(_, count)| *count)
    }

    /// Whether the message at `head` is handed over alone.
    pub(crate) fn narrows(&self, head: i64) -> bool {
        self.narrow_until.is_some_and(|until| head <= until)
    }
}

/// Before a job: takes the head message for the dead letter queue when its
/// retries are exhausted.
pub(crate) fn before_job<M: super::super::effects::Offset, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) -> bool {
    let Some(max_retries) = rules.dead_letter_retries else {
        return false;
    };
    let Some(front) = part.buffer.front().map(M::offset) else {
        return false;
    };
    let attempts = part.dead_letter.own_of(front);
    if attempts <= max_retries {
        return false;
    }
    let Some(message) = part.buffer.pop_front() else {
        return false;
    };
    part.dead_letter.writing = Some(front);
    out.push(Effect::WriteDeadLetter(DeadLetter {
        key: key.clone(),
        generation: part.generation,
        message,
        attempts,
        error: part.retry.last_error.clone(),
    }));
    true
}

/// After a batch `..=last` failed and resumes at `resume`: counts the failure
/// for the message it belongs to and narrows what is left; returns whether that
/// message's retries are exhausted (it goes to the dead letter queue next).
pub(crate) fn after_failure<M, S>(
    part: &mut Partition<M, S>,
    rules: &Rules,
    resume: i64,
    last: i64,
    culprit: Option<i64>,
) -> bool {
    let culprit = culprit
        .filter(|c| (resume..=last).contains(c))
        .or((resume == last).then_some(resume));
    if let Some(culprit) = culprit {
        match part.dead_letter.own.iter_mut().find(|(o, _)| *o == culprit) {
            Some((_, count)) => *count += 1,
            None => part.dead_letter.own.push((culprit, 1)),
        }
    }
    let Some(max_retries) = rules.dead_letter_retries else {
        return false;
    };
    if last > resume {
        let until = culprit.unwrap_or(last);
        part.dead_letter.narrow_until = Some(
            part.dead_letter
                .narrow_until
                .map_or(until, |u| u.max(until)),
        );
    }
    part.dead_letter.own_of(resume) > max_retries
}

/// The write of the message at `offset` is acknowledged: stores past it.
pub(crate) fn written<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    offset: i64,
    out: &mut Vec<Effect<M>>,
) {
    part.dead_letter.writing = None;
    offsets::store(key, part, offset + 1, out);
    part.advance_head(offset + 1);
}
