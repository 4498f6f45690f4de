//! `--swarm 2` against one process: the same app binary (this one, in app mode)
//! drains the same backlog as `server` and as `server --swarm 2`; each process
//! writes its progress (and its assigned partitions) to a file. Consumers turn
//! batches away (a failure, retried after 10 ms) until every node holds
//! partitions and the group has been stable for a second: the embedded broker
//! takes many seconds over a rebalance, which would otherwise be measured. The
//! figure is the backlog over the span from that go to the last batch of any
//! node. Runs alternate; each figure is the median of `RUNS`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use karafka::{Backend, Consumer, Context, Messages};

use crate::apps::{fresh_client_id, single_route};
use crate::broker::Broker;
use crate::data::now_micros;
use crate::report::figure;
use crate::throughput::median;

/// Set in the app processes: the directory their progress files go to.
pub const APP_ENV: &str = "KARAFKA_BENCH_SWARM_APP";
const BROKERS_ENV: &str = "KARAFKA_BENCH_SWARM_BROKERS";
const CLIENT_ID_ENV: &str = "KARAFKA_BENCH_SWARM_CLIENT_ID";

const TOPIC: &str = "bench_swarm";
const PARTITIONS: i32 = 10;
/// 20,000 messages of 100 bytes per partition: within the mock cluster's 5 MiB.
const MESSAGES: usize = 200_000;
const RUNS: usize = 3;

static CONSUMED: AtomicU64 = AtomicU64::new(0);
static LAST_US: AtomicU64 = AtomicU64::new(0);
static ASSIGNED: AtomicI64 = AtomicI64::new(0);
static GO: AtomicBool = AtomicBool::new(false);
/// The file whose existence says go.
const GO_FILE: &str = "go";

/// Deserializes every message and notes when its batch ended; before the go,
/// turns batches away.
#[derive(Default)]
struct Counting;

impl Consumer for Counting {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        if !GO.load(Ordering::Acquire) {
            return Err("the bench has not said go yet".into());
        }
        for message in &messages {
            message.payload()?;
        }
        CONSUMED.fetch_add(messages.len() as u64, Ordering::AcqRel);
        LAST_US.store(now_micros(), Ordering::Release);
        Ok(())
    }
}

/// In an app process (the supervisor or a node): runs the app's command line,
/// writing `consumed last_us assigned` to `<dir>/<pid>` every 20 ms.
pub async fn app_main(dir: &str) -> anyhow::Result<()> {
    let brokers = std::env::var(BROKERS_ENV)?;
    let client_id = std::env::var(CLIENT_ID_ENV)?;
    let app = single_route::<Counting>(&brokers, &client_id, TOPIC, Backend::Inline, |config| {
        // A batch turned away before the go is retried 10 ms later.
        config.pause_timeout = 10;
        config.pause_max_timeout = 10;
        // The embedded broker settles a rebalance within about a session timeout.
        for (key, value) in [("session.timeout.ms", 6000), ("heartbeat.interval.ms", 500)] {
            config
                .kafka
                .insert(key.into(), karafka::config::KafkaValue::Integer(value));
        }
    })?
    .listener(|event: &karafka::Event| match event {
        karafka::Event::PartitionsAssigned(r) => {
            ASSIGNED.fetch_add(count(&r.partitions), Ordering::AcqRel);
        }
        karafka::Event::PartitionsRevoked(r) => {
            ASSIGNED.fetch_sub(count(&r.partitions), Ordering::AcqRel);
        }
        _ => {}
    });
    let dir = Path::new(dir).to_owned();
    let file = dir.join(std::process::id().to_string());
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(20));
        if dir.join(GO_FILE).exists() {
            GO.store(true, Ordering::Release);
        }
        let line = format!(
            "{} {} {}\n",
            CONSUMED.load(Ordering::Acquire),
            LAST_US.load(Ordering::Acquire),
            ASSIGNED.load(Ordering::Acquire)
        );
        if std::fs::write(&file, line).is_err() {
            return;
        }
    });
    app.run_cli().await
}

fn count(partitions: &karafka::instrumentation::Partitions) -> i64 {
    partitions.iter().map(|(_, p)| p.len() as i64).sum()
}

