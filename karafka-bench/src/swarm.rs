//! `--swarm 2` against one process: the same app binary (this one, in app mode)
//! drains the same backlog as `server` and as `server --swarm 2`; each node
//! writes its progress to a file, and the figure is the messages over the span
//! from the first batch of any node to the last batch of any node. Runs
//! alternate; each figure is the median of `RUNS`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
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
static FIRST_US: AtomicU64 = AtomicU64::new(0);
static LAST_US: AtomicU64 = AtomicU64::new(0);

/// Deserializes every message and notes when its batch ended.
#[derive(Default)]
struct Counting;

impl Consumer for Counting {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let _ = FIRST_US.compare_exchange(0, now_micros(), Ordering::AcqRel, Ordering::Acquire);
        for message in &messages {
            message.payload()?;
        }
        CONSUMED.fetch_add(messages.len() as u64, Ordering::AcqRel);
        LAST_US.store(now_micros(), Ordering::Release);
        Ok(())
    }
}

/// In an app process (the supervisor or a node): runs the app's command line,
/// writing `consumed first_us last_us` to `<dir>/<pid>` every 20 ms.
pub async fn app_main(dir: &str) -> anyhow::Result<()> {
    let brokers = std::env::var(BROKERS_ENV)?;
    let client_id = std::env::var(CLIENT_ID_ENV)?;
    let app = single_route::<Counting>(&brokers, &client_id, TOPIC, Backend::Inline, |_| {})?;
    let file = Path::new(dir).join(std::process::id().to_string());
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(20));
        let line = format!(
            "{} {} {}\n",
            CONSUMED.load(Ordering::Acquire),
            FIRST_US.load(Ordering::Acquire),
            LAST_US.load(Ordering::Acquire)
        );
        if std::fs::write(&file, line).is_err() {
            return;
        }
    });
    app.run_cli().await
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
        one.push(drain(broker, &["server"]).await?);
        two.push(drain(broker, &["server", "--swarm", "2"]).await?);
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
/// with `args`; returns msg/s.
async fn drain(broker: &Broker, args: &[&str]) -> anyhow::Result<f64> {
    let dir = tempfile::tempdir()?;
    let mut app = tokio::process::Command::new(std::env::current_exe()?)
        .args(args)
        .env(APP_ENV, dir.path())
        .env(BROKERS_ENV, broker.address())
        .env(CLIENT_ID_ENV, fresh_client_id("swarm"))
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(300);
    let (consumed, first, last) = loop {
        let progress = progress(dir.path())?;
        if progress.0 >= MESSAGES as u64 {
            break progress;
        }
        if let Some(status) = app.try_wait()? {
            anyhow::bail!("`{}` exited early with {status}", args.join(" "));
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "`{}`: {} of {MESSAGES} in 300 s",
            args.join(" "),
            progress.0
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
    let span = Duration::from_micros(last.saturating_sub(first));
    Ok(MESSAGES as f64 / span.as_secs_f64())
}

/// Summed `consumed`, earliest `first_us`, latest `last_us` of the progress files.
fn progress(dir: &Path) -> anyhow::Result<(u64, u64, u64)> {
    let (mut consumed, mut first, mut last) = (0, u64::MAX, 0);
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path()).unwrap_or_default();
        let fields: Vec<u64> = text
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        if let [count, start, end] = fields[..] {
            consumed += count;
            if start > 0 {
                first = first.min(start);
            }
            last = last.max(end);
        }
    }
    Ok((consumed, first, last))
}
