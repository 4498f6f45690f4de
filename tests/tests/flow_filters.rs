//! Filters on the embedded broker: a custom `Filter` drops messages (counted
//! as consumed, reported), `throttle` paces a partition by pausing it,
//! `delay_by` holds messages back until they are old enough while polling
//! goes on, and `expire_in` skips (and reports) messages that are too old.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::PauseReason;
use karafka::{Consumer, Context, Event, Filter, FilterBatch, Messages, RawMessage};
use karafka_tests::kafka::{committed_offsets, produce_sequence};
use karafka_tests::{app_on, eventually, EventLog};

static EVENS: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static THROTTLED: Mutex<Vec<Instant>> = Mutex::new(Vec::new());
static DELAYED: Mutex<Vec<(i64, i64)>> = Mutex::new(Vec::new());
static FRESH: Mutex<Vec<i64>> = Mutex::new(Vec::new());

/// Drops messages at odd offsets.
#[derive(Default)]
struct OddOffsets;

impl Filter for OddOffsets {
    fn apply(&mut self, batch: &mut FilterBatch<'_, RawMessage>) {
        batch.drop_where(|message| message.offset() % 2 == 1);
    }
}

/// Records the offsets it consumes in `$log`.
macro_rules! recording_consumer {
    ($name:ident, $log:ident, |$message:ident| $entry:expr) => {
        #[derive(Default)]
        struct $name;

        impl Consumer for $name {
            type Payload = serde_json::Value;

            async fn consume(
                &mut self,
                _ctx: &mut Context,
                messages: Messages<serde_json::Value>,
            ) -> karafka::Result<()> {
                let mut log = $log.lock().unwrap();
                for $message in &messages {
                    log.push($entry);
                }
                Ok(())
            }
        }
    };
}

recording_consumer!(EvensConsumer, EVENS, |message| message.offset());
recording_consumer!(ThrottledConsumer, THROTTLED, |message| {
    let _ = message;
    Instant::now()
});
recording_consumer!(DelayedConsumer, DELAYED, |message| (
    message.timestamp().unwrap_or(0),
    now_ms()
));
recording_consumer!(FreshConsumer, FRESH, |message| message.offset());

