//! The karafka server embedded in an axum HTTP service: one process, one tokio
//! runtime, one shutdown. `POST /users` sends the posted event to Kafka through
//! a responder; the consumer counts what arrives; `GET /users/count` shows it.
//!
//! ```sh
//! cargo run -p karafka-rs --example axum
//! curl -X POST localhost:3000/users -H 'content-type: application/json' -d '{"event_name":"user_created","id":1}'
//! curl localhost:3000/users/count
//! ```
//!
//! Ctrl-C stops the HTTP server, then the consumers (committing their offsets).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::Json;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use karafka::{Consumer, Context, Messages, Outbox, Respond, Responder};

/// A user event, as JSON.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct UserEvent {
    /// What happened.
    pub event_name: String,
    /// The user.
    pub id: u64,
}

static CONSUMED: AtomicU64 = AtomicU64::new(0);

/// Counts user events.
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
            tracing::info!("consumed {:?}", message.payload()?);
            CONSUMED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group web {
        topic users { consumer: UsersConsumer }
    }
}

/// Sends a user event to `users`.
#[derive(Default, Responder)]
#[responder(topic = "users", payload = UserEvent)]
pub struct UsersResponder;

impl Respond for UsersResponder {
    type Input = UserEvent;

    fn respond(&self, event: &UserEvent, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to("users", event)
    }
}

/// `POST /users`: waits for the broker's acknowledgement and answers where the event went.
async fn create_user(Json(event): Json<UserEvent>) -> Result<String, (StatusCode, String)> {
    let responded = UsersResponder
        .call(&event)
        .await
        .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    let delivered = &responded.deliveries()[0];
    Ok(format!(
        "delivered to {}/{} at offset {}\n",
        delivered.topic, delivered.partition, delivered.offset
    ))
}

/// `GET /users/count`: how many events the consumer has seen.
async fn count() -> String {
    format!("{}\n", CONSUMED.load(Ordering::SeqCst))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::logging::init();
    let app = karafka::App::load()?.listener(karafka::StdoutListener);
    // The server runs on this runtime, next to the HTTP server.
    let consumers = app.spawn().await?;
    let router = Router::new()
        .route("/users", post(create_user))
        .route("/users/count", get(count));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    tracing::info!("HTTP on http://{}", listener.local_addr()?);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    consumers.stop().await?;
    Ok(())
}
