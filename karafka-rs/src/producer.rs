//! The process's producer: one idempotent librdkafka producer, shared by
//! responders, `ctx.respond_with`, the CLI and app code. It sends records and
//! waits for the broker's acknowledgement, within `delivery_timeout`.

use std::time::{Duration, Instant};

use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord, Producer as _};

use crate::client_config::producer_config;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::redaction::Redactor;

/// How long to wait before offering a record again to a full local queue.
const QUEUE_FULL_BACKOFF: Duration = Duration::from_millis(10);

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

/// Where a [`crate::testing::TestApp`]'s producer appends records instead of
/// sending them to Kafka (its in-memory topics).
#[cfg(feature = "testing")]
pub(crate) trait MemorySink: Send + Sync {
    /// Stores `record` and tells where it went.
    fn append(&self, record: &Record) -> Result<Delivery, KafkaError>;
}

/// An idempotent producer; cheap to clone (clones share one librdkafka client).
///
/// The app's shared one comes from [`App::producer`](crate::App::producer); the
/// server creates it at boot and flushes it when it stops.
#[derive(Clone)]
pub struct Producer {
    sink: Sink,
    delivery_timeout: Duration,
}

/// Where a producer's records go.
#[derive(Clone)]
enum Sink {
    /// A librdkafka producer connected to brokers.
    Kafka(FutureProducer<Redactor>),
    /// The in-memory topics of a [`crate::testing::TestApp`].
    #[cfg(feature = "testing")]
    Memory(std::sync::Arc<dyn MemorySink>),
}

impl Producer {
    /// Connects a producer to `brokers` with the app's settings; deliveries fail
    /// after `delivery_timeout`.
    pub fn new(config: &Config, brokers: &str) -> Result<Producer> {
        let mut client = producer_config(config, brokers);
        client.set("message.timeout.ms", config.delivery_timeout.to_string());
        let inner = client
            .create_with_context(Redactor::new(&config.kafka))
            .map_err(|e| Error::kafka("creating the producer", e))?;
        Ok(Producer {
            sink: Sink::Kafka(inner),
            delivery_timeout: config.delivery_wait(),
        })
    }

    /// A producer that appends to in-memory topics (for [`crate::testing`]).
    #[cfg(feature = "testing")]
    pub(crate) fn in_memory(topics: std::sync::Arc<dyn MemorySink>, config: &Config) -> Producer {
        Producer {
            sink: Sink::Memory(topics),
            delivery_timeout: config.delivery_wait(),
        }
    }

    /// How long a message may take to be acknowledged before it fails.
    pub fn delivery_timeout(&self) -> Duration {
        self.delivery_timeout
    }

    /// Sends `record` and waits until the broker acknowledged it.
    pub async fn send(&self, record: &Record) -> Result<Delivery> {
        self.enqueue(record).await?.delivered().await
    }

    /// Waits until every message handed to the producer is delivered or failed, up
    /// to `timeout`; fails naming how many were still pending.
    pub async fn flush(&self, timeout: Duration) -> Result<()> {
        let inner = match &self.sink {
            Sink::Kafka(inner) => inner.clone(),
            #[cfg(feature = "testing")]
            Sink::Memory(_) => return Ok(()),
        };
        let flushed = tokio::task::spawn_blocking(move || inner.flush(timeout))
            .await
            .map_err(|e| Error::Internal(format!("flushing the producer: {e}")))?;
        flushed.map_err(|_| Error::Undelivered {
            count: self.in_flight_count(),
            timeout_ms: timeout.as_millis() as u64,
        })
    }

    /// Messages handed to the producer and not yet delivered or failed.
    pub fn in_flight_count(&self) -> usize {
        match &self.sink {
            Sink::Kafka(inner) => usize::try_from(inner.in_flight_count()).unwrap_or(0),
            #[cfg(feature = "testing")]
            Sink::Memory(_) => 0,
        }
    }

    /// Hands `record` to librdkafka's queue, waiting while the queue is full (at
    /// most `delivery_timeout`); the result resolves on the broker's acknowledgement.
    pub(crate) async fn enqueue(&self, record: &Record) -> Result<Pending> {
        let deadline = Instant::now() + self.delivery_timeout;
        loop {
            match self.try_enqueue(record) {
                Ok(pending) => return Ok(pending),
                Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull))
                    if Instant::now() < deadline =>
                {
                    tokio::time::sleep(QUEUE_FULL_BACKOFF).await;
                }
                Err(error) => return Err(self.delivery_error(&record.topic, error)),
            }
        }
    }

    /// Hands `record` to librdkafka's queue without waiting; fails with `QueueFull`
    /// when the queue has no room.
    pub(crate) fn try_enqueue(&self, record: &Record) -> Result<Pending, KafkaError> {
        // A single arm without the `testing` feature.
        #[allow(clippy::infallible_destructuring_match)]
        let inner = match &self.sink {
            Sink::Kafka(inner) => inner,
            #[cfg(feature = "testing")]
            Sink::Memory(topics) => {
                let delivery = topics.append(record)?;
                return Ok(Pending {
                    topic: record.topic.clone(),
                    ack: Ack::Ready(delivery),
                    producer: self.clone(),
                });
            }
        };
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
        let future = inner.send_result(future).map_err(|(error, _)| error)?;
        Ok(Pending {
            topic: record.topic.clone(),
            ack: Ack::Kafka(future),
            producer: self.clone(),
        })
    }

    /// The error of a message for `topic` that failed with `error`.
    pub(crate) fn delivery_error(&self, topic: &str, error: KafkaError) -> Error {
        let timed_out = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::MessageTimedOut | RDKafkaErrorCode::QueueFull)
        );
        Error::Delivery {
            topic: topic.to_owned(),
            timeout_ms: timed_out.then_some(self.delivery_timeout.as_millis() as u64),
            source: error,
        }
    }
}

/// A record in the producer's queue, awaiting the broker's acknowledgement.
pub(crate) struct Pending {
    topic: String,
    ack: Ack,
    producer: Producer,
}

/// How a queued record's acknowledgement arrives.
enum Ack {
    /// From librdkafka, once the broker answered.
    Kafka(DeliveryFuture),
    /// Already stored (in-memory topics).
    #[cfg(feature = "testing")]
    Ready(Delivery),
}

impl Pending {
    /// Waits for the acknowledgement; an error names the topic.
    pub(crate) async fn delivered(self) -> Result<Delivery> {
        // A single arm without the `testing` feature.
        #[allow(clippy::infallible_destructuring_match)]
        let future = match self.ack {
            Ack::Kafka(future) => future,
            #[cfg(feature = "testing")]
            Ack::Ready(delivery) => return Ok(delivery),
        };
        match future.await {
            Ok(Ok(delivery)) => Ok(Delivery {
                partition: delivery.partition,
                offset: delivery.offset,
            }),
            Ok(Err((error, _))) => Err(self.producer.delivery_error(&self.topic, error)),
            Err(_) => Err(self
                .producer
                .delivery_error(&self.topic, KafkaError::Canceled)),
        }
    }
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("delivery_timeout", &self.delivery_timeout)
            .finish_non_exhaustive()
    }
}
