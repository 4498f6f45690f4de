//! Reliability: while the dead letter queue cannot be written (the broker
//! refuses every Produce request), the failing message's offset is not
//! committed and nothing after it is consumed; once the write is acknowledged,
//! the offset moves past it and the rest is consumed.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::embedded::EmbeddedBroker;
use karafka::processing::dlq::headers;
use karafka::producer::{Producer, Record};
use karafka::{Config, Consumer, Context, Event, Messages};
use karafka_tests::kafka::{committed_offsets, read_messages};
use karafka_tests::reliability::Summary;
use karafka_tests::{app_on, eventually, EventLog};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

static DONE: Mutex<Vec<i64>> = Mutex::new(Vec::new());

/// Fails on `poison`, records the offsets of the rest.
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
                return Err("cannot process this order".into());
            }
        }
        DONE.lock()
            .unwrap()
            .extend(messages.iter().map(|m| m.offset()));
        Ok(())
    }
}

karafka::routes! {
    consumer_group orders {
        topic orders {
            consumer: Orders,
            deserializer: karafka::deserializers::Utf8,
            dead_letter_queue: { topic: "orders_dlq", max_retries: 1 },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_offset_is_not_committed_until_the_dead_letter_write_is_acknowledged() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("orders", 1).unwrap();
    broker.create_topic("orders_dlq", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let producer = Producer::new(&Config::default(), &brokers).unwrap();
    for payload in ["first", "poison", "third", "fourth", "fifth"] {
        producer
            .send(&Record::new("orders", payload).partition(0))
            .await
            .unwrap();
    }
    // From now on the broker refuses every write (until cleared below).
    let refusals = vec![RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED; 10_000];
    broker
        .mock()
        .request_errors(RDKafkaApiKey::Produce, &refusals);

    let events = EventLog::default();
    let app = app_on(&brokers, "dlq_failure", |config| {
        config.pause_timeout = 50;
        config.pause_max_timeout = 200;
        config.kafka.insert(
            "auto.commit.interval.ms".into(),
            karafka::config::KafkaValue::Integer(100),
        );
    })
    .listener(events.listener());
    let server = app.spawn().await.unwrap();
    let dispatch_errors = || {
        events.matching(|e| match e {
            Event::ErrorOccurred(e)
                if e.error_type == karafka::instrumentation::ErrorType::DeadLetterQueueDispatch =>
            {
                Some(e.error.clone())
            }
            _ => None,
        })
    };
    let failing = eventually(Duration::from_secs(60), || dispatch_errors().len() >= 3).await;
    assert!(failing, "the dead letter writes fail and are reported");

    // While the writes keep failing, the commit stays at the poison message.
    let watch_until = Instant::now() + Duration::from_secs(2);
    let mut highest_committed = None;
    while Instant::now() < watch_until {
        let committed = committed_offsets(&brokers, "dlq_failure_orders", "orders", 1)[&0];
        highest_committed = highest_committed.max(committed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed_writes = dispatch_errors().len();
    let before_ack = DONE.lock().unwrap().clone();
    let error = dispatch_errors().first().cloned().unwrap_or_default();

    broker.mock().clear_request_errors(RDKafkaApiKey::Produce);
    let dispatched = eventually(Duration::from_secs(60), || {
        events.count("dead_letter_queue.dispatched") == 1 && DONE.lock().unwrap().contains(&4)
    })
    .await;
    let committed_after = eventually(Duration::from_secs(30), || {
        committed_offsets(&brokers, "dlq_failure_orders", "orders", 1)[&0] == Some(5)
    })
    .await;
    server.stop().await.unwrap();
    let dead = read_messages(&brokers, "orders_dlq", 1, 2, Duration::from_secs(5));

    let after: Vec<i64> = DONE.lock().unwrap().clone();
    let lost =
        [0, 2, 3, 4].iter().filter(|o| !after.contains(o)).count() + usize::from(dead.is_empty());
    Summary::new("dlq_write_failure", 5, failed_writes, lost, 0)
        .with("committed_while_failing", highest_committed.unwrap_or(-1))
        .print();
    assert!(
        error.contains("orders_dlq"),
        "the error names the dead letter topic: {error}"
    );
    assert_eq!(
        highest_committed,
        Some(1),
        "nothing past the poison message is committed before the DLQ write is acknowledged"
    );
    assert_eq!(
        before_ack,
        vec![0],
        "nothing after the poison message is consumed meanwhile"
    );
    assert!(dispatched, "the write succeeds once the broker accepts it");
    assert!(
        committed_after,
        "the commit then moves past the poison message"
    );
    assert_eq!(after, vec![0, 2, 3, 4]);
    assert_eq!(dead.len(), 1, "exactly one dead letter: {dead:?}");
    let source_offset = dead[0]
        .headers
        .iter()
        .find(|(k, _)| k == headers::SOURCE_OFFSET)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    assert_eq!(source_offset.as_deref(), Some("1"));
}
