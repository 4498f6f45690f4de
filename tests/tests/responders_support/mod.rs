//! What the responder tests on the embedded broker and on Tansu share: the
//! responders and consumers of a small app, its routes, and the scenarios.

#![allow(dead_code)] // each test binary uses part of it

use std::sync::Mutex;
use std::time::Duration;

use karafka::instrumentation::ErrorType;
use karafka::instrumentation::{ErrorOccurred, ResponderResponded};
use karafka::routing::Routes;
use karafka::{
    App, Config, Consumer, Context, Event, Messages, Outbox, Respond, RespondOptions, Responder,
};
use karafka_tests::eventually;
use serde::{Deserialize, Serialize};

/// Topics of the test app, each with this many partitions.
pub const TOPICS: &[&str] = &["signups", "audit", "incoming", "piped", "flushed"];

/// A header value that is not UTF-8, to check bytes survive as they are.
pub const TRACE: &[u8] = &[0, 159, 146, 150];

/// What a consumer saw of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub headers: Vec<(String, Vec<u8>)>,
    pub payload: Vec<u8>,
}

/// Everything the recording consumers saw, in order.
pub static SEEN: Mutex<Vec<Seen>> = Mutex::new(Vec::new());

/// Every event the test app emitted.
pub static EVENTS: Mutex<Vec<Event>> = Mutex::new(Vec::new());

/// Tests of one binary share the process's current app: one at a time.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Records every message it consumes.
#[derive(Default)]
pub struct Recording;

impl Consumer for Recording {
    type Payload = Vec<u8>;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<Vec<u8>>,
    ) -> karafka::Result<()> {
        let mut seen = SEEN.lock().unwrap();
        for message in &messages {
            seen.push(Seen {
                topic: message.topic().to_owned(),
                partition: message.partition(),
                offset: message.offset(),
                key: message.key().map(<[u8]>::to_vec),
                headers: message
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                    .collect(),
                payload: message.raw_payload().unwrap_or_default().to_vec(),
            });
        }
        Ok(())
    }
}

/// Pipes each batch of `incoming` to `piped` through [`PipeResponder`].
#[derive(Default)]
pub struct Piping;

impl Consumer for Piping {
    type Payload = Vec<u8>;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Vec<u8>>,
    ) -> karafka::Result<()> {
        let batch: Vec<Piped> = messages
            .iter()
            .map(|m| Piped {
                from: format!("{}/{}@{}", m.topic(), m.partition(), m.offset()),
                key: m.key().map(<[u8]>::to_vec),
                payload: m.raw_payload().unwrap_or_default().to_vec(),
            })
            .collect();
        ctx.respond_with::<PipeResponder>(&batch).await?;
        Ok(())
    }
}

karafka::routes! {
    consumer_group responders {
        topic signups { consumer: Recording, deserializer: karafka::deserializers::Raw }
        topic audit { consumer: Recording, deserializer: karafka::deserializers::Raw }
        topic incoming { consumer: Piping, deserializer: karafka::deserializers::Raw }
        topic piped { consumer: Recording, deserializer: karafka::deserializers::Raw }
    }
}

/// The input of [`SignupResponder`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signup {
    pub id: u32,
    pub name: String,
    pub partition: i32,
    pub audit: bool,
}

/// A signup as JSON on `signups`, keyed by id, to a chosen partition, with
/// headers; and a line of text on `audit` when asked.
#[derive(Debug, Default, Responder)]
#[responder(topic = "signups")]
#[responder(
    topic = "audit",
    required = false,
    serializer = karafka::serializers::Utf8,
    key = "audit",
    partition = 0
)]
pub struct SignupResponder;

impl Respond for SignupResponder {
    type Input = Signup;

    fn respond(&self, signup: &Signup, out: &mut Outbox) -> karafka::Result<()> {
        let options = RespondOptions::new()
            .key(signup.id.to_string())
            .partition(signup.partition)
            .header("source", "responder-test")
            .header("trace", TRACE);
        out.respond_to_with("signups", signup, options)?;
        if signup.audit {
            out.respond_to("audit", &format!("signup {}", signup.id))?;
        }
        Ok(())
    }
}

/// A message on its way from `incoming` to `piped`.
#[derive(Debug, Clone)]
pub struct Piped {
    pub from: String,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
}

/// Forwards a batch to `piped` as raw bytes, keeping keys, naming the origin in a header.
#[derive(Debug, Default, Responder)]
#[responder(topic = "piped", multiple_usage = true, serializer = karafka::serializers::Raw)]
pub struct PipeResponder;

impl Respond for PipeResponder {
    type Input = [Piped];

    fn respond(&self, batch: &[Piped], out: &mut Outbox) -> karafka::Result<()> {
        for message in batch {
            let mut options = RespondOptions::new().header("piped-from", message.from.as_str());
            if let Some(key) = &message.key {
                options = options.key(key.clone());
            }
            out.respond_to_with("piped", &message.payload, options)?;
        }
        Ok(())
    }
}

/// Writes text to the topics it is given: a way to misuse a responder on purpose.
#[derive(Debug, Default, Responder)]
#[responder(topic = "signups")]
#[responder(topic = "audit", required = false)]
pub struct StrictResponder;

impl Respond for StrictResponder {
    type Input = (String, Vec<String>);

    fn respond(&self, (marker, topics): &Self::Input, out: &mut Outbox) -> karafka::Result<()> {
        for topic in topics {
            out.respond_to(topic, marker)?;
        }
        Ok(())
    }
}

/// One numbered message to `flushed`.
#[derive(Debug, Default, Responder)]
#[responder(topic = "flushed")]
pub struct FlushResponder;

impl Respond for FlushResponder {
    type Input = u32;

    fn respond(&self, n: &u32, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to("flushed", n)
    }
}

