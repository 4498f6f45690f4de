//! A worker pool route with a dead letter queue: orders are consumed on a pool
//! of tokio tasks (partitions in parallel, each partition in order); an order
//! that keeps failing is retried with backoff, then written to `orders_dlq` with
//! headers saying where it came from and why, and the partition goes on.
//!
//! ```sh
//! cargo run -p karafka-rs --example worker_pool_dlq
//! ```
//!
//! It starts the server on an embedded broker, sends ten orders (one of them
//! invalid) through a responder, waits until nine are processed and one is
//! dead-lettered, and stops.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use karafka::{Consumer, Context, Messages, Outbox, Respond, Responder};

/// An order, as JSON.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct Order {
    /// The order's id.
    pub id: u32,
    /// Its amount in cents; a negative one cannot be processed.
    pub amount: i64,
}

static PROCESSED: AtomicUsize = AtomicUsize::new(0);
static DEAD_LETTERS: AtomicUsize = AtomicUsize::new(0);

/// Processes orders; a negative amount fails (every retry too).
#[derive(Default)]
pub struct OrdersConsumer;

impl Consumer for OrdersConsumer {
    type Payload = Order;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let order = message.payload()?;
            if order.amount < 0 {
                return Err(format!(
                    "order {} has a negative amount (attempt {})",
                    order.id,
                    ctx.attempt()
                )
                .into());
            }
            // Progress is kept across a later failure of the same batch.
            ctx.mark_as_consumed(message)?;
            PROCESSED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Reads the dead letter queue: the failed order's bytes as they were, plus headers.
#[derive(Default)]
pub struct DeadLettersConsumer;

impl Consumer for DeadLettersConsumer {
    type Payload = Vec<u8>;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Vec<u8>>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let header = |name| {
                String::from_utf8_lossy(message.header(name).unwrap_or_default()).into_owned()
            };
            println!(
                "dead letter: {} from {}/{} at offset {}: {}",
                String::from_utf8_lossy(message.payload()?),
                header("source_topic"),
                header("source_partition"),
                header("source_offset"),
                header("source_error"),
            );
            DEAD_LETTERS.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group orders {
        topic orders {
            consumer: OrdersConsumer,
            backend: worker_pool,
            dead_letter_queue: { topic: "orders_dlq", max_retries: 1 },
        }
        topic orders_dlq { consumer: DeadLettersConsumer, deserializer: karafka::deserializers::Raw }
    }
}

/// Sends orders to `orders`, keyed by id.
#[derive(Default, Responder)]
#[responder(topic = "orders", payload = Order)]
pub struct OrdersResponder;

impl Respond for OrdersResponder {
    type Input = Order;

    fn respond(&self, order: &Order, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to_with(
            "orders",
            order,
            karafka::RespondOptions::new().key(order.id.to_string()),
        )
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::logging::init();
    let app = karafka::App::load()?;
    let server = app.spawn().await?;
    for id in 1..=10 {
        let amount = if id == 7 { -100 } else { i64::from(id) * 250 };
        OrdersResponder.call(&Order { id, amount }).await?;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while PROCESSED.load(Ordering::SeqCst) < 9 || DEAD_LETTERS.load(Ordering::SeqCst) < 1 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the orders were not all handled within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "{} orders processed, {} dead-lettered",
        PROCESSED.load(Ordering::SeqCst),
        DEAD_LETTERS.load(Ordering::SeqCst)
    );
    server.stop().await?;
    Ok(())
}
