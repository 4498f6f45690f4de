//! The boot banner, in the spirit of Karafka's: versions, settings, brokers, routes.

use crate::config::Config;
use crate::redaction::redacted;
use crate::routing::Routes;

/// The banner's lines; secrets in `[kafka]` are filtered.
pub(crate) fn lines(
    config: &Config,
    routes: &Routes,
    brokers: &str,
    broker_note: &str,
) -> Vec<String> {
    let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
    let mut lines = vec![
        format!("Initializing Karafka server {}", std::process::id()),
        format!(
            "Karafka-rs framework version: {}",
            env!("CARGO_PKG_VERSION")
        ),
        format!("librdkafka version: {librdkafka}"),
        format!("Application client id: {}", config.client_id),
        format!("Backend: {}", config.backend.name()),
        format!(
            "Max messages: {}, max wait time: {} ms",
            config.max_messages, config.max_wait_time
        ),
        format!("Config file: {}", config.origin().display()),
        format!("Environment: {}", config.environment),
        format!("Kafka brokers: {brokers}{broker_note}"),
    ];
    if !config.kafka.is_empty() {
        let settings: Vec<String> = config
            .kafka
            .iter()
            .map(|(k, v)| redacted(k, &v.to_string()))
            .collect();
        lines.push(format!("Kafka settings: {}", settings.join(", ")));
    }
    lines.push("Routes:".to_owned());
    for group in routes.groups() {
        lines.push(format!(
            "  consumer group {} (group.id {})",
            group.name, group.id
        ));
        for topic in &group.topics {
            lines.push(format!(
                "    {} -> {} (deserializer {}, backend {}, batch consuming {}, max messages {}, initial offset {}{})",
                topic.name,
                topic.consumer_name,
                topic.deserializer_name,
                topic.backend.name(),
                topic.batch_consuming,
                topic.max_messages,
                topic.initial_offset.name(),
                if topic.active { "" } else { ", inactive" }
            ));
        }
    }
    lines
}
