//! [`EmbeddedKafka`]: a mock cluster for end-to-end tests of an app, in a few lines.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{Headers as _, Message as _};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use crate::app::App;
use crate::config::Config;
use crate::embedded::EmbeddedBroker;
use crate::error::{Error, Result};
use crate::messages::RawMessage;
use crate::producer::{Delivery, Producer, Record};

/// How often [`EmbeddedKafka::run_until`] checks its condition.
const CHECK_EVERY: Duration = Duration::from_millis(20);

/// librdkafka's mock cluster, in-process, real Kafka protocol on a localhost
/// port; it stops when dropped.
///
/// ```no_run
/// # async fn test() -> karafka::Result<()> {
/// use std::time::Duration;
/// use karafka::testing::EmbeddedKafka;
///
/// let kafka = EmbeddedKafka::start()?;
/// let app = kafka.app(karafka::App::load()?)?;        // its routed topics are created
/// kafka.produce("users", r#"{"event_name":"user_created"}"#).await?;
/// kafka.run_until(&app, Duration::from_secs(30), || true /* what the app did */).await?;
/// # Ok(()) }
/// ```
pub struct EmbeddedKafka {
    broker: EmbeddedBroker,
    producer: Producer,
}

impl EmbeddedKafka {
    /// Starts a one-broker mock cluster.
    pub fn start() -> Result<EmbeddedKafka> {
        let broker = EmbeddedBroker::start()?;
        let producer = Producer::new(&Config::default(), broker.bootstrap_servers())?;
        Ok(EmbeddedKafka { broker, producer })
    }

    /// The `host:port` clients connect to.
    pub fn bootstrap_servers(&self) -> &str {
        self.broker.bootstrap_servers()
    }

    /// The underlying broker, for fault injection.
    pub fn broker(&self) -> &EmbeddedBroker {
        &self.broker
    }

    /// Creates a topic.
    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<()> {
        self.broker.create_topic(topic, partitions)
    }

    /// `app` pointed at this cluster, with its routed topics and dead letter
    /// queues created (`default_partitions` each), as the development server does.
    pub fn app(&self, app: App) -> Result<App> {
        let partitions = app.config().default_partitions;
        for topic in app.routes().active_topic_names() {
            self.create_topic(&topic, partitions)?;
        }
        for topic in app.routes().dead_letter_topics() {
            self.create_topic(topic, partitions)?;
        }
        Ok(app.on_brokers(self.bootstrap_servers()))
    }

    /// Sends `payload` to `topic` and waits for the acknowledgement.
    pub async fn produce(&self, topic: &str, payload: impl Into<Vec<u8>>) -> Result<Delivery> {
        self.producer.send(&Record::new(topic, payload)).await
    }

    /// Sends a record (key, partition, headers) and waits for the acknowledgement.
    pub async fn produce_record(&self, record: &Record) -> Result<Delivery> {
        self.producer.send(record).await
    }

    /// Runs `app`'s server in this process until `condition` holds, then stops
    /// it gracefully; fails if the condition does not hold within `timeout`
    /// (the server is stopped all the same).
    pub async fn run_until(
        &self,
        app: &App,
        timeout: Duration,
        mut condition: impl FnMut() -> bool,
    ) -> Result<()> {
        let server = app.spawn().await?;
        let deadline = Instant::now() + timeout;
        let held = loop {
            if condition() {
                break true;
            }
            if Instant::now() >= deadline {
                break false;
            }
            tokio::time::sleep(CHECK_EVERY).await;
        };
        server.stop().await?;
        if held {
            Ok(())
        } else {
            Err(Error::Internal(format!(
                "the condition did not hold within {} ms of running the server",
                timeout.as_millis()
            )))
        }
    }

    /// Reads `topic` from the beginning until `count` messages arrived or
    /// `timeout` passed; returns what it read, ordered by partition and offset.
    pub async fn messages(
        &self,
        topic: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<RawMessage>> {
        let brokers = self.bootstrap_servers().to_owned();
        let topic = topic.to_owned();
        tokio::task::spawn_blocking(move || read_topic(&brokers, &topic, count, timeout))
            .await
            .map_err(|e| Error::Internal(format!("reading a topic: {e}")))?
    }
}

impl std::fmt::Debug for EmbeddedKafka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedKafka")
            .field("bootstrap_servers", &self.bootstrap_servers())
            .finish()
    }
}

fn read_topic(
    brokers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
) -> Result<Vec<RawMessage>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "karafka-testing-reader")
        .set("enable.auto.commit", "false")
        .create()
        .map_err(|e| Error::kafka("creating a reader", e))?;
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| Error::kafka(format!("reading the metadata of `{topic}`"), e))?;
    let mut assignment = TopicPartitionList::new();
    for found in metadata.topics().iter().filter(|t| t.name() == topic) {
        for partition in found.partitions() {
            assignment
                .add_partition_offset(topic, partition.id(), Offset::Beginning)
                .map_err(|e| Error::kafka(format!("assigning `{topic}`"), e))?;
        }
    }
    consumer
        .assign(&assignment)
        .map_err(|e| Error::kafka(format!("assigning `{topic}`"), e))?;
    let deadline = Instant::now() + timeout;
    let mut read = Vec::new();
    while read.len() < count && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(message)) => {
                let mut raw = RawMessage::new(topic, message.partition(), message.offset());
                if let Some(payload) = message.payload() {
                    raw = raw.with_payload(payload);
                }
                if let Some(key) = message.key() {
                    raw = raw.with_key(key);
                }
                if let Some(headers) = message.headers() {
                    for header in headers.iter() {
                        raw.push_header(header.key, header.value);
                    }
                }
                raw.set_timestamp(message.timestamp().to_millis());
                read.push(raw);
            }
            Some(Err(error)) => return Err(Error::kafka(format!("reading `{topic}`"), error)),
            None => {}
        }
    }
    read.sort_by_key(|m| (m.partition(), m.offset()));
    Ok(read)
}
