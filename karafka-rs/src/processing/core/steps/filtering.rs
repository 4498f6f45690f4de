//! Filters: each batch goes through the partition's filters (the route's
//! `expire_in`, `delay_by`, `filters: [..]` and `throttle`, in that order)
//! before its consumer sees it. Dropped messages count as consumed: a dropped
//! run at the head is stored at once, one at the end of the batch with the
//! batch (not under `manual_offset_management`, where only marks store).
//! Messages from a hold on are not consumed now: the partition is held (see
//! [`super::control`]) and fetches them again when the hold ends.

use std::time::Instant;

use super::super::effects::{Effect, Filtered, Offset, PartitionKey, PauseReason, Rules};
use super::super::partition::Partition;
use super::{control, offsets};
use crate::filtering::{Filter, FilterBatch, Hold};

/// What the filtering step keeps per partition.
pub(crate) struct State<M> {
    /// The partition's filters, in order.
    pub(crate) filters: Vec<Box<dyn Filter<M>>>,
    /// The offset after the last message the running job covers, when
    /// dropped messages follow its last one.
    pub(crate) covers: Option<i64>,
}

impl<M> Default for State<M> {
    fn default() -> Self {
        State {
            filters: Vec::new(),
            covers: None,
        }
    }
}

impl<M> std::fmt::Debug for State<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.filters.iter().map(|filter| filter.name()).collect();
        f.debug_struct("State")
            .field("filters", &names)
            .field("covers", &self.covers)
            .finish()
    }
}

/// Runs `batch` (taken at the head) through the filters; returns what its
/// consumer gets now, if anything.
pub(crate) fn before_job<M: Offset, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    batch: Vec<M>,
    now: Instant,
    unix_ms: i64,
    out: &mut Vec<Effect<M>>,
) -> Option<Vec<M>> {
    if part.filtering.filters.is_empty() || batch.is_empty() {
        return Some(batch);
    }
    let mut dropped = vec![false; batch.len()];
    let mut dropped_by = vec![usize::MAX; batch.len()];
    let mut hold: Option<Hold> = None;
    let mut held_by = None;
    for (index, filter) in part.filtering.filters.iter_mut().enumerate() {
        let before = hold;
        filter.apply(&mut FilterBatch::new(
            &batch,
            &mut dropped,
            &mut hold,
            now,
            unix_ms,
        ));
        for (by, dropped) in dropped_by.iter_mut().zip(&dropped) {
            if *dropped && *by == usize::MAX {
                *by = index;
            }
        }
        if hold != before {
            held_by = Some(index);
        }
    }
    let first = batch[0].offset();
    let end = batch[batch.len() - 1].offset() + 1;
    let from = hold.map_or(end, |h| h.from);
    report(
        key,
        part,
        &batch,
        &dropped_by,
        from,
        hold.zip(held_by),
        now,
        out,
    );
    let kept: Vec<M> = batch
        .into_iter()
        .zip(dropped)
        .filter(|(message, dropped)| !dropped && message.offset() < from)
        .map(|(message, _)| message)
        .collect();
    let lead_end = kept.first().map_or(from, M::offset);
    if lead_end > first {
        if !rules.manual_offsets {
            offsets::store(key, part, lead_end, out);
        }
        part.advance_head(lead_end);
    }
    if let Some(last) = kept.last().map(M::offset) {
        if from > last + 1 {
            part.filtering.covers = Some(from);
        }
    }
    if let Some(hold) = hold {
        let reason = (hold.until > now).then_some(PauseReason::Filter);
        let held = control::Held {
            from: hold.from,
            until: Some(hold.until),
        };
        control::hold(key, part, held, reason, now, out);
    }
    (!kept.is_empty()).then_some(kept)
}

/// One `Filtered` effect per filter that dropped or held something.
#[allow(clippy::too_many_arguments)]
fn report<M: Offset, S>(
    key: &PartitionKey,
    part: &Partition<M, S>,
    batch: &[M],
    dropped_by: &[usize],
    from: i64,
    held: Option<(Hold, usize)>,
    now: Instant,
    out: &mut Vec<Effect<M>>,
) {
    for (index, filter) in part.filtering.filters.iter().enumerate() {
        let dropped: Vec<i64> = batch
            .iter()
            .zip(dropped_by)
            .filter(|(message, by)| **by == index && message.offset() < from)
            .map(|(message, _)| message.offset())
            .collect();
        let held = held
            .filter(|(_, by)| *by == index)
            .map(|(hold, _)| (hold.from, hold.until.saturating_duration_since(now)));
        if dropped.is_empty() && held.is_none() {
            continue;
        }
        out.push(Effect::Filtered(Filtered {
            key: key.clone(),
            filter: filter.name(),
            dropped,
            held,
        }));
    }
}

/// Where a batch `..=last` that succeeded leaves the head: past the dropped
/// messages that followed it, if any.
pub(crate) fn covered_end<M, S>(part: &mut Partition<M, S>, last: i64, ok: bool) -> i64 {
    let covers = part.filtering.covers.take();
    covers.filter(|_| ok).unwrap_or(last + 1).max(last + 1)
}
