//! Virtual partitions on the embedded broker: one Kafka partition's batches
//! split by a partitioner (the key, a header, an app's own type) into lanes
//! that run in parallel on the worker pool, each key in offset order, the
//! committed offset never past a lane still running, and a failing lane
//! retried and its message dead-lettered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use karafka::config::KafkaValue;
use karafka::embedded::EmbeddedBroker;
use karafka::producer::{Producer, Record};
use karafka::{Backend, Config, Consumer, Context, Messages, Partitioner, RawMessage};
use karafka_tests::kafka::{committed_offsets, read_messages};
use karafka_tests::{app_on, eventually, EventLog};

/// Every topic of this binary's routes, one partition each.
const TOPICS: &[&str] = &[
    "vp_keys",
    "vp_slow",
    "vp_poison",
    "vp_poison_dlq",
    "vp_tenants",
    "vp_parity",
];

/// A broker with every topic of the routes, and a producer on it.
fn broker() -> (EmbeddedBroker, String, Producer) {
    let broker = EmbeddedBroker::start().unwrap();
    for topic in TOPICS {
        broker.create_topic(topic, 1).unwrap();
    }
    let brokers = broker.bootstrap_servers().to_owned();
    let producer = Producer::new(&Config::default(), &brokers).unwrap();
    (broker, brokers, producer)
}

fn app(brokers: &str, client_id: &str) -> karafka::App {
    app_on(brokers, client_id, |config| {
        config.backend = Backend::WorkerPool;
        config.concurrency = 4;
        config.pause_timeout = 50;
        config.pause_max_timeout = 200;
        config
            .kafka
            .insert("auto.commit.interval.ms".into(), KafkaValue::Integer(100));
    })
}

/// What a consume call saw: each message's key (or header), payload and offset.
type Call = Vec<(String, String, i64)>;

fn call_of(messages: &Messages<String>, by_header: bool) -> karafka::Result<Call> {
    let mut call = Vec::new();
    for message in messages {
        let key = if by_header {
            message.header("tenant")
        } else {
            message.key()
        };
        let key = String::from_utf8_lossy(key.unwrap_or_default()).into_owned();
        call.push((key, message.payload()?.clone(), message.offset()));
    }
    Ok(call)
}

static KEYS_CALLS: Mutex<Vec<Call>> = Mutex::new(Vec::new());
static KEYS_RUNNING: AtomicUsize = AtomicUsize::new(0);
static KEYS_MOST_AT_ONCE: AtomicUsize = AtomicUsize::new(0);

/// Takes 100 ms per call and counts how many calls run at once.
#[derive(Default)]
struct KeysConsumer;

impl Consumer for KeysConsumer {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        let running = KEYS_RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
        KEYS_MOST_AT_ONCE.fetch_max(running, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        KEYS_RUNNING.fetch_sub(1, Ordering::SeqCst);
        KEYS_CALLS.lock().unwrap().push(call_of(&messages, false)?);
        Ok(())
    }
}

static SLOW_DONE: Mutex<Vec<i64>> = Mutex::new(Vec::new());
static SLOW_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Key `slow` takes 3 s; the others return at once.
#[derive(Default)]
struct SlowConsumer;

impl Consumer for SlowConsumer {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        if messages.iter().any(|m| m.key() == Some(b"slow")) {
            SLOW_RUNNING.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(3)).await;
            SLOW_RUNNING.fetch_sub(1, Ordering::SeqCst);
        }
        SLOW_DONE
            .lock()
            .unwrap()
            .extend(messages.iter().map(|m| m.offset()));
        Ok(())
    }
}

static POISON_ATTEMPTS: AtomicUsize = AtomicUsize::new(0);
static POISON_DONE: Mutex<Vec<i64>> = Mutex::new(Vec::new());

/// Fails on the payload `poison`, every time.
#[derive(Default)]
struct PoisonConsumer;

impl Consumer for PoisonConsumer {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            if message.payload()? == "poison" {
                POISON_ATTEMPTS.fetch_add(1, Ordering::SeqCst);
                return Err("cannot digest this one".into());
            }
        }
        POISON_DONE
            .lock()
            .unwrap()
            .extend(messages.iter().map(|m| m.offset()));
        Ok(())
    }
}

static TENANT_CALLS: Mutex<Vec<Call>> = Mutex::new(Vec::new());

#[derive(Default)]
struct TenantsConsumer;

impl Consumer for TenantsConsumer {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        TENANT_CALLS.lock().unwrap().push(call_of(&messages, true)?);
        Ok(())
    }
}

static PARITY_CALLS: Mutex<Vec<Call>> = Mutex::new(Vec::new());

