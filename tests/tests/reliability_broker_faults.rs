//! Reliability: broker faults on the embedded mock cluster — the broker down
//! then up, request errors on OffsetCommit, Fetch and Produce, high round-trip
//! times. The server recovers by itself, reports the errors, loses nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::ErrorType;
use karafka::producer::{Producer, Record};
use karafka::Event;
use karafka_tests::kafka::committed_offsets;
use karafka_tests::recording::{seen, Recording};
use karafka_tests::reliability::{tally, Summary};
use karafka_tests::{app_on, eventually, EventLog};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

const PARTITIONS: i32 = 3;
const PER_PHASE: usize = 300;
const BROKER: i32 = 1;

karafka::routes! {
    consumer_group faults {
        topic events { consumer: Recording }
    }
}

/// Sends `PER_PHASE` messages (all in flight at once); returns where they went.
async fn produce(producer: &Producer, phase: usize) -> Vec<(i32, i64)> {
    let sends: Vec<_> = (0..PER_PHASE)
        .map(|i| {
            let producer = producer.clone();
            let record = Record::new("events", format!("{{\"phase\":{phase},\"i\":{i}}}"))
                .key(format!("key-{phase}-{i}"))
                .partition(i as i32 % PARTITIONS);
            tokio::spawn(async move { producer.send(&record).await })
        })
        .collect();
    let mut placed = Vec::new();
    for send in sends {
        let delivery = send
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("phase {phase}: a message was not delivered: {e}"));
        placed.push((delivery.partition, delivery.offset));
    }
    placed
}

/// Waits until everything in `placed` has been consumed.
async fn consumed(placed: &BTreeSet<(i32, i64)>, what: &str) {
    let done = eventually(Duration::from_secs(120), || {
        let seen: BTreeSet<(i32, i64)> = seen().into_iter().collect();
        placed.is_subset(&seen)
    })
    .await;
    let seen: BTreeSet<(i32, i64)> = seen().into_iter().collect();
    assert!(
        done,
        "after {what}: {} of {} consumed",
        placed.intersection(&seen).count(),
        placed.len()
    );
}

fn errors_by_type(events: &EventLog) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for error_type in events.matching(|e| match e {
        Event::ErrorOccurred(e) => Some(e.error_type.name()),
        _ => None,
    }) {
        *counts.entry(error_type).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_down_request_errors_and_slow_round_trips_lose_nothing_and_are_reported() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("events", PARTITIONS).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let mock = broker.mock();
    let events = EventLog::default();
    let app = app_on(&brokers, "faults", |config| {
        config.pause_timeout = 100;
        config.pause_max_timeout = 1000;
        for (key, value) in [
            ("auto.commit.interval.ms", 200),
            ("reconnect.backoff.max.ms", 500),
        ] {
            config
                .kafka
                .insert(key.into(), karafka::config::KafkaValue::Integer(value));
        }
    })
    .listener(events.listener());
    let producer = Producer::new(app.config(), &brokers).unwrap();
    let server = app.spawn().await.unwrap();
    let mut placed: BTreeSet<(i32, i64)> = BTreeSet::new();
    let mut faults = 0;

    placed.extend(produce(&producer, 0).await);
    consumed(&placed, "the baseline").await;

    // The broker goes away for 3 s while messages are being sent.
    mock.broker_down(BROKER).unwrap();
    faults += 1;
    let sending = tokio::spawn({
        let producer = producer.clone();
        async move { produce(&producer, 1).await }
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    mock.broker_up(BROKER).unwrap();
    placed.extend(sending.await.unwrap());
    consumed(&placed, "the broker came back").await;
    let client_errors = eventually(Duration::from_secs(30), || {
        errors_by_type(&events).contains_key("connection.client.error")
    })
    .await;
    assert!(
        client_errors,
        "the lost connection is reported: {:?}",
        errors_by_type(&events)
    );

    // OffsetCommit requests fail: some retriable, some not.
    let commit_errors = [
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
    ];
    mock.request_errors(RDKafkaApiKey::OffsetCommit, &commit_errors);
    faults += commit_errors.len();
    placed.extend(produce(&producer, 2).await);
    consumed(&placed, "OffsetCommit errors").await;
    let commit_reported = eventually(Duration::from_secs(30), || {
        errors_by_type(&events).contains_key("connection.client.commit.error")
    })
    .await;
    assert!(
        commit_reported,
        "failed interval commits are reported: {:?}",
        errors_by_type(&events)
    );

    // Fetch requests fail, one of them by dropping the connection.
    let fetch_errors = [
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR__TRANSPORT,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
    ];
    mock.request_errors(RDKafkaApiKey::Fetch, &fetch_errors);
    faults += fetch_errors.len();
    placed.extend(produce(&producer, 3).await);
    consumed(&placed, "Fetch errors").await;

    // Produce requests fail (retriable): the producer retries, nothing is lost or doubled.
    let produce_errors = [
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RDKafkaRespErr::RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
    ];
    mock.request_errors(RDKafkaApiKey::Produce, &produce_errors);
    faults += produce_errors.len();
    placed.extend(produce(&producer, 4).await);
    consumed(&placed, "Produce errors").await;

    // Every request takes 800 ms for a while.
    mock.broker_round_trip_time(BROKER, Duration::from_millis(800))
        .unwrap();
    faults += 1;
    placed.extend(produce(&producer, 5).await);
    consumed(&placed, "high round-trip times").await;
    mock.broker_round_trip_time(BROKER, Duration::ZERO).unwrap();

    // The interval commit catches up with everything consumed.
    let mut ends: BTreeMap<i32, Option<i64>> = BTreeMap::new();
    for &(partition, offset) in &placed {
        let end = ends.entry(partition).or_insert(None);
        *end = Some(end.map_or(offset + 1, |e: i64| e.max(offset + 1)));
    }
    let committed = eventually(Duration::from_secs(30), || {
        committed_offsets(&brokers, "faults_faults", "events", PARTITIONS) == ends
    })
    .await;
    server.stop().await.unwrap();

    let processed = seen();
    let (lost, duplicates) = tally(&placed, &processed);
    let errors = errors_by_type(&events);
    let mut summary = Summary::new("broker_faults", placed.len(), faults, lost, duplicates);
    for (error_type, count) in &errors {
        summary = summary.with(error_type, count);
    }
    summary.print();
    assert_eq!(lost, 0, "every message is consumed");
    assert_eq!(
        placed.len(),
        6 * PER_PHASE,
        "the producer wrote every message once"
    );
    assert!(
        committed,
        "committed offsets reach the ends {ends:?}: {:?}",
        committed_offsets(&brokers, "faults_faults", "events", PARTITIONS)
    );
    assert!(
        !errors.contains_key(ErrorType::ConsumerConsume.name()),
        "no batch failed: {errors:?}"
    );
    assert!(
        !errors.contains_key(ErrorType::ConnectionClientPoll.name()),
        "each client error is reported once (as connection.client.error), not again by poll: {errors:?}"
    );
}
