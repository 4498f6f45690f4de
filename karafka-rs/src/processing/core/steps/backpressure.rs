//! Backpressure (bounded memory): a partition whose buffer is still full after
//! dispatching is paused; it resumes, from where fetching stopped, once half of
//! the buffer is consumed. Pausing is costly (librdkafka drops what it
//! prefetched for the partition), so the limit is large.

use super::super::effects::{Effect, PartitionKey, PauseReason, Rules};
use super::super::partition::Partition;

/// What the backpressure step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Paused because the buffer is full.
    pub(crate) paused: bool,
}

/// Pauses the partition if its buffer is full.
pub(crate) fn after_dispatch<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) {
    if part.backpressure.paused
        || part.retry.paused.is_some()
        || part.buffer.len() < rules.buffer_limit
    {
        return;
    }
    part.backpressure.paused = true;
    out.push(Effect::Pause {
        key: key.clone(),
        offset: part.fetched_to.unwrap_or(-1),
        reason: PauseReason::Backpressure,
        timeout: None,
    });
}

/// Resumes a paused partition whose buffer has drained to half.
pub(crate) fn due<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) {
    if !part.backpressure.paused
        || part.retry.paused.is_some()
        || part.buffer.len() > rules.buffer_limit / 2
    {
        return;
    }
    part.backpressure.paused = false;
    if let Some(offset) = part.fetched_to {
        out.push(Effect::SeekAndResume {
            key: key.clone(),
            offset,
        });
    }
}
