//! `karafka::testing::TestApp`: the routed consumers run through the real
//! executors over in-memory topics — deserializers, retries with backoff, dead
//! letter queues, marks, the worker pool, captured responder output and
//! instrumentation events — with no broker at all.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use karafka::processing::dlq::headers;
use karafka::testing::{Record, TestApp};
use karafka::{Consumer, Context, Event, Messages, Outbox, Respond, RespondOptions, Responder};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
struct Order {
    id: u32,
    item: String,
}

/// Orders that reach a consumer, per consumer, as (partition, offset, id).
static SEEN: Mutex<Vec<(&'static str, i32, i64, u32)>> = Mutex::new(Vec::new());

fn seen(consumer: &str) -> Vec<(i32, i64, u32)> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|s| s.0 == consumer)
        .map(|s| (s.1, s.2, s.3))
        .collect()
}

/// Reads orders (JSON); a payload that is not an order fails the batch.
#[derive(Default)]
struct StrictOrders;

impl Consumer for StrictOrders {
    type Payload = Order;
    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let order = message.payload()?;
            SEEN.lock()
                .unwrap()
                .push(("strict", message.partition(), message.offset(), order.id));
        }
        Ok(())
    }
}

static FLAKY_ATTEMPTS: AtomicU32 = AtomicU32::new(0);

/// Fails its first two attempts, then succeeds.
#[derive(Default)]
struct Flaky;

impl Consumer for Flaky {
    type Payload = Order;
    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        FLAKY_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
        if ctx.attempt() < 3 {
            return Err(format!("the warehouse is closed (attempt {})", ctx.attempt()).into());
        }
        for message in &messages {
            SEEN.lock().unwrap().push((
                "flaky",
                message.partition(),
                message.offset(),
                message.payload()?.id,
            ));
        }
        Ok(())
    }
}

/// Never succeeds with order 13.
#[derive(Default)]
struct Superstitious;

impl Consumer for Superstitious {
    type Payload = Order;
    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let order = message.payload()?;
            if order.id == 13 {
                return Err("not order 13".into());
            }
            ctx.mark_as_consumed(message)?;
            SEEN.lock().unwrap().push((
                "superstitious",
                message.partition(),
                message.offset(),
                order.id,
            ));
        }
        Ok(())
    }
}

/// Confirms each order through `ConfirmationsResponder`, keyed by order id.
#[derive(Default)]
struct Confirming;

impl Consumer for Confirming {
    type Payload = Order;
    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let mut order = message.payload()?.clone();
            if let Some(source) = message.header("source") {
                order.item = format!("{} via {}", order.item, String::from_utf8_lossy(source));
            }
            ctx.respond_with::<ConfirmationsResponder>(&order).await?;
        }
        Ok(())
    }
}

#[derive(Default, Responder)]
#[responder(topic = "confirmations")]
struct ConfirmationsResponder;

impl Respond for ConfirmationsResponder {
    type Input = Order;
    fn respond(&self, order: &Order, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to_with(
            "confirmations",
            order,
            RespondOptions::new()
                .key(order.id.to_string())
                .header("confirmed_by", "Confirming"),
        )
    }
}

/// Records orders on the worker pool.
#[derive(Default)]
struct Pooled;

impl Consumer for Pooled {
    type Payload = Order;
    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        for message in &messages {
            SEEN.lock().unwrap().push((
                "pooled",
                message.partition(),
                message.offset(),
                message.payload()?.id,
            ));
        }
        Ok(())
    }
}

static SHUTDOWNS: AtomicU32 = AtomicU32::new(0);

/// Counts its shutdown hooks.
#[derive(Default)]
struct Tidy;

