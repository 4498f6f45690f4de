//! Offsets of partitions: the ones a group committed, and the ones the brokers
//! list for the start, the end, or a point in time. Blocking calls, for
//! [`Admin::blocking`](super::Admin).

use std::collections::BTreeMap;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _};
use rdkafka::{Offset, TopicPartitionList};

use super::Admin;
use crate::error::{Error, Result};
use crate::redaction::Redactor;

/// A topic-partition.
pub(super) type Partition = (String, i32);

/// Every topic of the cluster (or just `topic`) with its partition count,
/// leaving out Kafka's internal `__` topics.
pub(super) fn topic_partitions(
    admin: &Admin,
    reader: &BaseConsumer<Redactor>,
    topic: Option<&str>,
) -> Result<BTreeMap<String, i32>> {
    let metadata = reader
        .fetch_metadata(topic, admin.timeout())
        .map_err(|e| admin.unreachable(e))?;
    Ok(metadata
        .topics()
        .iter()
        .filter(|t| t.error().is_none() && !t.name().starts_with("__"))
        .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
        .filter(|(_, partitions)| *partitions > 0)
        .collect())
}

/// Every partition of `topics`.
pub(super) fn all_partitions(topics: &BTreeMap<String, i32>) -> Vec<Partition> {
    topics
        .iter()
        .flat_map(|(topic, &count)| (0..count).map(move |p| (topic.clone(), p)))
        .collect()
}

fn list(partitions: &[Partition], offset: Offset) -> Result<TopicPartitionList> {
    let mut list = TopicPartitionList::new();
    for (topic, partition) in partitions {
        list.add_partition_offset(topic, *partition, offset)
            .map_err(|e| Error::kafka("building a partition list", e))?;
    }
    Ok(list)
}

/// The offsets `group_reader`'s group committed for `partitions` (`None`: none).
pub(super) fn committed(
    admin: &Admin,
    group_reader: &BaseConsumer<Redactor>,
    partitions: &[Partition],
) -> Result<BTreeMap<Partition, Option<i64>>> {
    if partitions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let answer = group_reader
        .committed_offsets(list(partitions, Offset::Invalid)?, admin.timeout())
        .map_err(|e| Error::kafka("reading committed offsets", e))?;
    Ok(answer
        .elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(o) if o >= 0 => Some(o),
                _ => None,
            };
            ((e.topic().to_owned(), e.partition()), offset)
        })
        .collect())
}

/// What to ask the brokers for a partition's offset.
#[derive(Debug, Clone, Copy)]
pub(super) enum Listed {
    /// The oldest offset still on the broker.
    Earliest,
    /// The offset the next message will get.
    Latest,
    /// The first offset whose message is at or after this time (ms since the epoch).
    At(i64),
}

/// The offsets the brokers list for `partitions`; a time after the last message gives the end.
pub(super) fn listed(
    admin: &Admin,
    reader: &BaseConsumer<Redactor>,
    partitions: &[Partition],
    what: Listed,
) -> Result<BTreeMap<Partition, i64>> {
    if partitions.is_empty() {
        return Ok(BTreeMap::new());
    }
    let query = match what {
        Listed::Earliest => Offset::Beginning,
        Listed::Latest => Offset::End,
        // Nothing can be at a future time; Tansu would answer offset 0.
        Listed::At(ms) if ms > now_millis() => Offset::End,
        Listed::At(ms) => Offset::Offset(ms),
    };
    let answer = reader
        .offsets_for_times(list(partitions, query)?, admin.timeout())
        .map_err(|e| Error::kafka("listing partition offsets", e))?;
    let mut offsets = BTreeMap::new();
    let mut past_the_end = Vec::new();
    for element in answer.elements() {
        let key = (element.topic().to_owned(), element.partition());
        if let Some(e) = element.error().err() {
            return Err(Error::kafka(
                format!("listing the offsets of {}/{}", key.0, key.1),
                e,
            ));
        }
        match element.offset() {
            Offset::Offset(o) if o >= 0 => {
                offsets.insert(key, o);
            }
            _ => past_the_end.push(key),
        }
    }
    if !past_the_end.is_empty() {
        // No message at or after the time: the partition's end.
        offsets.extend(listed(admin, reader, &past_the_end, Listed::Latest)?);
    }
    Ok(offsets)
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Commits `offsets` as `group_reader`'s group, without joining it.
pub(super) fn commit(
    group_reader: &BaseConsumer<Redactor>,
    group: &str,
    offsets: &BTreeMap<Partition, i64>,
) -> Result<()> {
    let mut list = TopicPartitionList::new();
    for ((topic, partition), offset) in offsets {
        list.add_partition_offset(topic, *partition, Offset::Offset(*offset))
            .map_err(|e| Error::kafka("building a partition list", e))?;
    }
    group_reader
        .commit(&list, CommitMode::Sync)
        .map_err(|e| Error::kafka(format!("committing offsets of group `{group}`"), e))
}