#[derive(Default)]
struct ParityConsumer;

impl Consumer for ParityConsumer {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        PARITY_CALLS
            .lock()
            .unwrap()
            .push(call_of(&messages, false)?);
        Ok(())
    }
}

/// Orders by whether the number in the payload is even or odd.
#[derive(Default)]
struct ByParity;

impl Partitioner for ByParity {
    fn key(&self, message: &RawMessage) -> u64 {
        let number: u64 = std::str::from_utf8(message.payload().unwrap_or_default())
            .ok()
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
        number % 2
    }
}

karafka::routes! {
    consumer_group vp_keys {
        max_messages: 40,
        topic vp_keys {
            consumer: KeysConsumer,
            deserializer: karafka::deserializers::Utf8,
            virtual_partitions: { partitioner: key, max_partitions: 4 },
        }
    }
    consumer_group vp_slow {
        topic vp_slow {
            consumer: SlowConsumer,
            deserializer: karafka::deserializers::Utf8,
            virtual_partitions: { max_partitions: 2 },
        }
    }
    consumer_group vp_poison {
        topic vp_poison {
            consumer: PoisonConsumer,
            deserializer: karafka::deserializers::Utf8,
            virtual_partitions: { partitioner: key, max_partitions: 3 },
            dead_letter_queue: { topic: "vp_poison_dlq", max_retries: 1 },
        }
    }
    consumer_group vp_tenants {
        topic vp_tenants {
            consumer: TenantsConsumer,
            deserializer: karafka::deserializers::Utf8,
            virtual_partitions: { partitioner: header("tenant"), max_partitions: 3 },
        }
    }
    consumer_group vp_parity {
        topic vp_parity {
            consumer: ParityConsumer,
            deserializer: karafka::deserializers::Utf8,
            virtual_partitions: { partitioner: ByParity, max_partitions: 2 },
        }
    }
}

async fn produce(producer: &Producer, records: impl IntoIterator<Item = Record>) {
    for record in records {
        producer.send(&record).await.unwrap();
    }
}

