//! Plain rdkafka helpers: create topics, produce test data, read committed offsets.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

/// Creates a topic through the CreateTopics API (Tansu; not the mock cluster).
pub async fn create_topic(brokers: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
        )
        .await
        .expect("CreateTopics answered");
    for result in results {
        result.unwrap_or_else(|(t, e)| panic!("creating topic {t}: {e}"));
    }
}

/// Produces `count` messages round-robin over `partitions` partitions; message `i`
/// has key `key-i` and payload `{"seq": i}`. Returns (partition, offset) of each.
pub async fn produce_sequence(
    brokers: &str,
    topic: &str,
    partitions: i32,
    count: usize,
) -> Vec<(i32, i64)> {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .expect("producer");
    let mut deliveries = Vec::with_capacity(count);
    for i in 0..count {
        let payload = format!("{{\"seq\":{i}}}");
        let key = format!("key-{i}");
        let record = FutureRecord::to(topic)
            .payload(&payload)
            .key(&key)
            .partition(i as i32 % partitions);
        let delivery = producer
            .send_result(record)
            .unwrap_or_else(|(e, _)| panic!("enqueueing message {i}: {e}"));
        deliveries.push(delivery);
    }
    let mut placed = Vec::with_capacity(count);
    for (i, delivery) in deliveries.into_iter().enumerate() {
        let delivered = delivery
            .await
            .expect("the producer stays alive")
            .unwrap_or_else(|(e, _)| panic!("delivering message {i}: {e}"));
        placed.push((delivered.partition, delivered.offset));
    }
    placed
}

/// The offsets `group` has committed for `topic`'s partitions (`None`: nothing committed).
pub fn committed_offsets(
    brokers: &str,
    group: &str,
    topic: &str,
    partitions: i32,
) -> BTreeMap<i32, Option<i64>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let committed = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("OffsetFetch answered");
    committed
        .elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(o) => Some(o),
                _ => None,
            };
            (e.partition(), offset)
        })
        .collect()
}

/// The high watermark (end offset) of each partition; not trustworthy on Tansu.
pub fn end_offsets(brokers: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("consumer");
    (0..partitions)
        .map(|p| {
            let (_, high) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .expect("ListOffsets answered");
            (p, high)
        })
        .collect()
}

/// A message as read back by [`read_messages`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMessage {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its key, if any.
    pub key: Option<Vec<u8>>,
    /// Its headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Its payload, if any.
    pub payload: Option<Vec<u8>>,
}

/// Reads `topic`'s partitions from the beginning, without a group, until `count`
/// messages arrived or `timeout` passed (no reliance on watermarks, which Tansu
/// gets wrong); returns what arrived, sorted by partition and offset.
pub fn read_messages(
    brokers: &str,
    topic: &str,
    partitions: i32,
    count: usize,
    timeout: Duration,
) -> Vec<ReadMessage> {
    use rdkafka::message::{Headers, Message};

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "karafka-tests-reader")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)
            .expect("valid partition");
    }
    consumer.assign(&tpl).expect("assign");
    let deadline = std::time::Instant::now() + timeout;
    let mut read = Vec::new();
    while read.len() < count && std::time::Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message.expect("fetch succeeds");
        let headers = message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                    .collect()
            })
            .unwrap_or_default();
        read.push(ReadMessage {
            partition: message.partition(),
            offset: message.offset(),
            key: message.key().map(<[u8]>::to_vec),
            headers,
            payload: message.payload().map(<[u8]>::to_vec),
        });
    }
    read.sort_by_key(|m| (m.partition, m.offset));
    read
}

/// Produces a backlog fast: `per_partition` messages of about `size` bytes (JSON,
/// `{"seq":i,"pad":"xx.."}`) to each of `partitions` partitions; returns how many.
pub async fn produce_backlog(
    brokers: &str,
    topic: &str,
    partitions: i32,
    per_partition: usize,
    size: usize,
) -> usize {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "20")
        .set("queue.buffering.max.messages", "1000000")
        .set("queue.buffering.max.kbytes", "1048576")
        .create()
        .expect("producer");
    let pad = "x".repeat(size.saturating_sub(24));
    let mut deliveries = Vec::with_capacity(per_partition * partitions as usize);
    for i in 0..per_partition {
        for partition in 0..partitions {
            let payload = format!("{{\"seq\":{i},\"pad\":\"{pad}\"}}");
            let record: FutureRecord<'_, (), String> = FutureRecord::to(topic)
                .payload(&payload)
                .partition(partition);
            let delivery = producer
                .send_result(record)
                .unwrap_or_else(|(e, _)| panic!("enqueueing message {i}: {e}"));
            deliveries.push(delivery);
        }
    }
    let count = deliveries.len();
    for (i, delivery) in deliveries.into_iter().enumerate() {
        delivery
            .await
            .expect("the producer stays alive")
            .unwrap_or_else(|(e, _)| panic!("delivering message {i}: {e}"));
    }
    count
}
