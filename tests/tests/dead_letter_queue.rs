//! A message that keeps failing goes to the dead letter queue after exactly
//! max_retries + 1 attempts, with headers saying where it came from and why;
//! the messages after it and the other partitions carry on. The log says what
//! really happens: each failure at the failing message's offset, a retry pause
//! only where an attempt follows, then the dead letter.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::processing::dlq::headers;
use karafka::producer::{Producer, Record};
use karafka::{Config, Consumer, Context, Messages, StdoutListener};
use karafka_tests::kafka::{committed_offsets, read_messages};
use karafka_tests::{app_on, eventually, EventLog};

static POISON_ATTEMPTS: AtomicU32 = AtomicU32::new(0);
static DONE: Mutex<Vec<(i32, i64)>> = Mutex::new(Vec::new());

#[derive(Default)]
struct Picky;

impl Consumer for Picky {
    type Payload = String;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            if message.payload()? == "poison" {
                POISON_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
                return Err("cannot digest this one".into());
            }
            ctx.mark_as_consumed(message)?;
            let mut done = DONE.lock().unwrap();
            done.push((message.partition(), message.offset()));
        }
        Ok(())
    }
}

/// What the `karafka` target logs, as text.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

karafka::routes! {
    consumer_group picky {
        backend: worker_pool,
        topic meals {
            consumer: Picky,
            deserializer: karafka::deserializers::Utf8,
            dead_letter_queue: { topic: "meals_dlq", max_retries: 2 },
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_message_goes_to_the_dlq_after_max_retries_plus_one_attempts_and_the_rest_goes_on() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_env_filter("karafka=info")
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .init();
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("meals", 2).unwrap();
    broker.create_topic("meals_dlq", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let producer = Producer::new(&Config::default(), &brokers).unwrap();
    // Partition 0: two good meals, the poison (offset 2), two more; partition 1: three good ones.
    for payload in ["soup", "bread", "poison", "salad", "cake"] {
        let record = Record::new("meals", payload)
            .partition(0)
            .key("table-1")
            .header("course", "any");
        producer.send(&record).await.unwrap();
    }
    for payload in ["tea", "coffee", "juice"] {
        producer
            .send(&Record::new("meals", payload).partition(1))
            .await
            .unwrap();
    }

    let events = EventLog::default();
    let app = app_on(&brokers, "dlq", |config| {
        config.pause_timeout = 50;
        config.pause_max_timeout = 200;
    })
    .listener(events.listener())
    .listener(StdoutListener);
    let server = app.spawn().await.unwrap();
    let finished = eventually(Duration::from_secs(60), || {
        let done = DONE.lock().unwrap();
        done.contains(&(0, 4)) && done.contains(&(1, 2))
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.stop().await.unwrap();
    assert!(
        finished,
        "later messages and the other partition are consumed: {:?}",
        DONE.lock().unwrap()
    );

    // The first batch (offsets 0..=4) fails at the poison after marking the
    // two before it, which counts for no message; retried alone, the poison
    // then fails max_retries (2) + 1 attempts of its own.
    assert_eq!(
        POISON_ATTEMPTS.load(Ordering::SeqCst),
        4,
        "one batch attempt, then max_retries (2) + 1 attempts of its own"
    );
    let done = DONE.lock().unwrap().clone();
    for offset in [0, 1, 3, 4] {
        assert!(
            done.contains(&(0, offset)),
            "partition 0 offset {offset} consumed"
        );
    }
    assert!(!done.contains(&(0, 2)), "the poison never succeeded");

    let dead = read_messages(&brokers, "meals_dlq", 1, 1, Duration::from_secs(30));
    assert_eq!(dead.len(), 1, "one message in the dead letter queue");
    let message = &dead[0];
    assert_eq!(message.payload.as_deref(), Some(&b"poison"[..]));
    assert_eq!(message.key.as_deref(), Some(&b"table-1"[..]));
    let found: BTreeMap<String, String> = message
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    assert_eq!(found["course"], "any", "the original headers are kept");
    assert_eq!(found[headers::SOURCE_TOPIC], "meals");
    assert_eq!(found[headers::SOURCE_PARTITION], "0");
    assert_eq!(found[headers::SOURCE_OFFSET], "2");
    // The Kafka group.id (it was the route's group name before), and that name.
    assert_eq!(found[headers::SOURCE_CONSUMER_GROUP], "dlq_picky");
    assert_eq!(found[headers::SOURCE_ROUTE_GROUP], "picky");
    assert_eq!(found[headers::ATTEMPTS], "3");
    assert!(
        found[headers::ERROR].contains("cannot digest this one"),
        "{found:?}"
    );

    let dispatched = events.matching(|e| match e {
        karafka::Event::DeadLetterQueueDispatched(d) => Some((d.offset, d.attempts)),
        _ => None,
    });
    assert_eq!(dispatched, vec![(2, 3)]);
    let committed = committed_offsets(&brokers, "dlq_picky", "meals", 2);
    assert_eq!(
        committed[&0],
        Some(5),
        "committed past the poison once it was dead-lettered"
    );
    assert_eq!(committed[&1], Some(3));

    // Partition 0's log: every failure at the poison's offset (2), not the
    // batch's first (0); a retry pause only where an attempt follows; after
    // the last attempt, the dead letter (it used to announce an attempt 5).
    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    let partition_0: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("meals/0"))
        .map(str::trim)
        .collect();
    let error = |attempt| {
        format!(
            "ERROR karafka: [picky] meals/0@2 (attempt {attempt}) consumer.consume.error: cannot digest this one"
        )
    };
    let pause = |ms, attempt| {
        format!("WARN karafka: [picky] Pausing meals/0 for {ms} ms; attempt {attempt} will start at offset 2")
    };
    assert_eq!(
        partition_0,
        [
            error(1),
            pause(50, 2),
            error(2),
            pause(100, 3),
            error(3),
            pause(200, 4),
            error(4),
            "WARN karafka: [picky] Dead-lettering meals/0@2: no further attempt".to_owned(),
            "WARN karafka: [picky] meals/0@2 failed 3 times; written to dead letter queue meals_dlq"
                .to_owned(),
        ],
        "{text}"
    );
}
