//! Boot-time checks of the cluster: are the brokers reachable, do the routed
//! topics exist, and (in development) create the ones that do not.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::consumer::{BaseConsumer, Consumer as _};

use crate::app::App;
use crate::connection::client::{producer_config, Redactor};
use crate::error::{Error, Result};

/// Fails within `connect_timeout` when no broker answers; returns the routed
/// topics the cluster does not have.
pub(crate) async fn missing_topics(app: &App, brokers: &str) -> Result<Vec<String>> {
    let client = producer_config(app.config(), brokers);
    let redactor = Redactor::new(app.config());
    let timeout = Duration::from_millis(app.config().connect_timeout);
    let brokers = brokers.to_owned();
    let routes = app.routes();
    let routed: Vec<String> = routes
        .active_topic_names()
        .iter()
        .map(|t| t.to_string())
        .chain(routes.dead_letter_topics().into_iter().map(str::to_owned))
        .collect();
    tokio::task::spawn_blocking(move || {
        let probe: BaseConsumer<Redactor> = client
            .create_with_context(redactor)
            .map_err(|e| Error::kafka("creating the connection probe", e))?;
        let metadata = probe
            .fetch_metadata(None, timeout)
            .map_err(|e| Error::Unreachable {
                brokers,
                timeout_ms: timeout.as_millis() as u64,
                reason: e.to_string(),
            })?;
        let existing: Vec<&str> = metadata.topics().iter().map(|t| t.name()).collect();
        Ok(routed
            .into_iter()
            .filter(|t| !existing.contains(&t.as_str()))
            .collect())
    })
    .await
    .map_err(|e| Error::Internal(format!("the connection probe failed: {e}")))?
}

/// Creates `topics` with `default_partitions` partitions through CreateTopics.
pub(crate) async fn create(app: &App, brokers: &str, topics: &[String]) -> Result<()> {
    let admin: AdminClient<Redactor> = producer_config(app.config(), brokers)
        .create_with_context(Redactor::new(app.config()))
        .map_err(|e| Error::kafka("creating the admin client", e))?;
    let partitions = app.config().default_partitions;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|t| NewTopic::new(t, partitions, TopicReplication::Fixed(1)))
        .collect();
    let timeout = Duration::from_millis(app.config().connect_timeout);
    let results = admin
        .create_topics(
            &new_topics,
            &AdminOptions::new().operation_timeout(Some(timeout)),
        )
        .await
        .map_err(|e| Error::kafka(format!("creating topics {}", topics.join(", ")), e))?;
    for result in results {
        match result {
            Ok(_) => {}
            // Another process created it in the meantime: fine.
            Err((_, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(Error::kafka(
                    format!("creating topic `{topic}`"),
                    rdkafka::error::KafkaError::AdminOp(code),
                ));
            }
        }
    }
    Ok(())
}
