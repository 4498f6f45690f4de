//! The metrics scenario: what the MetricsListener costs a trivial consumer
//! (inline, counts its messages, 16 partitions) on the embedded broker. With the
//! listener, the endpoint is served and scraped every 250 ms and librdkafka
//! statistics come at the listener's default interval.
//!
//! On a shared machine wall-clock throughput swings by ±20% from one run to the
//! next, more than the listener could cost, so two measurements are taken:
//!
//! - sequential: the same backlog drained with and without the listener, in
//!   alternating runs, each with a fresh group: `metrics_baseline` and
//!   `metrics_with_listener` (medians, msg/s) and `metrics_overhead_sequential`;
//! - concurrent: two apps, one with the listener and one without, drain two
//!   identical backlogs at the same time, so whatever else runs on the machine
//!   slows both alike; each round compares what they consumed in the same
//!   window (until the first finishes), and the topics swap roles every round.
//!   `metrics_overhead` is the median of the rounds.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::routing::Routes;
use karafka::{App, Config, Consumer, Context, Messages, MetricsListener, ServerHandle};

use crate::broker::Broker;
use crate::report::figure;

const TOPICS: [&str; 2] = ["bench_metrics_a", "bench_metrics_b"];
const PARTITIONS: i32 = 16;
/// 75,000 per partition: within the mock cluster's 100,000 messages and 5 MiB
/// per partition, and long enough to drain that both apps overlap.
const MESSAGES: usize = 1_200_000;
const SEQUENTIAL_ROUNDS: usize = 5;
const CONCURRENT_ROUNDS: usize = 9;

/// Per topic: first batch start, last batch end, messages done.
type Progress = BTreeMap<String, (Instant, Instant, usize)>;
static PROGRESS: Mutex<Progress> = Mutex::new(BTreeMap::new());

/// Counts its messages and nothing else, so the framework's own cost shows.
#[derive(Default)]
struct Counting;

impl Consumer for Counting {
    type Payload = Vec<u8>;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Vec<u8>>,
    ) -> karafka::Result<()> {
        let now = Instant::now();
        let mut progress = PROGRESS.lock().map_err(|_| "progress lock poisoned")?;
        let entry = progress
            .entry(ctx.topic().to_owned())
            .or_insert((now, now, 0));
        entry.1 = now;
        entry.2 += messages.len();
        Ok(())
    }
}

karafka::routes! {
    consumer_group bench_metrics_a {
        topic bench_metrics_a { consumer: Counting, deserializer: karafka::deserializers::Raw }
    }
    consumer_group bench_metrics_b {
        topic bench_metrics_b { consumer: Counting, deserializer: karafka::deserializers::Raw }
    }
}

