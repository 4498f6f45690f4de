//! Offsets: what a finished job lets the partition store. After a batch
//! succeeds, the offset after its last message (or, with
//! `manual_offset_management`, after the last marked message); after a failure,
//! the offset after the last marked message. A store never goes backwards: a
//! mark of a message older than what is stored (a message kept from an earlier
//! batch) changes nothing.

use super::super::effects::{Effect, PartitionKey, Rules};
use super::super::partition::Partition;

/// What the offsets step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The highest offset stored in this ownership.
    pub(crate) stored: Option<i64>,
}

/// A mark the core accepts from a batch `..=last`: at most just past its end
/// (a mark of a message from another partition cannot reach further).
pub(crate) fn valid_mark(mark: Option<i64>, last: i64) -> Option<i64> {
    mark.filter(|m| *m <= last + 1)
}

/// Stores what a finished batch `..=last` allows; `ok` says whether it succeeded.
pub(crate) fn after_batch<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    last: i64,
    mark: Option<i64>,
    ok: bool,
    out: &mut Vec<Effect<M>>,
) {
    let candidate = if ok && !rules.manual_offsets {
        Some(last + 1)
    } else {
        mark
    };
    if let Some(offset) = candidate {
        store(key, part, offset, out);
    }
}

/// Stores `offset` unless as much or more is stored already.
pub(crate) fn store<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    offset: i64,
    out: &mut Vec<Effect<M>>,
) {
    if part.offsets.stored.is_some_and(|stored| stored >= offset) {
        return;
    }
    part.offsets.stored = Some(offset);
    out.push(Effect::StoreOffset {
        key: key.clone(),
        offset,
    });
}
