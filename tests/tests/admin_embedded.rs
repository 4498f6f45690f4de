//! `karafka::admin` on the embedded development broker (librdkafka's mock
//! cluster), which has OffsetFetch, OffsetCommit and ListOffsets but no
//! ListGroups, DescribeGroups, DeleteGroups or config APIs: lag and reading
//! messages work; listing groups and changing them fail with a clear error.

use std::time::Duration;

use karafka::admin::messages::{self, Start};
use karafka::admin::{Admin, SeekTarget};
use karafka::embedded::EmbeddedBroker;
use karafka::routing::Routes;
use karafka::{App, Config};
use karafka_tests::kafka::produce_sequence;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};

karafka::routes! {
    consumer_group audit {
        topic audit { consumer: karafka_tests::recording::Recording }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lag_and_messages_work_and_group_changes_fail_clearly_on_the_embedded_broker() {
    let broker = EmbeddedBroker::start().unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    broker.create_topic("audit", 2).unwrap();
    produce_sequence(&brokers, "audit", 2, 8).await;
    let config = Config {
        client_id: "admin_embedded".into(),
        brokers: vec![brokers.clone()],
        connect_timeout: 3_000,
        ..Config::default()
    };
    let routes = Routes::collect(&config).unwrap();
    let app = App::new(std::env::temp_dir(), config, routes);
    let admin = Admin::new(&app).unwrap();
    let group = "admin_embedded_audit";

    // A group that only committed (never joined), as a stopped server leaves it.
    let committer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset("audit", 0, Offset::Offset(3))
        .unwrap();
    committer.commit(&offsets, CommitMode::Sync).unwrap();

    let lag = admin.group_lag(group).await.unwrap();
    let rows: Vec<(i32, Option<i64>, i64, Option<i64>)> = lag
        .iter()
        .map(|p| (p.partition, p.committed, p.end, p.lag))
        .collect();
    assert_eq!(
        rows,
        [(0, Some(3), 4, Some(1)), (1, None, 4, None)],
        "the routed topic's partitions, committed or not"
    );

    let read = messages::read(&admin, "audit", 1, Start::Offset(1), 10)
        .await
        .unwrap();
    let offsets: Vec<i64> = read.iter().map(|m| m.offset).collect();
    assert_eq!(offsets, [1, 2, 3], "read to the partition's end");
    assert_eq!(read[0].payload_text().as_deref(), Some("{\"seq\":3}"));

    let started = std::time::Instant::now();
    let error = admin.groups().await.unwrap_err().to_string();
    assert!(error.contains("ListGroups"), "{error}");
    let error = admin
        .seek_group(group, SeekTarget::Earliest, None, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("describing group"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "fails within the connect timeout"
    );
}
