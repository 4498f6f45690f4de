//! Virtual partitions: a route with `virtual_partitions` splits each batch of
//! one Kafka partition into up to `max_partitions` groups by the route's
//! partitioner, and the groups run as parallel jobs ("lanes"). Messages with
//! the same partition key land in the same group of a batch, in offset order;
//! the next batch starts only once every group of this one returned, so a key's
//! messages are consumed in order across batches too.
//!
//! Keys are spread over the groups by load (the key with most messages goes to
//! the emptiest group, and so on), so one batch keeps every lane busy even with
//! few keys; the same key can land in another lane in the next batch.
//!
//! Offsets: the stored offset is the lowest offset not yet done across the
//! groups, stored as groups return; a group that fails makes the whole batch
//! fail from that offset once every group returned (at-least-once: messages of
//! other groups past it are consumed again). A batch of one message, a tick, or
//! a batch narrowed by the dead letter step runs as one job.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::super::effects::{Failure, Finished, Offset, PartitionKey, Rules, Start, Work};
use super::super::partition::Partition;
use super::offsets;

/// Maps a message to its partition key (equal keys keep their order).
pub struct Partitioner<M>(Arc<dyn Fn(&M) -> u64 + Send + Sync>);

impl<M> Partitioner<M> {
    /// A partitioner computing each message's key with `key`.
    pub fn new(key: impl Fn(&M) -> u64 + Send + Sync + 'static) -> Self {
        Partitioner(Arc::new(key))
    }
}

impl<M> Clone for Partitioner<M> {
    fn clone(&self) -> Self {
        Partitioner(self.0.clone())
    }
}

impl<M> fmt::Debug for Partitioner<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Partitioner")
    }
}

/// What the virtual partitions step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// The batch whose groups run, if it was split.
    running: Option<Batch>,
}

#[derive(Debug)]
struct Batch {
    first: i64,
    last: i64,
    groups: Vec<Group>,
}

#[derive(Debug)]
struct Group {
    /// Its offsets, ascending.
    offsets: Vec<i64>,
    /// `None` while it runs; then its mark and failure.
    outcome: Option<(Option<i64>, Option<Failure>)>,
}

impl Group {
    /// Its lowest offset not done; `None` when all are. A running group has done nothing yet.
    fn first_undone(&self, manual_offsets: bool) -> Option<i64> {
        let done_below = match &self.outcome {
            None => i64::MIN,
            Some((_, None)) if !manual_offsets => i64::MAX,
            Some((mark, _)) => mark
                .filter(|m| self.offsets.last().is_some_and(|last| *m <= last + 1))
                .unwrap_or(i64::MIN),
        };
        self.offsets.iter().copied().find(|o| *o >= done_below)
    }
}

impl Batch {
    /// The lowest offset of the batch not done by any group; `None` when all are.
    fn first_undone(&self, manual_offsets: bool) -> Option<i64> {
        self.groups
            .iter()
            .filter_map(|g| g.first_undone(manual_offsets))
            .min()
    }
}

impl State {
    /// Jobs of the batch still running (1 for a batch that was not split).
    pub(crate) fn running_lanes(&self) -> usize {
        self.running.as_ref().map_or(1, |batch| {
            batch.groups.iter().filter(|g| g.outcome.is_none()).count()
        })
    }
}

