//! karafka-rs benchmarks: `cargo run --release -p karafka-bench -- --broker embedded --scenario io`
//! (or `--scenario metrics`).
//!
//! Each figure is printed as one JSON line on stdout,
//! `{"name":"io_c10","value":9500,"unit":"msg/s"}`; progress goes to stderr.

mod broker;
mod io;
mod metrics;
mod report;

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
    /// 10 partitions, 1 ms of simulated IO per message, worker pool at concurrency 1, 5, 10.
    Io,
    /// Throughput of a trivial consumer with and without the MetricsListener.
    Metrics,
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
    #[arg(long, value_enum, default_value = "io")]
    scenario: Scenario,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let broker = broker::Broker::start(args.broker, args.brokers.as_deref())?;
    match args.scenario {
        Scenario::Io => io::run(&broker).await,
        Scenario::Metrics => metrics::run(&broker).await,
    }
}