impl Consumer for Tidy {
    type Payload = Order;
    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        for message in &messages {
            SEEN.lock().unwrap().push((
                "tidy",
                message.partition(),
                message.offset(),
                message.payload()?.id,
            ));
        }
        Ok(())
    }

    async fn shutdown(&mut self, _ctx: &mut Context) -> karafka::Result<()> {
        SHUTDOWNS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Reads orders (JSON) and refuses order 2, on a route whose dead letter queue
/// takes a message at its first failure.
#[derive(Default)]
struct Fragile;

impl Consumer for Fragile {
    type Payload = Order;
    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Order>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let order = message.payload()?;
            if order.id == 2 {
                return Err("order 2 is refused".into());
            }
            SEEN.lock()
                .unwrap()
                .push(("fragile", message.partition(), message.offset(), order.id));
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group shop {
        topic fragile_orders {
            consumer: Fragile,
            dead_letter_queue: { topic: "fragile_orders_dlq", max_retries: 0 },
        }
        topic orders {
            consumer: StrictOrders,
            dead_letter_queue: { topic: "orders_dlq", max_retries: 2 },
        }
        topic flaky_orders { consumer: Flaky }
        topic lucky_orders { consumer: Superstitious }
        topic confirmable_orders { consumer: Confirming }
        topic tidy_orders { consumer: Tidy }
        topic pooled_orders { consumer: Pooled, backend: worker_pool, max_messages: 2 }
    }
}

fn order(id: u32) -> String {
    serde_json::to_string(&Order {
        id,
        item: format!("item-{id}"),
    })
    .unwrap()
}

/// Every event the app emits.
fn recorded(app: TestApp) -> (TestApp, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let app = app.listener(move |event: &Event| sink.lock().unwrap().push(event.clone()));
    (app, events)
}

#[tokio::test]
async fn undeserializable_payload_is_retried_then_dead_lettered_naming_why_and_the_rest_is_consumed(
) {
    let (app, events) = recorded(TestApp::load().unwrap());
    app.create_topic("orders", 1);
    app.produce("orders", order(1)).unwrap();
    app.produce_record(
        Record::new("orders", "not json at all")
            .key("k-2")
            .header("source", "web"),
    )
    .unwrap();
    app.produce("orders", order(3)).unwrap();

    app.consume("orders").await.unwrap();

    // The batch 0..=2 failed at offset 1 with nothing marked, so the retries go
    // one message at a time from offset 0: order 1 is consumed again (at least once).
    assert_eq!(
        seen("strict"),
        vec![(0, 0, 1), (0, 0, 1), (0, 2, 3)],
        "the orders around the bad one are consumed"
    );
    let dead = app.produced_messages("orders_dlq");
    assert_eq!(dead.len(), 1, "one message dead-lettered");
    let message = &dead[0];
    assert_eq!(message.payload(), Some(&b"not json at all"[..]));
    assert_eq!(message.key(), Some(&b"k-2"[..]));
    assert_eq!(
        message.header("source"),
        Some(&b"web"[..]),
        "its own headers are kept"
    );
    assert_eq!(message.header(headers::SOURCE_OFFSET), Some(&b"1"[..]));
    assert_eq!(
        message.header(headers::ATTEMPTS),
        Some(&b"3"[..]),
        "max_retries (2) + 1 attempts"
    );
    let error = String::from_utf8_lossy(message.header(headers::ERROR).unwrap()).into_owned();
    assert!(
        error.contains("cannot deserialize message orders/0@1 with Json"),
        "the reason names the message and the deserializer: {error}"
    );
    assert_eq!(
        app.committed_offset("orders", 0),
        Some(3),
        "stored past the dead letter"
    );

    let events = events.lock().unwrap();
    let errors: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::ErrorOccurred(error) => Some((error.offset, error.attempt)),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        // Each at the message the deserialization error names (the batch's
        // first offset was reported for the first one before).
        vec![(Some(1), Some(1)), (Some(1), Some(2)), (Some(1), Some(3))]
    );
    assert!(
        events.iter().any(
            |e| matches!(e, Event::DeadLetterQueueDispatched(d) if d.offset == 1 && d.attempts == 3)
        ),
        "dead_letter_queue.dispatched is emitted"
    );
}

#[tokio::test]
async fn failing_batch_is_retried_with_exponential_backoff_without_waiting_for_it() {
    let (app, events) = recorded(TestApp::load().unwrap());
    app.create_topic("flaky_orders", 1);
    app.produce("flaky_orders", order(7)).unwrap();
    app.produce("flaky_orders", order(8)).unwrap();

    let started = Instant::now();
    app.consume("flaky_orders").await.unwrap();

    assert!(
        started.elapsed() < Duration::from_millis(900),
        "1 s + 2 s of backoff were followed without waiting: {:?}",
        started.elapsed()
    );
    assert_eq!(FLAKY_ATTEMPTS.load(Ordering::SeqCst), 3);
    assert_eq!(
        seen("flaky"),
        vec![(0, 0, 7), (0, 1, 8)],
        "the batch is consumed once, whole"
    );
    assert_eq!(app.committed_offset("flaky_orders", 0), Some(2));
    let retries: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::ConsumerConsumingRetry(r) => Some((r.offset, r.attempt, r.pause)),
            _ => None,
        })
        .collect();
    assert_eq!(
        retries,
        vec![
            (0, 2, Duration::from_secs(1)),
            (0, 3, Duration::from_secs(2))
        ],
        "the configured pause_timeout, doubled"
    );
}

