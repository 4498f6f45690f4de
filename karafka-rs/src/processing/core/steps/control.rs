//! Consumer control and holds: what a consumer asks for from its `Context`
//! (`pause`, `pause_until_resumed`, `resume`, `seek`), and the holds filters
//! ask for. A held partition drops what it buffered and what is fetched
//! meanwhile; once the hold ends it seeks to where it resumes and fetches
//! again, so nothing is skipped and order is kept. A failed batch cancels the
//! hold: the retry decides where to resume.

use std::time::{Duration, Instant};

use super::super::effects::{Effect, PartitionKey, PauseReason};
use super::super::partition::Partition;
use crate::consumer::{PauseFor, Requests};

/// A partition held back: fetching resumes at `from`, at `until` (`None`: when resumed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) from: i64,
    pub(crate) until: Option<Instant>,
}

/// What the control step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The hold in force, if any.
    pub(crate) held: Option<Held>,
    /// What the running job asked for, applied when it returns.
    pub(crate) requested: Requests,
}

/// Holds the partition back from `from` until `until`; reports a pause for `reason`.
pub(crate) fn hold<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    held: Held,
    reason: Option<PauseReason>,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) {
    part.buffer.clear();
    part.backpressure.paused = false;
    // Only a failed seek (`resume_failed`) can have left a retry pending here
    // (a failed batch holds every job back): the hold's own seek replaces it.
    part.retry.paused = None;
    part.control.held = Some(held);
    if let Some(reason) = reason {
        out.push(Effect::Pause {
            key: key.clone(),
            offset: held.from,
            reason,
            timeout: held.until.map(|until| until.saturating_duration_since(now)),
        });
    }
}

/// A failure's retry takes over from the hold.
pub(crate) fn cancel<M, S>(part: &mut Partition<M, S>) {
    part.control.held = None;
}

/// After a successful batch or a tick: carries out what its consumer asked for.
pub(crate) fn after_job<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    requests: Requests,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) {
    if requests.resume && part.control.held.is_some() {
        release(key, part, out);
    }
    let Some(from) = requests.seek.or(part.head) else {
        // Nothing fetched yet: there is no position to pause at or seek to.
        return;
    };
    match requests.pause {
        Some(pause) => {
            let until = match pause {
                PauseFor::Duration(pause) => Some(now + pause),
                PauseFor::UntilResumed => None,
            };
            let held = Held { from, until };
            hold(key, part, held, Some(PauseReason::Consumer), now, out);
        }
        None if requests.seek.is_some() => {
            let held = Held {
                from,
                until: Some(now),
            };
            hold(key, part, held, None, now, out);
        }
        None => {}
    }
}

/// Ends a hold that is due; else notes when it will be.
pub(crate) fn due<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    now: Instant,
    next_due: &mut Option<Duration>,
    out: &mut Vec<Effect<M>>,
) {
    let Some(Held {
        until: Some(until), ..
    }) = part.control.held
    else {
        return;
    };
    if until > now {
        let left = until - now;
        *next_due = Some(next_due.map_or(left, |d| d.min(left)));
        return;
    }
    release(key, part, out);
}

/// Ends the hold: processing goes on from where it was held (back there, for
/// a seek to an earlier offset).
fn release<M, S>(key: &PartitionKey, part: &mut Partition<M, S>, out: &mut Vec<Effect<M>>) {
    let Some(held) = part.control.held.take() else {
        return;
    };
    // Only a tick can run meanwhile: a consume job never overlaps a hold from
    // before its batch, so moving the head back loses nothing.
    if part.head.is_none_or(|head| head > held.from) {
        part.head = Some(held.from);
        part.retry.failed = part.dead_letter.moved_to(held.from);
    }
    part.fetched_to = Some(held.from);
    out.push(Effect::SeekAndResume {
        key: key.clone(),
        offset: held.from,
    });
}