/// Measures and prints throughput_swarm1, throughput_swarm2 and ratio_swarm2.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    broker.create_topic(TOPIC, PARTITIONS).await?;
    eprintln!("producing {MESSAGES} messages of 100 bytes over {PARTITIONS} partitions");
    let brokers = broker.address().to_owned();
    tokio::task::spawn_blocking(move || {
        crate::data::produce_backlog(&brokers, TOPIC, PARTITIONS, MESSAGES)
    })
    .await??;
    let (mut one, mut two) = (Vec::new(), Vec::new());
    for run in 1..=RUNS {
        one.push(drain(broker, &["server"], 1).await?);
        two.push(drain(broker, &["server", "--swarm", "2"], 2).await?);
        eprintln!(
            "run {run}: one process {:.0}, --swarm 2 {:.0} msg/s",
            one[run - 1],
            two[run - 1]
        );
    }
    let (one, two) = (median(one), median(two));
    figure("throughput_swarm1", one, "msg/s");
    figure("throughput_swarm2", two, "msg/s");
    figure("ratio_swarm2", two / one, "ratio");
    Ok(())
}

/// Drains the backlog with a fresh group by running this binary as the app
/// with `args` (`nodes` consuming processes); returns msg/s.
async fn drain(broker: &Broker, args: &[&str], nodes: usize) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let mut app = tokio::process::Command::new(std::env::current_exe()?)
        .args(args)
        .env(APP_ENV, dir.path())
        .env(BROKERS_ENV, broker.address())
        .env(CLIENT_ID_ENV, fresh_client_id("swarm"))
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .kill_on_drop(true)
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(300);
    // Every node holds partitions, all of them are assigned, for a second.
    let mut settled_since: Option<Instant> = None;
    loop {
        let progress = progress(dir.path())?;
        let settled = progress.holders == nodes && progress.assigned == i64::from(PARTITIONS);
        settled_since = settled.then(|| settled_since.unwrap_or_else(Instant::now));
        if settled_since.is_some_and(|since| since.elapsed() >= Duration::from_secs(1)) {
            break;
        }
        if let Some(status) = app.try_wait()? {
            anyhow::bail!("`{}` exited early with {status}", args.join(" "));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "`{}`: the group did not settle in 300 s",
            args.join(" ")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let go = now_micros();
    std::fs::write(dir.path().join(GO_FILE), "")?;
    let (consumed, last) = loop {
        let progress = progress(dir.path())?;
        if progress.consumed >= MESSAGES as u64 {
            break (progress.consumed, progress.last_us);
        }
        if let Some(status) = app.try_wait()? {
            anyhow::bail!("`{}` exited early with {status}", args.join(" "));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "`{}`: {} of {MESSAGES} in 300 s",
            args.join(" "),
            progress.consumed
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let pid = app.id().ok_or_else(|| anyhow::anyhow!("the app is gone"))?;
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()?;
    anyhow::ensure!(stopped.success(), "cannot stop the app");
    let status = app.wait().await?;
    anyhow::ensure!(
        status.success(),
        "`{}` stopped with {status}",
        args.join(" ")
    );
    eprintln!("`{}`: {consumed} messages processed", args.join(" "));
    let span = Duration::from_micros(last.saturating_sub(go));
    Ok(MESSAGES as f64 / span.as_secs_f64())
}

/// What the progress files say, summed over the processes.
#[derive(Debug, Default)]
struct Progress {
    consumed: u64,
    /// The latest end of a batch.
    last_us: u64,
    /// Partitions assigned, and how many processes hold some.
    assigned: i64,
    holders: usize,
}

fn progress(dir: &Path) -> anyhow::Result<Progress> {
    let mut progress = Progress::default();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path()).unwrap_or_default();
        let fields: Vec<i64> = text
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        if let [consumed, last_us, assigned] = fields[..] {
            progress.consumed += consumed as u64;
            progress.last_us = progress.last_us.max(last_us as u64);
            progress.assigned += assigned;
            progress.holders += usize::from(assigned > 0);
        }
    }
    Ok(progress)
}
