//! Resolved, validated routes: the registry the server runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::definition::{ConsumerGroupDef, RouteSource, TopicConfig};
use super::options::Topic;
use crate::config::{is_kafka_name, Config, InitialOffset};
use crate::error::{Error, Result};

/// A consumer group: one Kafka consumer subscribed to its active topics.
#[derive(Debug, Clone)]
pub struct ConsumerGroup {
    /// The group's name as routed.
    pub name: Arc<str>,
    /// The Kafka `group.id`: `<client_id>_<name>`.
    pub id: String,
    /// Its topics, in declaration order.
    pub topics: Vec<Topic>,
}

impl ConsumerGroup {
    /// The active topics, those the server subscribes to.
    pub fn active_topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.iter().filter(|t| t.active)
    }

    /// The route of `topic`, if this group has one.
    pub fn topic(&self, topic: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| &*t.name == topic)
    }

    /// Where partitions without a committed offset start (one value per group).
    pub fn initial_offset(&self) -> InitialOffset {
        self.active_topics()
            .map(|t| t.initial_offset)
            .next()
            .unwrap_or_default()
    }

    /// The largest `max_messages` of the group's topics: the size of one fetch round.
    pub fn max_messages(&self) -> usize {
        self.active_topics()
            .map(|t| t.max_messages)
            .max()
            .unwrap_or(1)
    }
}

/// Every consumer group of the app, validated.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    groups: Vec<ConsumerGroup>,
    /// Topics the framework itself needs (the Web UI's), declared with the routed ones.
    internal: Vec<&'static str>,
}

impl Routes {
    /// Collects every `routes!` declaration linked into the binary.
    pub fn collect(config: &Config) -> Result<Routes> {
        let mut sources: Vec<&RouteSource> = inventory::iter::<RouteSource>.into_iter().collect();
        sources.sort_by_key(|s| s.location);
        let declared = sources
            .into_iter()
            .flat_map(|s| (s.build)().into_iter().map(move |g| (s.location, g)))
            .collect();
        Routes::resolve(declared, config)
    }

    /// Builds routes from definitions made in code rather than with the macro.
    pub fn from_definitions(groups: Vec<ConsumerGroupDef>, config: &Config) -> Result<Routes> {
        Routes::resolve(groups.into_iter().map(|g| ("code", g)).collect(), config)
    }

