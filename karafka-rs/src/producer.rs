//! The process's producer: sends records and waits for the broker's acknowledgement.

use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::Config;
use crate::connection::client::producer_config;
use crate::error::{Error, Result};

/// A record to send: topic and payload, optionally key, partition and headers.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// Destination topic.
    pub topic: String,
    /// Payload bytes; `None` sends a tombstone.
    pub payload: Option<Vec<u8>>,
    /// Key bytes, which choose the partition unless one is given.
    pub key: Option<Vec<u8>>,
    /// Explicit partition.
    pub partition: Option<i32>,
    /// Headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Record {
    /// A record with a payload for `topic`.
    pub fn new(topic: impl Into<String>, payload: impl Into<Vec<u8>>) -> Self {
        Record {
            topic: topic.into(),
            payload: Some(payload.into()),
            ..Record::default()
        }
    }

    /// Sets the key.
    pub fn key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the partition.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Where the broker stored a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Partition the record went to.
    pub partition: i32,
    /// Its offset in that partition.
    pub offset: i64,
}

/// An idempotent producer; cheap to clone.
#[derive(Clone)]
pub struct Producer {
    inner: FutureProducer,
}

impl Producer {
    /// Connects a producer to `brokers` with the app's settings.
    pub fn new(config: &Config, brokers: &str) -> Result<Producer> {
        let inner = producer_config(config, brokers)
            .create()
            .map_err(|e| Error::kafka("creating the producer", e))?;
        Ok(Producer { inner })
    }

    /// Sends `record` and waits until the broker acknowledged it.
    pub async fn send(&self, record: &Record) -> Result<Delivery> {
        let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
        for (name, value) in &record.headers {
            headers = headers.insert(Header {
                key: name,
                value: Some(value),
            });
        }
        let mut future: FutureRecord<'_, [u8], [u8]> =
            FutureRecord::to(&record.topic).headers(headers);
        if let Some(payload) = &record.payload {
            future = future.payload(payload);
        }
        if let Some(key) = &record.key {
            future = future.key(key);
        }
        if let Some(partition) = record.partition {
            future = future.partition(partition);
        }
        // librdkafka's message.timeout.ms bounds the wait; this queue timeout only
        // covers a full local queue.
        match self.inner.send(future, Duration::from_secs(5)).await {
            Ok(delivery) => Ok(Delivery {
                partition: delivery.partition,
                offset: delivery.offset,
            }),
            Err((error, _)) => Err(Error::kafka(
                format!("delivering a message to topic `{}`", record.topic),
                error,
            )),
        }
    }
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer").finish_non_exhaustive()
    }
}
