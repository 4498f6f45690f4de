//! Responders and the shared producer against Tansu, a separate broker process:
//! what they send arrives as sent, a broker that went away fails deliveries
//! within `delivery_timeout`, and a graceful stop delivers every pending message.
//! Tansu's watermarks are wrong, so counts come from reading the messages back.

mod responders_support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use karafka::config::KafkaValue;
use karafka::{Config, Error, Producer};
use karafka_tests::kafka::{create_topic, read_messages};
use karafka_tests::tansu::Tansu;
use responders_support::*;

const PARTITIONS: i32 = 3;

async fn tansu() -> Tansu {
    let tansu = Tansu::start();
    for topic in TOPICS {
        create_topic(tansu.address(), topic, PARTITIONS).await;
    }
    tansu
}

fn config(client_id: &str) -> Config {
    let mut config = Config {
        client_id: client_id.into(),
        ..Config::default()
    };
    config
        .kafka
        .insert("session.timeout.ms".into(), KafkaValue::Integer(6000));
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responder_keys_partitions_and_headers_round_trip_into_consumers_on_tansu() {
    let _serial = SERIAL.lock().await;
    reset();
    let tansu = tansu().await;
    round_trip(config("tansu_round_trip"), tansu.address(), PARTITIONS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_fails_naming_the_topic_within_the_timeout_once_tansu_is_gone() {
    let _serial = SERIAL.lock().await;
    let tansu = tansu().await;
    let config = Config {
        delivery_timeout: 2000,
        ..config("tansu_gone")
    };
    let producer = Producer::new(&config, tansu.address()).unwrap();
    let signup = Signup {
        id: 1,
        name: "ada".into(),
        partition: 1,
        audit: false,
    };
    let first = producer.respond(&SignupResponder, &signup).await.unwrap();
    assert_eq!(first.deliveries()[0].partition, 1);

    drop(tansu); // kills the broker process
    let started = Instant::now();
    let error = producer
        .respond(&SignupResponder, &signup)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("delivery after Tansu died failed after {elapsed:?}: {error}");
    assert!(matches!(error, Error::Delivery { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("cannot deliver to topic `signups` within delivery_timeout (2000 ms)"),
        "{error}"
    );
    assert!(elapsed >= Duration::from_millis(1900), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_delivers_every_pending_message_on_tansu() {
    let _serial = SERIAL.lock().await;
    reset();
    let tansu = tansu().await;
    let pending = shutdown_flushes(config("tansu_flush"), tansu.address(), 500).await;
    eprintln!("{pending} messages were pending when the stop began");
    assert!(pending > 0, "the test needs messages still queued at stop");
    let read = read_messages(
        tansu.address(),
        "flushed",
        PARTITIONS,
        500,
        Duration::from_secs(30),
    );
    let numbers: BTreeSet<u32> = read
        .iter()
        .map(|m| serde_json::from_slice(m.payload.as_deref().unwrap()).unwrap())
        .collect();
    assert_eq!(read.len(), 500, "every message delivered exactly once");
    assert_eq!(numbers, (0..500).collect::<BTreeSet<u32>>());
}