/// A test app on `brokers` whose events land in [`EVENTS`].
pub fn app(root: &std::path::Path, mut config: Config, brokers: &str) -> App {
    config.brokers = vec![brokers.to_owned()];
    let routes = Routes::collect(&config).unwrap();
    App::new(root, config, routes)
        .listener(|event: &Event| EVENTS.lock().unwrap().push(event.clone()))
}

/// Clears what earlier tests of the binary recorded.
pub fn reset() {
    SEEN.lock().unwrap().clear();
    EVENTS.lock().unwrap().clear();
}

fn seen_on(topic: &str) -> Vec<Seen> {
    SEEN.lock()
        .unwrap()
        .iter()
        .filter(|s| s.topic == topic)
        .cloned()
        .collect()
}

/// Responder output with keys, partitions and headers, from app code and from a
/// consumer's `respond_with`, arrives in consumers as it was sent.
pub async fn round_trip(config: Config, brokers: &str, partitions: i32) {
    let root = tempfile::tempdir().unwrap();
    let server = app(root.path(), config, brokers).spawn().await.unwrap();

    let signups: Vec<Signup> = (0..6)
        .map(|id| Signup {
            id,
            name: format!("user-{id}"),
            partition: id as i32 % partitions,
            audit: id % 2 == 0,
        })
        .collect();
    let mut responded = Vec::new();
    for signup in &signups {
        responded.push(SignupResponder.call(signup).await.unwrap());
    }
    let incoming = karafka::Producer::new(&Config::default(), brokers).unwrap();
    for i in 0..5 {
        let record = karafka::producer::Record::new("incoming", format!("raw-{i}"))
            .key(format!("k{i}"))
            .partition(i % partitions);
        incoming.send(&record).await.unwrap();
    }

    let all = eventually(Duration::from_secs(60), || {
        seen_on("signups").len() >= 6 && seen_on("audit").len() >= 3 && seen_on("piped").len() >= 5
    })
    .await;
    server.stop().await.unwrap();
    assert!(all, "not everything arrived: {:?}", SEEN.lock().unwrap());

    // From app code: each message where `call` said, with key, partition and headers.
    for (signup, responded) in signups.iter().zip(&responded) {
        assert_eq!(responded.responder(), "SignupResponder");
        let delivered = &responded.deliveries()[0];
        assert_eq!(
            (delivered.topic.as_str(), delivered.partition),
            ("signups", signup.partition)
        );
        let seen = seen_on("signups")
            .into_iter()
            .find(|s| s.partition == delivered.partition && s.offset == delivered.offset)
            .expect("the consumer saw the delivered message");
        assert_eq!(seen.key.as_deref(), Some(signup.id.to_string().as_bytes()));
        assert_eq!(
            seen.headers,
            [
                ("source".to_owned(), b"responder-test".to_vec()),
                ("trace".to_owned(), TRACE.to_vec())
            ]
        );
        let payload: Signup = serde_json::from_slice(&seen.payload).unwrap();
        assert_eq!(&payload, signup);
        assert_eq!(
            responded.deliveries().len(),
            if signup.audit { 2 } else { 1 }
        );
    }
    // The audit topic's declared serializer, key and partition.
    let mut audit: Vec<String> = seen_on("audit")
        .into_iter()
        .map(|s| {
            assert_eq!((s.partition, s.key.as_deref()), (0, Some(&b"audit"[..])));
            String::from_utf8(s.payload).unwrap()
        })
        .collect();
    audit.sort();
    assert_eq!(audit, ["signup 0", "signup 2", "signup 4"]);
    // From a consumer: piped on with keys kept and the origin in a header.
    let piped = seen_on("piped");
    assert_eq!(piped.len(), 5, "{piped:?}");
    for seen in piped {
        let i = String::from_utf8(seen.payload.clone())
            .unwrap()
            .trim_start_matches("raw-")
            .parse::<i32>()
            .unwrap();
        assert_eq!(seen.key.as_deref(), Some(format!("k{i}").as_bytes()));
        let from = String::from_utf8(seen.headers[0].1.clone()).unwrap();
        assert!(
            from.starts_with(&format!("incoming/{}@", i % partitions)),
            "{from}"
        );
    }
    // Each respond call is one `responder.responded` event.
    let events = EVENTS.lock().unwrap();
    let responded_events = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::ResponderResponded(ResponderResponded {
                    responder: "SignupResponder",
                    ..
                })
            )
        })
        .count();
    assert_eq!(responded_events, 6);
}

/// Messages handed to `call_async` just before a graceful stop are all delivered by it.
pub async fn shutdown_flushes(mut config: Config, brokers: &str, count: u32) -> usize {
    // Messages wait 5 s in the producer's queue for a batch: still there at stop.
    config.kafka.insert(
        "linger.ms".into(),
        karafka::config::KafkaValue::Integer(5000),
    );
    let root = tempfile::tempdir().unwrap();
    let app = app(root.path(), config, brokers);
    let server = app.spawn().await.unwrap();
    for n in 0..count {
        FlushResponder.call_async(&n).unwrap();
    }
    let pending = app.producer().unwrap().in_flight_count();
    server.stop().await.unwrap();
    pending
}

/// Waits for an `error.occurred` event of the producer about `topic`, returning its text.
pub async fn delivery_error_event(topic: &str, timeout: Duration) -> Option<String> {
    let mut found = None;
    eventually(timeout, || {
        found = EVENTS.lock().unwrap().iter().find_map(|e| match e {
            Event::ErrorOccurred(ErrorOccurred {
                error_type: ErrorType::ProducerDelivery,
                topic: Some(t),
                error,
                ..
            }) if &**t == topic => Some(error.clone()),
            _ => None,
        });
        found.is_some()
    })
    .await;
    found
}
