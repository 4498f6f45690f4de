//! Test data: 100-byte JSON messages, produced in bulk or at a fixed rate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use rdkafka::ClientConfig;

/// A 100-byte JSON payload for message `seq`.
pub fn payload(seq: usize) -> String {
    let head = format!(
        "{{\"seq\":{seq},\"user\":\"user-{:05}\",\"event\":\"page_view\",\"pad\":\"",
        seq % 100_000
    );
    let pad = 100usize.saturating_sub(head.len() + 2);
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

/// Produces `count` messages round-robin over `partitions` and waits for all acknowledgements.
pub fn produce_backlog(
    brokers: &str,
    topic: &str,
    partitions: i32,
    count: usize,
) -> anyhow::Result<()> {
    let producer = producer(brokers, 20)?;
    for seq in 0..count {
        let payload = payload(seq);
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
