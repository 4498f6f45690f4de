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
    lines.push("Settings and where they came from (others are built-in defaults):".to_owned());
    for (key, origin) in config.origins.iter() {
        lines.push(format!("  {} ({origin})", setting(app, key)));
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

/// `key=value` of a setting, its value filtered when secret.
fn setting(app: &App, key: &str) -> String {
    let config = app.config();
    if let Some(name) = key.strip_prefix("kafka.") {
        let value = config
            .kafka
            .get(name)
            .map(ToString::to_string)
            .unwrap_or_default();
        return format!("kafka.{}", redacted(name, &value));
    }
    let value = match key {
        "client_id" => config.client_id.clone(),
        "brokers" => config.brokers.join(","),
        "environment" => config.environment.clone(),
        "backend" => config.backend.name().to_owned(),
        "concurrency" => config.concurrency.to_string(),
        "max_messages" => config.max_messages.to_string(),
        "max_buffered_messages" => config.max_buffered_messages.to_string(),
        "max_wait_time" => config.max_wait_time.to_string(),
        "shutdown_timeout" => config.shutdown_timeout.to_string(),
        "pause_timeout" => config.pause_timeout.to_string(),
        "pause_max_timeout" => config.pause_max_timeout.to_string(),
        "pause_with_exponential_backoff" => config.pause_with_exponential_backoff.to_string(),
        "connect_timeout" => config.connect_timeout.to_string(),
        "delivery_timeout" => config.delivery_timeout.to_string(),
        "auto_create_topics" => config
            .auto_create_topics
            .map_or("unset".to_owned(), |b| b.to_string()),
        "default_partitions" => config.default_partitions.to_string(),
        _ => "?".to_owned(),
    };
    redacted(key, &value)
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
