//! In-memory topics: the broker a [`TestApp`](super::TestApp) replaces Kafka
//! with. Partitions are append-only logs with offsets from 0, as on Kafka.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use crate::messages::RawMessage;
use crate::producer::{Delivery, MemorySink, Record};

/// One topic: its partitions, each a log of (production sequence, message).
struct Topic {
    partitions: Vec<Vec<(u64, RawMessage)>>,
    /// Where the next keyless record without a partition goes.
    next_partition: usize,
}

/// Every topic of a test, created on first write with `default_partitions`.
pub(crate) struct Topics {
    default_partitions: i32,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    topics: BTreeMap<String, Topic>,
    sequence: u64,
}

impl Topics {
    pub(crate) fn new(default_partitions: i32) -> Self {
        Topics {
            default_partitions: default_partitions.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates `topic` with `partitions` partitions unless it exists; returns its partition count.
    pub(crate) fn create(&self, topic: &str, partitions: i32) -> i32 {
        let mut inner = self.lock();
        let entry = inner
            .topics
            .entry(topic.to_owned())
            .or_insert_with(|| Topic {
                partitions: (0..partitions.max(1)).map(|_| Vec::new()).collect(),
                next_partition: 0,
            });
        entry.partitions.len() as i32
    }

    /// Creates `topic` with the default partition count unless it exists; returns its partition count.
    pub(crate) fn ensure(&self, topic: &str) -> i32 {
        self.create(topic, self.default_partitions)
    }

    /// Appends `record`: to its partition, else the one its key hashes to, else
    /// the next one in turn. Fails as Kafka does for a partition the topic lacks.
    pub(crate) fn append(&self, record: &Record) -> Result<Delivery, KafkaError> {
        self.ensure(&record.topic);
        let mut inner = self.lock();
        inner.sequence += 1;
        let sequence = inner.sequence;
        let topic = inner
            .topics
            .get_mut(&record.topic)
            .expect("the topic was just ensured");
        let count = topic.partitions.len();
        let partition = match (record.partition, &record.key) {
            (Some(p), _) => usize::try_from(p).ok().filter(|p| *p < count).ok_or(
                KafkaError::MessageProduction(RDKafkaErrorCode::UnknownPartition),
            )?,
            (None, Some(key)) => (fnv1a(key) % count as u64) as usize,
            (None, None) => {
                let next = topic.next_partition % count;
                topic.next_partition = next + 1;
                next
            }
        };
        let log = &mut topic.partitions[partition];
        let offset = log.len() as i64;
        let mut message = RawMessage::new(record.topic.as_str(), partition as i32, offset);
        if let Some(payload) = &record.payload {
            message = message.with_payload(payload.clone());
        }
        if let Some(key) = &record.key {
            message = message.with_key(key.clone());
        }
        for (name, value) in &record.headers {
            message.push_header(name, Some(value));
        }
        message.set_timestamp(Some(now_millis()));
        log.push((sequence, message));
        Ok(Delivery {
            partition: partition as i32,
            offset,
        })
    }

    /// Up to `max` messages of a partition from `offset` on.
    pub(crate) fn read(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max: usize,
    ) -> Vec<RawMessage> {
        let inner = self.lock();
        let Some(log) = inner
            .topics
            .get(topic)
            .and_then(|t| t.partitions.get(usize::try_from(partition).ok()?))
        else {
            return Vec::new();
        };
        let start = usize::try_from(offset.max(0)).unwrap_or(usize::MAX);
        log.iter()
            .skip(start)
            .take(max)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// Every message of `topic`, in the order they were written.
    pub(crate) fn messages(&self, topic: &str) -> Vec<RawMessage> {
        let inner = self.lock();
        let Some(topic) = inner.topics.get(topic) else {
            return Vec::new();
        };
        let mut all: Vec<&(u64, RawMessage)> = topic.partitions.iter().flatten().collect();
        all.sort_by_key(|(sequence, _)| *sequence);
        all.into_iter().map(|(_, m)| m.clone()).collect()
    }
}

/// FNV-1a: a stable hash, so a key always lands on the same partition.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl MemorySink for Topics {
    fn append(&self, record: &Record) -> Result<Delivery, KafkaError> {
        Topics::append(self, record)
    }
}
