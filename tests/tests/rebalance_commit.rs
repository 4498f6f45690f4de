//! When a rebalance takes partitions away, the `revoked` hooks run and the
//! processed offsets are committed before the partitions are released, so the
//! next owner starts exactly after them — even with interval commits far off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use karafka::config::KafkaValue;
use karafka::routing::Routes;
use karafka::{App, Config, Consumer, Context, Event, Messages};
use karafka_tests::eventually;
use karafka_tests::kafka::{committed_offsets, create_topic, produce_sequence};
use karafka_tests::tansu::Tansu;

static CONSUMED: AtomicUsize = AtomicUsize::new(0);
static REVOKED: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
struct Counting;

impl Consumer for Counting {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        CONSUMED.fetch_add(messages.len(), Ordering::SeqCst);
        Ok(())
    }

    async fn revoked(&mut self, _ctx: &mut Context) -> karafka::Result<()> {
        REVOKED.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

karafka::routes! {
    consumer_group churn {
        topic events { consumer: Counting }
    }
}

fn app(brokers: &str, root: &std::path::Path, assigned: Arc<Mutex<usize>>) -> App {
    let mut config = Config {
        client_id: "rebalance".into(),
        brokers: vec![brokers.to_owned()],
        ..Config::default()
    };
    // Only the revocation commit can move the committed offsets during this test.
    config.kafka.insert(
        "auto.commit.interval.ms".into(),
        KafkaValue::Integer(600_000),
    );
    config
        .kafka
        .insert("session.timeout.ms".into(), KafkaValue::Integer(6000));
    let routes = Routes::collect(&config).unwrap();
    App::new(root, config, routes).listener(move |event: &Event| {
        if let Event::PartitionsAssigned(_) = event {
            *assigned.lock().unwrap() += 1;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_partitions_are_committed_before_the_next_owner_takes_them() {
    // On librdkafka's mock cluster the commit inside the revoke callback is refused
    // with RebalanceInProgress (real Kafka accepts it), so this runs on Tansu, with
    // three partitions: a group on a four-partition topic took ~23 s per join there.
    let tansu = Tansu::start();
    let brokers = tansu.address().to_owned();
    create_topic(&brokers, "events", 3).await;
    let placed = produce_sequence(&brokers, "events", 3, 210).await;
    let root = tempfile::tempdir().unwrap();

    let first_assigned = Arc::new(Mutex::new(0));
    let first = app(&brokers, root.path(), first_assigned.clone())
        .spawn()
        .await
        .unwrap();
    let drained = eventually(Duration::from_secs(60), || {
        CONSUMED.load(Ordering::SeqCst) >= placed.len()
    })
    .await;
    assert!(
        drained,
        "the first server consumed {}",
        CONSUMED.load(Ordering::SeqCst)
    );

    let second_assigned = Arc::new(Mutex::new(0));
    let second = app(&brokers, root.path(), second_assigned.clone())
        .spawn()
        .await
        .unwrap();
    let rebalanced = eventually(Duration::from_secs(60), || {
        *second_assigned.lock().unwrap() > 0
    })
    .await;
    assert!(rebalanced, "the second server joins the group");

    assert!(REVOKED.load(Ordering::SeqCst) > 0, "the revoked hooks ran");
    let committed = committed_offsets(&brokers, "rebalance_churn", "events", 3);
    for partition in 0..3 {
        let last = placed
            .iter()
            .filter(|(p, _)| *p == partition)
            .map(|(_, o)| *o)
            .max()
            .unwrap();
        assert_eq!(
            committed[&partition],
            Some(last + 1),
            "partition {partition} was committed on revocation"
        );
    }
    // Give the new owners the chance to (wrongly) consume again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        CONSUMED.load(Ordering::SeqCst),
        placed.len(),
        "nothing is consumed twice"
    );
    second.stop().await.unwrap();
    first.stop().await.unwrap();
}