/// Produces both backlogs once, then runs the sequential and the concurrent rounds.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    for topic in TOPICS {
        broker.create_topic(topic, PARTITIONS).await?;
        eprintln!("producing {MESSAGES} messages over {PARTITIONS} partitions of {topic}");
        // In chunks: the producer's local queue holds 100,000 messages.
        for _ in 0..MESSAGES / 50_000 {
            karafka_tests::kafka::produce_sequence(broker.address(), topic, PARTITIONS, 50_000)
                .await;
        }
    }

    let (mut without, mut with, mut sequential) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..SEQUENTIAL_ROUNDS {
        // Alternate which goes first, so drift on a busy machine hits both alike.
        let order = if round % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for metrics in order {
            reset()?;
            let app = Running::start(broker, TOPICS[0], metrics, &format!("seq{round}")).await?;
            wait_for(|p| p.get(TOPICS[0]).is_some_and(|e| e.2 >= MESSAGES)).await?;
            app.stop().await?;
            let (first, last, done) = snapshot()?[TOPICS[0]];
            let rate = done as f64 / (last - first).as_secs_f64();
            eprintln!("sequential round {round}: metrics {metrics:5}: {rate:.0} msg/s");
            if metrics { &mut with } else { &mut without }.push(rate);
        }
        let (base, measured) = (without[round], with[round]);
        sequential.push((base - measured) / base * 100.0);
    }

    let mut concurrent = Vec::new();
    for round in 0..CONCURRENT_ROUNDS {
        reset()?;
        let (measured_topic, base_topic) = if round % 2 == 0 {
            (TOPICS[0], TOPICS[1])
        } else {
            (TOPICS[1], TOPICS[0])
        };
        let label = format!("con{round}");
        let measured = Running::start(broker, measured_topic, true, &label).await?;
        let base = Running::start(broker, base_topic, false, &label).await?;
        // The window opens once both consume and closes when either is done.
        // The window: both apps past their first tenth (joined and running),
        // until either reaches nine tenths (before either runs dry).
        wait_for(|p| p.len() == 2 && p.values().all(|e| e.2 >= MESSAGES / 10)).await?;
        let opened = (Instant::now(), snapshot()?);
        wait_for(|p| p.values().any(|e| e.2 >= MESSAGES * 9 / 10)).await?;
        let closed = (Instant::now(), snapshot()?);
        measured.stop().await?;
        base.stop().await?;
        let consumed = |topic: &str| (closed.1[topic].2 - opened.1[topic].2) as f64;
        let seconds = (closed.0 - opened.0).as_secs_f64();
        let (rate_with, rate_without) = (
            consumed(measured_topic) / seconds,
            consumed(base_topic) / seconds,
        );
        if seconds < 0.05 || rate_with == 0.0 || rate_without == 0.0 {
            eprintln!("concurrent round {round}: the apps did not run side by side long enough; not counted");
            continue;
        }
        let overhead = (rate_without - rate_with) / rate_without * 100.0;
        eprintln!(
            "concurrent round {round}: {rate_without:.0} msg/s without, {rate_with:.0} with ({overhead:.1}%)"
        );
        concurrent.push(overhead);
    }

    figure("metrics_baseline", median(&mut without), "msg/s");
    figure("metrics_with_listener", median(&mut with), "msg/s");
    figure("metrics_overhead_sequential", median(&mut sequential), "%");
    anyhow::ensure!(
        !concurrent.is_empty(),
        "no concurrent round had both apps running side by side"
    );
    figure("metrics_overhead", median(&mut concurrent), "%");
    Ok(())
}

/// A server consuming one topic with a fresh group, with or without metrics.
struct Running {
    server: ServerHandle,
    scraper: Option<tokio::task::JoinHandle<()>>,
    _endpoint: Option<karafka::instrumentation::MetricsServer>,
}

impl Running {
    async fn start(
        broker: &Broker,
        topic: &str,
        metrics: bool,
        label: &str,
    ) -> anyhow::Result<Running> {
        let config = Config {
            client_id: format!(
                "{topic}_{label}_{}_{}",
                if metrics { "on" } else { "off" },
                std::process::id()
            ),
            brokers: vec![broker.address().to_owned()],
            ..Config::default()
        };
        // The binary routes every scenario; this app runs one group only.
        let routes = Routes::collect(&config)?.only_groups(&[topic])?;
        let mut app = App::new(std::env::temp_dir(), config, routes);
        let (mut scraper, mut endpoint) = (None, None);
        if metrics {
            let listener = MetricsListener::new();
            let served = listener.serve("127.0.0.1:0").await?;
            scraper = Some(scrape_every(
                served.local_addr().to_string(),
                Duration::from_millis(250),
            ));
            endpoint = Some(served);
            app = app.listener(listener);
        }
        Ok(Running {
            server: app.spawn().await?,
            scraper,
            _endpoint: endpoint,
        })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.server.stop().await?;
        if let Some(scraper) = self.scraper {
            scraper.abort();
        }
        Ok(())
    }
}

/// GETs `/metrics` as Prometheus would, only more often.
fn scrape_every(address: String, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let scraped = karafka_tests::http::get_async(&address, "/metrics").await;
            if !matches!(scraped, Ok((200, _))) {
                eprintln!("scraping /metrics failed: {scraped:?}");
            }
            tokio::time::sleep(every).await;
        }
    })
}

fn reset() -> anyhow::Result<()> {
    PROGRESS
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?
        .clear();
    Ok(())
}

fn snapshot() -> anyhow::Result<Progress> {
    Ok(PROGRESS
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?
        .clone())
}

/// Polls the progress every 5 ms until `done` holds (at most 300 s).
async fn wait_for(done: impl Fn(&Progress) -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if done(&snapshot()?) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no progress in 300 s: {:?}",
            snapshot()?
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}
