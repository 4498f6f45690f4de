//! The worker pool runs different partitions in parallel and each partition's
//! batches in order: with 4 partitions and 50 ms per batch, 4 workers finish
//! more than twice as fast as 1.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::embedded::EmbeddedBroker;
use karafka::{Backend, Consumer, Context, Messages};
use karafka_tests::kafka::produce_sequence;
use karafka_tests::{app_on, assert_partition_order, eventually};

static SEEN: Mutex<Vec<(i32, i64, Instant)>> = Mutex::new(Vec::new());

#[derive(Default)]
struct Slow;

impl Consumer for Slow {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut seen = SEEN.lock().unwrap();
        for message in &messages {
            seen.push((message.partition(), message.offset(), Instant::now()));
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group speed {
        backend: worker_pool,
        max_messages: 5,
        topic timed { consumer: Slow }
    }
}

/// Drains the topic with `concurrency` workers; returns the time from the first
/// batch's end to the last one's, and what was consumed.
async fn drain(brokers: &str, concurrency: usize, expected: usize) -> (Duration, Vec<(i32, i64)>) {
    SEEN.lock().unwrap().clear();
    let app = app_on(brokers, &format!("speed_c{concurrency}"), |config| {
        config.concurrency = concurrency;
        config.backend = Backend::WorkerPool;
    });
    let server = app.spawn().await.unwrap();
    let done = eventually(Duration::from_secs(120), || {
        SEEN.lock().unwrap().len() >= expected
    })
    .await;
    server.stop().await.unwrap();
    let seen = SEEN.lock().unwrap().clone();
    assert!(
        done,
        "concurrency {concurrency}: consumed {} of {expected}",
        seen.len()
    );
    let first = seen.iter().map(|s| s.2).min().unwrap();
    let last = seen.iter().map(|s| s.2).max().unwrap();
    (last - first, seen.iter().map(|&(p, o, _)| (p, o)).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_are_more_than_twice_as_fast_as_one_and_keep_partition_order() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("timed", 4).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    // 100 messages per partition in batches of 5: 20 batches of 50 ms per partition,
    // so about 4 s with one worker and 1 s with four; a broker-side fetch delay
    // (up to fetch.wait.max.ms, 500 ms) cannot flip the comparison.
    let placed = produce_sequence(&brokers, "timed", 4, 400).await;

    let (one, seen_one) = drain(&brokers, 1, placed.len()).await;
    let (four, seen_four) = drain(&brokers, 4, placed.len()).await;

    for seen in [&seen_one, &seen_four] {
        assert_partition_order(seen);
        assert_eq!(seen.len(), placed.len(), "each message once");
    }
    println!("concurrency 1: {one:?}, concurrency 4: {four:?}");
    assert!(
        four * 2 < one,
        "concurrency 4 took {four:?}, not under half of concurrency 1's {one:?}"
    );
}
