//! The whole path against Tansu, a separate Kafka-compatible broker process.
//! Tansu's watermarks are wrong, so completeness is checked against what was
//! produced and committed offsets against the last offset consumed + 1.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use karafka::config::KafkaValue;
use karafka::routing::Routes;
use karafka::{App, Config};
use karafka_tests::kafka::{committed_offsets, create_topic, produce_sequence};
use karafka_tests::tansu::Tansu;
use karafka_tests::{assert_partition_order, eventually, recording};

karafka::routes! {
    consumer_group flow {
        topic events { consumer: karafka_tests::recording::Recording }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_is_consumed_in_partition_order_and_committed_on_tansu() {
    let tansu = Tansu::start();
    create_topic(tansu.address(), "events", 3).await;
    let placed = produce_sequence(tansu.address(), "events", 3, 300).await;

    let mut config = Config {
        client_id: "tansu_flow".into(),
        brokers: vec![tansu.address().to_owned()],
        ..Config::default()
    };
    config
        .kafka
        .insert("session.timeout.ms".into(), KafkaValue::Integer(6000));
    let routes = Routes::collect(&config).unwrap();
    let root = tempfile::tempdir().unwrap();
    let server = App::new(root.path(), config, routes).spawn().await.unwrap();

    let all = eventually(Duration::from_secs(90), || {
        recording::seen().len() >= placed.len()
    })
    .await;
    server.stop().await.unwrap();
    let seen = recording::seen();
    assert!(all, "consumed {} of {} messages", seen.len(), placed.len());

    assert_partition_order(&seen);
    let expected: BTreeSet<(i32, i64)> = placed.iter().copied().collect();
    let consumed: BTreeSet<(i32, i64)> = seen.iter().copied().collect();
    assert_eq!(consumed, expected, "every produced message is consumed");

    let mut last_seen: BTreeMap<i32, i64> = BTreeMap::new();
    for (partition, offset) in seen {
        last_seen.insert(partition, offset);
    }
    let committed = committed_offsets(tansu.address(), "tansu_flow_flow", "events", 3);
    for (partition, last) in last_seen {
        assert_eq!(
            committed[&partition],
            Some(last + 1),
            "partition {partition} committed after its last message"
        );
    }
}
