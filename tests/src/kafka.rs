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

/// Reads `count` messages from `topic` (all partitions, from the start) with a
/// throwaway group, or panics after `timeout`.
pub fn consume_all(
    brokers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Vec<rdkafka::message::OwnedMessage> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("reader-{topic}-{}", std::process::id()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer");
    consumer.subscribe(&[topic]).expect("subscribe");
    let deadline = std::time::Instant::now() + timeout;
    let mut messages = Vec::new();
    while messages.len() < count {
        assert!(
            std::time::Instant::now() < deadline,
            "read {} of {count} messages from {topic}",
            messages.len()
        );
        if let Some(result) = consumer.poll(Duration::from_millis(100)) {
            messages.push(result.expect("fetch").detach());
        }
    }
    messages
}