/// Splits a job into one job per group when the route has virtual partitions.
pub(crate) fn split<M: Offset, S>(
    part: &mut Partition<M, S>,
    rules: &Rules,
    partitioner: Option<&Partitioner<M>>,
    start: Start<M>,
) -> Vec<Start<M>> {
    let (Some(max), Some(partitioner)) = (rules.virtual_partitions, partitioner) else {
        return vec![start];
    };
    let Start {
        key,
        generation,
        attempt,
        stored,
        lane: _,
        work,
    } = start;
    let batch = match work {
        Work::Consume(batch) if batch.len() > 1 && max > 1 => batch,
        work => {
            return vec![Start {
                key,
                generation,
                attempt,
                stored,
                lane: 0,
                work,
            }]
        }
    };
    let groups = assign(&batch, max, &*partitioner.0);
    if groups.iter().all(|g| *g == 0) {
        return vec![Start {
            key,
            generation,
            attempt,
            stored,
            lane: 0,
            work: Work::Consume(batch),
        }];
    }
    let lanes = groups.iter().copied().max().unwrap_or(0) + 1;
    let mut split: Vec<Vec<M>> = (0..lanes).map(|_| Vec::new()).collect();
    let (first, last) = (batch[0].offset(), batch[batch.len() - 1].offset());
    for (message, group) in batch.into_iter().zip(groups) {
        split[group].push(message);
    }
    part.virtual_partitions.running = Some(Batch {
        first,
        last,
        groups: split
            .iter()
            .map(|messages| Group {
                offsets: messages.iter().map(M::offset).collect(),
                outcome: None,
            })
            .collect(),
    });
    split
        .into_iter()
        .enumerate()
        .map(|(lane, messages)| Start {
            key: key.clone(),
            generation,
            attempt,
            stored,
            lane,
            work: Work::Consume(messages),
        })
        .collect()
}

/// The group of each message: keys by descending message count, each to the
/// group with the fewest messages so far (every group gets at least one key).
fn assign<M>(batch: &[M], max: usize, key: &(dyn Fn(&M) -> u64 + Send + Sync)) -> Vec<usize> {
    let keys: Vec<u64> = batch.iter().map(key).collect();
    let mut counts: HashMap<u64, (usize, usize)> = HashMap::new();
    for (index, k) in keys.iter().enumerate() {
        counts.entry(*k).or_insert((0, index)).0 += 1;
    }
    let mut order: Vec<(u64, usize, usize)> = counts
        .into_iter()
        .map(|(k, (count, first))| (k, count, first))
        .collect();
    order.sort_by_key(|(_, count, first)| (std::cmp::Reverse(*count), *first));
    let mut load = vec![0usize; max.min(order.len())];
    let mut group_of: HashMap<u64, usize> = HashMap::new();
    for (k, count, _) in order {
        let (emptiest, _) = load
            .iter()
            .enumerate()
            .min_by_key(|(index, load)| (**load, *index))
            .expect("at least one group");
        load[emptiest] += count;
        group_of.insert(k, emptiest);
    }
    keys.iter().map(|k| group_of[k]).collect()
}

/// A job of lane `lane` returned. Stores what the groups done so far allow;
/// returns the batch's outcome once every group returned (`done` itself for a
/// batch that was not split), else `None`.
pub(crate) fn finished<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    lane: usize,
    done: Finished,
    out: &mut Vec<super::super::effects::Effect<M>>,
) -> Option<Finished> {
    let Some(batch) = &mut part.virtual_partitions.running else {
        return Some(done);
    };
    if let (Finished::Consumed { mark, result, .. }, Some(group)) =
        (done, batch.groups.get_mut(lane))
    {
        group.outcome = Some((mark, result.err()));
    }
    let undone = batch.first_undone(rules.manual_offsets);
    if batch.groups.iter().any(|g| g.outcome.is_none()) {
        if let Some(offset) = undone.filter(|o| *o > batch.first) {
            offsets::store(key, part, offset, out);
        }
        return None;
    }
    let batch = part.virtual_partitions.running.take()?;
    let failure = batch
        .groups
        .iter()
        .filter_map(|g| {
            let failure = g.outcome.as_ref()?.1.clone()?;
            Some((g.first_undone(rules.manual_offsets), failure))
        })
        .min_by_key(|(offset, _)| offset.unwrap_or(i64::MAX))
        .map(|(_, failure)| failure);
    let mark = match (&failure, rules.manual_offsets) {
        (None, false) => None,
        _ => Some(undone.unwrap_or(batch.last + 1)).filter(|m| *m > batch.first),
    };
    Some(Finished::Consumed {
        first: batch.first,
        last: batch.last,
        mark,
        result: failure.map_or(Ok(()), Err),
    })
}
