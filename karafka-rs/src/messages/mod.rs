//! Messages as consumers see them: one [`Message`] with a lazily deserialized
//! payload, and [`Messages`], a batch from one partition with its metadata.

pub mod deserializers;
mod offset;
pub mod payload_type;
mod raw;
mod topic_partition;

use std::sync::{Arc, OnceLock};

use crate::error::{Error, Result};
use deserializers::Deserializer;
pub use offset::Offset;
pub(crate) use raw::FetchLease;
pub use raw::{Header, RawMessage};
pub use topic_partition::TopicPartition;

/// One message of a batch; its payload is deserialized on first access and kept.
pub struct Message<T> {
    raw: RawMessage,
    deserializer: Arc<dyn Deserializer<T>>,
    payload: OnceLock<std::result::Result<T, String>>,
}

impl<T: 'static> Message<T> {
    /// Wraps a raw message with the deserializer of its route.
    pub fn new(raw: RawMessage, deserializer: Arc<dyn Deserializer<T>>) -> Self {
        Message {
            raw,
            deserializer,
            payload: OnceLock::new(),
        }
    }

    /// The deserialized payload; an error names the message and why it could not be read.
    pub fn payload(&self) -> Result<&T> {
        let payload = self.payload.get_or_init(|| {
            self.deserializer
                .deserialize(&self.raw)
                .map_err(|e| e.to_string())
        });
        payload.as_ref().map_err(|reason| Error::Deserialization {
            topic: self.raw.topic().to_owned(),
            partition: self.raw.partition(),
            offset: self.raw.offset(),
            deserializer: self.deserializer.name(),
            reason: reason.clone(),
        })
    }

    /// The message as fetched: bytes, key, headers.
    pub fn raw(&self) -> &RawMessage {
        &self.raw
    }

    /// The payload's bytes; `None` for a tombstone.
    pub fn raw_payload(&self) -> Option<&[u8]> {
        self.raw.payload()
    }

    /// The key's bytes, if any.
    pub fn key(&self) -> Option<&[u8]> {
        self.raw.key()
    }

    /// The key as UTF-8 text, if it is text.
    pub fn key_str(&self) -> Option<&str> {
        self.raw.key().and_then(|k| std::str::from_utf8(k).ok())
    }

    /// Headers in the order they were sent.
    pub fn headers(&self) -> &[Header] {
        self.raw.headers()
    }

    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.raw.header(name)
    }

    /// Topic of the message.
    pub fn topic(&self) -> &str {
        self.raw.topic()
    }

    /// Partition of the message.
    pub fn partition(&self) -> i32 {
        self.raw.partition()
    }

    /// Offset of the message.
    pub fn offset(&self) -> i64 {
        self.raw.offset()
    }

    /// Timestamp in milliseconds since the Unix epoch.
    pub fn timestamp(&self) -> Option<i64> {
        self.raw.timestamp()
    }
}

impl<T: std::fmt::Debug + 'static> std::fmt::Debug for Message<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("topic", &self.topic())
            .field("partition", &self.partition())
            .field("offset", &self.offset())
            .field("key", &self.key_str())
            .field("payload", &self.payload.get())
            .finish()
    }
}

/// Facts about a batch as a whole.
#[derive(Debug, Clone)]
pub struct BatchMetadata {
    /// Consumer group that fetched the batch.
    pub consumer_group: Arc<str>,
    /// Topic of every message in the batch.
    pub topic: Arc<str>,
    /// Partition of every message in the batch.
    pub partition: i32,
    /// Offset of the first message.
    pub first_offset: i64,
    /// Offset of the last message.
    pub last_offset: i64,
    /// Number of messages.
    pub size: usize,
    /// When the fetch loop handed the batch over.
    pub dispatched_at: std::time::SystemTime,
}

/// A batch of messages from one partition, in offset order.
pub struct Messages<T> {
    messages: Vec<Message<T>>,
    metadata: BatchMetadata,
}

impl<T: 'static> Messages<T> {
    /// Builds a batch; `messages` must be non-empty and in offset order.
    pub fn new(messages: Vec<Message<T>>, consumer_group: Arc<str>) -> Self {
        let first = messages.first().map(Message::offset).unwrap_or(-1);
        let last = messages.last().map(Message::offset).unwrap_or(-1);
        let (topic, partition) = messages
            .first()
            .map(|m| (m.raw.topic_arc().clone(), m.partition()))
            .unwrap_or_else(|| (Arc::from(""), -1));
        let metadata = BatchMetadata {
            consumer_group,
            topic,
            partition,
            first_offset: first,
            last_offset: last,
            size: messages.len(),
            dispatched_at: std::time::SystemTime::now(),
        };
        Messages { messages, metadata }
    }

    /// Facts about the batch: topic, partition, offsets, size.
    pub fn metadata(&self) -> &BatchMetadata {
        &self.metadata
    }

    /// Number of messages in the batch.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether the batch is empty (never the case for a batch handed to `consume`).
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The messages in offset order.
    pub fn iter(&self) -> std::slice::Iter<'_, Message<T>> {
        self.messages.iter()
    }

    /// The first message.
    pub fn first(&self) -> Option<&Message<T>> {
        self.messages.first()
    }

    /// The last message.
    pub fn last(&self) -> Option<&Message<T>> {
        self.messages.last()
    }

    /// Every payload, deserialized, in offset order; stops at the first that cannot be read.
    pub fn payloads(&self) -> Result<Vec<&T>> {
        self.messages.iter().map(Message::payload).collect()
    }
}

impl<'a, T> IntoIterator for &'a Messages<T> {
    type Item = &'a Message<T>;
    type IntoIter = std::slice::Iter<'a, Message<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.messages.iter()
    }
}

impl<T> IntoIterator for Messages<T> {
    type Item = Message<T>;
    type IntoIter = std::vec::IntoIter<Message<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.messages.into_iter()
    }
}