/// Per key, the offsets in the order they were consumed.
fn offsets_by_key(calls: &[Call]) -> BTreeMap<String, Vec<i64>> {
    let mut by_key: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for call in calls {
        for (key, _, offset) in call {
            by_key.entry(key.clone()).or_default().push(*offset);
        }
    }
    by_key
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_of_one_partition_run_in_parallel_lanes_each_in_offset_order() {
    let (_broker, brokers, producer) = broker();
    let records = (0..80).map(|i| Record::new("vp_keys", i.to_string()).key(format!("k{}", i % 8)));
    produce(&producer, records).await;
    let events = EventLog::default();
    let server = app(&brokers, "vp_keys")
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    let done = eventually(Duration::from_secs(60), || {
        KEYS_CALLS
            .lock()
            .unwrap()
            .iter()
            .map(Vec::len)
            .sum::<usize>()
            >= 80
    })
    .await;
    let committed = eventually(Duration::from_secs(20), || {
        committed_offsets(&brokers, "vp_keys_vp_keys", "vp_keys", 1)[&0] == Some(80)
    })
    .await;
    server.stop().await.unwrap();
    assert!(done, "all 80 consumed");
    let calls = KEYS_CALLS.lock().unwrap().clone();
    let by_key = offsets_by_key(&calls);
    assert_eq!(by_key.len(), 8);
    for (key, offsets) in &by_key {
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{key}: {offsets:?} in order, once each"
        );
        assert_eq!(offsets.len(), 10, "{key}: each message once");
    }
    for call in &calls {
        assert!(
            call.windows(2).all(|w| w[0].2 < w[1].2),
            "a lane's batch is in offset order: {call:?}"
        );
    }
    assert_eq!(
        KEYS_MOST_AT_ONCE.load(Ordering::SeqCst),
        4,
        "a batch of 8 keys runs on all 4 lanes at once"
    );
    let lanes: BTreeSet<usize> = events
        .matching(|e| match e {
            karafka::Event::ConsumerConsumed(c) => c.virtual_partition,
            _ => None,
        })
        .into_iter()
        .collect();
    assert_eq!(lanes, (0..4).collect(), "events name the lanes");
    assert!(committed, "the committed offset reaches the end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_committed_offset_waits_for_a_lane_still_running() {
    let (_broker, brokers, producer) = broker();
    // Offsets 0..=4 are the quick key's, 5 the slow one's.
    let keys = ["a", "a", "a", "a", "a", "slow"];
    produce(
        &producer,
        keys.iter().map(|k| Record::new("vp_slow", *k).key(*k)),
    )
    .await;
    let server = app(&brokers, "vp_slow").spawn().await.unwrap();
    let quick_done = eventually(Duration::from_secs(30), || {
        SLOW_RUNNING.load(Ordering::SeqCst) == 1 && SLOW_DONE.lock().unwrap().len() >= 5
    })
    .await;
    assert!(
        quick_done,
        "the quick messages are done while the slow lane runs"
    );
    // Well past the commit interval, the slow lane still running.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let while_running = committed_offsets(&brokers, "vp_slow_vp_slow", "vp_slow", 1)[&0];
    assert_eq!(
        SLOW_RUNNING.load(Ordering::SeqCst),
        1,
        "the slow lane still runs"
    );
    assert_eq!(
        while_running,
        Some(5),
        "committed up to the slow lane's message, not past it"
    );
    let all = eventually(Duration::from_secs(20), || {
        committed_offsets(&brokers, "vp_slow_vp_slow", "vp_slow", 1)[&0] == Some(6)
    })
    .await;
    server.stop().await.unwrap();
    assert!(all, "once the slow lane returned, everything is committed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_lane_is_retried_and_its_message_then_dead_lettered() {
    let (_broker, brokers, producer) = broker();
    let payloads = ["a0", "b0", "poison", "a1", "c0", "b1", "c1", "a2"];
    let keys = ["a", "b", "b", "a", "c", "b", "c", "a"];
    produce(
        &producer,
        payloads
            .iter()
            .zip(keys)
            .map(|(p, k)| Record::new("vp_poison", *p).key(k)),
    )
    .await;
    let server = app(&brokers, "vp_poison").spawn().await.unwrap();
    let committed = eventually(Duration::from_secs(60), || {
        committed_offsets(&brokers, "vp_poison_vp_poison", "vp_poison", 1)[&0] == Some(8)
    })
    .await;
    server.stop().await.unwrap();
    assert!(committed, "the partition is committed to its end");
    let done: BTreeSet<i64> = POISON_DONE.lock().unwrap().iter().copied().collect();
    assert_eq!(
        done,
        [0, 1, 3, 4, 5, 6, 7].into_iter().collect(),
        "every other message consumed"
    );
    let dead = read_messages(&brokers, "vp_poison_dlq", 1, 1, Duration::from_secs(30));
    assert_eq!(dead.len(), 1, "one dead letter");
    assert_eq!(dead[0].payload.as_deref(), Some(&b"poison"[..]));
    // The batch attempt, then max_retries (1) + 1 attempts of its own.
    assert_eq!(POISON_ATTEMPTS.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_header_partitioner_keeps_each_tenant_in_one_lane() {
    let (_broker, brokers, producer) = broker();
    let records = (0..30)
        .map(|i| Record::new("vp_tenants", i.to_string()).header("tenant", format!("t{}", i % 3)));
    produce(&producer, records).await;
    let server = app(&brokers, "vp_tenants").spawn().await.unwrap();
    let done = eventually(Duration::from_secs(60), || {
        TENANT_CALLS
            .lock()
            .unwrap()
            .iter()
            .map(Vec::len)
            .sum::<usize>()
            >= 30
    })
    .await;
    server.stop().await.unwrap();
    assert!(done, "all 30 consumed");
    let calls = TENANT_CALLS.lock().unwrap().clone();
    for call in &calls {
        let tenants: BTreeSet<&str> = call.iter().map(|(t, _, _)| t.as_str()).collect();
        assert_eq!(
            tenants.len(),
            1,
            "a lane holds one tenant when there are as many lanes: {call:?}"
        );
    }
    for (tenant, offsets) in offsets_by_key(&calls) {
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{tenant}: {offsets:?}"
        );
        assert_eq!(offsets.len(), 10);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_partitioner_decides_the_lanes() {
    let (_broker, brokers, producer) = broker();
    produce(
        &producer,
        (0..20).map(|i| Record::new("vp_parity", i.to_string())),
    )
    .await;
    let server = app(&brokers, "vp_parity").spawn().await.unwrap();
    let done = eventually(Duration::from_secs(60), || {
        PARITY_CALLS
            .lock()
            .unwrap()
            .iter()
            .map(Vec::len)
            .sum::<usize>()
            >= 20
    })
    .await;
    server.stop().await.unwrap();
    assert!(done, "all 20 consumed");
    for call in PARITY_CALLS.lock().unwrap().iter() {
        let parities: BTreeSet<u64> = call
            .iter()
            .map(|(_, payload, _)| payload.parse::<u64>().unwrap() % 2)
            .collect();
        assert_eq!(
            parities.len(),
            1,
            "a lane holds even or odd numbers only: {call:?}"
        );
    }
}
