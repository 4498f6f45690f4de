//! A karafka app with declared topics, for the CLI's `topics`, `info`,
//! `routes`, `broker`, `consume` and `server` filter tests: each consumer logs
//! `<topic> got <payload>` for every message.

use karafka::{Consumer, Context, Messages};

/// Logs every message it gets, naming the topic.
#[derive(Default)]
struct LoggingConsumer;

impl Consumer for LoggingConsumer {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        for message in &messages {
            tracing::info!("{} got {}", message.topic(), message.payload()?);
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group catalog {
        topic products {
            consumer: LoggingConsumer,
            backend: inline,
            config: { partitions: 3, "retention.ms": 3600000 },
        }
        topic prices {
            consumer: LoggingConsumer,
            backend: worker_pool,
            dead_letter_queue: { topic: "prices_dlq", max_retries: 2 },
            throttle: { limit: 500, interval: 1000 },
            config: { partitions: 3 },
        }
    }
    consumer_group audit {
        backend: inline,
        topic audit_log { consumer: LoggingConsumer }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::App::load()?
        .listener(karafka::StdoutListener)
        .run_cli()
        .await
}
