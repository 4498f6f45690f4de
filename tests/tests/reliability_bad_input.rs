//! Reliability: oversized, truncated, invalid UTF-8 and wrong-schema payloads
//! among good ones. Nothing panics; each bad one is retried, then written to
//! the dead letter queue with an error naming what was wrong; every good
//! message, before and after them, is consumed in order.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::processing::dlq::headers;
use karafka::producer::{Producer, Record};
use karafka::{Consumer, Context, Event, Messages};
use karafka_tests::kafka::{committed_offsets, read_messages};
use karafka_tests::reliability::Summary;
use karafka_tests::{app_on, assert_partition_order, eventually, EventLog};

/// The largest payload the consumer accepts.
const LIMIT: usize = 512 * 1024;

static GOOD: Mutex<Vec<(i32, i64)>> = Mutex::new(Vec::new());

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Reading {
    id: u64,
    value: String,
}

/// Refuses payloads over [`LIMIT`]; deserializes each message.
#[derive(Default)]
struct Readings;

impl Consumer for Readings {
    type Payload = Reading;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Reading>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let size = message.raw_payload().map_or(0, <[u8]>::len);
            if size > LIMIT {
                return Err(
                    format!("payload of {size} bytes is over the {LIMIT}-byte limit").into(),
                );
            }
            message.payload()?;
        }
        GOOD.lock()
            .unwrap()
            .extend(messages.iter().map(|m| (m.partition(), m.offset())));
        Ok(())
    }
}

karafka::routes! {
    consumer_group sensors {
        topic readings {
            consumer: Readings,
            dead_letter_queue: { topic: "readings_dlq", max_retries: 1 },
        }
    }
}

fn good(id: u64) -> Vec<u8> {
    format!("{{\"id\":{id},\"value\":\"ok\"}}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_payloads_go_to_the_dlq_naming_the_problem_and_nothing_after_them_is_skipped() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("readings", 2).unwrap();
    broker.create_topic("readings_dlq", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let events = EventLog::default();
    let app = app_on(&brokers, "bad_input", |config| {
        config.pause_timeout = 50;
        config.pause_max_timeout = 200;
        // Messages over librdkafka's 1 MB default may be produced (also to the DLQ).
        config.kafka.insert(
            "message.max.bytes".into(),
            karafka::config::KafkaValue::Integer(4_000_000),
        );
        config.kafka.insert(
            "auto.commit.interval.ms".into(),
            karafka::config::KafkaValue::Integer(200),
        );
    })
    .listener(events.listener());
    let producer = Producer::new(app.config(), &brokers).unwrap();

    let oversized = format!("{{\"id\":9,\"value\":\"{}\"}}", "x".repeat(1_500_000)).into_bytes();
    let mut invalid_utf8 = b"{\"id\":5,\"value\":\"".to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    invalid_utf8.extend_from_slice(b"\"}");
    // (payload, what the DLQ's error header must mention; None: a good message)
    let partition0: Vec<(Vec<u8>, Option<&str>)> = vec![
        (good(1), None),
        (b"{\"id\":2,\"val".to_vec(), Some("EOF while parsing")),
        (good(3), None),
        (invalid_utf8, Some("invalid unicode")),
        (good(6), None),
        (
            b"{\"name\":\"not a reading\"}".to_vec(),
            Some("unknown field `name`"),
        ),
        (good(7), None),
        (oversized, Some("over the 524288-byte limit")),
        (good(10), None),
    ];
    let bad_count = partition0.iter().filter(|(_, e)| e.is_some()).count();
    let mut expected_bad = BTreeMap::new();
    let mut expected_good = Vec::new();
    for (payload, problem) in &partition0 {
        let delivery = producer
            .send(&Record::new("readings", payload.clone()).partition(0))
            .await
            .unwrap();
        match problem {
            Some(problem) => {
                expected_bad.insert(delivery.offset, *problem);
            }
            None => expected_good.push((0, delivery.offset)),
        }
    }
    for id in 100..105 {
        let delivery = producer
            .send(&Record::new("readings", good(id)).partition(1))
            .await
            .unwrap();
        expected_good.push((1, delivery.offset));
    }

    let server = app.spawn().await.unwrap();
    let finished = eventually(Duration::from_secs(120), || {
        events.count("dead_letter_queue.dispatched") == bad_count
            && GOOD.lock().unwrap().len() >= expected_good.len()
    })
    .await;
    let committed = eventually(Duration::from_secs(30), || {
        let committed = committed_offsets(&brokers, "bad_input_sensors", "readings", 2);
        committed[&0] == Some(partition0.len() as i64) && committed[&1] == Some(5)
    })
    .await;
    server.stop().await.unwrap();

    let consumed = GOOD.lock().unwrap().clone();
    let dead = read_messages(
        &brokers,
        "readings_dlq",
        1,
        bad_count + 1,
        Duration::from_secs(10),
    );
    let errors = events.matching(|e| match e {
        Event::ErrorOccurred(e) => Some(e.error.clone()),
        _ => None,
    });
    let mut sorted_good = consumed.clone();
    sorted_good.sort_unstable();
    let mut wanted_good = expected_good.clone();
    wanted_good.sort_unstable();
    let dead_offsets: BTreeMap<i64, String> = dead
        .iter()
        .map(|m| {
            let header = |name: &str| {
                m.headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default()
            };
            (
                header(headers::SOURCE_OFFSET).parse().unwrap_or(-1),
                header(headers::ERROR),
            )
        })
        .collect();
    let lost = wanted_good.iter().filter(|g| !consumed.contains(g)).count()
        + expected_bad
            .keys()
            .filter(|o| !dead_offsets.contains_key(o))
            .count();
    Summary::new(
        "bad_input",
        expected_good.len() + bad_count,
        bad_count,
        lost,
        consumed.len()
            - consumed
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
    )
    .with("dead_lettered", dead.len())
    .print();

    assert!(finished, "good messages {consumed:?}; errors {errors:?}");
    assert_eq!(lost, 0, "nothing lost; dead letters {dead_offsets:?}");
    assert_eq!(sorted_good, wanted_good, "every good message once");
    assert_partition_order(&consumed);
    assert_eq!(dead.len(), bad_count, "one dead letter per bad message");
    for (offset, problem) in &expected_bad {
        let error = &dead_offsets[offset];
        assert!(
            error.contains(problem),
            "the dead letter of offset {offset} says what was wrong ({problem}): {error}"
        );
    }
    assert!(
        !errors.iter().any(|e| e.contains("panicked")),
        "nothing panicked: {errors:?}"
    );
    assert!(committed, "the commits end after the last messages");
}
