//! `produce` and `respond`: one message (or one responder call) from the
//! command line, or one per line of stdin.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use anyhow::anyhow;
use futures::stream::{FuturesOrdered, StreamExt};

use crate::app::App;
use crate::error::{Error, Result};
use crate::producer::{Delivery, Producer, Record};
use crate::responders::{deliver, registry};

/// Most messages of a stdin run awaiting their acknowledgement at once.
const STDIN_WINDOW: usize = 5_000;

/// Options for every message a command sends (they win over a responder's own).
#[derive(Debug, clap::Args)]
pub(super) struct MessageArgs {
    /// Message key
    #[arg(long)]
    key: Option<String>,
    /// Explicit partition
    #[arg(long)]
    partition: Option<i32>,
    /// A header as name=value (repeatable)
    #[arg(long = "header", value_parser = parse_header)]
    headers: Vec<(String, String)>,
}

impl MessageArgs {
    fn headers(&self) -> Vec<(String, Vec<u8>)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into_bytes()))
            .collect()
    }

    fn record(&self, topic: &str, payload: &str) -> Record {
        Record {
            topic: topic.to_owned(),
            payload: Some(payload.as_bytes().to_vec()),
            key: self.key.as_ref().map(|k| k.as_bytes().to_vec()),
            partition: self.partition,
            headers: self.headers(),
        }
    }
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not of the form name=value"))
}

/// `produce`: sends `payload` (or each line of stdin) to `topic` as it is.
pub(super) async fn produce(
    app: &App,
    topic: String,
    payload: String,
    message: MessageArgs,
) -> anyhow::Result<()> {
    let producer = reachable_producer(app, Some(&topic)).await?;
    if payload == "-" {
        let streamed =
            stream_stdin(&producer, |line| Ok(vec![message.record(&topic, line)])).await?;
        println!("{}", streamed.summary(&format!("to topic {topic}")));
        return Ok(());
    }
    let record = message.record(&topic, &payload);
    let delivery = producer.send(&record).await?;
    println!(
        "delivered to {}/{} at offset {}",
        record.topic, delivery.partition, delivery.offset
    );
    Ok(())
}

/// `respond`: runs the registered responder on `input` (or each line of stdin).
pub(super) async fn respond(
    app: &App,
    responder: String,
    input: String,
    message: MessageArgs,
) -> anyhow::Result<()> {
    let entry = registry::find(&responder)?;
    let key = message.key.as_ref().map(|k| k.as_bytes().to_vec());
    let headers = message.headers();
    let respond = |json: &str| {
        let mut response = entry.respond_json(json)?;
        response.override_with(key.as_deref(), message.partition, &headers);
        Ok(response)
    };
    let first_topic = (entry.topics)().first().map(|t| t.name());
    if input == "-" {
        let producer = reachable_producer(app, first_topic).await?;
        let streamed =
            stream_stdin(&producer, |line| respond(line).map(|r| r.into_records())).await?;
        println!("{}", streamed.summary(&format!("through {}", entry.name)));
        return Ok(());
    }
    let response = respond(&input)?;
    let producer = reachable_producer(app, first_topic).await?;
    let responded = deliver(producer, response, Some(app.monitor().clone())).await?;
    for delivery in responded.deliveries() {
        println!(
            "delivered to {}/{} at offset {}",
            delivery.topic, delivery.partition, delivery.offset
        );
    }
    Ok(())
}

/// The app's producer, once a broker answered within `connect_timeout` (the
/// same bound as the other commands), not after the delivery timeout.
async fn reachable_producer(app: &App, topic: Option<&str>) -> anyhow::Result<Producer> {
    let producer = app.producer()?;
    let timeout = Duration::from_millis(app.config().connect_timeout);
    producer
        .reach(&app.bootstrap_servers()?, topic, timeout)
        .await?;
    Ok(producer)
}

/// What a stdin run sent.
#[derive(Debug, Default)]
struct Streamed {
    lines: usize,
    blank: usize,
    delivered: usize,
}

impl Streamed {
    fn summary(&self, destination: &str) -> String {
        let mut text = format!(
            "delivered {} from {} of stdin {destination}",
            count(self.delivered, "message"),
            count(self.lines, "line")
        );
        if self.blank > 0 {
            text.push_str(&format!(" ({} skipped)", count(self.blank, "blank line")));
        }
        text
    }
}

/// `1 message`, `2 messages`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Sends the records `to_records` makes of each line of stdin (blank lines are
/// skipped and counted), keeping up to [`STDIN_WINDOW`] awaiting acknowledgement.
/// Stops at the first line that fails, naming it, after the messages already
/// sent are settled.
async fn stream_stdin(
    producer: &Producer,
    mut to_records: impl FnMut(&str) -> Result<Vec<Record>>,
) -> anyhow::Result<Streamed> {
    let (lines_tx, mut lines) = tokio::sync::mpsc::channel(1024);
    std::thread::Builder::new()
        .name("karafka-stdin".into())
        .spawn(move || {
            for line in std::io::stdin().lock().lines() {
                if lines_tx.blocking_send(line).is_err() {
                    break;
                }
            }
        })?;
    let progress = Progress::start();
    let mut streamed = Streamed::default();
    let mut in_flight = FuturesOrdered::new();
    let mut failure: Option<(usize, String)> = None;
    'lines: while let Some(line) = lines.recv().await {
        streamed.lines += 1;
        let number = streamed.lines;
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                failure = Some((number, format!("cannot read it: {error}")));
                break;
            }
        };
        if line.trim().is_empty() {
            streamed.blank += 1;
            continue;
        }
        let records = match to_records(&line) {
            Ok(records) => records,
            Err(error) => {
                failure = Some((number, error.to_string()));
                break;
            }
        };
        for record in &records {
            match producer.enqueue(record).await {
                Ok(pending) => {
                    in_flight.push_back(async move { (number, pending.delivered().await) })
                }
                Err(error) => {
                    failure = Some((number, error.to_string()));
                    break 'lines;
                }
            }
        }
        while in_flight.len() >= STDIN_WINDOW {
            if let Some((number, error)) = settle(&mut in_flight, &mut streamed, &progress).await {
                failure = Some((number, error.to_string()));
                break 'lines;
            }
        }
    }
    drop(lines);
    while !in_flight.is_empty() {
        if let Some((number, error)) = settle(&mut in_flight, &mut streamed, &progress).await {
            failure.get_or_insert((number, error.to_string()));
        }
    }
    progress.finish();
    match failure {
        None => Ok(streamed),
        Some((number, error)) => Err(anyhow!(
            "line {number} of stdin: {error}; stopped there after delivering {}",
            count(streamed.delivered, "message")
        )),
    }
}

/// Waits for the oldest message in flight: counts it if delivered, or returns its
/// line number and error.
async fn settle<F>(
    in_flight: &mut FuturesOrdered<F>,
    streamed: &mut Streamed,
    progress: &Progress,
) -> Option<(usize, Error)>
where
    F: std::future::Future<Output = (usize, Result<Delivery>)>,
{
    let (number, outcome) = in_flight.next().await?;
    match outcome {
        Ok(_) => {
            streamed.delivered += 1;
            progress.inc();
            None
        }
        Err(error) => Some((number, error)),
    }
}

/// A progress bar on stderr, only when stderr is a terminal.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn start() -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} {pos} messages delivered ({per_sec})",
        ) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        Progress(Some(bar))
    }

    fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
