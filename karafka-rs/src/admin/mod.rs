//! Cluster administration, usable from app code, tests and the CLI: topics
//! (list, create, partitions, settings, the migration plan), consumer groups
//! (list, describe, lag, seek, copy, rename, delete) and reading messages.
//!
//! Which broker answers what: Kafka has every API used here, Tansu 0.6 all but
//! CreatePartitions; the embedded development broker (librdkafka's mock
//! cluster) has no CreateTopics, ListGroups, DescribeGroups, DeleteGroups or
//! config APIs, so there only lag, committed offsets and reading messages work.

mod assignment;
mod groups;
mod incremental_alter;
pub mod messages;
mod offsets;
mod plan;
mod settings;
mod tail;
pub(crate) mod time;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::app::App;
use crate::client_config::{producer_config, reader_config};
use crate::error::{Error, Result};
use crate::redaction::Redactor;

pub use groups::{
    GroupDescription, GroupMember, GroupSummary, OffsetChange, PartitionLag, SeekTarget,
};
pub use messages::ReadMessage;
pub use plan::{apply, plan, plan_with_settings, Step, TopicSpec};
pub use settings::TopicSetting;
pub use tail::{PartitionOffsets, Tail, TailFrom};

/// An admin connection to the app's brokers.
#[derive(Clone)]
pub struct Admin {
    settings: ClientConfig,
    /// Keeps secret setting values out of librdkafka's log lines.
    redactor: Redactor,
    /// Created on first use: dropping an admin client takes up to 100 ms (its
    /// polling thread's interval), which a boot that only reads metadata skips.
    client: Arc<OnceLock<AdminClient<Redactor>>>,
    /// Settings of the consumers that read and commit a group's offsets.
    reader: ClientConfig,
    /// The app's group ids with the topics it routes to each.
    routed: Arc<BTreeMap<String, Vec<String>>>,
    brokers: String,
    timeout: Duration,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("brokers", &self.brokers)
            .finish()
    }
}

impl Admin {
    /// Connects to the app's brokers (its configured ones, or its running
    /// embedded broker in development).
    pub fn new(app: &App) -> Result<Admin> {
        Admin::connect(app, &app.bootstrap_servers()?)
    }

    /// Connects to `brokers` with the app's settings; requests wait up to `connect_timeout`.
    pub fn connect(app: &App, brokers: &str) -> Result<Admin> {
        Ok(Admin {
            settings: producer_config(app.config(), brokers),
            reader: reader_config(app.config(), brokers),
            routed: Arc::new(
                app.routes()
                    .groups()
                    .iter()
                    .map(|g| {
                        let topics = g
                            .topics
                            .iter()
                            .filter(|t| t.active)
                            .map(|t| t.name.to_string())
                            .collect();
                        (g.id.to_string(), topics)
                    })
                    .collect(),
            ),
            redactor: Redactor::new(&app.config().kafka),
            client: Arc::default(),
            brokers: brokers.to_owned(),
            timeout: Duration::from_millis(app.config().connect_timeout),
        })
    }

