//! [`TestApp`]: the app's real consumer pipeline over in-memory topics.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::TestClient;
use super::topics::Topics;
use crate::app::App;
use crate::current_app::{self, ProducerScope};
use crate::error::{Error, Result};
use crate::instrumentation::Listener;
use crate::messages::RawMessage;
use crate::processing::activity::Activity;
use crate::processing::client::PartitionClient;
use crate::processing::clock::Clock;
use crate::processing::processor::{GroupShared, Processor};
use crate::processing::turn::{turn, PollPlan, Round, Source};
use crate::processing::worker_pool::WorkerPool;
use crate::producer::{Delivery, Producer, Record};
use crate::responders::{Respond, Responded};
use crate::routing::ConsumerGroup;

/// Failed attempts after which [`TestApp::consume`] gives up on a message
/// whose route has no dead letter queue, unless set with [`TestApp::max_attempts`].
const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// An app under test: its routes, configuration and listeners, with Kafka
/// replaced by in-memory topics.
///
/// [`consume`](TestApp::consume) runs the routed consumer through the same
/// processing the server uses: the route's deserializer and options, inline or
/// worker pool backend, retries with backoff (followed on a clock that skips
/// the waits), the dead letter queue, offsets stored after success or marks,
/// and instrumentation events to the app's listeners. What responders and the
/// dead letter queue write lands in the in-memory topics, where
/// [`produced_messages`](TestApp::produced_messages) reads it; nothing reaches Kafka.
pub struct TestApp {
    app: App,
    topics: Arc<Topics>,
    client: Arc<TestClient>,
    producer: Producer,
    clock: Clock,
    groups: Mutex<HashMap<Arc<str>, Arc<Processor>>>,
    max_attempts: u32,
}

impl TestApp {
    /// Loads the app as [`App::load`] does (karafka.toml and the routes linked
    /// into the test binary) and puts it under test.
    pub fn load() -> Result<TestApp> {
        Ok(TestApp::new(App::load()?))
    }

    /// Puts `app` under test, with its listeners.
    pub fn new(app: App) -> TestApp {
        let topics = Arc::new(Topics::new(app.config().default_partitions));
        let producer = Producer::in_memory(topics.clone(), app.config());
        TestApp {
            client: Arc::new(TestClient::new(topics.clone())),
            topics,
            producer,
            clock: Clock::movable(),
            groups: Mutex::new(HashMap::new()),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            app,
        }
    }

    /// Registers a listener (before the first `consume`), as [`App::listener`].
    pub fn listener(mut self, listener: impl Listener) -> Self {
        self.app = self.app.listener(listener);
        self
    }

    /// How many failed attempts [`consume`](TestApp::consume) allows a message
    /// without a dead letter queue before it fails (default 3).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The app under test.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Creates a topic with `partitions` partitions; others are created on first
    /// use with the configuration's `default_partitions`.
    pub fn create_topic(&self, topic: &str, partitions: i32) {
        self.topics.create(topic, partitions);
    }

    /// Writes `payload` to `topic` (partition chosen in turn).
    pub fn produce(&self, topic: &str, payload: impl Into<Vec<u8>>) -> Result<Delivery> {
        self.produce_record(Record::new(topic, payload))
    }

    /// Writes `value` as JSON to `topic`.
    pub fn produce_json<T: Serialize + ?Sized>(&self, topic: &str, value: &T) -> Result<Delivery> {
        let payload = serde_json::to_vec(value).map_err(|e| Error::Serialization {
            responder: "TestApp::produce_json".into(),
            topic: topic.to_owned(),
            serializer: "Json",
            reason: e.to_string(),
        })?;
        self.produce(topic, payload)
    }

    /// Writes a record with its key, partition and headers: an explicit
    /// partition wins, else the key chooses one (always the same for a key).
    pub fn produce_record(&self, record: Record) -> Result<Delivery> {
        self.topics
            .append(&record)
            .map_err(|e| self.producer.delivery_error(&record.topic, e))
    }

