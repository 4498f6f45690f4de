//! Following a topic as messages arrive, without a consumer group, and the
//! offset range of each partition: what the Web UI reads its reports with and
//! what its topic and message pages show.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use super::messages::{read_message, ReadMessage};
use super::offsets::{self, Listed};
use super::Admin;
use crate::error::{Error, Result};
use crate::redaction::Redactor;

/// Where a [`Tail`] starts on every partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailFrom {
    /// The oldest message still on the broker.
    Earliest,
    /// After the last message: only what arrives from now on.
    End,
}

/// One topic followed on every partition, message by message; blocking.
pub struct Tail {
    reader: BaseConsumer<Redactor>,
    topic: String,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail").field("topic", &self.topic).finish()
    }
}

/// The offset range of one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PartitionOffsets {
    /// The partition.
    pub partition: i32,
    /// The oldest offset still on the broker.
    pub earliest: i64,
    /// The offset the next message will get.
    pub end: i64,
}

impl Admin {
    /// Follows every partition of `topic` from `from` (blocking: call it off
    /// the runtime, or within [`tokio::task::spawn_blocking`]). Fails when the
    /// topic does not exist.
    pub fn tail(&self, topic: &str, from: TailFrom) -> Result<Tail> {
        let reader = self.reader(None)?;
        let partitions = offsets::topic_partitions(self, &reader, Some(topic))?;
        let Some(&count) = partitions.get(topic) else {
            return Err(Error::Admin(format!(
                "topic `{topic}` does not exist on {}",
                self.brokers()
            )));
        };
        let start = match from {
            TailFrom::Earliest => Offset::Beginning,
            TailFrom::End => Offset::End,
        };
        let mut assignment = TopicPartitionList::new();
        for partition in 0..count {
            assignment
                .add_partition_offset(topic, partition, start)
                .map_err(|e| Error::kafka("building a partition list", e))?;
        }
        reader
            .assign(&assignment)
            .map_err(|e| Error::kafka(format!("following {topic}"), e))?;
        Ok(Tail {
            reader,
            topic: topic.to_owned(),
        })
    }

    /// The earliest and end offsets of every partition of `topic`.
    pub async fn partition_offsets(&self, topic: &str) -> Result<Vec<PartitionOffsets>> {
        let topic = topic.to_owned();
        self.blocking(move |admin| {
            let reader = admin.reader(None)?;
            let partitions = offsets::topic_partitions(&admin, &reader, Some(&topic))?;
            let Some(&count) = partitions.get(&topic) else {
                return Err(Error::Admin(format!(
                    "topic `{topic}` does not exist on {}",
                    admin.brokers()
                )));
            };
            let keys: Vec<(String, i32)> = (0..count).map(|p| (topic.clone(), p)).collect();
            let earliest = offsets::listed(&admin, &reader, &keys, Listed::Earliest)?;
            let end = offsets::listed(&admin, &reader, &keys, Listed::Latest)?;
            Ok(keys
                .iter()
                .map(|key| PartitionOffsets {
                    partition: key.1,
                    earliest: earliest.get(key).copied().unwrap_or(0),
                    end: end.get(key).copied().unwrap_or(0),
                })
                .collect())
        })
        .await
    }
}

impl Tail {
    /// The next message, waiting up to `timeout` for one.
    pub fn next(&self, timeout: Duration) -> Result<Option<ReadMessage>> {
        match self.reader.poll(timeout) {
            None | Some(Err(KafkaError::PartitionEOF(_))) => Ok(None),
            Some(Ok(message)) => Ok(Some(read_message(&message))),
            Some(Err(e)) => Err(Error::kafka(format!("following {}", self.topic), e)),
        }
    }
}
