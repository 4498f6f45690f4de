//! `karafka::admin` against Tansu, which has every API it uses (ListGroups,
//! DescribeGroups, DeleteGroups, OffsetCommit/Fetch, ListOffsets,
//! DescribeConfigs, IncrementalAlterConfigs): a running server's group is
//! listed and described with its assignment, changing it is refused; once
//! stopped its lag is 0 and it can be seeked, copied, renamed and deleted;
//! messages are read at an offset and a time; topic settings read and altered.

use std::collections::BTreeMap;
use std::time::Duration;

use karafka::admin::messages::{self, Start};
use karafka::admin::{Admin, SeekTarget};
use karafka::config::KafkaValue;
use karafka::routing::Routes;
use karafka::{App, Config, Error};
use karafka_tests::kafka::create_topic;
use karafka_tests::tansu::Tansu;
use karafka_tests::{eventually, recording};

karafka::routes! {
    consumer_group ledger {
        topic ledger { consumer: karafka_tests::recording::Recording }
    }
}

const GROUP: &str = "admin_tansu_ledger";

fn app(brokers: &str, root: &std::path::Path) -> App {
    let mut config = Config {
        client_id: "admin_tansu".into(),
        brokers: vec![brokers.to_owned()],
        ..Config::default()
    };
    config
        .kafka
        .insert("session.timeout.ms".into(), KafkaValue::Integer(6000));
    let routes = Routes::collect(&config).unwrap();
    App::new(root, config, routes)
}

/// Produces `count` messages round-robin over `partitions`, one produce request
/// each (Tansu's end offsets count a batch of several messages as one).
async fn produce_one_by_one(brokers: &str, topic: &str, partitions: i32, count: usize) {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("producer");
    for i in 0..count {
        let payload = format!("{{\"seq\":{i}}}");
        let key = format!("key-{i}");
        let record = FutureRecord::to(topic)
            .payload(&payload)
            .key(&key)
            .partition(i as i32 % partitions);
        producer
            .send(record, Duration::from_secs(10))
            .await
            .unwrap_or_else(|(e, _)| panic!("delivering message {i}: {e}"));
    }
}

