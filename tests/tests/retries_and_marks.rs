//! Failure handling in user code: panics are errors that get retried, marks
//! move the resume point and (under manual offset management) the only
//! offsets stored, and ticks arrive with no messages at all.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::ErrorType;
use karafka::{Consumer, Context, Event, Messages};
use karafka_tests::kafka::{committed_offsets, produce_sequence};
use karafka_tests::{app_on, eventually, EventLog};

static PANICKY_SEEN: Mutex<Vec<(i64, u32)>> = Mutex::new(Vec::new());
static MARKING_BATCHES: Mutex<Vec<(i64, usize, u32)>> = Mutex::new(Vec::new());
static MARKING_DONE_TO: AtomicUsize = AtomicUsize::new(0);
static TICKS: AtomicUsize = AtomicUsize::new(0);

/// Panics the first time it meets offset 3 of its partition.
#[derive(Default)]
struct Panicky {
    panicked: bool,
}

impl Consumer for Panicky {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        for message in &messages {
            if message.offset() == 3 && !self.panicked {
                self.panicked = true;
                panic!("boom at offset 3");
            }
            PANICKY_SEEN
                .lock()
                .unwrap()
                .push((message.offset(), ctx.attempt()));
        }
        Ok(())
    }
}

/// Marks each message as it goes and fails once at offset 5; offsets move only by marks.
#[derive(Default)]
struct Marking {
    failed: bool,
}

impl Consumer for Marking {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let first = messages.first().map(|m| m.offset()).unwrap_or(-1);
        MARKING_BATCHES
            .lock()
            .unwrap()
            .push((first, messages.len(), ctx.attempt()));
        for message in &messages {
            if message.offset() == 5 && !self.failed {
                self.failed = true;
                return Err("transient failure at offset 5".into());
            }
            if message.offset() < 8 {
                ctx.mark_as_consumed(message)?;
            }
        }
        if let Some(last) = messages.last() {
            MARKING_DONE_TO.fetch_max(last.offset() as usize + 1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// Counts ticks.
#[derive(Default)]
struct Ticking;

impl Consumer for Ticking {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        _messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        Ok(())
    }

    async fn tick(&mut self, _ctx: &mut Context) -> karafka::Result<()> {
        TICKS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

karafka::routes! {
    consumer_group panics {
        backend: worker_pool,
        topic panicky { consumer: Panicky }
    }
    consumer_group marks {
        topic marking { consumer: Marking, manual_offset_management: true }
    }
    consumer_group ticks {
        backend: worker_pool,
        topic quiet_topic { consumer: Ticking, tick_interval: 100 }
    }
}

async fn broker_with_topics() -> (EmbeddedBroker, String) {
    let broker = EmbeddedBroker::start().unwrap();
    for topic in ["panicky", "marking", "quiet_topic"] {
        broker.create_topic(topic, 1).unwrap();
    }
    let brokers = broker.bootstrap_servers().to_owned();
    (broker, brokers)
}

fn fast_retries(config: &mut karafka::Config) {
    config.pause_timeout = 50;
    config.pause_max_timeout = 100;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_consume_is_reported_and_retried_and_the_server_stays_up() {
    let (_broker, brokers) = broker_with_topics().await;
    produce_sequence(&brokers, "panicky", 1, 6).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "panics", fast_retries)
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let all = eventually(Duration::from_secs(30), || {
        PANICKY_SEEN.lock().unwrap().iter().any(|(o, _)| *o == 5)
    })
    .await;
    // The server is still up: it consumes what comes after the panic.
    produce_sequence(&brokers, "panicky", 1, 2).await;
    let later = eventually(Duration::from_secs(30), || {
        PANICKY_SEEN.lock().unwrap().iter().any(|(o, _)| *o == 7)
    })
    .await;
    server.stop().await.unwrap();
    assert!(all && later, "consumed: {:?}", PANICKY_SEEN.lock().unwrap());

    let errors = events.matching(|e| match e {
        Event::ErrorOccurred(e) if e.error_type == ErrorType::ConsumerConsume => {
            Some((e.error.clone(), e.offset))
        }
        _ => None,
    });
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].0.contains("panicked: boom at offset 3"),
        "{errors:?}"
    );
    let seen = PANICKY_SEEN.lock().unwrap().clone();
    let retried: Vec<u32> = seen
        .iter()
        .filter(|(o, _)| *o == 3)
        .map(|(_, a)| *a)
        .collect();
    assert_eq!(retried, vec![2], "offset 3 succeeds on attempt 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_after_marks_resumes_after_the_last_marked_message_and_only_marks_are_committed()
{
    let (_broker, brokers) = broker_with_topics().await;
    produce_sequence(&brokers, "marking", 1, 10).await;
    let server = app_on(&brokers, "marks", fast_retries)
        .spawn()
        .await
        .unwrap();
    let done = eventually(Duration::from_secs(30), || {
        MARKING_DONE_TO.load(Ordering::SeqCst) == 10
    })
    .await;
    server.stop().await.unwrap();
    let batches = MARKING_BATCHES.lock().unwrap().clone();
    assert!(done, "{batches:?}");
    let first_batch = batches[0];
    assert_eq!(first_batch.0, 0, "{batches:?}");
    let retry = batches[1];
    assert_eq!(
        (retry.0, retry.2),
        (5, 2),
        "the retry starts at the failed, unmarked offset 5 on attempt 2: {batches:?}"
    );
    // Offsets 8 and 9 were consumed but never marked: manual offset management commits up to 8.
    let committed = committed_offsets(&brokers, "marks_marks", "marking", 1);
    assert_eq!(committed[&0], Some(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tick_runs_every_tick_interval_without_any_message() {
    let (_broker, brokers) = broker_with_topics().await;
    let events = EventLog::default();
    let server = app_on(&brokers, "ticks", |_| {})
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let assigned = eventually(Duration::from_secs(30), || {
        events.count("rebalance.partitions_assigned") >= 3
    })
    .await;
    assert!(assigned, "every group got its partition");
    let ticked = eventually(Duration::from_secs(30), || {
        TICKS.load(Ordering::SeqCst) >= 5
    })
    .await;
    server.stop().await.unwrap();
    assert!(ticked, "ticks: {}", TICKS.load(Ordering::SeqCst));
}
