//! A slow dead letter write holds only its own partition: while the broker
//! that leads the dead letter topic takes seconds to answer, the group's other
//! partitions are consumed, and the source offset waits for the acknowledgement.

use std::sync::Mutex;
use std::time::Duration;

use karafka::producer::{Producer, Record};
use karafka::{Config, Consumer, Context, Event, Messages};
use karafka_tests::kafka::committed_offsets;
use karafka_tests::{app_on, eventually, EventLog};
use rdkafka::mocking::{MockCluster, MockCoordinator};

static DONE: Mutex<Vec<(i32, i64)>> = Mutex::new(Vec::new());

/// Fails on `poison`, records the rest.
#[derive(Default)]
struct Orders;

impl Consumer for Orders {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            if message.payload()? == "poison" {
                return Err("cannot ship this order".into());
            }
        }
        DONE.lock()
            .unwrap()
            .extend(messages.iter().map(|m| (m.partition(), m.offset())));
        Ok(())
    }
}

karafka::routes! {
    consumer_group shipping {
        topic orders {
            consumer: Orders,
            deserializer: karafka::deserializers::Utf8,
            dead_letter_queue: { topic: "orders_dlq", max_retries: 0 },
        }
    }
}

/// Broker 1 leads the orders and coordinates the group; broker 2, slow, leads the DLQ.
const FAST: i32 = 1;
const SLOW: i32 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_dead_letter_write_does_not_hold_the_other_partitions() {
    let cluster = MockCluster::new(2).unwrap();
    cluster.create_topic("orders", 2, 1).unwrap();
    cluster.create_topic("orders_dlq", 1, 1).unwrap();
    cluster.partition_leader("orders", 0, Some(FAST)).unwrap();
    cluster.partition_leader("orders", 1, Some(FAST)).unwrap();
    cluster
        .partition_leader("orders_dlq", 0, Some(SLOW))
        .unwrap();
    cluster
        .coordinator(MockCoordinator::Group("slow_dlq_shipping".into()), FAST)
        .unwrap();
    let brokers = cluster.bootstrap_servers();
    let producer = Producer::new(&Config::default(), &brokers).unwrap();
    producer
        .send(&Record::new("orders", "poison").partition(0))
        .await
        .unwrap();
    producer
        .send(&Record::new("orders", "early").partition(1))
        .await
        .unwrap();
    cluster
        .broker_round_trip_time(SLOW, Duration::from_secs(4))
        .unwrap();

    let events = EventLog::default();
    let app = app_on(&brokers, "slow_dlq", |config| {
        config.kafka.insert(
            "auto.commit.interval.ms".into(),
            karafka::config::KafkaValue::Integer(100),
        );
        config.pause_timeout = 50;
    })
    .listener(events.listener());
    let server = app.spawn().await.unwrap();
    let failed = eventually(Duration::from_secs(60), || {
        DONE.lock().unwrap().contains(&(1, 0)) && events.count("error.occurred") >= 1
    })
    .await;
    assert!(failed, "the poison failed and partition 1 started");
    // The dead letter write is under way now; a new order arrives on partition 1.
    tokio::time::sleep(Duration::from_millis(300)).await;
    producer
        .send(&Record::new("orders", "late").partition(1))
        .await
        .unwrap();
    let late = eventually(Duration::from_secs(30), || {
        DONE.lock().unwrap().contains(&(1, 1))
    })
    .await;
    let dispatched_before_late = events.count("dead_letter_queue.dispatched");
    let committed_meanwhile = committed_offsets(&brokers, "slow_dlq_shipping", "orders", 2)[&0];
    let dispatched = eventually(Duration::from_secs(60), || {
        events.count("dead_letter_queue.dispatched") == 1
    })
    .await;
    let committed_after = eventually(Duration::from_secs(30), || {
        committed_offsets(&brokers, "slow_dlq_shipping", "orders", 2)[&0] == Some(1)
    })
    .await;
    server.stop().await.unwrap();

    assert!(late, "the late order on partition 1 is consumed");
    assert_eq!(
        dispatched_before_late, 0,
        "it is consumed while the dead letter write still waits for the slow broker"
    );
    assert!(
        committed_meanwhile.is_none_or(|offset| offset < 1),
        "the poison's offset is not committed before the acknowledgement: {committed_meanwhile:?}"
    );
    assert!(
        dispatched,
        "the dead letter write is acknowledged in the end"
    );
    assert!(committed_after, "then the commit moves past the poison");
    let errors = events.matching(|e| match e {
        Event::ErrorOccurred(e) => Some(e.error.clone()),
        _ => None,
    });
    assert!(
        errors.iter().all(|e| e.contains("cannot ship this order")),
        "no other error: {errors:?}"
    );
}
