//! Fetched messages are not copied out of librdkafka: a message keeps the
//! client's buffer until dropped. Key, payload, headers and timestamp read back
//! as sent, a clone owns its bytes, and a batch the application keeps past the
//! server's stop stays readable (the client is left open for it).

use std::sync::Mutex;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::producer::{Producer, Record};
use karafka::routing::Routes;
use karafka::{App, Config, Consumer, Context, Messages, RawMessage};
use karafka_tests::eventually;

/// Batches the consumer kept, as they were handed over.
static KEPT: Mutex<Vec<Messages<String>>> = Mutex::new(Vec::new());
/// Clones of every raw message, taken inside `consume`.
static CLONED: Mutex<Vec<RawMessage>> = Mutex::new(Vec::new());

#[derive(Default)]
struct Keeper;

impl Consumer for Keeper {
    type Payload = String;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            CLONED.lock().unwrap().push(message.raw().clone());
        }
        KEPT.lock().unwrap().push(messages);
        Ok(())
    }
}

karafka::routes! {
    consumer_group fetched_messages {
        topic notes { consumer: Keeper, deserializer: karafka::deserializers::Utf8 }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_messages_read_back_as_sent_and_outlive_the_server_that_fetched_them() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("notes", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    let config = Config {
        client_id: "fetched_messages".into(),
        brokers: vec![brokers.clone()],
        ..Config::default()
    };
    let producer = Producer::new(&config, &brokers).unwrap();
    producer
        .send(
            &Record::new("notes", "first note")
                .key("k-1")
                .header("trace", "abc")
                .header("origin", "test"),
        )
        .await
        .unwrap();
    producer
        .send(&Record::new("notes", "second note"))
        .await
        .unwrap();

    let routes = Routes::collect(&config).unwrap();
    let root = tempfile::tempdir().unwrap();
    let server = App::new(root.path(), config, routes).spawn().await.unwrap();
    let consumed = eventually(Duration::from_secs(30), || {
        KEPT.lock()
            .unwrap()
            .iter()
            .map(Messages::len)
            .sum::<usize>()
            == 2
    })
    .await;
    server.stop().await.unwrap();
    assert!(consumed, "both messages are consumed");

    // The server has stopped; the batches it handed over are still readable.
    let kept = KEPT.lock().unwrap();
    let messages: Vec<_> = kept.iter().flat_map(|batch| batch.iter()).collect();
    let first = messages[0];
    assert_eq!(first.payload().unwrap(), "first note");
    assert_eq!(first.key_str(), Some("k-1"));
    assert_eq!(first.header("trace"), Some(&b"abc"[..]));
    assert_eq!(
        first.headers(),
        &[
            ("trace".to_owned(), Some(b"abc".to_vec())),
            ("origin".to_owned(), Some(b"test".to_vec()))
        ]
    );
    assert!(first.timestamp().is_some_and(|t| t > 0));
    let second = messages[1];
    assert_eq!(second.payload().unwrap(), "second note");
    assert_eq!(second.key(), None);
    assert!(second.headers().is_empty());

    let clones = CLONED.lock().unwrap();
    assert_eq!(clones.len(), 2);
    assert_eq!(clones[0].payload(), Some(&b"first note"[..]));
    assert_eq!(clones[0].key(), Some(&b"k-1"[..]));
    assert_eq!(clones[0].header("origin"), Some(&b"test"[..]));
    assert_eq!(clones[0].timestamp(), first.timestamp());
    assert_eq!((clones[1].topic(), clones[1].offset()), ("notes", 1));
}