    /// Every message of `topic` in the order written: what the test produced,
    /// and what responders and the dead letter queue wrote.
    pub fn produced_messages(&self, topic: &str) -> Vec<RawMessage> {
        self.topics.messages(topic)
    }

    /// The JSON payloads of [`produced_messages`](TestApp::produced_messages).
    pub fn produced_payloads<T: DeserializeOwned>(&self, topic: &str) -> Result<Vec<T>> {
        self.produced_messages(topic)
            .iter()
            .map(|m| {
                serde_json::from_slice(m.payload().unwrap_or_default()).map_err(|e| {
                    Error::Deserialization {
                        topic: topic.to_owned(),
                        partition: m.partition(),
                        offset: m.offset(),
                        deserializer: "Json",
                        reason: e.to_string(),
                    }
                })
            })
            .collect()
    }

    /// The offset stored for a partition (the next to consume), as the server
    /// would commit it; `None` if nothing was stored.
    pub fn committed_offset(&self, topic: &str, partition: i32) -> Option<i64> {
        self.client.stored(topic, partition)
    }

    /// Runs `future` (app code) with this app's in-memory producer: responders
    /// called inside it (`UsersResponder.call(&event)`) write to its topics.
    pub async fn within<F: Future>(&self, future: F) -> F::Output {
        current_app::within(Some(self.scope()), future).await
    }

    /// Calls `responder` on `input` through this app's in-memory producer.
    pub async fn respond<R: Respond>(&self, responder: &R, input: &R::Input) -> Result<Responded> {
        self.within(self.producer.respond(responder, input)).await
    }

    /// Runs the consumer routed to `topic` over every message produced to it and
    /// not consumed yet, until each is processed or dead-lettered.
    ///
    /// A consumer that fails is retried as on the server (the backoff is
    /// followed without waiting). A message that still fails after
    /// [`max_attempts`](TestApp::max_attempts) attempts in this call and has no
    /// dead letter queue fails the call with [`Error::Unprocessed`] (the server
    /// would retry it forever); a later call retries it again.
    pub async fn consume(&self, topic: &str) -> Result<()> {
        let group = self.group_of(topic)?;
        let processor = self.processor(&group)?;
        let index = processor
            .topics()
            .iter()
            .position(|t| &*t.name == topic)
            .expect("the group routes the topic");
        let partitions = self.topics.ensure(topic);
        for partition in 0..partitions {
            processor.assign(topic, partition);
            self.client.assign(topic, partition);
        }
        let run = Run {
            processor,
            client: self.client.clone(),
            clock: self.clock.clone(),
            topic: topic.to_owned(),
            index,
            cap: group.max_messages().saturating_mul(4),
            max_attempts: self.max_attempts,
        };
        // Inline jobs block on the runtime the way the fetch thread does, so the
        // loop runs on a blocking thread, never on one of the runtime's workers.
        tokio::task::spawn_blocking(move || run.run())
            .await
            .map_err(|e| Error::Internal(format!("consuming {topic}: {e}")))?
    }

    /// Stops the consumers as a graceful server stop does: each partition's
    /// consumer runs its `shutdown` hook (a `consumer.shutdown` event). A later
    /// `consume` starts new consumer instances from the stored offsets, as a
    /// restarted server would.
    pub async fn shutdown(&self) -> Result<()> {
        let groups: Vec<Arc<Processor>> = self
            .groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .map(|(_, processor)| processor)
            .collect();
        self.client.unassign_all();
        tokio::task::spawn_blocking(move || {
            for processor in groups {
                processor.shutdown_all();
            }
        })
        .await
        .map_err(|e| Error::Internal(format!("shutting the consumers down: {e}")))
    }

    fn scope(&self) -> ProducerScope {
        ProducerScope {
            producer: self.producer.clone(),
            monitor: self.app.monitor().clone(),
        }
    }

    fn group_of(&self, topic: &str) -> Result<ConsumerGroup> {
        let routes = self.app.routes();
        routes
            .active_groups()
            .find(|g| g.active_topics().any(|t| &*t.name == topic))
            .cloned()
            .ok_or_else(|| {
                let routed: Vec<String> = routes
                    .active_topic_names()
                    .iter()
                    .map(|t| t.to_string())
                    .collect();
                Error::Routing(format!(
                    "no active route for topic `{topic}` (routed: {})",
                    routed.join(", ")
                ))
            })
    }

