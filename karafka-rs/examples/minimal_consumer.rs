//! A minimal karafka app: one consumer group, one topic, one consumer.
//!
//! ```sh
//! cargo run -p karafka-rs --example minimal_consumer -- server
//! # from a second terminal, in the same directory:
//! cargo run -p karafka-rs --example minimal_consumer -- produce users '{"event_name":"user_created"}'
//! ```
//!
//! With no `karafka.toml`, the app runs in development on an embedded broker
//! that the server starts itself; `produce` finds it. `-- --help` lists the
//! other commands (`info`, `routes`, `asyncapi`, ...).

use karafka::{Consumer, Context, Messages};

/// What the `users` topic carries, as JSON.
#[derive(Debug, serde::Deserialize)]
pub struct UserEvent {
    /// What happened, e.g. `user_created`.
    pub event_name: String,
}

/// Logs every user event.
#[derive(Default)]
pub struct UsersConsumer;

impl Consumer for UsersConsumer {
    type Payload = UserEvent;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<UserEvent>,
    ) -> karafka::Result<()> {
        for message in &messages {
            tracing::info!("New [User] event: {:?}", message.payload()?);
        }
        // Success marks the whole batch as consumed; an error retries it.
        Ok(())
    }
}

karafka::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::App::load()?
        .listener(karafka::StdoutListener)
        .run_cli()
        .await
}
