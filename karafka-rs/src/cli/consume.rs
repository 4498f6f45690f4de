//! `consume <topic>`: prints a topic's messages as they arrive, without a
//! consumer group's commits (a debugging tail); with `--partition`, one
//! partition's messages from an offset or a time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::Message as _;
use rdkafka::{Offset, TopicPartitionList};

use crate::admin::messages::{self, Start};
use crate::admin::Admin;
use crate::app::App;
use crate::client_config::reader_config;
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
    /// Read this partition only, from --offset or --at, up to its end (10 messages unless --count)
    #[arg(
        long,
        value_name = "P",
        requires = "start",
        conflicts_with = "from_beginning"
    )]
    partition: Option<i32>,
    /// With --partition: the first offset to read
    #[arg(long, value_name = "OFFSET", group = "start", requires = "partition")]
    offset: Option<i64>,
    /// With --partition: read from the first message at or after this RFC 3339 time
    #[arg(long, value_name = "TIME", group = "start", requires = "partition", value_parser = parse_time)]
    at: Option<i64>,
}

fn parse_time(text: &str) -> Result<i64, String> {
    crate::admin::time::parse_millis(text)
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 time such as 2026-11-30T10:00:00Z"))
}

/// Prints up to `--count` messages of one partition from `--offset` or `--at`,
/// through [`crate::admin::messages::read`].
async fn read_partition(app: &App, args: &Args, partition: i32) -> anyhow::Result<()> {
    let start = match (args.offset, args.at) {
        (Some(offset), _) => Start::Offset(offset),
        (None, Some(at)) => Start::Time(at),
        (None, None) => Start::Earliest,
    };
    let admin = Admin::new(app)?;
    let count = args.count.unwrap_or(10);
    for message in messages::read(&admin, &args.topic, partition, start, count).await? {
        println!(
            "{}/{}@{} {} {}",
            message.topic,
            message.partition,
            message.offset,
            message.key_text().unwrap_or_else(|| "-".to_owned()),
            message.payload_text().unwrap_or_default()
        );
    }
    Ok(())
}

/// Reads every partition of the topic and prints `topic/partition@offset key payload` lines.
pub(super) async fn run(app: &App, args: Args) -> anyhow::Result<()> {
    if let Some(partition) = args.partition {
        return read_partition(app, &args, partition).await;
    }
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
