//! Consumer control from `Context` on the embedded broker: `pause` for a
//! while, `pause_until_resumed` and `resume` from a tick, `seek` back,
//! `revoked` inside a long job, and `mark_as_consumed` refusing a message
//! older than the stored offset.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::PauseReason;
use karafka::{Consumer, Context, Event, Messages};
use karafka_tests::kafka::{committed_offsets, produce_sequence};
use karafka_tests::{app_on, eventually, EventLog};

static PAUSING: Mutex<Vec<(i64, Instant)>> = Mutex::new(Vec::new());
static WAITING: Mutex<Vec<(i64, usize)>> = Mutex::new(Vec::new());
static WAITING_TICKS: AtomicUsize = AtomicUsize::new(0);
static SEEKING: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static SAW_REVOKED: AtomicBool = AtomicBool::new(false);
static LONG_JOB_STARTED: AtomicBool = AtomicBool::new(false);
static MARK_ERRORS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Pauses its partition for 1.5 s after each message.
#[derive(Default)]
struct Pausing;

impl Consumer for Pausing {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        for message in &messages {
            PAUSING
                .lock()
                .unwrap()
                .push((message.offset(), Instant::now()));
        }
        ctx.pause(Duration::from_millis(1_500));
        Ok(())
    }
}

/// Pauses until resumed after each message; its third tick since resumes.
#[derive(Default)]
struct Waiting {
    ticks: usize,
}

impl Consumer for Waiting {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let ticks = WAITING_TICKS.load(Ordering::SeqCst);
            WAITING.lock().unwrap().push((message.offset(), ticks));
        }
        self.ticks = 0;
        ctx.pause_until_resumed();
        Ok(())
    }

    async fn tick(&mut self, ctx: &mut Context) -> karafka::Result<()> {
        WAITING_TICKS.fetch_add(1, Ordering::SeqCst);
        self.ticks += 1;
        if self.ticks == 3 {
            ctx.resume();
        }
        Ok(())
    }
}

/// Seeks back to offset 0 once, after its first batch that reached offset 4.
#[derive(Default)]
struct Seeking {
    sought: bool,
}

impl Consumer for Seeking {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let mut seen = SEEKING.lock().unwrap();
        for message in &messages {
            seen.push(message.offset());
        }
        if !self.sought && seen.contains(&4) {
            self.sought = true;
            ctx.seek(0);
        }
        Ok(())
    }
}

/// Runs until its partition is revoked (at most 30 s).
#[derive(Default)]
struct Long;

