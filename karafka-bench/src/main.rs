//! karafka-rs benchmarks: `cargo run --release -p karafka-bench -- --broker embedded --scenario io`
//! (or `--scenario metrics`, `--scenario swarm`, ...; `--broker tansu` starts a
//! Tansu for the run, `--runs 5 --size 1000` for the throughput scenarios).
//!
//! Each figure is printed as one JSON line on stdout,
//! `{"name":"io_c10","value":9500,"unit":"msg/s"}`; progress goes to stderr.

/// The allocator of the whole run, raw loop and karafka-rs alike (see the README).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod apps;
mod broker;
mod cpu;
mod data;
mod io;
mod latency;
mod lifecycle;
mod memory;
mod metrics;
mod raw;
mod report;
mod swarm;
mod throughput;
mod vp;
mod web_reporting;

use clap::{Parser, ValueEnum};

/// Which broker the benchmark runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BrokerKind {
    /// librdkafka's mock cluster, in this process.
    Embedded,
    /// A Tansu process started for the run (see the README's test command).
    Tansu,
}

/// Which measurements to take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Everything below.
    All,
    /// Raw rdkafka loops (per round, per message) against karafka-rs inline and worker pool.
    Throughput,
    /// The count-only rdkafka loop (the ceiling) against karafka-rs inline and worker pool.
    Ceiling,
    /// End-to-end latency at 5,000 msg/s.
    Latency,
    /// Peak RSS of a process draining a backlog.
    Memory,
    /// Boot-to-running and stop times.
    Lifecycle,
    /// 10 partitions, 1 ms of simulated IO per message, worker pool at concurrency 1, 5, 10.
    Io,
    /// Throughput of a trivial consumer with and without the MetricsListener.
    Metrics,
    /// Throughput of `server --swarm 2` against one server process (the same app binary).
    Swarm,
    /// Throughput of a trivial consumer with and without the Web UI's reporter.
    WebReporting,
    /// ONE partition, 1 ms of simulated IO per message, 10 virtual partitions on concurrency 10.
    Vp,
}

#[derive(Debug, Parser)]
#[command(about = "Benchmarks of karafka-rs; one JSON line per figure on stdout")]
struct Args {
    /// The broker to start for the run.
    #[arg(long, value_enum, default_value = "embedded")]
    broker: BrokerKind,
    /// Use an already running broker at host:port instead of starting one.
    #[arg(long)]
    brokers: Option<String>,
    /// What to measure.
    #[arg(long, value_enum, default_value = "all")]
    scenario: Scenario,
    #[command(flatten)]
    options: Options,
}

/// Options the scenarios share.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Runs per contender, alternating; figures are medians.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    runs: u64,
    /// Payload bytes per message of the throughput scenarios.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    size: u64,
    /// Messages in the throughput scenarios' backlog (default: by broker and size).
    #[arg(long)]
    messages: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            runs: 5,
            size: 100,
            messages: None,
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    if let Some(dir) = std::env::var_os(swarm::APP_ENV) {
        // This binary as the app of the swarm scenario (supervisor or node).
        return swarm::app_main(&dir.to_string_lossy()).await;
    }
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some(memory::CHILD_FLAG) {
        let brokers = argv
            .get(2)
            .ok_or_else(|| anyhow::anyhow!("{} needs the brokers", memory::CHILD_FLAG))?;
        return memory::child(brokers).await;
    }
    let args = Args::parse();
    let broker = broker::Broker::start(args.broker, args.brokers.as_deref())?;
    let options = &args.options;
    match args.scenario {
        Scenario::Io => io::run(&broker).await,
        Scenario::Throughput => {
            prepare_backlog(&broker, options).await?;
            throughput::run(&broker, options).await
        }
        Scenario::Ceiling => {
            prepare_backlog(&broker, options).await?;
            throughput::ceiling(&broker, options).await
        }
        Scenario::Latency => latency::run(&broker).await,
        Scenario::Memory => {
            throughput::prepare(&broker).await?;
            memory::run(&broker).await
        }
        Scenario::Lifecycle => lifecycle::run(&broker).await,
        Scenario::All => {
            throughput::prepare(&broker).await?;
            throughput::run(&broker, &Options::default()).await?;
            throughput::ceiling(&broker, &Options::default()).await?;
            latency::run(&broker).await?;
            memory::run(&broker).await?;
            lifecycle::run(&broker).await?;
            io::run(&broker).await?;
            vp::run(&broker).await?;
            metrics::run(&broker).await?;
            swarm::run(&broker).await
        }
        Scenario::Metrics => metrics::run(&broker).await,
        Scenario::Swarm => swarm::run(&broker).await,
        Scenario::WebReporting => web_reporting::run(&broker).await,
        Scenario::Vp => vp::run(&broker).await,
    }
}

/// Creates and fills the throughput scenarios' backlog as `options` ask.
async fn prepare_backlog(broker: &broker::Broker, options: &Options) -> anyhow::Result<()> {
    let backlog = throughput::Backlog::new(broker.kind(), options);
    throughput::prepare_backlog(broker, &backlog).await
}
