//! The StdoutListener's server log, captured from `tracing` in a real run on
//! the embedded broker: Karafka's processing and delegation lines per backend,
//! assignments, errors with their type, and the stop.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::producer::{Producer, Record};
use karafka::{Config, Consumer, Context, Messages, StdoutListener};
use karafka_tests::{app_on, eventually};

#[derive(Default)]
struct Echo;

impl Consumer for Echo {
    type Payload = String;

    async fn consume(
        &mut self,
        _: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            message.payload()?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Broken;

impl Consumer for Broken {
    type Payload = String;

    async fn consume(&mut self, _: &mut Context, _: Messages<String>) -> karafka::Result<()> {
        Err("cannot digest".into())
    }
}

karafka::routes! {
    consumer_group logged {
        topic inline_topic {
            consumer: Echo,
            deserializer: karafka::deserializers::Utf8,
            backend: inline,
        }
        topic pool_topic {
            consumer: Echo,
            deserializer: karafka::deserializers::Utf8,
            backend: worker_pool,
        }
        topic broken {
            consumer: Broken,
            deserializer: karafka::deserializers::Utf8,
            backend: inline,
        }
    }
}

/// Everything the `karafka` target logs, as text.
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

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stdout_listener_logs_processing_per_backend_assignments_errors_and_the_stop() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_env_filter("karafka=info")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("inline_topic", 2).unwrap();
    broker.create_topic("pool_topic", 1).unwrap();
    broker.create_topic("broken", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let producer = Producer::new(&Config::default(), &brokers).unwrap();
    producer
        .send(&Record::new("inline_topic", "one").partition(1))
        .await
        .unwrap();
    for payload in ["a", "b", "c"] {
        producer
            .send(&Record::new("pool_topic", payload))
            .await
            .unwrap();
    }
    producer.send(&Record::new("broken", "x")).await.unwrap();

    let server = app_on(&brokers, "stdout", |config| {
        config.pause_timeout = 100;
        config.pause_max_timeout = 200;
    })
    .listener(StdoutListener)
    .spawn()
    .await
    .unwrap();
    let logged = eventually(Duration::from_secs(60), || {
        let text = log.text();
        text.contains("on inline_topic topic delegated to Echo")
            && text.contains("on pool_topic topic delegated to Echo")
            && text.contains("consumer.consume.error")
    })
    .await;
    server.quiet();
    server.stop().await.unwrap();
    let text = log.text();
    assert!(logged, "{text}");

    for line in [
        "INFO karafka: [logged] Partitions assigned for `broken`: 0",
        "INFO karafka: [logged] Partitions assigned for `inline_topic`: 0, 1",
        "INFO karafka: [logged] Partitions assigned for `pool_topic`: 0",
        "INFO karafka: [logged] Inline processing of topic inline_topic with 1 messages took ",
        "INFO karafka: [logged] 1 message on inline_topic topic delegated to Echo",
        "INFO karafka: [logged] Worker pool processing of topic pool_topic with ",
        "ERROR karafka: [logged] broken/0@0 (attempt 1) consumer.consume.error: cannot digest",
        "WARN karafka: [logged] Pausing broken/0 for 100 ms; attempt 2 will start at offset 0",
        "INFO karafka: Quiet mode: finishing running work, taking no new batches",
        "INFO karafka: Stopping Karafka server",
        "INFO karafka: Stopped Karafka server",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(
        !text.contains("Inline processing of topic pool_topic"),
        "the worker pool says so: {text}"
    );
}
