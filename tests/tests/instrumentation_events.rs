//! Every event of the registry that a server emits, in a real run on the
//! embedded broker, with the payloads it carries.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use karafka::config::KafkaValue;
use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::{
    AppStatus, ConsumerConsumed, ErrorType, Event, Listener, PauseReason, Rebalance,
};
use karafka::{Backend, Consumer, Context, Messages};
use karafka_tests::kafka::produce_sequence;
use karafka_tests::{app_on, eventually, EventLog};

/// Takes a little time per batch, so durations have a floor.
#[derive(Default)]
struct Plain;

impl Consumer for Plain {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        for message in &messages {
            message.payload()?;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(())
    }
}

/// Fails `fail-once` on its first attempt and `poison` always.
#[derive(Default)]
struct Flaky;

impl Consumer for Flaky {
    type Payload = String;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            match message.payload()?.as_str() {
                "fail-once" if ctx.attempt() == 1 => return Err("first attempts fail".into()),
                "poison" => return Err("poison never works".into()),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Only ticks.
#[derive(Default)]
struct Ticking;

impl Consumer for Ticking {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _: &mut Context,
        _: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        Ok(())
    }
}

/// A slow worker-pool consumer whose partition fills its buffer.
#[derive(Default)]
struct SlowPool;

impl Consumer for SlowPool {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _: &mut Context,
        _: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(())
    }
}

karafka::routes! {
    consumer_group events_flow {
        backend: inline,
        max_messages: 10,
        topic plain { consumer: Plain }
        topic ticking { consumer: Ticking, tick_interval: 100 }
        topic flaky {
            consumer: Flaky,
            deserializer: karafka::deserializers::Utf8,
            dead_letter_queue: { topic: "flaky_dlq", max_retries: 1 },
        }
    }
    consumer_group pooled {
        backend: worker_pool,
        max_messages: 1,
        topic slow_pool { consumer: SlowPool }
    }
}

fn broker() -> (EmbeddedBroker, String) {
    let broker = EmbeddedBroker::start().unwrap();
    for (topic, partitions) in [
        ("plain", 2),
        ("ticking", 1),
        ("flaky", 1),
        ("flaky_dlq", 1),
        ("slow_pool", 1),
    ] {
        broker.create_topic(topic, partitions).unwrap();
    }
    let brokers = broker.bootstrap_servers().to_owned();
    (broker, brokers)
}

fn fast_retries(config: &mut karafka::Config) {
    config.pause_timeout = 50;
    config.pause_max_timeout = 100;
}

fn consumed_of(events: &EventLog, topic: &str) -> Vec<ConsumerConsumed> {
    events.matching(|e| match e {
        Event::ConsumerConsumed(c) if &*c.topic == topic => Some(c.clone()),
        _ => None,
    })
}

fn consumed_count(events: &EventLog, topic: &str) -> usize {
    consumed_of(events, topic).iter().map(|c| c.size).sum()
}

/// Sums `consumer.consumed` sizes through the typed `on_consumer_consumed` method.
#[derive(Default, Clone)]
struct TypedTally(Arc<Mutex<BTreeMap<String, usize>>>);

impl Listener for TypedTally {
    fn on_consumer_consumed(&self, event: &ConsumerConsumed) {
        *self
            .0
            .lock()
            .unwrap()
            .entry(event.topic.to_string())
            .or_default() += event.size;
    }

