//! `info`: what the app is, in Karafka's `karafka info` spirit; secrets filtered.

use crate::app::App;
use crate::embedded::EmbeddedBroker;
use crate::redaction::redacted;

/// The lines `info` prints.
pub(super) fn render(app: &App) -> String {
    let config = app.config();
    let (_, librdkafka) = rdkafka::util::get_rdkafka_version();
    let mut lines = vec![
        format!("karafka-rs version: {}", env!("CARGO_PKG_VERSION")),
        format!("rustc version: {}", env!("KARAFKA_RUSTC_VERSION")),
        format!("librdkafka version: {librdkafka}"),
        format!("Application client id: {}", config.client_id),
        format!("Environment: {}", config.environment),
        format!("Config file: {}", config.origin().display()),
        format!("Kafka brokers: {}", brokers(app)),
        format!("Backend: {}", config.backend.name()),
        format!("Concurrency: {}", config.concurrency),
        format!(
            "Max messages: {}, max wait time: {} ms",
            config.max_messages, config.max_wait_time
        ),
    ];
    if let Some(nodes) = config.swarm.nodes {
        lines.push(format!(
            "Swarm: {nodes} nodes, at most {} restarts within {} ms",
            config.swarm.max_restarts, config.swarm.restart_window
        ));
    }
    if !config.kafka.is_empty() {
        let settings: Vec<String> = config
            .kafka
            .iter()
            .map(|(k, v)| redacted(k, &v.to_string()))
            .collect();
        lines.push(format!("Kafka settings: {}", settings.join(", ")));
    }
    lines.push("Consumer groups:".to_owned());
    for group in app.routes().groups() {
        let topics: Vec<String> = group
            .topics
            .iter()
            .map(|t| {
                if t.active {
                    t.name.to_string()
                } else {
                    format!("{} (inactive)", t.name)
                }
            })
            .collect();
        lines.push(format!(
            "  {} (group.id {}): {}",
            group.name,
            group.id,
            topics.join(", ")
        ));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn brokers(app: &App) -> String {
    let config = app.config();
    if !config.brokers.is_empty() {
        return config.brokers.join(", ");
    }
    if !config.is_development() {
        return "none configured".to_owned();
    }
    match EmbeddedBroker::discover(app.root(), &config.client_id) {
        Some(address) => format!("{address} (embedded development broker, running)"),
        None => {
            "embedded development broker (not running; `server` or `broker` starts it)".to_owned()
        }
    }
}
