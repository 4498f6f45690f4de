//! A job that runs longer than `max.poll.interval.ms` on the default backend
//! (the worker pool) does not cost the group its partitions: the fetch loop
//! keeps polling meanwhile.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use karafka::config::KafkaValue;
use karafka::embedded::EmbeddedBroker;
use karafka::{Consumer, Context, Messages};
use karafka_tests::kafka::produce_sequence;
use karafka_tests::{app_on, eventually, EventLog};

static CONSUMED: AtomicUsize = AtomicUsize::new(0);

#[derive(Default)]
struct Sleepy {
    slept: bool,
}

impl Consumer for Sleepy {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        if !self.slept {
            self.slept = true;
            tokio::time::sleep(Duration::from_secs(8)).await;
        }
        CONSUMED.fetch_add(messages.len(), Ordering::SeqCst);
        Ok(())
    }
}

karafka::routes! {
    consumer_group long_jobs {
        topic slow_jobs { consumer: Sleepy }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_longer_than_max_poll_interval_causes_no_rebalance_and_no_duplicate() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("slow_jobs", 2).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let placed = produce_sequence(&brokers, "slow_jobs", 2, 20).await;

    let events = EventLog::default();
    let app = app_on(&brokers, "long_jobs", |config| {
        for (key, value) in [("max.poll.interval.ms", 6000), ("session.timeout.ms", 6000)] {
            config.kafka.insert(key.into(), KafkaValue::Integer(value));
        }
    })
    .listener(events.listener());
    let server = app.spawn().await.unwrap();
    let done = eventually(Duration::from_secs(60), || {
        CONSUMED.load(Ordering::SeqCst) >= placed.len()
    })
    .await;
    // Another poll interval for a late rebalance or a replay to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let revoked_before_stop = events.count("rebalance.partitions_revoked");
    server.stop().await.unwrap();

    assert!(
        done,
        "consumed {} of {}",
        CONSUMED.load(Ordering::SeqCst),
        placed.len()
    );
    assert_eq!(
        events.count("rebalance.partitions_assigned"),
        1,
        "one assignment, no rebalance"
    );
    assert_eq!(
        revoked_before_stop, 0,
        "nothing revoked while the job slept"
    );
    assert_eq!(
        CONSUMED.load(Ordering::SeqCst),
        placed.len(),
        "no duplicate"
    );
}