/// Committed offset per partition of `ledger`.
fn committed(lag: &[karafka::admin::PartitionLag]) -> BTreeMap<i32, Option<i64>> {
    lag.iter()
        .filter(|p| p.topic == "ledger")
        .map(|p| (p.partition, p.committed))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_described_guarded_while_active_then_seeked_copied_renamed_and_deleted() {
    let tansu = Tansu::start();
    create_topic(tansu.address(), "ledger", 2).await;
    produce_one_by_one(tansu.address(), "ledger", 2, 10).await;
    let root = tempfile::tempdir().unwrap();
    let app = app(tansu.address(), root.path());
    let admin = Admin::new(&app).unwrap();

    let server = app.spawn().await.unwrap();
    let consumed = eventually(Duration::from_secs(60), || recording::seen().len() >= 10).await;
    assert!(consumed, "consumed {:?}", recording::seen());

    // Tansu records a group's state a moment (about 2 s) after it changes.
    let mut listed = Vec::new();
    for _ in 0..40 {
        listed = admin.groups().await.unwrap();
        if listed.iter().any(|g| g.name == GROUP && g.members == 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let summary = listed
        .iter()
        .find(|g| g.name == GROUP)
        .unwrap_or_else(|| panic!("listed: {listed:?}"));
    assert_eq!((summary.state.as_str(), summary.members), ("Stable", 1));
    let described = admin.describe_group(GROUP).await.unwrap();
    assert_eq!(described.members.len(), 1, "{described:?}");
    // Tansu leaves a member's client id, host and assignment empty.
    let assigned = &described.members[0].assignment;
    assert!(
        assigned.is_empty() || assigned["ledger"] == [0, 1],
        "{described:?}"
    );
    let refused = admin
        .seek_group(GROUP, SeekTarget::Earliest, None, None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::GroupActive { .. }),
        "seek is refused while the server runs: {refused}"
    );
    assert!(refused.to_string().contains("stop its consumers first"));
    assert!(matches!(
        admin.delete_group(GROUP).await.unwrap_err(),
        Error::GroupActive { .. }
    ));
    server.stop().await.unwrap();

    let lag = admin.group_lag(GROUP).await.unwrap();
    assert_eq!(
        committed(&lag),
        BTreeMap::from([(0, Some(5)), (1, Some(5))]),
        "{lag:?}"
    );
    assert!(lag.iter().all(|p| p.lag == Some(0)), "{lag:?}");

    let changes = admin
        .seek_group(GROUP, SeekTarget::Earliest, None, None)
        .await
        .unwrap();
    assert_eq!(changes.len(), 2);
    assert!(
        changes.iter().all(|c| c.from == Some(5) && c.to == 0),
        "{changes:?}"
    );
    admin
        .seek_group(GROUP, SeekTarget::Offset(3), Some("ledger"), Some(1))
        .await
        .unwrap();
    let lag = admin.group_lag(GROUP).await.unwrap();
    assert_eq!(
        committed(&lag),
        BTreeMap::from([(0, Some(0)), (1, Some(3))])
    );
    let beyond = admin
        .seek_group(GROUP, SeekTarget::Offset(99), Some("ledger"), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        beyond.contains("outside ledger/0's range 0..=5"),
        "{beyond}"
    );
    let future = admin
        .seek_group(GROUP, SeekTarget::Time(i64::MAX / 2), None, None)
        .await
        .unwrap();
    assert!(
        future.iter().all(|c| c.to == 5),
        "a time after the last message is the end: {future:?}"
    );

    let copied = admin.copy_group(GROUP, "admin_tansu_copy").await.unwrap();
    assert_eq!(copied.len(), 2);
    let copy_lag = admin.group_lag("admin_tansu_copy").await.unwrap();
    assert_eq!(
        committed(&copy_lag),
        BTreeMap::from([(0, Some(5)), (1, Some(5))])
    );
    admin
        .rename_group("admin_tansu_copy", "admin_tansu_renamed")
        .await
        .unwrap();
    let names: Vec<String> = admin
        .groups()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert!(
        names.contains(&"admin_tansu_renamed".to_owned()),
        "{names:?}"
    );
    assert!(!names.contains(&"admin_tansu_copy".to_owned()), "{names:?}");
    admin.delete_group("admin_tansu_renamed").await.unwrap();
    let names: Vec<String> = admin
        .groups()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert!(
        !names.contains(&"admin_tansu_renamed".to_owned()),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_read_at_an_offset_or_a_time_and_topic_settings_are_altered() {
    let tansu = Tansu::start();
    create_topic(tansu.address(), "journal", 1).await;
    produce_one_by_one(tansu.address(), "journal", 1, 6).await;
    let root = tempfile::tempdir().unwrap();
    let app = app(tansu.address(), root.path());
    let admin = Admin::new(&app).unwrap();

    let read = messages::read(&admin, "journal", 0, Start::Offset(2), 3)
        .await
        .unwrap();
    let offsets: Vec<i64> = read.iter().map(|m| m.offset).collect();
    assert_eq!(offsets, [2, 3, 4]);
    assert_eq!(read[0].payload_text().as_deref(), Some("{\"seq\":2}"));
    assert_eq!(read[0].key_text().as_deref(), Some("key-2"));
    let to_the_end = messages::read(&admin, "journal", 0, Start::Earliest, 100)
        .await
        .unwrap();
    assert_eq!(to_the_end.len(), 6, "stops at the end: {to_the_end:?}");
    let at = read[1].timestamp.expect("a produce timestamp");
    let from_time = messages::read(&admin, "journal", 0, Start::Time(at), 1)
        .await
        .unwrap();
    // Tansu answers a time with the message before it; no message at or after it is skipped.
    assert!(from_time[0].offset <= 3, "{from_time:?}");
    let future = messages::read(&admin, "journal", 0, Start::Time(i64::MAX / 2), 1)
        .await
        .unwrap();
    assert!(
        future.is_empty(),
        "nothing is at or after a future time: {future:?}"
    );
    let missing = messages::read(&admin, "journal", 4, Start::Earliest, 1)
        .await
        .unwrap_err();
    assert!(
        missing.to_string().contains("has no partition 4"),
        "{missing}"
    );

    admin
        .alter_topic_settings("journal", &[("retention.ms".into(), "7200000".into())])
        .await
        .unwrap();
    let settings = admin.topic_settings("journal").await.unwrap();
    let retention = settings
        .iter()
        .find(|s| s.name == "retention.ms")
        .expect("listed");
    assert_eq!(retention.value.as_deref(), Some("7200000"), "{settings:?}");
}
