//! Responders: typed producers that declare the topics they write to. One
//! respond call here writes a JSON event to `users` and, for deletions, a text
//! line to `audit`; consumers of both topics print what arrives.
//!
//! ```sh
//! cargo run -p karafka-rs --example responders
//! ```
//!
//! A responder's usage is checked before anything is sent: writing to a topic
//! it did not declare, leaving out a required one, or writing twice to a topic
//! without `multiple_usage` is an error naming the responder and the topic.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use karafka::{Consumer, Context, Messages, Outbox, Respond, RespondOptions, Responder};

/// A user event, as JSON.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct UserEvent {
    /// What happened: `user_created`, `user_deleted`, ...
    pub event_name: String,
    /// The user.
    pub id: u64,
}

/// Writes every event to `users` (keyed by user id) and deletions to `audit` too.
#[derive(Default, Responder)]
#[responder(topic = "users", payload = UserEvent)]
#[responder(topic = "audit", required = false, serializer = karafka::serializers::Utf8, payload = String)]
pub struct UsersResponder;

impl Respond for UsersResponder {
    type Input = UserEvent;

    fn respond(&self, event: &UserEvent, out: &mut Outbox) -> karafka::Result<()> {
        let options = RespondOptions::new()
            .key(event.id.to_string())
            .header("event_name", event.event_name.as_str());
        out.respond_to_with("users", event, options)?;
        if event.event_name == "user_deleted" {
            out.respond_to("audit", &format!("user {} deleted", event.id))?;
        }
        Ok(())
    }
}

static RECEIVED: AtomicUsize = AtomicUsize::new(0);

/// Prints user events.
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
            println!(
                "users: {:?} (key {:?})",
                message.payload()?,
                message.key_str()
            );
            RECEIVED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Prints audit lines.
#[derive(Default)]
pub struct AuditConsumer;

impl Consumer for AuditConsumer {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            println!("audit: {}", message.payload()?);
            RECEIVED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
        topic audit { consumer: AuditConsumer, deserializer: karafka::deserializers::Utf8 }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::logging::init();
    let app = karafka::App::load()?;
    let server = app.spawn().await?;
    let created = UserEvent {
        event_name: "user_created".into(),
        id: 1,
    };
    let responded = UsersResponder.call(&created).await?;
    println!("delivered: {:?}", responded.deliveries());
    // Returns at once; delivery failures would become `error.occurred` events.
    UsersResponder.call_async(&UserEvent {
        event_name: "user_deleted".into(),
        id: 1,
    })?;

    let deadline = Instant::now() + Duration::from_secs(60);
    while RECEIVED.load(Ordering::SeqCst) < 3 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the three messages did not arrive within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await?;
    Ok(())
}
