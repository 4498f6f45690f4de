//! The migration plan: the steps that bring the cluster's topics to what the
//! routes declare (create, add partitions, align settings), and carrying it out.

use std::collections::BTreeMap;

use super::Admin;
use crate::app::App;
use crate::error::Result;
use crate::routing::DeclaredTopic;

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
    /// A declared topic-level setting differs on the cluster: set it.
    AlterSetting {
        /// Topic name.
        topic: String,
        /// The setting, e.g. `retention.ms`.
        key: String,
        /// Its value on the cluster (`None`: the cluster reported none).
        from: Option<String>,
        /// The declared value.
        to: String,
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
        matches!(
            self,
            Step::Create(_) | Step::AddPartitions { .. } | Step::AlterSetting { .. }
        )
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
            Step::AlterSetting {
                topic,
                key,
                from,
                to,
            } => format!(
                "alter {topic} {key} {} -> {to}",
                from.as_deref().unwrap_or("(unset)")
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

/// [`plan`], with a topic's settings that differ from its declared ones
/// (`current`: topic name to its settings on the cluster) aligned after its step.
pub fn plan_with_settings(
    app: &App,
    existing: &BTreeMap<String, i32>,
    current: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<Step> {
    let declared = app.routes().declared_topics();
    let mut steps = Vec::new();
    for step in plan(app, existing) {
        let topic = match &step {
            Step::AddPartitions { topic, .. }
            | Step::CannotShrink { topic, .. }
            | Step::UpToDate { topic, .. } => Some(topic.clone()),
            _ => None,
        };
        steps.push(step);
        let Some(topic) = topic else { continue };
        let (Some(settings), Some(declared)) = (
            current.get(&topic),
            declared.iter().find(|d| d.name == topic),
        ) else {
            continue;
        };
        for (key, value) in declared.config.settings {
            let on_cluster = settings.get(*key);
            if on_cluster.map(String::as_str) != Some(*value) {
                steps.push(Step::AlterSetting {
                    topic: topic.clone(),
                    key: (*key).to_owned(),
                    from: on_cluster.cloned(),
                    to: (*value).to_owned(),
                });
            }
        }
    }
    steps
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
    let mut alterations: BTreeMap<&str, Vec<(String, String)>> = BTreeMap::new();
    for step in steps {
        if let Step::AlterSetting { topic, key, to, .. } = step {
            alterations
                .entry(topic)
                .or_default()
                .push((key.clone(), to.clone()));
        }
    }
    for (topic, settings) in alterations {
        admin.alter_topic_settings(topic, &settings).await?;
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

    #[test]
    fn declared_settings_that_differ_on_the_cluster_are_altered_after_their_topic() {
        let options = RouteOptions {
            config: Some(TopicConfig {
                partitions: Some(1),
                settings: &[("retention.ms", "3600000"), ("cleanup.policy", "delete")],
                ..TopicConfig::default()
            }),
            ..RouteOptions::default()
        };
        let group = ConsumerGroupDef::new(
            "g",
            RouteOptions::default(),
            vec![TopicDef::new::<Nothing, _>(
                "orders",
                crate::deserializers::Json,
                options,
            )],
        );
        let config = Config::default();
        let routes = Routes::from_definitions(vec![group], &config).unwrap();
        let app = App::new(std::env::temp_dir(), config, routes);
        let existing = BTreeMap::from([("orders".to_owned(), 1)]);
        let current = BTreeMap::from([(
            "orders".to_owned(),
            BTreeMap::from([
                ("retention.ms".to_owned(), "86400000".to_owned()),
                ("cleanup.policy".to_owned(), "delete".to_owned()),
            ]),
        )]);
        let lines: Vec<String> = plan_with_settings(&app, &existing, &current)
            .iter()
            .map(Step::describe)
            .collect();
        assert_eq!(
            lines,
            [
                "keep orders (1 partition, up to date)",
                "alter orders retention.ms 86400000 -> 3600000",
            ]
        );
    }
}
