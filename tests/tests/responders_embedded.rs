//! Responders and the shared producer on the embedded broker (in-process): what
//! they send arrives as sent, misuse sends nothing, a dead broker fails within
//! `delivery_timeout`, and a graceful stop delivers or reports every pending message.

mod responders_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use karafka::embedded::EmbeddedBroker;
use karafka::{Config, Error, Event, Producer};
use karafka_tests::kafka::read_messages;
use karafka_tests::{eventually, free_port};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use responders_support::*;

const PARTITIONS: i32 = 3;

fn broker() -> EmbeddedBroker {
    let broker = EmbeddedBroker::start().unwrap();
    for topic in TOPICS {
        broker.create_topic(topic, PARTITIONS).unwrap();
    }
    broker
}

fn config(client_id: &str) -> Config {
    Config {
        client_id: client_id.into(),
        ..Config::default()
    }
}

fn signup(id: u32) -> Signup {
    Signup {
        id,
        name: format!("user-{id}"),
        partition: 0,
        audit: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responder_keys_partitions_and_headers_round_trip_into_consumers() {
    let _serial = SERIAL.lock().await;
    reset();
    let broker = broker();
    round_trip(config("round_trip"), broker.bootstrap_servers(), PARTITIONS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misused_responder_names_responder_and_topic_and_sends_nothing() {
    let _serial = SERIAL.lock().await;
    reset();
    let broker = broker();
    let root = tempfile::tempdir().unwrap();
    let server = app(root.path(), config("misuse"), broker.bootstrap_servers())
        .spawn()
        .await
        .unwrap();
    let input = |marker: &str, topics: &[&str]| {
        (
            marker.to_owned(),
            topics.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
        )
    };

    let undeclared = StrictResponder
        .call(&input("bad-undeclared", &["signups", "payments"]))
        .await
        .unwrap_err();
    let missing = StrictResponder
        .call(&input("bad-missing", &["audit"]))
        .await
        .unwrap_err();
    let repeated = StrictResponder
        .call_async(&input("bad-repeated", &["signups", "signups"]))
        .unwrap_err();
    for (error, topic, reason) in [
        (&undeclared, "payments", "is not declared by this responder"),
        (&missing, "signups", "is required but was not responded to"),
        (&repeated, "signups", "was responded to more than once"),
    ] {
        assert!(matches!(error, Error::ResponderUsage { .. }), "{error:?}");
        let text = error.to_string();
        assert!(text.contains("responder `StrictResponder`"), "{text}");
        assert!(
            text.contains(&format!("topic `{topic}` {reason}")),
            "{text}"
        );
        assert!(text.contains("nothing was sent"), "{text}");
    }
    // A valid call after the bad ones: once it arrives, anything sent before would have too.
    StrictResponder
        .call(&input("good", &["signups", "audit"]))
        .await
        .unwrap();
    let arrived = eventually(Duration::from_secs(30), || {
        SEEN.lock()
            .unwrap()
            .iter()
            .filter(|s| s.payload == br#""good""#)
            .count()
            == 2
    })
    .await;
    server.stop().await.unwrap();
    assert!(arrived, "{:?}", SEEN.lock().unwrap());
    let seen = SEEN.lock().unwrap();
    assert!(
        seen.iter().all(|s| s.payload == br#""good""#),
        "a misused call sent something: {seen:?}"
    );
    let ends = karafka_tests::kafka::end_offsets(broker.bootstrap_servers(), "signups", PARTITIONS);
    assert_eq!(
        ends.values().sum::<i64>(),
        1,
        "only the valid call reached `signups`"
    );
}

#[tokio::test]
async fn delivery_without_a_broker_fails_naming_the_topic_within_the_timeout() {
    let _serial = SERIAL.lock().await;
    let config = Config {
        delivery_timeout: 1500,
        ..Config::default()
    };
    // Nothing listens on this port.
    let producer = Producer::new(&config, &format!("127.0.0.1:{}", free_port())).unwrap();
    let started = Instant::now();
    let error = producer
        .respond(&SignupResponder, &signup(1))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("delivery without a broker failed after {elapsed:?}: {error}");
    let text = error.to_string();
    assert!(
        text.contains("cannot deliver to topic `signups` within delivery_timeout (1500 ms)"),
        "{text}"
    );
    assert!(matches!(error, Error::Delivery { .. }), "{error:?}");
    // librdkafka fails messages on its timeout scan (every second): not before the
    // timeout, and well within this generous bound.
    assert!(elapsed >= Duration::from_millis(1400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[tokio::test]
async fn call_async_returns_at_once_and_reports_a_failed_delivery_as_an_event() {
    let _serial = SERIAL.lock().await;
    reset();
    let root = tempfile::tempdir().unwrap();
    let config = Config {
        delivery_timeout: 1000,
        ..config("async_failure")
    };
    let app = app(root.path(), config, &format!("127.0.0.1:{}", free_port()));
    app.producer().unwrap();
    let started = Instant::now();
    SignupResponder.call_async(&signup(2)).unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );

    let error = delivery_error_event("signups", Duration::from_secs(20)).await;
    let error = error.expect("an error.occurred event for the failed message");
    assert!(error.starts_with("SignupResponder: "), "{error}");
    assert!(
        error.contains("cannot deliver to topic `signups` within delivery_timeout (1000 ms)"),
        "{error}"
    );
    // One failure per message: the signup and its audit line.
    assert!(delivery_error_event("audit", Duration::from_secs(5))
        .await
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_delivers_every_pending_message() {
    let _serial = SERIAL.lock().await;
    reset();
    let broker = broker();
    let brokers = broker.bootstrap_servers().to_owned();
    let pending = shutdown_flushes(config("flush"), &brokers, 1000).await;
    eprintln!("{pending} messages were pending when the stop began");
    assert!(pending > 0, "the test needs messages still queued at stop");
    let read = read_messages(
        &brokers,
        "flushed",
        PARTITIONS,
        1000,
        Duration::from_secs(30),
    );
    let numbers: BTreeSet<u32> = read
        .iter()
        .map(|m| serde_json::from_slice(m.payload.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(read.len(), 1000, "every message delivered exactly once");
    assert_eq!(numbers, (0..1000).collect::<BTreeSet<u32>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_reports_messages_it_could_not_deliver() {
    let _serial = SERIAL.lock().await;
    reset();
    let broker = broker();
    // Every produce request fails with a retriable error: messages stay pending.
    broker.mock().request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS; 1000],
    );
    let root = tempfile::tempdir().unwrap();
    let config = Config {
        shutdown_timeout: 3000,
        ..config("undelivered")
    };
    let server = app(root.path(), config, broker.bootstrap_servers())
        .spawn()
        .await
        .unwrap();
    for n in 0..10 {
        FlushResponder.call_async(&n).unwrap();
    }
    let started = Instant::now();
    let error = server.stop().await.unwrap_err();
    let elapsed = started.elapsed();
    let text = error.to_string();
    assert!(matches!(error, Error::ShutdownTimeout { .. }), "{error:?}");
    assert!(
        text.contains("the producer (10 messages were not delivered within"),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    let reported = EVENTS.lock().unwrap().iter().any(|e| {
        matches!(e, Event::ErrorOccurred(karafka::instrumentation::ErrorOccurred { error, .. }) if error.starts_with("shutdown: 10 messages were not delivered"))
    });
    assert!(reported, "{:?}", EVENTS.lock().unwrap());
}
