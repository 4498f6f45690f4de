//! Holding a partition on request (the Web UI's pause command): while it is
//! held no job starts, its fetching is paused, and retry and backpressure
//! pauses do not resume it. Released, it fetches again from where fetching
//! stopped (or, when another step paused it, as that step decides). A hold
//! lasts as long as the ownership: a partition assigned again is not held.

use super::super::effects::{Effect, PartitionKey, PauseReason, Rules};
use super::super::partition::Partition;

/// What the hold step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Held on request.
    pub(crate) held: bool,
    /// The hold paused fetching itself (no other step had).
    paused_fetching: bool,
}

/// Holds the partition; `false` if it was held already.
pub(crate) fn hold<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    out: &mut Vec<Effect<M>>,
) -> bool {
    if part.hold.held {
        return false;
    }
    part.hold.held = true;
    let paused_by_another =
        part.retry.paused.is_some() || part.backpressure.paused || part.control.held.is_some();
    // Before anything was fetched there is no position to resume from: the
    // partition keeps fetching into its buffer (backpressure bounds it).
    if let (false, Some(offset)) = (paused_by_another, position(part)) {
        part.hold.paused_fetching = true;
        out.push(Effect::Pause {
            key: key.clone(),
            offset,
            reason: PauseReason::Command,
            timeout: None,
        });
    }
    true
}

/// Releases a held partition; `false` if it was not held.
pub(crate) fn release<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) -> bool {
    if !part.hold.held {
        return false;
    }
    part.hold.held = false;
    let paused_by_another =
        part.retry.paused.is_some() || part.backpressure.paused || part.control.held.is_some();
    let paused_fetching = std::mem::take(&mut part.hold.paused_fetching);
    if let (true, false, Some(offset)) = (paused_fetching, paused_by_another, position(part)) {
        if part.buffer.len() >= rules.buffer_limit {
            // Full already (fetched just before the hold): backpressure resumes
            // it once the buffer drains, at the same position.
            part.backpressure.paused = true;
        } else {
            out.push(Effect::SeekAndResume {
                key: key.clone(),
                offset,
            });
        }
    }
    true
}

/// Where the partition's fetching stands: after the buffer, or after the job's
/// batch, when either holds messages; else at the head (after a retry's seek
/// back, `fetched_to` still points past messages that were dropped).
fn position<M, S>(part: &Partition<M, S>) -> Option<i64> {
    if part.buffer.is_empty() && part.is_idle() {
        part.head.or(part.fetched_to)
    } else {
        part.fetched_to.or(part.head)
    }
}
