//! Topic-level settings (`retention.ms`, `cleanup.policy`, ...): read with
//! DescribeConfigs, changed one by one with IncrementalAlterConfigs.

use std::collections::BTreeMap;

use rdkafka::admin::ResourceSpecifier;
use serde::Serialize;

use super::{admin_error, incremental_alter, Admin};
use crate::error::{Error, Result};

/// One setting of a topic as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopicSetting {
    /// The setting's name, e.g. `retention.ms`.
    pub name: String,
    /// Its value (`None` when the broker hides it or has none).
    pub value: Option<String>,
    /// Whether the value is the broker's default rather than set on the topic.
    pub is_default: bool,
    /// Whether the broker marks it as sensitive (its value is then hidden).
    pub is_sensitive: bool,
    /// Whether it cannot be changed.
    pub is_read_only: bool,
}

impl Admin {
    /// Every setting of `topic`, sorted by name.
    pub async fn topic_settings(&self, topic: &str) -> Result<Vec<TopicSetting>> {
        let results = self
            .client()?
            .describe_configs([&ResourceSpecifier::Topic(topic)], &self.options())
            .await
            .map_err(|e| Error::kafka(format!("reading the settings of topic `{topic}`"), e))?;
        let mut settings = Vec::new();
        for result in results {
            let resource = result.map_err(|code| {
                admin_error(format!("reading the settings of topic `{topic}`"), code)
            })?;
            settings.extend(resource.entries.into_iter().map(|entry| TopicSetting {
                name: entry.name,
                value: entry.value,
                is_default: entry.is_default,
                is_sensitive: entry.is_sensitive,
                is_read_only: entry.is_read_only,
            }));
        }
        settings.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(settings)
    }

    /// The settings of each of `topics` that have a value, by topic then name.
    pub async fn topics_settings(
        &self,
        topics: &[&str],
    ) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
        let mut all = BTreeMap::new();
        for topic in topics {
            let values = self
                .topic_settings(topic)
                .await?
                .into_iter()
                .filter_map(|s| s.value.map(|v| (s.name, v)))
                .collect();
            all.insert((*topic).to_owned(), values);
        }
        Ok(all)
    }

    /// Sets `settings` (name, value) on `topic`, leaving its other settings alone.
    pub async fn alter_topic_settings(
        &self,
        topic: &str,
        settings: &[(String, String)],
    ) -> Result<()> {
        if settings.is_empty() {
            return Ok(());
        }
        let topic = topic.to_owned();
        let settings = settings.to_vec();
        self.blocking(move |admin| {
            let client = admin.client()?;
            incremental_alter::set_topic_settings(
                client.inner(),
                &topic,
                &settings,
                admin.timeout(),
            )
            .map_err(|reason| {
                let names: Vec<&str> = settings.iter().map(|(k, _)| k.as_str()).collect();
                Error::Admin(format!(
                    "altering {} of topic `{topic}`: {reason}",
                    names.join(", ")
                ))
            })
        })
        .await
    }
}
