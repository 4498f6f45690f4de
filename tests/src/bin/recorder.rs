//! A karafka app for crash and shutdown tests: it records every message it
//! consumes from `events` as a line `pid partition offset` in `$RECORD_FILE`,
//! taking `$RECORD_DELAY_MS` per batch so that signals land mid-stream. It logs
//! with the StdoutListener and shows its status in its process title. Its
//! `EventsResponder` writes JSON to `events`, for the CLI's `respond` tests.

use std::io::Write;
use std::time::Duration;

use karafka::{Consumer, Context, Messages, Outbox, Respond, RespondOptions, Responder};

/// Appends what it consumes to the record file.
#[derive(Default)]
struct RecordingConsumer;

impl Consumer for RecordingConsumer {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let delay: u64 = std::env::var("RECORD_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let path = std::env::var("RECORD_FILE").map_err(|_| "RECORD_FILE is not set")?;
        let mut lines = String::new();
        for message in &messages {
            message.payload()?;
            lines.push_str(&format!(
                "{} {} {}\n",
                std::process::id(),
                message.partition(),
                message.offset()
            ));
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        file.write_all(lines.as_bytes())?;
        Ok(())
    }
}

/// Writes its JSON input to `events`, naming itself in a header.
#[derive(Default, Responder)]
#[responder(topic = "events")]
struct EventsResponder;

impl Respond for EventsResponder {
    type Input = serde_json::Value;

    fn respond(&self, event: &serde_json::Value, out: &mut Outbox) -> karafka::Result<()> {
        let options = RespondOptions::new().header("responder", "EventsResponder");
        out.respond_to_with("events", event, options)
    }
}

karafka::routes! {
    consumer_group recorder {
        topic events { consumer: RecordingConsumer }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::App::load()?
        .listener(karafka::StdoutListener)
        .listener(karafka::ProctitleListener::new())
        .run_cli()
        .await
}