#[tokio::test]
async fn message_failing_without_a_dead_letter_queue_fails_consume_naming_it_and_keeps_the_marks() {
    let app = TestApp::load().unwrap().max_attempts(4);
    app.create_topic("lucky_orders", 1);
    for id in [11, 12, 13, 14] {
        app.produce("lucky_orders", order(id)).unwrap();
    }

    let error = app.consume("lucky_orders").await.unwrap_err();

    match &error {
        karafka::Error::Unprocessed {
            topic,
            partition,
            offset,
            attempts,
            error,
        } => {
            assert_eq!(
                (topic.as_str(), *partition, *offset, *attempts),
                ("lucky_orders", 0, 2, 4)
            );
            assert!(error.contains("not order 13"), "{error}");
        }
        other => panic!("expected Unprocessed, got {other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("lucky_orders/0@2 still fails after 4 attempts"),
        "{error}"
    );
    // Marked messages were stored and are not consumed again on retries.
    assert_eq!(seen("superstitious"), vec![(0, 0, 11), (0, 1, 12)]);
    assert_eq!(app.committed_offset("lucky_orders", 0), Some(2));
}

#[tokio::test]
async fn responder_output_is_captured_with_keys_and_headers_and_nothing_reaches_kafka() {
    // No brokers are configured and no embedded broker runs: a responder that
    // reached for Kafka would fail the batch.
    let app = TestApp::load().unwrap();
    app.create_topic("confirmable_orders", 2);
    app.produce_record(
        Record::new("confirmable_orders", order(21))
            .partition(1)
            .header("source", "shop"),
    )
    .unwrap();
    app.produce_record(Record::new("confirmable_orders", order(22)).partition(0))
        .unwrap();

    app.consume("confirmable_orders").await.unwrap();

    let mut confirmations: Vec<Order> = app.produced_payloads("confirmations").unwrap();
    confirmations.sort_by_key(|o| o.id);
    assert_eq!(
        confirmations,
        vec![
            Order {
                id: 21,
                item: "item-21 via shop".into()
            },
            Order {
                id: 22,
                item: "item-22".into()
            },
        ]
    );
    for message in app.produced_messages("confirmations") {
        let id: Order = serde_json::from_slice(message.payload().unwrap()).unwrap();
        assert_eq!(message.key(), Some(id.id.to_string().as_bytes()));
        assert_eq!(message.header("confirmed_by"), Some(&b"Confirming"[..]));
    }
    assert_eq!(app.committed_offset("confirmable_orders", 0), Some(1));
    assert_eq!(app.committed_offset("confirmable_orders", 1), Some(1));

    // App code outside consumers responds through the same captured producer.
    let responded = app
        .respond(
            &ConfirmationsResponder,
            &Order {
                id: 99,
                item: "manual".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(responded.deliveries()[0].topic, "confirmations");
    assert_eq!(app.produced_messages("confirmations").len(), 3);
}

#[tokio::test]
async fn responders_called_by_app_code_within_the_app_are_captured() {
    let app = TestApp::load().unwrap();
    let order = Order {
        id: 5,
        item: "book".into(),
    };

    let responded = app
        .within(async { ConfirmationsResponder.call(&order).await })
        .await
        .unwrap();
    app.within(async { ConfirmationsResponder.call_async(&order) })
        .await
        .unwrap();

    assert_eq!(responded.deliveries()[0].offset, 0);
    let confirmations: Vec<Order> = app.produced_payloads("confirmations").unwrap();
    assert_eq!(confirmations, vec![order.clone(), order]);
}

#[tokio::test]
async fn worker_pool_route_consumes_every_partition_in_order_in_batches_of_max_messages() {
    let (app, events) = recorded(TestApp::load().unwrap());
    app.create_topic("pooled_orders", 3);
    for id in 0..12 {
        app.produce_record(
            Record::new("pooled_orders", order(id)).key(format!("customer-{}", id % 4)),
        )
        .unwrap();
    }

    app.consume("pooled_orders").await.unwrap();

    let seen = seen("pooled");
    assert_eq!(seen.len(), 12, "every order once: {seen:?}");
    for partition in 0..3 {
        let offsets: Vec<i64> = seen
            .iter()
            .filter(|s| s.0 == partition)
            .map(|s| s.1)
            .collect();
        assert!(
            offsets.windows(2).all(|w| w[1] == w[0] + 1),
            "partition {partition} in order: {offsets:?}"
        );
        assert_eq!(
            app.committed_offset("pooled_orders", partition),
            Some(offsets.len() as i64)
        );
    }
    let consumed: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::ConsumerConsumed(c) => Some((c.size, c.backend)),
            _ => None,
        })
        .collect();
    assert!(
        consumed
            .iter()
            .all(|(size, backend)| *size <= 2 && *backend == karafka::Backend::WorkerPool),
        "{consumed:?}"
    );
}

#[tokio::test]
async fn consuming_an_unrouted_topic_names_it_and_the_routed_ones() {
    let app = TestApp::load().unwrap();
    let error = app.consume("refunds").await.unwrap_err().to_string();
    assert!(
        error.contains("no active route for topic `refunds`"),
        "{error}"
    );
    assert!(error.contains("orders"), "{error}");
}

#[tokio::test]
async fn produce_to_a_partition_the_topic_lacks_fails_naming_the_topic() {
    let app = TestApp::load().unwrap();
    app.create_topic("orders", 1);
    let error = app
        .produce_record(Record::new("orders", order(1)).partition(5))
        .unwrap_err()
        .to_string();
    assert!(error.contains("orders"), "{error}");
}

#[tokio::test]
async fn shutdown_runs_the_shutdown_hooks_and_a_later_consume_resumes_from_the_stored_offsets() {
    let app = TestApp::load().unwrap();
    app.create_topic("tidy_orders", 2);
    app.produce_record(Record::new("tidy_orders", order(1)).partition(0))
        .unwrap();
    app.produce_record(Record::new("tidy_orders", order(2)).partition(1))
        .unwrap();
    app.consume("tidy_orders").await.unwrap();

    app.shutdown().await.unwrap();
    assert_eq!(
        SHUTDOWNS.load(Ordering::SeqCst),
        2,
        "one hook per partition's consumer"
    );

    app.produce_record(Record::new("tidy_orders", order(3)).partition(0))
        .unwrap();
    app.consume("tidy_orders").await.unwrap();
    let mut seen = seen("tidy");
    seen.sort();
    assert_eq!(
        seen,
        vec![(0, 0, 1), (0, 1, 3), (1, 0, 2)],
        "nothing consumed twice"
    );
}

#[tokio::test]
async fn with_max_retries_zero_one_consume_call_dead_letters_the_bad_message_and_consumes_the_rest()
{
    let app = TestApp::load().unwrap();
    app.create_topic("fragile_orders", 1);
    app.produce("fragile_orders", order(1)).unwrap();
    app.produce("fragile_orders", "not json at all").unwrap();
    app.produce("fragile_orders", order(3)).unwrap();
    app.produce("fragile_orders", order(2)).unwrap();
    app.produce("fragile_orders", order(4)).unwrap();

    app.consume("fragile_orders").await.unwrap();

    let dead = app.produced_messages("fragile_orders_dlq");
    let offsets: Vec<_> = dead
        .iter()
        .map(|m| m.header(headers::SOURCE_OFFSET))
        .collect();
    assert_eq!(
        offsets,
        vec![Some(&b"1"[..]), Some(&b"3"[..])],
        "only the undeserializable and the refused message are dead-lettered"
    );
    for message in &dead {
        assert_eq!(
            message.header(headers::ATTEMPTS),
            Some(&b"1"[..]),
            "after one attempt"
        );
    }
    let ids: Vec<u32> = seen("fragile").iter().map(|s| s.2).collect();
    assert!(
        ids.contains(&3) && ids.contains(&4),
        "the messages after the dead letters are consumed in the same call: {ids:?}"
    );
    assert_eq!(app.committed_offset("fragile_orders", 0), Some(5));
}