    fn resolve(declared: Vec<(&'static str, ConsumerGroupDef)>, config: &Config) -> Result<Routes> {
        let mut by_name: BTreeMap<String, ConsumerGroup> = BTreeMap::new();
        let mut order = Vec::new();
        for (location, group) in declared {
            check_name("consumer group", &group.name, location)?;
            let entry = by_name.entry(group.name.clone()).or_insert_with(|| {
                order.push(group.name.clone());
                ConsumerGroup {
                    name: Arc::from(group.name.as_str()),
                    id: format!("{}_{}", config.client_id, group.name),
                    topics: Vec::new(),
                }
            });
            for topic in group.topics {
                check_name("topic", &topic.name, location)?;
                if let Some(existing) = entry.topic(&topic.name) {
                    return Err(Error::Routing(format!(
                        "topic `{}` is routed twice in consumer group `{}` (at {} and {})",
                        topic.name, group.name, existing.location, location
                    )));
                }
                let options = topic.options.or(group.options);
                if options.max_messages == Some(0) {
                    return Err(Error::Routing(format!(
                        "topic `{}` in consumer group `{}`: max_messages must be at least 1",
                        topic.name, group.name
                    )));
                }
                if let Some(dlq) = options.dead_letter_queue {
                    check_name("dead letter queue topic", dlq.topic, location)?;
                    if dlq.topic == topic.name {
                        return Err(Error::Routing(format!(
                            "topic `{}` in consumer group `{}` names itself as its dead letter queue",
                            topic.name, group.name
                        )));
                    }
                }
                if options.tick_interval == Some(0) {
                    return Err(Error::Routing(format!(
                        "topic `{}` in consumer group `{}`: tick_interval must be at least 1 ms",
                        topic.name, group.name
                    )));
                }
                if let Some(config) = &options.config {
                    check_topic_config(config, &topic.name, &group.name)?;
                }
                entry
                    .topics
                    .push(Topic::resolve(topic, options, config, location));
            }
        }
        let groups: Vec<ConsumerGroup> = order
            .into_iter()
            .filter_map(|name| by_name.remove(&name))
            .collect();
        if groups.iter().all(|g| g.active_topics().next().is_none()) {
            return Err(Error::Routing(
                "no active routes: declare at least one with `karafka::routes! { consumer_group <name> { topic <name> { consumer: <Type> } } }`".into(),
            ));
        }
        for group in &groups {
            check_single_initial_offset(group)?;
        }
        let internal = if config.web.enabled {
            crate::config::WebSettings::TOPICS.to_vec()
        } else {
            Vec::new()
        };
        Ok(Routes { groups, internal })
    }

    /// Only the consumer groups named in `names` (what Karafka's `server
    /// --consumer-groups` runs); a name that is not routed is an error.
    pub fn only_groups(mut self, names: &[&str]) -> Result<Routes> {
        if let Some(unknown) = names
            .iter()
            .find(|n| !self.groups.iter().any(|g| &*g.name == **n))
        {
            let known: Vec<&str> = self.groups.iter().map(|g| &*g.name).collect();
            return Err(Error::Routing(format!(
                "no consumer group `{unknown}`; routed groups: {}",
                known.join(", ")
            )));
        }
        self.groups.retain(|g| names.contains(&&*g.name));
        Ok(self)
    }

    /// Only the topics named in `names` (what Karafka's `server --topics` runs);
    /// groups left without topics are dropped, and a name that is not routed is an error.
    pub fn only_topics(mut self, names: &[&str]) -> Result<Routes> {
        let routed = |n: &str| {
            self.groups
                .iter()
                .any(|g| g.topics.iter().any(|t| &*t.name == n))
        };
        if let Some(unknown) = names.iter().find(|n| !routed(n)) {
            let known: Vec<&str> = self
                .groups
                .iter()
                .flat_map(|g| g.topics.iter().map(|t| &*t.name))
                .collect();
            return Err(Error::Routing(format!(
                "no topic `{unknown}` is routed; routed topics: {}",
                known.join(", ")
            )));
        }
        for group in &mut self.groups {
            group.topics.retain(|t| names.contains(&&*t.name));
        }
        self.groups.retain(|g| !g.topics.is_empty());
        Ok(self)
    }

    /// The topics the app needs on the cluster: every active routed topic and
    /// every dead letter queue topic, each once, sorted by name, with the
    /// `config` of the first route that declares one.
    pub fn declared_topics(&self) -> Vec<DeclaredTopic> {
        let mut declared: BTreeMap<&str, Option<TopicConfig>> = BTreeMap::new();
        for topic in self.active_groups().flat_map(|g| g.active_topics()) {
            let slot = declared.entry(&topic.name).or_default();
            if slot.is_none() {
                *slot = topic.config;
            }
        }
        for dlq in self.dead_letter_topics() {
            declared.entry(dlq).or_default();
        }
        for name in &self.internal {
            declared.entry(name).or_insert(Some(TopicConfig {
                partitions: Some(1),
                ..TopicConfig::default()
            }));
        }
        declared
            .into_iter()
            .map(|(name, config)| DeclaredTopic {
                name: name.to_owned(),
                config: config.unwrap_or_default(),
            })
            .collect()
    }

    /// These routes with the Web UI's topics declared too (what `web.enabled` does).
    pub fn with_web_topics(mut self) -> Routes {
        self.internal = crate::config::WebSettings::TOPICS.to_vec();
        self
    }

    /// Every consumer group, in declaration order.
    pub fn groups(&self) -> &[ConsumerGroup] {
        &self.groups
    }

    /// Groups with at least one active topic: those the server runs.
    pub fn active_groups(&self) -> impl Iterator<Item = &ConsumerGroup> {
        self.groups
            .iter()
            .filter(|g| g.active_topics().next().is_some())
    }

    /// Every dead letter queue topic of the active routes, each once.
    pub fn dead_letter_topics(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .active_groups()
            .flat_map(|g| {
                g.active_topics()
                    .filter_map(|t| t.dead_letter_queue.map(|d| d.topic))
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Every active topic name, each once.
    pub fn active_topic_names(&self) -> Vec<Arc<str>> {
        let mut names: Vec<Arc<str>> = self
            .active_groups()
            .flat_map(|g| g.active_topics().map(|t| t.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

/// A topic the app needs on the cluster, as its routes declare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredTopic {
    /// Topic name.
    pub name: String,
    /// Its declared settings (all unset when no route declares any).
    pub config: TopicConfig,
}

impl DeclaredTopic {
    /// Declared partitions, else `default_partitions`.
    pub fn partitions(&self, config: &Config) -> i32 {
        self.config.partitions.unwrap_or(config.default_partitions)
    }

    /// Declared replication factor, else 1.
    pub fn replication_factor(&self) -> i32 {
        self.config.replication_factor.unwrap_or(1)
    }
}

fn check_topic_config(config: &TopicConfig, topic: &str, group: &str) -> Result<()> {
    for (key, value) in [
        ("partitions", config.partitions),
        ("replication_factor", config.replication_factor),
    ] {
        if value.is_some_and(|v| v < 1) {
            return Err(Error::Routing(format!(
                "topic `{topic}` in consumer group `{group}`: config `{key}` must be at least 1"
            )));
        }
    }
    Ok(())
}

fn check_name(kind: &str, name: &str, location: &str) -> Result<()> {
    if is_kafka_name(name) {
        Ok(())
    } else {
        Err(Error::Routing(format!(
            "{kind} name `{name}` (at {location}) must be 1-249 characters of ASCII letters, digits, '.', '_' or '-'"
        )))
    }
}

/// librdkafka applies one `auto.offset.reset` per consumer, so a group needs one value.
fn check_single_initial_offset(group: &ConsumerGroup) -> Result<()> {
    let mut topics = group.active_topics();
    if let Some(first) = topics.next() {
        if let Some(other) = topics.find(|t| t.initial_offset != first.initial_offset) {
            return Err(Error::Routing(format!(
                "consumer group `{}`: topics `{}` ({}) and `{}` ({}) disagree on initial_offset; one Kafka consumer has one auto.offset.reset, so put them in separate consumer groups",
                group.name,
                first.name,
                first.initial_offset.name(),
                other.name,
                other.initial_offset.name()
            )));
        }
    }
    Ok(())
}
