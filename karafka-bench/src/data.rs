//! Test data: 100-byte JSON messages, produced in bulk or at a fixed rate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::ClientConfig;

/// A JSON payload of `size` bytes (at least its fields' length) for message `seq`.
pub fn sized_payload(seq: usize, size: usize) -> String {
    let head = format!(
        "{{\"seq\":{seq},\"user\":\"user-{:05}\",\"event\":\"page_view\",\"pad\":\"",
        seq % 100_000
    );
    let pad = size.saturating_sub(head.len() + 2);
    format!("{head}{}\"}}", "x".repeat(pad))
}

/// A producer tuned for bulk loads, or (with `linger_ms` 0) for latency.
pub fn producer(
    brokers: &str,
    linger_ms: u32,
) -> anyhow::Result<ThreadedProducer<DefaultProducerContext>> {
    Ok(ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", linger_ms.to_string())
        .set("queue.buffering.max.messages", "1000000")
        .create()?)
}

/// Produces `count` 100-byte messages round-robin over `partitions` and waits
/// for all acknowledgements.
pub fn produce_backlog(
    brokers: &str,
    topic: &str,
    partitions: i32,
    count: usize,
) -> anyhow::Result<()> {
    produce_sized_backlog(brokers, topic, partitions, count, 100)
}

/// Produces `count` messages of `size` bytes round-robin over `partitions` and
/// waits for all acknowledgements.
pub fn produce_sized_backlog(
    brokers: &str,
    topic: &str,
    partitions: i32,
    count: usize,
    size: usize,
) -> anyhow::Result<()> {
    let producer = producer(brokers, 20)?;
    for seq in 0..count {
        let payload = sized_payload(seq, size);
        let key = format!("key-{seq}");
        let mut record = BaseRecord::to(topic)
            .payload(&payload)
            .key(&key)
            .partition(seq as i32 % partitions);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((_, returned)) => {
                    // Local queue full: let deliveries drain, then try again.
                    record = returned;
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }
    producer.flush(Duration::from_secs(120))?;
    Ok(())
}

/// Microseconds since the Unix epoch.
pub fn now_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}
