//! A message whose header name is not UTF-8 (any Kafka client may send one)
//! is read, dead-lettered and passed, instead of killing the fetch thread
//! when its dead letter record is built.

use std::ffi::CString;
use std::sync::Mutex;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::{Consumer, Context, Messages};
use karafka_tests::kafka::{committed_offsets, read_messages};
use karafka_tests::{app_on, eventually};
use rdkafka::bindings as rdsys;
use rdkafka::producer::{BaseProducer, Producer as _};
use rdkafka::ClientConfig;

static DONE: Mutex<Vec<i64>> = Mutex::new(Vec::new());

/// Fails on `poison`, records the offsets of the rest.
#[derive(Default)]
struct Letters;

impl Consumer for Letters {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            if message.payload()? == "poison" {
                return Err("cannot read this letter".into());
            }
        }
        DONE.lock()
            .unwrap()
            .extend(messages.iter().map(|m| m.offset()));
        Ok(())
    }
}

karafka::routes! {
    consumer_group mailroom {
        topic letters {
            consumer: Letters,
            deserializer: karafka::deserializers::Utf8,
            batch_consuming: false,
            dead_letter_queue: { topic: "letters_dlq", max_retries: 0 },
        }
    }
}

/// Writes `payload` to partition 0 of `topic` with one header whose name is
/// `name` (any bytes but NUL): rust-rdkafka's API only takes UTF-8 names.
#[allow(unsafe_code)] // librdkafka's C API: the only way to send such a name
fn produce_with_header(brokers: &str, topic: &str, name: &[u8], payload: &str) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let topic = CString::new(topic).unwrap();
    let name = CString::new(name).unwrap();
    let value = b"v";
    let mut vus: [rdsys::rd_kafka_vu_t; 5] = unsafe { std::mem::zeroed() };
    vus[0].vtype = rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_TOPIC;
    vus[0].u.cstr = topic.as_ptr();
    vus[1].vtype = rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION;
    vus[1].u.i32_ = 0;
    vus[2].vtype = rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE;
    vus[2].u.mem = rdsys::rd_kafka_vu_s__bindgen_ty_1__bindgen_ty_1 {
        ptr: payload.as_ptr() as *mut _,
        size: payload.len(),
    };
    vus[3].vtype = rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADER;
    vus[3].u.header = rdsys::rd_kafka_vu_s__bindgen_ty_1__bindgen_ty_2 {
        name: name.as_ptr(),
        val: value.as_ptr().cast(),
        size: value.len() as isize,
    };
    vus[4].vtype = rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS;
    vus[4].u.i = rdsys::RD_KAFKA_MSG_F_COPY;
    // SAFETY: every pointer outlives the call; librdkafka copies the value (F_COPY).
    let error = unsafe {
        rdsys::rd_kafka_produceva(producer.client().native_ptr(), vus.as_ptr(), vus.len())
    };
    assert!(error.is_null(), "librdkafka accepted the message");
    producer.flush(Duration::from_secs(10)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_name_that_is_not_utf8_is_dead_lettered_instead_of_stopping_the_group() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("letters", 1).unwrap();
    broker.create_topic("letters_dlq", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    produce_with_header(&brokers, "letters", b"first", "hello");
    produce_with_header(&brokers, "letters", b"caf\xe9", "poison");
    produce_with_header(&brokers, "letters", b"third", "world");

    let app = app_on(&brokers, "header_names", |config| {
        config.kafka.insert(
            "auto.commit.interval.ms".into(),
            karafka::config::KafkaValue::Integer(100),
        );
        config.pause_timeout = 50;
    });
    let server = app.spawn().await.unwrap();
    let committed = eventually(Duration::from_secs(60), || {
        committed_offsets(&brokers, "header_names_mailroom", "letters", 1)[&0] == Some(3)
    })
    .await;
    server.stop().await.unwrap();
    let dead = read_messages(&brokers, "letters_dlq", 1, 1, Duration::from_secs(10));

    assert!(committed, "the group goes on past the message");
    assert_eq!(*DONE.lock().unwrap(), vec![0, 2]);
    assert_eq!(dead.len(), 1, "the message is dead-lettered: {dead:?}");
    let names: Vec<&str> = dead[0].headers.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        names.contains(&"caf\u{fffd}"),
        "its header keeps its name, the invalid byte replaced: {names:?}"
    );
}
