//! A payload the route's deserializer cannot read is an error of that message:
//! reported, retried with backoff, never skipped, and the server keeps going.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::ErrorType;
use karafka::producer::{Producer, Record};
use karafka::routing::Routes;
use karafka::{App, Config, Consumer, Context, Event, Messages};
use karafka_tests::eventually;
use karafka_tests::kafka::committed_offsets;

static SEEN: Mutex<Vec<(i32, i64)>> = Mutex::new(Vec::new());

#[derive(Debug, serde::Deserialize)]
struct User {
    #[allow(dead_code)]
    id: u32,
}

#[derive(Default)]
struct Users;

impl Consumer for Users {
    type Payload = User;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<User>,
    ) -> karafka::Result<()> {
        for message in &messages {
            message.payload()?;
            SEEN.lock()
                .unwrap()
                .push((message.partition(), message.offset()));
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group bad_payload {
        batch_consuming: false,
        topic users { consumer: Users }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_payload_is_reported_and_retried_without_skipping_later_messages() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("users", 2).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let config = Config {
        client_id: "bad_payload".into(),
        brokers: vec![brokers.clone()],
        pause_timeout: 100,
        pause_max_timeout: 400,
        ..Config::default()
    };
    let producer = Producer::new(&config, &brokers).unwrap();
    for (partition, payload) in [
        (0, r#"{"id":1}"#),
        (0, "not json"),
        (0, r#"{"id":3}"#),
        (1, r#"{"id":4}"#),
    ] {
        producer
            .send(&Record::new("users", payload).partition(partition))
            .await
            .unwrap();
    }

    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = events.clone();
    let routes = Routes::collect(&config).unwrap();
    let root = tempfile::tempdir().unwrap();
    let app = App::new(root.path(), config, routes)
        .listener(move |e: &Event| sink.lock().unwrap().push(e.clone()));
    let server = app.spawn().await.unwrap();

    let consume_errors = |events: &[Event]| {
        events
            .iter()
            .filter_map(|e| match e {
                Event::ErrorOccurred(e) if e.error_type == ErrorType::ConsumerConsume => {
                    Some((e.partition, e.offset, e.attempt, e.error.clone()))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let retried = eventually(Duration::from_secs(30), || {
        consume_errors(&events.lock().unwrap()).len() >= 3
    })
    .await;
    let other_partition_done = eventually(Duration::from_secs(30), || {
        SEEN.lock().unwrap().contains(&(1, 0))
    })
    .await;
    server.stop().await.unwrap();

    let errors = consume_errors(&events.lock().unwrap());
    assert!(retried, "the bad message is retried: {errors:?}");
    assert!(other_partition_done, "other partitions keep being consumed");
    for (attempt, (partition, offset, reported_attempt, error)) in errors.iter().enumerate() {
        assert_eq!((*partition, *offset), (Some(0), Some(1)), "{error}");
        assert_eq!(*reported_attempt, Some(attempt as u32 + 1));
        assert!(
            error.contains("cannot deserialize message users/0@1 with Json"),
            "{error}"
        );
    }
    let seen = SEEN.lock().unwrap().clone();
    assert!(
        seen.contains(&(0, 0)),
        "the message before the bad one is consumed"
    );
    assert!(
        !seen.contains(&(0, 2)),
        "the message after the bad one waits; it is not skipped"
    );
    let committed = committed_offsets(&brokers, "bad_payload_bad_payload", "users", 2);
    assert_eq!(
        committed[&0],
        Some(1),
        "the commit stops at the bad message"
    );
    assert_eq!(committed[&1], Some(1));
}