    /// The processing of `group`, made on first use on the current runtime.
    fn processor(&self, group: &ConsumerGroup) -> Result<Arc<Processor>> {
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(processor) = groups.get(&group.name) {
            return Ok(processor.clone());
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Internal("TestApp::consume runs inside a tokio runtime (#[tokio::test])".into())
        })?;
        let config = self.app.config_arc();
        let has_dlq = group.active_topics().any(|t| t.dead_letter_queue.is_some());
        let processor = Arc::new(Processor::new(GroupShared {
            group: group.clone(),
            pool: WorkerPool::new(config.concurrency, runtime.clone()),
            config,
            monitor: self.app.monitor().clone(),
            runtime,
            activity: Arc::new(Activity::default()),
            dlq_producer: has_dlq.then(|| self.producer.clone()),
            quiet: Arc::new(AtomicBool::new(false)),
            clock: self.clock.clone(),
            scope: Some(self.scope()),
        }));
        groups.insert(group.name.clone(), processor.clone());
        Ok(processor)
    }
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("app", &self.app)
            .finish_non_exhaustive()
    }
}

/// One `consume` call: fetch-loop turns over the in-memory client until
/// everything is processed, dead-lettered, or stuck.
struct Run {
    processor: Arc<Processor>,
    client: Arc<TestClient>,
    clock: Clock,
    topic: String,
    index: usize,
    cap: usize,
    max_attempts: u32,
}

/// The in-memory topics as the source of a fetch-loop turn.
struct TestSource<'a> {
    client: &'a TestClient,
    topic: &'a str,
    index: usize,
    cap: usize,
}

impl Source for TestSource<'_> {
    fn client(&self) -> &dyn PartitionClient {
        self.client
    }

    fn poll(&mut self, processor: &Processor, _plan: PollPlan) -> Round {
        let mut round = Round::new(self.cap, processor.epoch());
        for (route, message) in self.client.fetch(self.topic, self.index, self.cap) {
            round.push(route, message, processor.epoch());
        }
        round
    }
}

impl Run {
    fn run(self) -> Result<()> {
        // Attempts made by earlier calls do not count against this one's limit.
        let earlier: HashMap<i32, u32> = self
            .pending_retries()
            .into_iter()
            .map(|r| (r.key.partition, r.failed))
            .collect();
        let mut source = TestSource {
            client: &self.client,
            topic: &self.topic,
            index: self.index,
            cap: self.cap,
        };
        loop {
            let turn = turn(&self.processor, &mut source, true, true);
            if turn.fetched > 0 || self.processor.is_busy() {
                continue;
            }
            let retries = self.pending_retries();
            if let Some(stuck) = retries.iter().find(|r| {
                let before = earlier.get(&r.key.partition).copied().unwrap_or(0);
                !r.dead_letter_queue && r.failed.saturating_sub(before) >= self.max_attempts
            }) {
                return Err(Error::Unprocessed {
                    topic: stuck.key.topic.to_string(),
                    partition: stuck.key.partition,
                    offset: stuck.offset,
                    attempts: stuck.failed,
                    error: stuck.last_error.clone(),
                });
            }
            let now = self.clock.now();
            let holds = self.processor.lock().core.held_until();
            let held = holds
                .iter()
                .filter(|(key, _)| *key.topic == *self.topic)
                .map(|(_, until)| *until);
            match retries.iter().map(|r| r.due).chain(held).min() {
                // Skip the backoff (or a pause, throttle or delay): what waits is
                // due at once, as it would be after the wait.
                Some(due) => self.clock.advance(due.saturating_duration_since(now)),
                None => return Ok(()),
            }
        }
    }

    /// This topic's partitions waiting for a retry.
    fn pending_retries(&self) -> Vec<crate::processing::core::PendingRetry> {
        let mut retries = self.processor.lock().core.pending_retries();
        retries.retain(|r| *r.key.topic == *self.topic);
        retries
    }
}
