//! With `max_retries: 0`, one poison message among 100 goes to the dead letter
//! queue after its one attempt, alone: the messages around it in the failed
//! batch are neither dead-lettered nor consumed twice.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::processing::dlq::headers;
use karafka::producer::{Producer, Record};
use karafka::{Config, Consumer, Context, Messages};
use karafka_tests::kafka::{committed_offsets, read_messages};
use karafka_tests::{app_on, eventually};
use serde::Deserialize;

/// How many times each offset reached the consumer.
static SEEN: Mutex<BTreeMap<i64, u32>> = Mutex::new(BTreeMap::new());

#[derive(Debug, Deserialize)]
struct Reading {
    #[allow(dead_code)]
    value: u32,
}

/// Reads JSON readings, marking each one as it goes.
#[derive(Default)]
struct Readings;

impl Consumer for Readings {
    type Payload = Reading;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Reading>,
    ) -> karafka::Result<()> {
        for message in &messages {
            *SEEN.lock().unwrap().entry(message.offset()).or_default() += 1;
            message.payload()?;
            ctx.mark_as_consumed(message)?;
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group sensors {
        topic readings {
            consumer: Readings,
            dead_letter_queue: { topic: "readings_dlq", max_retries: 0 },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_poison_message_among_100_goes_to_the_dlq_alone_after_one_attempt() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("readings", 1).unwrap();
    broker.create_topic("readings_dlq", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let producer = Producer::new(&Config::default(), &brokers).unwrap();
    for value in 0..100 {
        let payload = if value == 50 {
            "not a reading".to_owned()
        } else {
            format!(r#"{{"value":{value}}}"#)
        };
        producer
            .send(&Record::new("readings", payload).partition(0))
            .await
            .unwrap();
    }

    let app = app_on(&brokers, "max_retries_zero", |config| {
        config.pause_timeout = 50;
        config.kafka.insert(
            "auto.commit.interval.ms".into(),
            karafka::config::KafkaValue::Integer(100),
        );
        config.pause_max_timeout = 200;
    });
    let server = app.spawn().await.unwrap();
    let committed = eventually(Duration::from_secs(60), || {
        committed_offsets(&brokers, "max_retries_zero_sensors", "readings", 1)[&0] == Some(100)
    })
    .await;
    server.stop().await.unwrap();
    let dead = read_messages(&brokers, "readings_dlq", 1, 2, Duration::from_secs(5));

    assert!(committed, "the partition is committed to its end");
    assert_eq!(dead.len(), 1, "exactly one dead letter: {dead:?}");
    let found: BTreeMap<String, String> = dead[0]
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    assert_eq!(found[headers::SOURCE_OFFSET], "50", "the poison message");
    assert_eq!(found[headers::ATTEMPTS], "1", "after one attempt");
    assert_eq!(dead[0].payload.as_deref(), Some(&b"not a reading"[..]));
    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        100,
        "every message reached the consumer: {seen:?}"
    );
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "each message reached it once: {twice:?}");
}
