//! The web reporting scenario: what the Web UI's [`Reporter`] costs a trivial
//! consumer (inline, counts its messages, 16 partitions) on the embedded
//! broker. The reporter listens to every batch event, publishes its state
//! report every second (five times as often as the default) and follows the
//! commands topic.
//!
//! `web_reporting_overhead` (%, the bound is 1) is measured directly:
//! an app drains a backlog with its reporter wrapped in a listener that times
//! each event the reporter handles, and the reporter's background work
//! (publishing, following commands) is what an idle reporting app uses over an
//! idle plain one. Its sum, over the app's CPU less it (this process's, the
//! mock cluster's thread excluded), is each round's overhead; the figure is the
//! median of `DIRECT_ROUNDS`.
//!
//! `web_reporting_side_by_side` checks it end to end: as in the metrics
//! scenario, two apps, one reporting and one not, drain two identical
//! backlogs at the same time, each round compares what they consumed in the
//! same window, and the topics (and which app starts first) swap every round.
//! On two cores its rounds swing by ±10% or more, so its median only bounds
//! the overhead to a few percent.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use karafka::config::WebSettings;
use karafka::routing::Routes;
use karafka::web::Reporter;
use karafka::{App, Config, Consumer, Context, Event, EventKind, Listener, Messages, ServerHandle};

use crate::broker::Broker;
use crate::report::figure;

const TOPICS: [&str; 2] = ["bench_web_a", "bench_web_b"];
const PARTITIONS: i32 = 16;
/// 75,000 per partition: within the mock cluster's 100,000 messages and 5 MiB per partition.
const MESSAGES: usize = 1_200_000;
const ROUNDS: usize = 9;
const DIRECT_ROUNDS: usize = 5;
/// How long the idle apps are measured for the reporter's background work.
const IDLE: Duration = Duration::from_secs(3);

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
    direct(broker).await?;
    let mut rounds = Vec::new();
    for round in 0..ROUNDS {
        reset()?;
        let (measured_topic, base_topic) = if round % 2 == 0 {
            (TOPICS[0], TOPICS[1])
        } else {
            (TOPICS[1], TOPICS[0])
        };
        let label = format!("r{round}");
        // Which app starts first alternates too (every other pair of rounds).
        let (measured, base) = if round % 4 < 2 {
            let measured = start(broker, measured_topic, true, &label).await?;
            (measured, start(broker, base_topic, false, &label).await?)
        } else {
            let base = start(broker, base_topic, false, &label).await?;
            (start(broker, measured_topic, true, &label).await?, base)
        };
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
    figure("web_reporting_side_by_side", median(&mut rounds), "%");
    Ok(())
}

/// The reporter, timing what it does with each event it handles.
struct Timed {
    reporter: Reporter,
    spent_ns: Arc<AtomicU64>,
}

impl Listener for Timed {
    fn listens_to(&self, kind: EventKind) -> bool {
        self.reporter.listens_to(kind)
    }

    fn statistics_interval(&self) -> Option<Duration> {
        self.reporter.statistics_interval()
    }

    fn on_event(&self, event: &Event) {
        let started = Instant::now();
        self.reporter.on_event(event);
        let spent = started.elapsed().as_nanos() as u64;
        self.spent_ns.fetch_add(spent, Ordering::Relaxed);
    }
}

/// CPU this process has used, the mock cluster's thread excluded: the apps'.
fn app_cpu() -> anyhow::Result<Duration> {
    Ok(crate::cpu::process().saturating_sub(crate::cpu::of_threads_named("rdk:mock")?))
}

/// What one app did: over the window from a tenth to nine tenths of its
/// backlog, and once idle.
struct Drained {
    /// The window's length.
    window: Duration,
    /// App CPU over the window.
    cpu: Duration,
    /// Time the reporter spent on events over the window.
    spent: Duration,
    /// App CPU seconds per second once the backlog is drained.
    idle_per_second: f64,
}

/// Drains `topic` with a fresh group, reporting (timed) or not, then idles.
async fn drain_then_idle(
    broker: &Broker,
    topic: &str,
    reporting: bool,
    label: &str,
) -> anyhow::Result<Drained> {
    reset()?;
    let spent_ns = Arc::new(AtomicU64::new(0));
    let mode = if reporting { "timed" } else { "plain" };
    let server = start_app(broker, topic, &format!("{label}_{mode}"), |app| {
        if reporting {
            let reporter = Reporter::new(&app);
            app.listener(Timed {
                reporter,
                spent_ns: spent_ns.clone(),
            })
        } else {
            app
        }
    })
    .await?;
    let done = |p: &Progress| p.get(topic).map_or(0, |e| e.2);
    wait_for(|p| done(p) >= MESSAGES / 10).await?;
    let opened = (Instant::now(), app_cpu()?, spent_ns.load(Ordering::Relaxed));
    wait_for(|p| done(p) >= MESSAGES * 9 / 10).await?;
    let closed = (Instant::now(), app_cpu()?, spent_ns.load(Ordering::Relaxed));
    wait_for(|p| done(p) >= MESSAGES).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_from = app_cpu()?;
    tokio::time::sleep(IDLE).await;
    let idle_per_second = (app_cpu()? - idle_from).as_secs_f64() / IDLE.as_secs_f64();
    server.stop().await?;
    Ok(Drained {
        window: closed.0 - opened.0,
        cpu: closed.1.saturating_sub(opened.1),
        spent: Duration::from_nanos(closed.2 - opened.2),
        idle_per_second,
    })
}

/// The direct measure: the reporter's own work over the app's CPU.
async fn direct(broker: &Broker) -> anyhow::Result<()> {
    let mut rounds = Vec::new();
    for round in 0..DIRECT_ROUNDS {
        let topic = TOPICS[round % 2];
        let other = TOPICS[(round + 1) % 2];
        let label = format!("d{round}");
        let timed = drain_then_idle(broker, topic, true, &label).await?;
        let plain = drain_then_idle(broker, other, false, &label).await?;
        let background =
            (timed.idle_per_second - plain.idle_per_second).max(0.0) * timed.window.as_secs_f64();
        let reporting = timed.spent.as_secs_f64() + background;
        let overhead = reporting / (timed.cpu.as_secs_f64() - reporting) * 100.0;
        eprintln!(
            "direct round {round}: app CPU {:.3} s over {:.3} s, reporter's events {:.4} s, idle CPU {:.4} s/s reporting, {:.4} plain: {overhead:.2}%",
            timed.cpu.as_secs_f64(),
            timed.window.as_secs_f64(),
            timed.spent.as_secs_f64(),
            timed.idle_per_second,
            plain.idle_per_second
        );
        rounds.push(overhead);
    }
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
    let mode = if reporting { "on" } else { "off" };
    start_app(broker, topic, &format!("{label}_{mode}"), |app| {
        if reporting {
            let reporter = Reporter::new(&app);
            app.listener(reporter)
        } else {
            app
        }
    })
    .await
}

/// A server consuming one topic with a fresh group, its app finished by `with`.
async fn start_app(
    broker: &Broker,
    topic: &str,
    label: &str,
    with: impl FnOnce(App) -> App,
) -> anyhow::Result<ServerHandle> {
    let mut config = Config {
        client_id: format!("{topic}_{label}_{}", std::process::id()),
        brokers: vec![broker.address().to_owned()],
        ..Config::default()
    };
    config.web.report_interval = 1_000;
    // The binary routes every scenario; this app runs one group only.
    let routes = Routes::collect(&config)?.only_groups(&[topic])?;
    let app = with(App::new(std::env::temp_dir(), config, routes));
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
