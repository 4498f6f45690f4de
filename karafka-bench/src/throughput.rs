//! Throughput: a raw rdkafka at-least-once loop (the limit) against karafka-rs
//! with the inline backend and with the worker pool, on the same backlog of
//! 100-byte JSON messages; each consumer deserializes every message and does
//! nothing else. Runs alternate; each figure is the median of `RUNS`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::{Backend, Consumer, Context, Messages};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Message as _;
use rdkafka::ClientConfig;

use crate::apps::{fresh_client_id, single_route};
use crate::broker::Broker;
use crate::report::figure;

/// The backlog every run drains.
pub const TOPIC: &str = "bench_throughput";
/// Partitions of the backlog topic.
pub const PARTITIONS: i32 = 10;
/// Messages in the backlog (30,000 per partition, 3 MB: within the mock cluster's 5 MiB).
pub const MESSAGES: usize = 300_000;
const RUNS: usize = 3;

static CONSUMED: AtomicUsize = AtomicUsize::new(0);
static STARTED: Mutex<Option<Instant>> = Mutex::new(None);

/// Deserializes every message and does nothing else.
#[derive(Default)]
pub struct Deserializing;

impl Consumer for Deserializing {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        if let Ok(mut started) = STARTED.lock() {
            started.get_or_insert_with(Instant::now);
        }
        for message in &messages {
            message.payload()?;
        }
        CONSUMED.fetch_add(messages.len(), Ordering::Release);
        Ok(())
    }
}

/// Creates and fills the backlog topic.
pub async fn prepare(broker: &Broker) -> anyhow::Result<()> {
    broker.create_topic(TOPIC, PARTITIONS).await?;
    eprintln!("producing {MESSAGES} messages of 100 bytes over {PARTITIONS} partitions");
    let brokers = broker.address().to_owned();
    tokio::task::spawn_blocking(move || {
        crate::data::produce_backlog(&brokers, TOPIC, PARTITIONS, MESSAGES)
    })
    .await??;
    Ok(())
}

/// Measures and prints throughput_raw, throughput_inline, throughput_pool and the ratios.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    let (mut raw, mut inline, mut pool) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=RUNS {
        raw.push(raw_loop(broker.address()).await?);
        inline.push(karafka_run(broker.address(), Backend::Inline).await?);
        pool.push(karafka_run(broker.address(), Backend::WorkerPool).await?);
        eprintln!(
            "run {run}: raw {:.0}, inline {:.0}, pool {:.0} msg/s",
            raw[run - 1],
            inline[run - 1],
            pool[run - 1]
        );
    }
    let (raw, inline, pool) = (median(raw), median(inline), median(pool));
    figure("throughput_raw", raw, "msg/s");
    figure("throughput_inline", inline, "msg/s");
    figure("throughput_pool", pool, "msg/s");
    figure("ratio_inline", inline / raw, "ratio");
    figure("ratio_pool", pool / raw, "ratio");
    Ok(())
}

/// The limit: BaseConsumer, deserialize, store the offset after processing, auto-commit.
/// It gets karafka's fetch settings, so the comparison is of the loops alone.
async fn raw_loop(brokers: &str) -> anyhow::Result<f64> {
    let brokers = brokers.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<f64> {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("group.id", fresh_client_id("raw"))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "true")
            .set("enable.auto.offset.store", "false")
            .set("fetch.queue.backoff.ms", "10")
            .set("fetch.wait.max.ms", "50")
            .create()?;
        consumer.subscribe(&[TOPIC])?;
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut started = None;
        let mut count = 0;
        while count < MESSAGES {
            anyhow::ensure!(
                Instant::now() < deadline,
                "raw loop: {count} of {MESSAGES} in 300 s"
            );
            let Some(message) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let message = message?;
            started.get_or_insert_with(Instant::now);
            let value: serde_json::Value =
                serde_json::from_slice(message.payload().unwrap_or(b"null"))?;
            std::hint::black_box(value);
            consumer.store_offset_from_message(&message)?;
            count += 1;
        }
        let elapsed = started.map(|s| s.elapsed()).unwrap_or_default();
        Ok(count as f64 / elapsed.as_secs_f64())
    })
    .await?
}

/// Drains the backlog with a fresh group on `backend`; returns msg/s.
pub async fn karafka_run(brokers: &str, backend: Backend) -> anyhow::Result<f64> {
    CONSUMED.store(0, Ordering::Release);
    *STARTED
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))? = None;
    let app = single_route::<Deserializing>(
        brokers,
        &fresh_client_id(backend.name()),
        TOPIC,
        backend,
        |_| {},
    )?;
    let server = app.spawn().await?;
    let deadline = Instant::now() + Duration::from_secs(300);
    while CONSUMED.load(Ordering::Acquire) < MESSAGES {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{}: {} of {MESSAGES} in 300 s",
            backend.name(),
            CONSUMED.load(Ordering::Acquire)
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let finished = Instant::now();
    server.stop().await?;
    let started = STARTED
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .ok_or_else(|| anyhow::anyhow!("no batch was timed"))?;
    Ok(MESSAGES as f64 / (finished - started).as_secs_f64())
}

/// The median of an odd number of samples (the upper middle of an even one).
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
