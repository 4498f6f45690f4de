//! karafka-rs benchmarks: `cargo run --release -p karafka-bench -- --broker embedded --scenario io`
//! (or `--scenario metrics`, `--scenario swarm`, ...).
//!
//! Each figure is printed as one JSON line on stdout,
//! `{"name":"io_c10","value":9500,"unit":"msg/s"}`; progress goes to stderr.

/// The allocator of the whole run, raw loop and karafka-rs alike (see the README).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod apps;
mod broker;
mod data;
mod io;
mod latency;
mod lifecycle;
mod memory;
mod metrics;
mod report;
mod swarm;
mod throughput;
mod vp;

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
    /// Raw rdkafka loop against karafka-rs inline and worker pool.
    Throughput,
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
    match args.scenario {
        Scenario::Io => io::run(&broker).await,
        Scenario::Throughput => {
            throughput::prepare(&broker).await?;
            throughput::run(&broker).await
        }
        Scenario::Latency => latency::run(&broker).await,
        Scenario::Memory => {
            throughput::prepare(&broker).await?;
            memory::run(&broker).await
        }
        Scenario::Lifecycle => lifecycle::run(&broker).await,
        Scenario::All => {
            throughput::prepare(&broker).await?;
            throughput::run(&broker).await?;
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
        Scenario::Vp => vp::run(&broker).await,
    }
}