    fn on_rebalance_partitions_assigned(&self, event: &Rebalance) {
        let mut tally = self.0.lock().unwrap();
        for (topic, partitions) in &event.partitions {
            *tally.entry(format!("assigned {topic}")).or_default() += partitions.len();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_reports_lifecycle_fetch_consume_rebalance_and_hook_events_with_their_payloads() {
    let (_broker, brokers) = broker();
    let placed = produce_sequence(&brokers, "plain", 2, 30).await;
    let events = EventLog::default();
    let typed = TypedTally::default();
    let server = app_on(&brokers, "lifecycle", |_| {})
        .listener(events.listener())
        .listener(typed.clone())
        .spawn()
        .await
        .unwrap();
    let done = eventually(Duration::from_secs(60), || {
        consumed_count(&events, "plain") >= placed.len() && events.count("consumer.tick") >= 2
    })
    .await;
    server.quiet();
    server.stop().await.unwrap();
    assert!(done, "{:?}", events.all());

    // app.*: in lifecycle order, with the client id.
    let statuses: Vec<(AppStatus, String)> = events.matching(|e| match e {
        Event::AppInitialized(a)
        | Event::AppRunning(a)
        | Event::AppQuieting(a)
        | Event::AppStopping(a)
        | Event::AppStopped(a) => Some((a.status, a.client_id.to_string())),
        _ => None,
    });
    let expected: Vec<(AppStatus, String)> = [
        AppStatus::Initialized,
        AppStatus::Running,
        AppStatus::Quieting,
        AppStatus::Stopping,
        AppStatus::Stopped,
    ]
    .into_iter()
    .map(|s| (s, "lifecycle".to_owned()))
    .collect();
    assert_eq!(statuses, expected);

    // consumer.consume before consumer.consumed, for the same batch.
    let all = events.all();
    let mut next_offset: BTreeMap<i32, i64> = BTreeMap::new();
    for (index, event) in all.iter().enumerate() {
        let Event::ConsumerConsumed(consumed) = event else {
            continue;
        };
        if &*consumed.topic != "plain" {
            continue;
        }
        let announced = all[..index].iter().rev().find_map(|e| match e {
            Event::ConsumerConsume(c)
                if c.topic == consumed.topic && c.partition == consumed.partition =>
            {
                Some(c)
            }
            _ => None,
        });
        let announced = announced.expect("consumer.consume precedes consumer.consumed");
        assert_eq!(
            (
                announced.first_offset,
                announced.last_offset,
                announced.size
            ),
            (consumed.first_offset, consumed.last_offset, consumed.size)
        );
        assert_eq!(&*consumed.consumer_group, "events_flow");
        assert_eq!(consumed.consumer, "Plain");
        assert_eq!(consumed.backend, Backend::Inline);
        assert_eq!(consumed.attempt, 1);
        assert!(consumed.size <= 10, "max_messages bounds the batch");
        assert_eq!(
            consumed.last_offset - consumed.first_offset + 1,
            consumed.size as i64
        );
        assert!(
            consumed.duration >= Duration::from_millis(5),
            "{consumed:?}"
        );
        assert!(consumed.consumption_lag.is_some(), "{consumed:?}");
        let expected = next_offset.entry(consumed.partition).or_insert(0);
        assert_eq!(
            consumed.first_offset, *expected,
            "batches follow each other"
        );
        *expected = consumed.last_offset + 1;
    }
    assert_eq!(next_offset, BTreeMap::from([(0, 15), (1, 15)]));
    assert_eq!(typed.0.lock().unwrap().get("plain"), Some(&30));

    // The fetch loop: every iteration, and what each poll returned.
    let loops = events.matching(|e| match e {
        Event::FetchLoop(f) => Some(f.consumer_group.to_string()),
        _ => None,
    });
    assert!(loops.iter().any(|g| g == "events_flow"));
    assert!(loops.iter().any(|g| g == "pooled"));
    let received: usize = events
        .matching(|e| match e {
            Event::FetchLoopReceived(r) if &*r.consumer_group == "events_flow" => Some(r.messages),
            _ => None,
        })
        .iter()
        .sum();
    assert_eq!(received, 30, "each produced message is polled once");

    // Rebalances name the partitions.
    let assigned = events.matching(|e| match e {
        Event::PartitionsAssigned(r) if &*r.consumer_group == "events_flow" => {
            Some(r.partitions.clone())
        }
        _ => None,
    });
    let assigned: BTreeMap<String, Vec<i32>> = assigned
        .into_iter()
        .flatten()
        .map(|(topic, partitions)| (topic.to_string(), partitions))
        .collect();
    assert_eq!(assigned["plain"], vec![0, 1]);
    assert_eq!(assigned["ticking"], vec![0]);
    assert_eq!(assigned["flaky"], vec![0]);
    assert_eq!(typed.0.lock().unwrap().get("assigned plain"), Some(&2));

    // Hooks: tick while running, shutdown for every consumer that ran.
    let ticks = events.matching(|e| match e {
        Event::ConsumerTick(h) => Some((h.topic.to_string(), h.partition, h.consumer)),
        _ => None,
    });
    assert!(
        ticks
            .iter()
            .all(|t| *t == ("ticking".to_owned(), 0, "Ticking")),
        "{ticks:?}"
    );
    let mut shut_down = events.matching(|e| match e {
        Event::ConsumerShutdown(h) => Some((h.topic.to_string(), h.partition)),
        _ => None,
    });
    shut_down.sort();
    assert_eq!(
        shut_down,
        [
            ("plain".to_owned(), 0),
            ("plain".to_owned(), 1),
            ("ticking".to_owned(), 0)
        ]
    );
    assert_eq!(events.count("error.occurred"), 0, "{:?}", events.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_batch_reports_its_error_pause_and_retry_and_the_poison_is_dead_lettered() {
    let (_broker, brokers) = broker();
    let producer = karafka::producer::Producer::new(&karafka::Config::default(), &brokers).unwrap();
    for payload in ["ok", "fail-once", "poison"] {
        producer
            .send(&karafka::producer::Record::new("flaky", payload))
            .await
            .unwrap();
    }
    let events = EventLog::default();
    let server = app_on(&brokers, "failing", fast_retries)
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let dead_lettered = eventually(Duration::from_secs(60), || {
        events.count("dead_letter_queue.dispatched") == 1
    })
    .await;
    server.stop().await.unwrap();
    assert!(dead_lettered, "{:?}", events.all());

    let errors = events.matching(|e| match e {
        Event::ErrorOccurred(e) => Some(e.clone()),
        _ => None,
    });
    assert!(
        errors
            .iter()
            .all(|e| e.error_type == ErrorType::ConsumerConsume),
        "{errors:?}"
    );
    assert!(errors
        .iter()
        .all(|e| e.consumer_group.as_deref() == Some("events_flow")));
    assert!(errors
        .iter()
        .all(|e| e.topic.as_deref() == Some("flaky") && e.partition == Some(0)));
    // The batch holding `fail-once` failed as a whole: it starts at `ok` (offset 0)
    // unless `ok` was fetched, and consumed, on its own.
    let first = &errors[0];
    assert_eq!(first.attempt, Some(1), "{errors:?}");
    let batch_start = first.offset.unwrap();
    assert!(batch_start <= 1, "{errors:?}");
    assert!(first.error.contains("first attempts fail"), "{first:?}");
    let last = errors.last().unwrap();
    assert_eq!(
        (last.offset, last.attempt),
        (Some(2), Some(2)),
        "{errors:?}"
    );
    assert!(last.error.contains("poison never works"));

    let pauses = events.matching(|e| match e {
        Event::ConsumerConsumingPause(p) => Some((p.reason, p.offset, p.timeout)),
        _ => None,
    });
    assert_eq!(
        pauses.len(),
        errors.len(),
        "every failure pauses: {pauses:?}"
    );
    assert_eq!(
        pauses[0],
        (
            PauseReason::Retry,
            batch_start,
            Some(Duration::from_millis(50))
        )
    );
    let retries = events.matching(|e| match e {
        Event::ConsumerConsumingRetry(r) => Some((r.offset, r.attempt)),
        _ => None,
    });
    assert_eq!(
        retries[0],
        (batch_start, 2),
        "retry attempt 2 from the batch start"
    );
    // The poison's last failed attempt is followed by its dead letter, not by
    // an attempt 3 (this event used to announce one).
    assert_eq!(*retries.last().unwrap(), (2, 2));
    assert_eq!(retries.len(), errors.len() - 1, "{retries:?}");
    assert_eq!(
        *pauses.last().unwrap(),
        (PauseReason::DeadLetter, 2, Some(Duration::ZERO)),
        "{pauses:?}"
    );

    let consumed: Vec<(i64, i64, u32)> = consumed_of(&events, "flaky")
        .iter()
        .map(|c| (c.first_offset, c.last_offset, c.attempt))
        .collect();
    assert!(
        consumed.contains(&(1, 1, 2)),
        "`fail-once` succeeds alone on attempt 2: {consumed:?}"
    );
    assert!(
        consumed.iter().all(|(_, last, _)| *last < 2),
        "{consumed:?}"
    );

    let dispatched = events.matching(|e| match e {
        Event::DeadLetterQueueDispatched(d) => Some(d.clone()),
        _ => None,
    });
    assert_eq!((dispatched[0].offset, dispatched[0].attempts), (2, 2));
    assert_eq!(&*dispatched[0].dead_letter_topic, "flaky_dlq");
    let delivered = events.matching(|e| match e {
        Event::ProducerDelivered(d) => Some((d.topic.to_string(), d.partition, d.offset)),
        _ => None,
    });
    assert_eq!(delivered, [("flaky_dlq".to_owned(), 0, 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_buffer_pauses_its_partition_for_backpressure() {
    let (_broker, brokers) = broker();
    produce_sequence(&brokers, "slow_pool", 1, 40).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "backpressure", |config| {
        config.max_buffered_messages = 4;
    })
    .listener(events.listener())
    .spawn()
    .await
    .unwrap();
    let drained = eventually(Duration::from_secs(60), || {
        consumed_count(&events, "slow_pool") >= 40
    })
    .await;
    server.stop().await.unwrap();
    assert!(drained, "{}", consumed_count(&events, "slow_pool"));
    let pauses = events.matching(|e| match e {
        Event::ConsumerConsumingPause(p) => Some(p.clone()),
        _ => None,
    });
    assert!(!pauses.is_empty(), "the 4-message buffer filled");
    for pause in &pauses {
        assert_eq!(pause.reason, PauseReason::Backpressure);
        assert_eq!(
            (&*pause.consumer_group, &*pause.topic),
            ("pooled", "slow_pool")
        );
        assert_eq!(pause.timeout, None);
    }
    let pooled = consumed_of(&events, "slow_pool");
    assert!(pooled
        .iter()
        .all(|c| c.backend == Backend::WorkerPool && c.size == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_report_lag_per_partition_that_reaches_zero_once_drained() {
    let (_broker, brokers) = broker();
    produce_sequence(&brokers, "plain", 2, 40).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "statistics", |config| {
        config
            .kafka
            .insert("statistics.interval.ms".into(), KafkaValue::Integer(100));
    })
    .listener(events.listener())
    .spawn()
    .await
    .unwrap();
    let drained_lag = |events: &EventLog| {
        events.matching(|e| match e {
            Event::StatisticsEmitted(s) if &*s.consumer_group == "events_flow" => {
                let plain: Vec<_> = s
                    .partitions
                    .iter()
                    .filter(|p| &*p.topic == "plain")
                    .map(|p| (p.partition, p.high_watermark, p.lag()))
                    .collect();
                Some(plain)
            }
            _ => None,
        })
    };
    let reached_zero = eventually(Duration::from_secs(60), || {
        drained_lag(&events)
            .iter()
            .any(|p| p == &[(0, Some(20), Some(0)), (1, Some(20), Some(0))])
    })
    .await;
    server.stop().await.unwrap();
    let reports = drained_lag(&events);
    assert!(reached_zero, "{:?}", reports.last());
    let raw = events.matching(|e| match e {
        Event::StatisticsEmitted(s) => Some((s.client_name.clone(), s.raw.len())),
        _ => None,
    });
    assert!(
        raw.iter()
            .all(|(name, len)| name.starts_with("statistics#consumer") && *len > 0),
        "{raw:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_and_a_failing_subscriber_are_reported_and_every_message_is_still_consumed() {
    let (_broker, brokers) = broker();
    let placed = produce_sequence(&brokers, "plain", 2, 30).await;
    let events = EventLog::default();
    let server = app_on(&brokers, "bad_listeners", |_| {})
        .subscribe("consumer.consumed", |_: &Event| -> Result<(), String> {
            panic!("listener bug")
        })
        .unwrap()
        .subscribe("consumer.consume", |_: &Event| -> Result<(), String> {
            Err("metrics backend down".into())
        })
        .unwrap()
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let all = eventually(Duration::from_secs(60), || {
        consumed_count(&events, "plain") >= placed.len()
    })
    .await;
    server.stop().await.unwrap();
    assert!(
        all,
        "processing went on: {}",
        consumed_count(&events, "plain")
    );
    let reports = events.matching(|e| match e {
        Event::ErrorOccurred(e) if e.error_type == ErrorType::Listener => Some(e.error.clone()),
        _ => None,
    });
    let batches = consumed_of(&events, "plain").len();
    assert_eq!(reports.len(), 2 * batches, "{reports:?}");
    assert!(reports
        .iter()
        .any(|r| r.contains("panicked (listener bug) while handling consumer.consumed")));
    assert!(reports
        .iter()
        .any(|r| r.contains("failed (metrics backend down) while handling consumer.consume")));
}

#[test]
fn subscribing_to_an_unknown_event_fails_and_lists_the_known_ones() {
    let Err(error) =
        app_on("127.0.0.1:9", "unknown", |_| {}).subscribe("consumer.consumd", |_: &Event| ())
    else {
        panic!("an unknown event name is refused");
    };
    let error = error.to_string();
    assert!(
        error.contains("unknown event `consumer.consumd`"),
        "{error}"
    );
    for name in [
        "consumer.consumed",
        "connection.listener.fetch_loop.received",
        "statistics.emitted",
        "error.occurred",
    ] {
        assert!(error.contains(name), "{error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_joining_makes_the_first_report_revoked_partitions_and_revoked_hooks() {
    let (_broker, brokers) = broker();
    produce_sequence(&brokers, "plain", 2, 20).await;
    let first_events = EventLog::default();
    let first = app_on(&brokers, "joining", |_| {})
        .listener(first_events.listener())
        .spawn()
        .await
        .unwrap();
    let consumed = eventually(Duration::from_secs(60), || {
        consumed_count(&first_events, "plain") >= 20
    })
    .await;
    assert!(consumed, "{:?}", first_events.all());
    let second = app_on(&brokers, "joining", |_| {}).spawn().await.unwrap();
    let revoked = eventually(Duration::from_secs(60), || {
        first_events.count("consumer.revoked") >= 2
    })
    .await;
    second.stop().await.unwrap();
    first.stop().await.unwrap();
    assert!(revoked, "{:?}", first_events.all());
    let partitions_revoked = first_events.matching(|e| match e {
        Event::PartitionsRevoked(r) if &*r.consumer_group == "events_flow" => {
            Some(r.partitions.clone())
        }
        _ => None,
    });
    assert!(
        partitions_revoked[0]
            .iter()
            .any(|(topic, _)| &**topic == "plain"),
        "{partitions_revoked:?}"
    );
    let mut hooks = first_events.matching(|e| match e {
        Event::ConsumerRevoked(h) => Some((h.topic.to_string(), h.partition, h.consumer)),
        _ => None,
    });
    hooks.sort();
    hooks.dedup();
    assert!(
        hooks.contains(&("plain".to_owned(), 0, "Plain")),
        "{hooks:?}"
    );
    assert!(
        hooks.contains(&("plain".to_owned(), 1, "Plain")),
        "{hooks:?}"
    );
}

#[test]
fn routes_narrowed_to_named_groups_keep_only_those_and_refuse_unknown_names() {
    let config = karafka::Config::default();
    let routes = karafka::routing::Routes::collect(&config).unwrap();
    let pooled = routes.clone().only_groups(&["pooled"]).unwrap();
    let names: Vec<&str> = pooled.groups().iter().map(|g| &*g.name).collect();
    assert_eq!(names, ["pooled"]);
    let error = routes.only_groups(&["polled"]).unwrap_err().to_string();
    assert!(
        error.contains("no consumer group `polled`; routed groups: events_flow, pooled"),
        "{error}"
    );
}
