//! Hand-written rdkafka loops, the yardsticks karafka-rs is measured against:
//! the same at-least-once loop storing offsets once per poll round (the fair
//! baseline, as a careful engineer writes it) or after every message, and a
//! loop that only counts (the ceiling: no deserializing, no offsets).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Message as _;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::apps::fresh_client_id;
use crate::throughput::{Backlog, Window};

/// What a raw loop does with each message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawLoop {
    /// Deserialize; store the last offset of each partition once per poll round.
    PerRound,
    /// Deserialize; store the offset after every message.
    PerMessage,
    /// Count only.
    CountOnly,
}

/// Messages a poll round takes at most, as karafka's (four batches of 100).
const ROUND: usize = 400;

impl RawLoop {
    /// Drains `backlog` with a fresh group; returns the timed window.
    pub async fn run(self, brokers: &str, backlog: &Backlog) -> anyhow::Result<Window> {
        let brokers = brokers.to_owned();
        let (topic, target) = (backlog.topic.clone(), backlog.messages);
        let extra = backlog.consumer_settings();
        tokio::task::spawn_blocking(move || self.drain(&brokers, &topic, target, &extra)).await?
    }

    /// The loop, on a thread of its own. It gets karafka's fetch settings, so
    /// the comparison is of the loops alone.
    fn drain(
        self,
        brokers: &str,
        topic: &str,
        target: usize,
        extra: &[(&str, String)],
    ) -> anyhow::Result<Window> {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", brokers)
            .set("group.id", fresh_client_id("raw"))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("fetch.queue.backoff.ms", "10")
            .set("fetch.wait.max.ms", "50");
        for (key, value) in extra {
            config.set(*key, value);
        }
        let consumer: BaseConsumer = config.create()?;
        consumer.subscribe(&[topic])?;
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut window = Window::default();
        let mut count = 0;
        let mut last: BTreeMap<i32, i64> = BTreeMap::new();
        while count < target {
            anyhow::ensure!(
                Instant::now() < deadline,
                "raw loop {self:?}: {count} of {target} in 300 s"
            );
            let mut timeout = Duration::from_millis(100);
            let mut taken = 0;
            while taken < ROUND {
                let Some(message) = consumer.poll(timeout) else {
                    break;
                };
                let message = message?;
                timeout = Duration::ZERO;
                taken += 1;
                window.start();
                if self != RawLoop::CountOnly {
                    let value: serde_json::Value =
                        serde_json::from_slice(message.payload().unwrap_or(b"null"))?;
                    std::hint::black_box(value);
                }
                match self {
                    RawLoop::PerMessage => consumer.store_offset_from_message(&message)?,
                    RawLoop::PerRound => {
                        last.insert(message.partition(), message.offset());
                    }
                    RawLoop::CountOnly => {}
                }
            }
            if !last.is_empty() {
                let mut offsets = TopicPartitionList::with_capacity(last.len());
                for (partition, offset) in std::mem::take(&mut last) {
                    offsets.add_partition_offset(topic, partition, Offset::Offset(offset + 1))?;
                }
                consumer.store_offsets(&offsets)?;
            }
            count += taken;
        }
        window.end();
        Ok(window)
    }
}