impl Consumer for Long {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        _messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        LONG_JOB_STARTED.store(true, Ordering::SeqCst);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if ctx.revoked() {
                SAW_REVOKED.store(true, Ordering::SeqCst);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// Keeps its first batch (offset 0) and marks it again in each later one:
/// fine while 1 is stored (nothing moves back), refused once 2 is.
#[derive(Default)]
struct Remarking {
    kept: Option<Messages<serde_json::Value>>,
}

impl Consumer for Remarking {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        match &self.kept {
            None => self.kept = Some(messages),
            Some(kept) => {
                if let Some(old) = kept.first() {
                    if let Err(error) = ctx.mark_as_consumed(old) {
                        MARK_ERRORS.lock().unwrap().push(error.to_string());
                    }
                }
            }
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group pausing {
        max_messages: 1,
        topic pauses { consumer: Pausing }
    }
    consumer_group waiting {
        max_messages: 1,
        topic waits { consumer: Waiting, tick_interval: 100 }
    }
    consumer_group seeking {
        max_messages: 5,
        topic seeks { consumer: Seeking }
    }
    consumer_group long {
        topic long_jobs { consumer: Long }
    }
    consumer_group remarking {
        max_messages: 1,
        topic remarks { consumer: Remarking }
    }
}

/// A broker with every topic the routes name (each app runs every group).
async fn broker() -> (EmbeddedBroker, String) {
    let broker = EmbeddedBroker::start().unwrap();
    for topic in ["pauses", "waits", "seeks", "long_jobs", "remarks"] {
        broker.create_topic(topic, 1).unwrap();
    }
    let brokers = broker.bootstrap_servers().to_owned();
    (broker, brokers)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_holds_the_partition_for_its_duration_then_consumption_goes_on() {
    let (_broker, brokers) = broker().await;
    produce_sequence(&brokers, "pauses", 1, 3).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "pausing", |_| {})
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let done = eventually(Duration::from_secs(30), || {
        PAUSING.lock().unwrap().len() >= 3
    })
    .await;
    server.stop().await.unwrap();
    let seen = PAUSING.lock().unwrap().clone();
    assert!(done, "{seen:?}");
    let offsets: Vec<i64> = seen.iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, vec![0, 1, 2]);
    for pair in seen.windows(2) {
        let gap = pair[1].1 - pair[0].1;
        assert!(
            gap >= Duration::from_millis(1_500),
            "{gap:?} between batches"
        );
    }
    let pauses = events.matching(|e| match e {
        Event::ConsumerConsumingPause(e) if e.reason == PauseReason::Consumer => e.timeout,
        _ => None,
    });
    assert!(pauses.len() >= 2, "{pauses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_until_resumed_waits_for_resume_from_a_tick() {
    let (_broker, brokers) = broker().await;
    produce_sequence(&brokers, "waits", 1, 2).await;
    let server = app_on(&brokers, "waiting", |_| {}).spawn().await.unwrap();
    let done = eventually(Duration::from_secs(30), || {
        WAITING.lock().unwrap().len() >= 2
    })
    .await;
    server.stop().await.unwrap();
    let seen = WAITING.lock().unwrap().clone();
    assert!(done, "{seen:?}");
    assert_eq!((seen[0].0, seen[1].0), (0, 1));
    assert!(
        seen[1].1 >= seen[0].1 + 3,
        "the second message waits for the third tick: {seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seek_back_consumes_the_messages_again_and_commits_only_what_is_done() {
    let (_broker, brokers) = broker().await;
    produce_sequence(&brokers, "seeks", 1, 5).await;
    let server = app_on(&brokers, "seeking", |_| {}).spawn().await.unwrap();
    let done = eventually(Duration::from_secs(30), || {
        SEEKING.lock().unwrap().len() >= 10
    })
    .await;
    server.stop().await.unwrap();
    let seen = SEEKING.lock().unwrap().clone();
    assert!(done, "{seen:?}");
    assert_eq!(seen, vec![0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    let committed = committed_offsets(&brokers, "seeking_seeking", "seeks", 1);
    assert_eq!(committed[&0], Some(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_turns_true_inside_a_running_job_when_its_partition_is_taken_away() {
    let (_broker, brokers) = broker().await;
    produce_sequence(&brokers, "long_jobs", 1, 1).await;
    let first = app_on(&brokers, "long", |_| {}).spawn().await.unwrap();
    let started = eventually(Duration::from_secs(30), || {
        LONG_JOB_STARTED.load(Ordering::SeqCst)
    })
    .await;
    assert!(started);
    // A second member joins: the group rebalances and takes the partition away.
    let second = app_on(&brokers, "long", |_| {}).spawn().await.unwrap();
    let saw = eventually(Duration::from_secs(30), || {
        SAW_REVOKED.load(Ordering::SeqCst)
    })
    .await;
    second.stop().await.unwrap();
    first.stop().await.unwrap();
    assert!(saw, "the job saw ctx.revoked()");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_as_consumed_refuses_a_message_older_than_the_stored_offset() {
    let (_broker, brokers) = broker().await;
    produce_sequence(&brokers, "remarks", 1, 3).await;
    let server = app_on(&brokers, "remarking", |_| {}).spawn().await.unwrap();
    let done = eventually(Duration::from_secs(30), || {
        !MARK_ERRORS.lock().unwrap().is_empty()
    })
    .await;
    server.stop().await.unwrap();
    let errors = MARK_ERRORS.lock().unwrap().clone();
    assert!(done, "no error");
    assert!(
        errors[0].contains("remarks/0@0") && errors[0].contains("offset 2 is already stored"),
        "{errors:?}"
    );
}
