//! The web reporting scenario: what the Web UI's [`Reporter`] costs a trivial
//! consumer (inline, counts its messages, 16 partitions) on the embedded
//! broker. The reporter listens to every batch event, publishes its state
//! report every second (five times as often as the default) and follows the
//! commands topic.
//!
//! As in the metrics scenario, two apps, one reporting and one not, drain two
//! identical backlogs at the same time, so whatever else runs on the machine
//! slows both alike; each round compares what they consumed in the same
//! window, and the topics swap roles every round. `web_reporting_overhead` is
//! the median of the rounds (%, the bound is 1).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::config::WebSettings;
use karafka::routing::Routes;
use karafka::web::Reporter;
use karafka::{App, Config, Consumer, Context, Messages, ServerHandle};

use crate::broker::Broker;
use crate::report::figure;

const TOPICS: [&str; 2] = ["bench_web_a", "bench_web_b"];
const PARTITIONS: i32 = 16;
/// 75,000 per partition: within the mock cluster's 100,000 messages and 5 MiB per partition.
const MESSAGES: usize = 1_200_000;
const ROUNDS: usize = 9;

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
    consumer_group bench_web_a {
        topic bench_web_a { consumer: Counting, deserializer: karafka::deserializers::Raw }
    }
    consumer_group bench_web_b {
        topic bench_web_b { consumer: Counting, deserializer: karafka::deserializers::Raw }
    }
}

/// Produces both backlogs once, then runs the concurrent rounds.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    for topic in WebSettings::TOPICS {
        broker.create_topic(topic, 1).await?;
    }
    for topic in TOPICS {
        broker.create_topic(topic, PARTITIONS).await?;
        eprintln!("producing {MESSAGES} messages over {PARTITIONS} partitions of {topic}");
        // In chunks: the producer's local queue holds 100,000 messages.
        for _ in 0..MESSAGES / 50_000 {
            karafka_tests::kafka::produce_sequence(broker.address(), topic, PARTITIONS, 50_000)
                .await;
        }
    }
    let mut rounds = Vec::new();
    for round in 0..ROUNDS {
        reset()?;
        let (measured_topic, base_topic) = if round % 2 == 0 {
            (TOPICS[0], TOPICS[1])
        } else {
            (TOPICS[1], TOPICS[0])
        };
        let label = format!("r{round}");
        let measured = start(broker, measured_topic, true, &label).await?;
        let base = start(broker, base_topic, false, &label).await?;
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
        let (with, without) = (
            consumed(measured_topic) / seconds,
            consumed(base_topic) / seconds,
        );
        if seconds < 0.05 || with == 0.0 || without == 0.0 {
            eprintln!("round {round}: the apps did not run side by side long enough; not counted");
            continue;
        }
        let overhead = (without - with) / without * 100.0;
        eprintln!(
            "round {round}: {without:.0} msg/s without, {with:.0} reporting ({overhead:.1}%)"
        );
        rounds.push(overhead);
    }
    anyhow::ensure!(
        !rounds.is_empty(),
        "no round had both apps running side by side"
    );
    figure("web_reporting_overhead", median(&mut rounds), "%");
    Ok(())
}

/// A server consuming one topic with a fresh group, reporting or not.
async fn start(
    broker: &Broker,
    topic: &str,
    reporting: bool,
    label: &str,
) -> anyhow::Result<ServerHandle> {
    let mut config = Config {
        client_id: format!(
            "{topic}_{label}_{}_{}",
            if reporting { "on" } else { "off" },
            std::process::id()
        ),
        brokers: vec![broker.address().to_owned()],
        ..Config::default()
    };
    config.web.report_interval = 1_000;
    // The binary routes every scenario; this app runs one group only.
    let routes = Routes::collect(&config)?.only_groups(&[topic])?;
    let mut app = App::new(std::env::temp_dir(), config, routes);
    if reporting {
        let reporter = Reporter::new(&app);
        app = app.listener(reporter);
    }
    Ok(app.spawn().await?)
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
