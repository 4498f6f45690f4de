//! The whole path on the embedded broker, in-process: produce over several
//! partitions, run the server, and check consumption and committed offsets.

use std::collections::BTreeSet;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::routing::Routes;
use karafka::{App, Config};
use karafka_tests::kafka::{committed_offsets, end_offsets, produce_sequence};
use karafka_tests::{assert_partition_order, eventually, recording};

karafka::routes! {
    consumer_group flow {
        max_messages: 25,
        topic events { consumer: karafka_tests::recording::Recording }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_is_consumed_in_partition_order_and_committed_to_the_end() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("events", 4).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let placed = produce_sequence(&brokers, "events", 4, 400).await;

    let config = Config {
        client_id: "embedded_flow".into(),
        brokers: vec![brokers.clone()],
        ..Config::default()
    };
    let routes = Routes::collect(&config).unwrap();
    let root = tempfile::tempdir().unwrap();
    let server = App::new(root.path(), config, routes).spawn().await.unwrap();

    let all = eventually(Duration::from_secs(60), || {
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
    assert_eq!(
        seen.len(),
        placed.len(),
        "nothing is consumed twice in one run"
    );

    let committed = committed_offsets(&brokers, "embedded_flow_flow", "events", 4);
    let ends = end_offsets(&brokers, "events", 4);
    for (partition, end) in ends {
        assert_eq!(
            committed[&partition],
            Some(end),
            "partition {partition} committed up to its end"
        );
    }
}