    fn client(&self) -> Result<&AdminClient<Redactor>> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let created = self
            .settings
            .create_with_context(self.redactor.clone())
            .map_err(|e| Error::kafka("creating the admin client", e))?;
        Ok(self.client.get_or_init(|| created))
    }

    /// Every topic on the cluster with its partition count; fails within the
    /// timeout when no broker answers.
    pub async fn topics(&self) -> Result<BTreeMap<String, i32>> {
        let settings = self.settings.clone();
        let redactor = self.redactor.clone();
        let timeout = self.timeout;
        let brokers = self.brokers.clone();
        tokio::task::spawn_blocking(move || {
            let probe: BaseConsumer<Redactor> = settings
                .create_with_context(redactor)
                .map_err(|e| Error::kafka("creating the metadata probe", e))?;
            let metadata = probe
                .fetch_metadata(None, timeout)
                .map_err(|e| Error::Unreachable {
                    brokers,
                    timeout_ms: timeout.as_millis() as u64,
                    reason: e.to_string(),
                })?;
            Ok(metadata
                .topics()
                .iter()
                .filter(|t| t.error().is_none())
                .map(|t| (t.name().to_owned(), t.partitions().len() as i32))
                .collect())
        })
        .await
        .map_err(|e| Error::Internal(format!("the metadata request failed: {e}")))?
    }

    /// Creates topics with their partitions, replication factor and settings; a
    /// topic that appeared in the meantime is not an error.
    pub async fn create(&self, topics: &[TopicSpec]) -> Result<()> {
        if topics.is_empty() {
            return Ok(());
        }
        let new_topics: Vec<NewTopic<'_>> = topics
            .iter()
            .map(|t| {
                let mut topic = NewTopic::new(
                    &t.name,
                    t.partitions,
                    TopicReplication::Fixed(t.replication_factor),
                );
                for (key, value) in t.settings {
                    topic = topic.set(key, value);
                }
                topic
            })
            .collect();
        let results = self
            .client()?
            .create_topics(&new_topics, &self.options())
            .await
            .map_err(|e| Error::kafka("creating topics", e))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => {
                    return Err(admin_error(format!("creating topic `{topic}`"), code))
                }
            }
        }
        Ok(())
    }

    /// Grows `topic` to `partitions` partitions.
    pub async fn add_partitions(&self, topic: &str, partitions: i32) -> Result<()> {
        let results = self
            .client()?
            .create_partitions(
                &[NewPartitions::new(topic, partitions as usize)],
                &self.options(),
            )
            .await
            .map_err(|e| Error::kafka(format!("adding partitions to `{topic}`"), e))?;
        for result in results {
            if let Err((topic, code)) = result {
                return Err(admin_error(format!("adding partitions to `{topic}`"), code));
            }
        }
        Ok(())
    }

    /// Deletes `topics`; one already gone is not an error.
    pub async fn delete(&self, topics: &[&str]) -> Result<()> {
        if topics.is_empty() {
            return Ok(());
        }
        let results = self
            .client()?
            .delete_topics(topics, &self.options())
            .await
            .map_err(|e| Error::kafka("deleting topics", e))?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::UnknownTopicOrPartition)) => {}
                Err((topic, code)) => {
                    return Err(admin_error(format!("deleting topic `{topic}`"), code))
                }
            }
        }
        Ok(())
    }

    /// The brokers this admin talks to.
    pub fn brokers(&self) -> &str {
        &self.brokers
    }

    /// How long one request may take.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// A consumer that never joins a group: it reads offsets and, with
    /// `group` set, commits them as that group.
    pub(crate) fn reader(&self, group: Option<&str>) -> Result<BaseConsumer<Redactor>> {
        let mut settings = self.reader.clone();
        if let Some(group) = group {
            settings.set("group.id", group);
        }
        self.create_reader(settings)
    }

    /// A [`reader`](Admin::reader) that reports reaching a partition's end.
    pub(crate) fn reader_to_end(&self) -> Result<BaseConsumer<Redactor>> {
        let mut settings = self.reader.clone();
        settings.set("enable.partition.eof", "true");
        self.create_reader(settings)
    }

    fn create_reader(&self, settings: ClientConfig) -> Result<BaseConsumer<Redactor>> {
        settings
            .create_with_context(self.redactor.clone())
            .map_err(|e| Error::kafka("creating an offsets reader", e))
    }

    /// The error of a request the brokers did not answer in time.
    pub(crate) fn unreachable(&self, reason: impl std::fmt::Display) -> Error {
        Error::Unreachable {
            brokers: self.brokers.clone(),
            timeout_ms: self.timeout.as_millis() as u64,
            reason: reason.to_string(),
        }
    }

    /// Runs blocking client work on tokio's blocking pool.
    pub(crate) async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(Admin) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let admin = self.clone();
        tokio::task::spawn_blocking(move || work(admin))
            .await
            .map_err(|e| Error::Internal(format!("an admin request failed: {e}")))?
    }

    fn options(&self) -> AdminOptions {
        AdminOptions::new()
            .operation_timeout(Some(self.timeout))
            .request_timeout(Some(self.timeout))
    }
}

pub(crate) fn admin_error(context: String, code: RDKafkaErrorCode) -> Error {
    Error::kafka(context, KafkaError::AdminOp(code))
}
