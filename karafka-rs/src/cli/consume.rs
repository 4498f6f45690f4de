//! `consume <topic>`: prints a topic's messages as they arrive, without a
//! consumer group's commits (a debugging tail).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};

use crate::app::App;
use crate::connection::client::reader_config;
use crate::redaction::Redactor;
use crate::server::{ShutdownSignals, SignalRequest};

/// Options of `consume`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// The topic to read
    topic: String,
    /// Start from the oldest message instead of new ones only
    #[arg(long)]
    from_beginning: bool,
    /// Stop after this many messages
    #[arg(long, value_name = "N")]
    count: Option<usize>,
}

/// Reads every partition of the topic and prints `topic/partition@offset key payload` lines.
pub(super) async fn run(app: &App, args: Args) -> anyhow::Result<()> {
    let brokers = app.bootstrap_servers()?;
    let consumer: BaseConsumer<Redactor> = reader_config(app.config(), &brokers)
        .create_with_context(Redactor::new(&app.config().kafka))?;
    let timeout = Duration::from_millis(app.config().connect_timeout);
    let mut signals = ShutdownSignals::install()?;
    let stop = Arc::new(AtomicBool::new(false));
    let reading = {
        let stop = stop.clone();
        tokio::task::spawn_blocking(move || read(consumer, args, timeout, &brokers, &stop))
    };
    tokio::pin!(reading);
    loop {
        tokio::select! {
            done = &mut reading => return done?,
            signal = signals.recv() => {
                if matches!(signal, SignalRequest::Stop(_)) {
                    stop.store(true, Ordering::Release);
                }
            }
        }
    }
}

fn read(
    consumer: BaseConsumer<Redactor>,
    args: Args,
    timeout: Duration,
    brokers: &str,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let metadata = consumer
        .fetch_metadata(Some(&args.topic), timeout)
        .map_err(|e| anyhow!("cannot reach the brokers {brokers}: {e}"))?;
    let partitions = metadata
        .topics()
        .iter()
        .find(|t| t.name() == args.topic && t.error().is_none())
        .map(|t| t.partitions().len())
        .unwrap_or(0);
    if partitions == 0 {
        bail!("topic `{}` does not exist on {brokers}", args.topic);
    }
    let start = if args.from_beginning {
        Offset::Beginning
    } else {
        Offset::End
    };
    let mut assignment = TopicPartitionList::new();
    for partition in 0..partitions as i32 {
        assignment.add_partition_offset(&args.topic, partition, start)?;
    }
    consumer.assign(&assignment)?;
    eprintln!(
        "Reading {} ({partitions} partitions) from {}; Ctrl-C stops",
        args.topic,
        if args.from_beginning {
            "the beginning"
        } else {
            "now on"
        }
    );
    let mut printed = 0;
    while !stop.load(Ordering::Acquire) && args.count.is_none_or(|n| printed < n) {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            continue;
        };
        let message = message?;
        let key = message
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_else(|| "-".to_owned());
        let payload = message
            .payload()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        println!(
            "{}/{}@{} {key} {payload}",
            message.topic(),
            message.partition(),
            message.offset()
        );
        printed += 1;
    }
    Ok(())
}
