//! End-to-end latency at a fixed 5,000 msg/s: each payload carries the time the
//! producer was handed it; the consumer (inline) notes how long ago that was.
//!
//! Timing starts once both consumers have fetched from every partition: one
//! warm-up message per partition goes first and is not counted, so a
//! partition's first fetch (offset lookup, connection) is not in the figures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use karafka::{Backend, Consumer, Context, Messages};
use rdkafka::producer::{BaseRecord, Producer as _};

use crate::apps::{fresh_client_id, single_route};
use crate::broker::Broker;
use crate::data::now_micros;
use crate::report::figure;

const TOPIC: &str = "bench_latency";
const PARTITIONS: i32 = 4;
const RATE: u64 = 5_000;
const SECONDS: u64 = 5;
/// librdkafka's mock cluster answers a fetch that found nothing only after the
/// full `fetch.wait.max.ms`, even when a message arrives meanwhile (a real broker
/// answers at once), so on it the default of 50 ms alone would add 0–50 ms to
/// every message. Both consumers here use this instead.
const FETCH_WAIT_MAX_MS: &str = "5";
/// The `seq` of a warm-up message.
const WARM_UP: i64 = -1;

static LATENCIES_US: Mutex<Vec<u64>> = Mutex::new(Vec::new());
static WARMED_UP: AtomicUsize = AtomicUsize::new(0);

/// Records the age of every message it gets.
#[derive(Default)]
struct Timing;

impl Consumer for Timing {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let now = now_micros();
        let mut latencies = LATENCIES_US.lock().map_err(|_| "lock poisoned")?;
        for message in &messages {
            let payload = message.payload()?;
            if payload["seq"].as_i64() == Some(WARM_UP) {
                WARMED_UP.fetch_add(1, Ordering::Release);
                continue;
            }
            let sent = payload["sent_us"].as_u64().unwrap_or(now);
            latencies.push(now.saturating_sub(sent));
        }
        Ok(())
    }
}

/// Measures and prints latency_p50_ms and latency_p99_ms, and the same for a
/// raw rdkafka consumer reading the same messages (what the broker and the
/// client cost without the framework).
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    broker.create_topic(TOPIC, PARTITIONS).await?;
    let raw_warmed_up = Arc::new(AtomicUsize::new(0));
    let raw = raw_consumer(broker.address(), raw_warmed_up.clone())?;
    LATENCIES_US
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .clear();
    WARMED_UP.store(0, Ordering::Release);
    let (assigned, assigned_rx) = crate::apps::assignment_signal();
    let app = single_route::<Timing>(
        broker.address(),
        &fresh_client_id("latency"),
        TOPIC,
        Backend::Inline,
        |config| {
            config.kafka.insert(
                "fetch.wait.max.ms".into(),
                karafka::config::KafkaValue::String(FETCH_WAIT_MAX_MS.into()),
            );
        },
    )?
    .listener(assigned);
    let server = app.spawn().await?;
    crate::apps::wait_assigned(assigned_rx).await?;
    warm_up(broker.address(), &raw_warmed_up).await?;

    let total = RATE * SECONDS;
    eprintln!("producing {total} messages at {RATE} msg/s");
    let brokers = broker.address().to_owned();
    tokio::task::spawn_blocking(move || paced_produce(&brokers, total)).await??;
    let deadline = Instant::now() + Duration::from_secs(60);
    while (LATENCIES_US
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .len() as u64)
        < total
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "not every latency message arrived within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.stop().await?;
    let raw_latencies = raw.await??;
    let latencies = LATENCIES_US
        .lock()
        .map_err(|_| anyhow::anyhow!("lock poisoned"))?
        .clone();
    figure("latency_p50_ms", percentile(latencies.clone(), 0.50), "ms");
    figure("latency_p99_ms", percentile(latencies, 0.99), "ms");
    figure(
        "latency_raw_p50_ms",
        percentile(raw_latencies.clone(), 0.50),
        "ms",
    );
    figure("latency_raw_p99_ms", percentile(raw_latencies, 0.99), "ms");
    Ok(())
}

/// Sends one warm-up message to every partition and waits until both consumers got them all.
async fn warm_up(brokers: &str, raw_warmed_up: &AtomicUsize) -> anyhow::Result<()> {
    let producer = crate::data::producer(brokers, 0)?;
    for partition in 0..PARTITIONS {
        let payload = format!("{{\"seq\":{WARM_UP}}}");
        let record: BaseRecord<'_, (), String> =
            BaseRecord::to(TOPIC).payload(&payload).partition(partition);
        producer.send(record).map_err(|(e, _)| e)?;
    }
    producer.flush(Duration::from_secs(30))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let all = PARTITIONS as usize;
    while WARMED_UP.load(Ordering::Acquire) < all || raw_warmed_up.load(Ordering::Acquire) < all {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the warm-up messages did not all arrive within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

fn percentile(mut latencies_us: Vec<u64>, p: f64) -> f64 {
    latencies_us.sort_unstable();
    latencies_us[((latencies_us.len() - 1) as f64 * p) as usize] as f64 / 1000.0
}

/// A plain rdkafka consumer (partitions assigned directly, from the start of the fresh topic) noting
/// each message's age, until it has seen them all.
fn raw_consumer(
    brokers: &str,
    warmed_up: Arc<AtomicUsize>,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<Vec<u64>>>> {
    use rdkafka::consumer::{BaseConsumer, Consumer as _};
    use rdkafka::message::Message as _;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", fresh_client_id("latency_raw"))
        .set("enable.auto.commit", "false")
        .set("fetch.wait.max.ms", FETCH_WAIT_MAX_MS)
        .set("fetch.queue.backoff.ms", "10")
        .create()?;
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(TOPIC, p, rdkafka::Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let total = (RATE * SECONDS) as usize;
    Ok(tokio::task::spawn_blocking(move || {
        let mut latencies = Vec::with_capacity(total);
        let deadline = Instant::now() + Duration::from_secs(120);
        while latencies.len() < total && Instant::now() < deadline {
            let Some(message) = consumer.poll(Duration::from_millis(10)) else {
                continue;
            };
            let message = message?;
            let now = now_micros();
            let value: serde_json::Value =
                serde_json::from_slice(message.payload().unwrap_or(b"{}"))?;
            if value["seq"].as_i64() == Some(WARM_UP) {
                warmed_up.fetch_add(1, Ordering::Release);
                continue;
            }
            latencies.push(now.saturating_sub(value["sent_us"].as_u64().unwrap_or(now)));
        }
        anyhow::ensure!(
            latencies.len() == total,
            "raw latency consumer saw {} of {total}",
            latencies.len()
        );
        Ok(latencies)
    }))
}

/// Sends `total` messages at `RATE` per second, in 1 ms steps, from this thread.
fn paced_produce(brokers: &str, total: u64) -> anyhow::Result<()> {
    let producer = crate::data::producer(brokers, 0)?;
    let per_ms = RATE / 1000;
    let start = Instant::now();
    let mut sent = 0u64;
    let mut step = 0u32;
    while sent < total {
        let due = start + Duration::from_millis(u64::from(step));
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for _ in 0..per_ms {
            let payload = format!("{{\"sent_us\":{},\"seq\":{sent}}}", now_micros());
            let record: BaseRecord<'_, (), String> = BaseRecord::to(TOPIC)
                .payload(&payload)
                .partition((sent % PARTITIONS as u64) as i32);
            producer.send(record).map_err(|(e, _)| e)?;
            sent += 1;
        }
        step += 1;
    }
    producer.flush(Duration::from_secs(30))?;
    Ok(())
}