karafka::routes! {
    consumer_group filtered {
        topic numbers { consumer: EvensConsumer, filters: [OddOffsets] }
    }
    consumer_group throttled {
        topic paced { consumer: ThrottledConsumer, throttle: { limit: 100, interval: 1000 } }
    }
    consumer_group delayed {
        topic later { consumer: DelayedConsumer, delay_by: 2000 }
    }
    consumer_group expiring {
        topic perishable { consumer: FreshConsumer, expire_in: 1000 }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A broker with every topic the routes name (each app runs every group).
async fn broker_with(_topic: &str) -> (EmbeddedBroker, String) {
    let broker = EmbeddedBroker::start().unwrap();
    for topic in ["numbers", "paced", "later", "perishable"] {
        broker.create_topic(topic, 1).unwrap();
    }
    let brokers = broker.bootstrap_servers().to_owned();
    (broker, brokers)
}

/// How many `rebalance.partitions_<what>` events group `group` (as routed) had.
fn rebalances(events: &EventLog, what: &str, group: &str) -> usize {
    events
        .matching(|e| match e {
            Event::PartitionsAssigned(r) if what == "assigned" && &*r.consumer_group == group => {
                Some(())
            }
            Event::PartitionsRevoked(r) if what == "revoked" && &*r.consumer_group == group => {
                Some(())
            }
            _ => None,
        })
        .len()
}

/// How many fetch loop iterations group `group` (as routed) reported.
fn fetch_loops(events: &EventLog, group: &str) -> usize {
    events
        .matching(|e| match e {
            Event::FetchLoop(f) if &*f.consumer_group == group => Some(()),
            _ => None,
        })
        .len()
}

/// Offsets the `filtering.dropped` events of `filter` reported.
fn dropped_by(events: &EventLog, filter: &str) -> Vec<i64> {
    let mut offsets: Vec<i64> = events
        .matching(|e| match e {
            Event::FilteringDropped(e) if e.filter == filter => Some(e.offsets.clone()),
            _ => None,
        })
        .concat();
    offsets.sort_unstable();
    offsets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_drops_messages_which_are_reported_and_committed_as_consumed() {
    let (_broker, brokers) = broker_with("numbers").await;
    produce_sequence(&brokers, "numbers", 1, 10).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "filtered", |_| {})
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let done = eventually(Duration::from_secs(30), || {
        dropped_by(&events, "OddOffsets").len() == 5 && EVENS.lock().unwrap().len() == 5
    })
    .await;
    server.stop().await.unwrap();
    assert!(done, "consumed {:?}", EVENS.lock().unwrap());
    assert_eq!(*EVENS.lock().unwrap(), vec![0, 2, 4, 6, 8]);
    assert_eq!(dropped_by(&events, "OddOffsets"), vec![1, 3, 5, 7, 9]);
    let committed = committed_offsets(&brokers, "filtered_filtered", "numbers", 1);
    assert_eq!(committed[&0], Some(10), "the dropped 9 counts as consumed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_of_100_per_second_spreads_1000_messages_over_nine_to_twelve_seconds() {
    let (_broker, brokers) = broker_with("paced").await;
    produce_sequence(&brokers, "paced", 1, 1_000).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "throttled", |_| {})
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let done = eventually(Duration::from_secs(40), || {
        THROTTLED.lock().unwrap().len() >= 1_000
    })
    .await;
    server.stop().await.unwrap();
    let seen = THROTTLED.lock().unwrap().clone();
    assert!(done, "consumed {} of 1000", seen.len());
    assert_eq!(seen.len(), 1_000, "each message once");
    let took = seen[seen.len() - 1] - seen[0];
    eprintln!("throttle: 1000 messages at limit 100 per 1000 ms took {took:?}");
    assert!(
        took >= Duration::from_secs(9) && took <= Duration::from_secs(12),
        "1000 messages at 100/s took {took:?}"
    );
    let paused = events.matching(|e| match e {
        Event::FilteringPaused(e) if e.filter == "throttle" => Some(e.pause),
        _ => None,
    });
    assert!(paused.len() >= 9, "one pause per window: {paused:?}");
    assert!(paused.iter().all(|p| *p <= Duration::from_secs(1)));
    assert_eq!(rebalances(&events, "assigned", "throttled"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_by_consumes_a_message_two_seconds_after_it_was_produced_while_polling_goes_on() {
    let (_broker, brokers) = broker_with("later").await;
    let events = EventLog::default();
    let server = app_on(&brokers, "delayed", |_| {})
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let assigned = eventually(Duration::from_secs(30), || {
        rebalances(&events, "assigned", "delayed") == 1
    })
    .await;
    assert!(assigned);
    produce_sequence(&brokers, "later", 1, 1).await;
    let held = eventually(Duration::from_secs(10), || {
        events.count("filtering.paused") >= 1
    })
    .await;
    let loops_when_held = fetch_loops(&events, "delayed");
    let done = eventually(Duration::from_secs(30), || {
        !DELAYED.lock().unwrap().is_empty()
    })
    .await;
    let loops_when_consumed = fetch_loops(&events, "delayed");
    server.stop().await.unwrap();
    assert!(held && done, "held: {held}, consumed: {done}");
    let (produced, consumed) = DELAYED.lock().unwrap()[0];
    assert!(
        consumed - produced >= 2_000,
        "consumed {} ms after it was produced",
        consumed - produced
    );
    assert!(
        loops_when_consumed >= loops_when_held + 2,
        "the fetch loop kept polling while the message waited ({loops_when_held} -> {loops_when_consumed})"
    );
    assert_eq!(rebalances(&events, "assigned", "delayed"), 1);
    assert!(
        rebalances(&events, "revoked", "delayed") <= 1,
        "revoked only at stop"
    );
    let pauses = events.matching(|e| match e {
        Event::ConsumerConsumingPause(e) => Some(e.reason),
        _ => None,
    });
    assert!(pauses.contains(&PauseReason::Filter), "{pauses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expire_in_skips_and_reports_messages_older_than_that_and_commits_past_them() {
    let (_broker, brokers) = broker_with("perishable").await;
    produce_sequence(&brokers, "perishable", 1, 5).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "expiring", |_| {})
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let expired = eventually(Duration::from_secs(30), || {
        dropped_by(&events, "expire_in").len() == 5
    })
    .await;
    produce_sequence(&brokers, "perishable", 1, 3).await;
    let fresh = eventually(Duration::from_secs(30), || FRESH.lock().unwrap().len() == 3).await;
    server.stop().await.unwrap();
    assert!(expired && fresh, "consumed {:?}", FRESH.lock().unwrap());
    assert_eq!(*FRESH.lock().unwrap(), vec![5, 6, 7]);
    assert_eq!(dropped_by(&events, "expire_in"), vec![0, 1, 2, 3, 4]);
    let committed = committed_offsets(&brokers, "expiring_expiring", "perishable", 1);
    assert_eq!(committed[&0], Some(8));
}
