//! Cluster administration for declarative topics: what the cluster has, the plan
//! that brings it to what the routes declare, and carrying that plan out.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::ClientConfig;

use crate::app::App;
use crate::connection::client::producer_config;
use crate::error::{Error, Result};
use crate::redaction::Redactor;
use crate::routing::DeclaredTopic;

/// An admin connection to the app's brokers.
#[derive(Clone)]
pub struct Admin {
    settings: ClientConfig,
    /// Keeps secret setting values out of librdkafka's log lines.
    redactor: Redactor,
    /// Created on first use: dropping an admin client takes up to 100 ms (its
    /// polling thread's interval), which a boot that only reads metadata skips.
    client: Arc<OnceLock<AdminClient<Redactor>>>,
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
    /// Connects to `brokers` with the app's settings; requests wait up to `connect_timeout`.
    pub fn connect(app: &App, brokers: &str) -> Result<Admin> {
        Ok(Admin {
            settings: producer_config(app.config(), brokers),
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

    fn options(&self) -> AdminOptions {
        AdminOptions::new()
            .operation_timeout(Some(self.timeout))
            .request_timeout(Some(self.timeout))
    }
}

fn admin_error(context: String, code: RDKafkaErrorCode) -> Error {
    Error::kafka(context, KafkaError::AdminOp(code))
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// Topic name.
    pub name: String,
    /// Partitions.
    pub partitions: i32,
    /// Replication factor.
    pub replication_factor: i32,
    /// Topic-level settings.
    pub settings: &'static [(&'static str, &'static str)],
}

impl TopicSpec {
    /// The topic `declared` describes, with the app's defaults where it is silent.
    pub fn declared(declared: &DeclaredTopic, app: &App) -> TopicSpec {
        TopicSpec {
            name: declared.name.clone(),
            partitions: declared.partitions(app.config()),
            replication_factor: declared.replication_factor(),
            settings: declared.config.settings,
        }
    }
}

/// One step of a migration plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The topic is missing: create it.
    Create(TopicSpec),
    /// The topic has fewer partitions than declared: add the difference.
    AddPartitions {
        /// Topic name.
        topic: String,
        /// Partitions it has.
        from: i32,
        /// Partitions it will have.
        to: i32,
    },
    /// The topic has more partitions than declared; Kafka cannot take them away.
    CannotShrink {
        /// Topic name.
        topic: String,
        /// Partitions it has.
        has: i32,
        /// Partitions declared.
        declared: i32,
    },
    /// The topic is as declared.
    UpToDate {
        /// Topic name.
        topic: String,
        /// Its partitions.
        partitions: i32,
    },
}

impl Step {
    /// Whether carrying the step out changes the cluster.
    pub fn changes(&self) -> bool {
        matches!(self, Step::Create(_) | Step::AddPartitions { .. })
    }

    /// The step as one line of a printed plan.
    pub fn describe(&self) -> String {
        match self {
            Step::Create(spec) => {
                let mut line = format!(
                    "create {} ({}, replication factor {}",
                    spec.name,
                    partitions(spec.partitions),
                    spec.replication_factor
                );
                for (key, value) in spec.settings {
                    line.push_str(&format!(", {key}={value}"));
                }
                line.push(')');
                line
            }
            Step::AddPartitions { topic, from, to } => {
                format!("repartition {topic} (from {from} to {})", partitions(*to))
            }
            Step::CannotShrink {
                topic,
                has,
                declared,
            } => format!(
                "keep {topic} ({}; {declared} declared, but Kafka cannot remove partitions)",
                partitions(*has)
            ),
            Step::UpToDate {
                topic,
                partitions: has,
            } => format!("keep {topic} ({}, up to date)", partitions(*has)),
        }
    }
}

/// `1 partition`, `3 partitions`.
fn partitions(n: i32) -> String {
    if n == 1 {
        "1 partition".to_owned()
    } else {
        format!("{n} partitions")
    }
}

/// The steps that bring `existing` (topic name to partitions) to the app's declared topics.
pub fn plan(app: &App, existing: &BTreeMap<String, i32>) -> Vec<Step> {
    app.routes()
        .declared_topics()
        .iter()
        .map(|declared| {
            let spec = TopicSpec::declared(declared, app);
            match existing.get(&spec.name) {
                None => Step::Create(spec),
                Some(&has) if has < spec.partitions => Step::AddPartitions {
                    topic: spec.name,
                    from: has,
                    to: spec.partitions,
                },
                Some(&has) if has > spec.partitions && declared.config.partitions.is_some() => {
                    Step::CannotShrink {
                        topic: spec.name,
                        has,
                        declared: spec.partitions,
                    }
                }
                Some(&has) => Step::UpToDate {
                    topic: spec.name,
                    partitions: has,
                },
            }
        })
        .collect()
}

/// Carries out the steps that change something.
pub async fn apply(admin: &Admin, steps: &[Step]) -> Result<()> {
    let creations: Vec<TopicSpec> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Create(spec) => Some(spec.clone()),
            _ => None,
        })
        .collect();
    admin.create(&creations).await?;
    for step in steps {
        if let Step::AddPartitions { topic, to, .. } = step {
            admin.add_partitions(topic, *to).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::routing::definition::{ConsumerGroupDef, RouteOptions, TopicConfig, TopicDef};
    use crate::routing::Routes;
    use crate::{Consumer, Context, Messages};

    #[derive(Default)]
    struct Nothing;

    impl Consumer for Nothing {
        type Payload = serde_json::Value;
        async fn consume(
            &mut self,
            _ctx: &mut Context,
            _messages: Messages<serde_json::Value>,
        ) -> Result<()> {
            Ok(())
        }
    }

    fn topic(name: &str, partitions: Option<i32>) -> TopicDef {
        let options = RouteOptions {
            config: partitions.map(|p| TopicConfig {
                partitions: Some(p),
                ..TopicConfig::default()
            }),
            ..RouteOptions::default()
        };
        TopicDef::new::<Nothing, _>(name, crate::deserializers::Json, options)
    }

    fn app() -> App {
        let config = Config {
            default_partitions: 2,
            ..Config::default()
        };
        let group = ConsumerGroupDef::new(
            "g",
            RouteOptions::default(),
            vec![
                topic("missing", Some(6)),
                topic("small", Some(4)),
                topic("large", Some(2)),
                topic("undeclared", None),
                topic("exact", Some(3)),
            ],
        );
        let routes = Routes::from_definitions(vec![group], &config).unwrap();
        App::new(std::env::temp_dir(), config, routes)
    }

    #[test]
    fn plan_creates_missing_topics_grows_small_ones_and_never_shrinks() {
        let existing: BTreeMap<String, i32> =
            [("small", 1), ("large", 5), ("undeclared", 9), ("exact", 3)]
                .into_iter()
                .map(|(name, partitions)| (name.to_owned(), partitions))
                .collect();
        let steps = plan(&app(), &existing);
        let lines: Vec<String> = steps.iter().map(Step::describe).collect();
        assert_eq!(
            lines,
            [
                "keep exact (3 partitions, up to date)",
                "keep large (5 partitions; 2 declared, but Kafka cannot remove partitions)",
                "create missing (6 partitions, replication factor 1)",
                "repartition small (from 1 to 4 partitions)",
                "keep undeclared (9 partitions, up to date)",
            ]
        );
        assert_eq!(steps.iter().filter(|s| s.changes()).count(), 2);
    }
}
