//! Reading messages from one partition at an offset or a time, without a
//! consumer group (nothing is committed): what a message explorer shows.

use std::time::{Duration, Instant};

use rdkafka::consumer::Consumer as _;
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message as _};
use rdkafka::{Offset, TopicPartitionList};
use serde::Serialize;

use super::offsets::{self, Listed};
use super::Admin;
use crate::error::{Error, Result};

/// Where [`read`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The oldest message still on the broker.
    Earliest,
    /// This offset.
    Offset(i64),
    /// The first message at or after this time, in ms since the Unix epoch.
    Time(i64),
}

/// A message as read from its partition, owning its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadMessage {
    /// Its topic.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp in ms since the Unix epoch, if it has one.
    pub timestamp: Option<i64>,
    /// Its key.
    pub key: Option<Vec<u8>>,
    /// Its headers in order (a header may have no value).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// Its payload (`None`: a tombstone).
    pub payload: Option<Vec<u8>>,
}

impl ReadMessage {
    /// The payload as text, with invalid UTF-8 replaced.
    pub fn payload_text(&self) -> Option<String> {
        self.payload
            .as_deref()
            .map(|p| String::from_utf8_lossy(p).into_owned())
    }

    /// The key as text, with invalid UTF-8 replaced.
    pub fn key_text(&self) -> Option<String> {
        self.key
            .as_deref()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }
}

/// Reads up to `count` messages of `topic`/`partition` from `start`, stopping
/// early at the partition's end (as the fetch responses report it) or after
/// `connect_timeout` without a message.
pub async fn read(
    admin: &Admin,
    topic: &str,
    partition: i32,
    start: Start,
    count: usize,
) -> Result<Vec<ReadMessage>> {
    let topic = topic.to_owned();
    admin
        .blocking(move |admin| read_blocking(&admin, &topic, partition, start, count))
        .await
}

fn read_blocking(
    admin: &Admin,
    topic: &str,
    partition: i32,
    start: Start,
    count: usize,
) -> Result<Vec<ReadMessage>> {
    let reader = admin.reader_to_end()?;
    let partitions = offsets::topic_partitions(admin, &reader, Some(topic))?;
    match partitions.get(topic) {
        None => {
            return Err(Error::Admin(format!(
                "topic `{topic}` does not exist on {}",
                admin.brokers()
            )))
        }
        Some(&n) if partition < 0 || partition >= n => {
            return Err(Error::Admin(format!(
                "topic `{topic}` has no partition {partition} (it has {n})"
            )))
        }
        Some(_) => {}
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    let key = [(topic.to_owned(), partition)];
    let end = offsets::listed(admin, &reader, &key, Listed::Latest)?
        .get(&key[0])
        .copied()
        .unwrap_or(0);
    let from = match start {
        Start::Earliest => offsets::listed(admin, &reader, &key, Listed::Earliest)?
            .get(&key[0])
            .copied()
            .unwrap_or(0),
        Start::Offset(offset) => offset,
        Start::Time(ms) => offsets::listed(admin, &reader, &key, Listed::At(ms))?
            .get(&key[0])
            .copied()
            .unwrap_or(end),
    };
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, partition, Offset::Offset(from))
        .map_err(|e| Error::kafka("building a partition list", e))?;
    reader
        .assign(&assignment)
        .map_err(|e| Error::kafka(format!("reading {topic}/{partition}"), e))?;
    let mut read = Vec::with_capacity(count.min(10_000));
    let mut last_message = Instant::now();
    while read.len() < count && last_message.elapsed() < admin.timeout() {
        let Some(message) = reader.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = match message {
            Ok(message) => message,
            Err(KafkaError::PartitionEOF(_)) => break,
            Err(e) => return Err(Error::kafka(format!("reading {topic}/{partition}"), e)),
        };
        last_message = Instant::now();
        read.push(read_message(&message));
    }
    Ok(read)
}

/// A fetched message as an owned [`ReadMessage`].
pub(super) fn read_message(message: &rdkafka::message::BorrowedMessage<'_>) -> ReadMessage {
    let headers = message
        .headers()
        .map(|headers| {
            headers
                .iter()
                .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                .collect()
        })
        .unwrap_or_default();
    ReadMessage {
        topic: message.topic().to_owned(),
        partition: message.partition(),
        offset: message.offset(),
        timestamp: message.timestamp().to_millis(),
        key: message.key().map(<[u8]>::to_vec),
        headers,
        payload: message.payload().map(<[u8]>::to_vec),
    }
}
