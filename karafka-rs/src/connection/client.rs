//! librdkafka settings for karafka's consumers and producers.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::{ClientConfig, ClientContext};

use crate::config::Config;
use crate::routing::ConsumerGroup;

/// Settings karafka chooses; anything in `[kafka]` overrides them (except the reserved keys).
const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "true"),
    ("auto.commit.interval.ms", "5000"),
    ("enable.partition.eof", "false"),
    // librdkafka's default of 1000 ms idles a consumer that is a little slower than
    // the broker for most of each second once its fetch queue has filled.
    ("fetch.queue.backoff.ms", "10"),
    // A partition resumed after a pause (backpressure, retry) is fetched only once
    // the long poll in flight returns; librdkafka's 500 ms default starved a
    // 4-partition worker pool to half its speed.
    ("fetch.wait.max.ms", "50"),
];

/// The consumer settings of one consumer group; `statistics` is the interval the
/// listeners asked for (`[kafka] statistics.interval.ms` overrides it).
pub(crate) fn consumer_config(
    config: &Config,
    brokers: &str,
    group: &ConsumerGroup,
    statistics: Option<Duration>,
) -> ClientConfig {
    let mut client = base_config(config, brokers);
    client
        .set("group.id", &group.id)
        .set("auto.offset.reset", group.initial_offset().name());
    for (key, value) in CONSUMER_DEFAULTS {
        client.set(*key, *value);
    }
    if let Some(interval) = statistics {
        client.set(
            "statistics.interval.ms",
            interval.as_millis().max(1).to_string(),
        );
    }
    apply_user_settings(&mut client, config, Role::Consumer);
    // Set last: at-least-once depends on it and the config validation forbids overriding it.
    client.set("enable.auto.offset.store", "false");
    client
}

/// The settings of the process's producer.
pub(crate) fn producer_config(config: &Config, brokers: &str) -> ClientConfig {
    let mut client = base_config(config, brokers);
    client
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", "30000");
    apply_user_settings(&mut client, config, Role::Producer);
    client
}

/// The settings of a consumer outside any consumer group's work (the CLI's
/// `consume`): it reads assigned partitions and never commits.
pub(crate) fn reader_config(config: &Config, brokers: &str) -> ClientConfig {
    let mut client = base_config(config, brokers);
    client
        .set("group.id", format!("{}_cli_reader", config.client_id))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    apply_user_settings(&mut client, config, Role::Consumer);
    client.set("enable.auto.offset.store", "false");
    client
}

fn base_config(config: &Config, brokers: &str) -> ClientConfig {
    let mut client = ClientConfig::new();
    client
        .set("bootstrap.servers", brokers)
        .set("client.id", &config.client_id)
        .set(
            "socket.connection.setup.timeout.ms",
            config.connect_timeout.to_string(),
        );
    client
}

/// Which kind of client a `[kafka]` setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Consumer,
    Producer,
}

/// Prefixes of librdkafka settings that only one kind of client understands; the
/// other kind would warn about each of them (CONFWARN) at every start.
const CONSUMER_ONLY: &[&str] = &[
    "group.",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "auto.offset.reset",
    "auto.commit.",
    "enable.auto.commit",
    "fetch.",
    "queued.",
    "enable.partition.eof",
    "check.crcs",
    "partition.assignment.strategy",
    "isolation.level",
    "consume.callback.max.messages",
    "coordinator.query.interval.ms",
];
const PRODUCER_ONLY: &[&str] = &[
    "acks",
    "request.required.acks",
    "linger.ms",
    "queue.buffering.",
    "batch.",
    "compression.",
    "enable.idempotence",
    "message.timeout.ms",
    "delivery.timeout.ms",
    "retries",
    "message.send.max.retries",
    "transactional.id",
    "transaction.timeout.ms",
    "partitioner",
    "sticky.partitioning.linger.ms",
    "request.timeout.ms",
    "enable.gapless.guarantee",
    "queuing.strategy",
    "produce.offset.report",
];

fn is_for(role: Role, key: &str) -> bool {
    let foreign = match role {
        Role::Consumer => PRODUCER_ONLY,
        Role::Producer => CONSUMER_ONLY,
    };
    !foreign.iter().any(|prefix| key.starts_with(prefix))
}

fn apply_user_settings(client: &mut ClientConfig, config: &Config, role: Role) {
    for (key, value) in config.kafka.iter().filter(|(k, _)| is_for(role, k)) {
        client.set(key, value.to_string());
    }
}

/// Whether a librdkafka setting holds a secret that must never be shown.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("sasl.")
        || key.starts_with("ssl.")
        || key.contains("password")
        || key.contains("secret")
}

/// `key=value` for display, with secret values replaced.
pub(crate) fn redacted(key: &str, value: &str) -> String {
    if is_secret_key(key) {
        format!("{key}=[FILTERED]")
    } else {
        format!("{key}={value}")
    }
}

/// The shown form of a secret value.
const FILTERED: &str = "[FILTERED]";

/// A client context that passes librdkafka's log lines on to `tracing` (target
/// `librdkafka`, as rust-rdkafka does, translated and collapsed by cause) with
/// the values of the app's secret settings replaced: librdkafka quotes setting values in its warnings
/// (`sasl.mechanism set to ...`).
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Values of secret settings, longest first (so a value inside another is not half-replaced).
    secrets: Arc<[String]>,
}

impl Redactor {
    /// Collects the values of `config`'s secret `[kafka]` settings.
    pub(crate) fn new(config: &Config) -> Redactor {
        let mut secrets: Vec<String> = config
            .kafka
            .iter()
            .filter(|(key, _)| is_secret_key(key))
            .map(|(_, value)| value.to_string())
            .filter(|value| !value.is_empty())
            .collect();
        secrets.sort_by_key(|value| std::cmp::Reverse(value.len()));
        Redactor {
            secrets: secrets.into(),
        }
    }

    /// `text` with every secret value replaced by `[FILTERED]`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in self.secrets.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), FILTERED);
            }
        }
        text
    }
}

impl ClientContext for Redactor {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        log_redacted(self, level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        crate::logging::librdkafka_error(&self.redact(&format!("{error}: {reason}")));
    }
}

impl ConsumerContext for Redactor {}

/// Emits a librdkafka log line through `tracing` with secrets filtered (errors
/// and warnings translated and collapsed by cause, see [`crate::logging`]).
pub(crate) fn log_redacted(
    redactor: &Redactor,
    level: RDKafkaLogLevel,
    fac: &str,
    log_message: &str,
) {
    crate::logging::librdkafka_log(level, fac, &redactor.redact(log_message));
}

/// A librdkafka configuration error with the value of a secret setting filtered
/// (librdkafka's message and rust-rdkafka's both quote the value).
pub(crate) fn redact_config_error(error: KafkaError) -> KafkaError {
    match error {
        KafkaError::ClientConfig(code, description, key, value) if is_secret_key(&key) => {
            let description = if value.is_empty() {
                description
            } else {
                description.replace(&value, FILTERED)
            };
            KafkaError::ClientConfig(code, description, key, FILTERED.to_owned())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_filtered_from_librdkafka_text() {
        let mut config = Config::default();
        config.kafka.insert(
            "sasl.mechanism".into(),
            crate::config::KafkaValue::String("sentinel-mech".into()),
        );
        config
            .kafka
            .insert("linger.ms".into(), crate::config::KafkaValue::Integer(5));
        let redactor = Redactor::new(&config);
        assert_eq!(
            redactor.redact("`sasl.mechanism` set to `sentinel-mech` with linger.ms 5"),
            "`sasl.mechanism` set to `[FILTERED]` with linger.ms 5"
        );
    }

    #[test]
    fn config_errors_of_secret_settings_lose_their_value() {
        let error = KafkaError::ClientConfig(
            rdkafka::types::RDKafkaConfRes::RD_KAFKA_CONF_INVALID,
            "Invalid value \"sentinel-pw\" for ssl.key.password".into(),
            "ssl.key.password".into(),
            "sentinel-pw".into(),
        );
        let shown = redact_config_error(error).to_string();
        assert!(!shown.contains("sentinel-pw"), "{shown}");
        assert!(shown.contains("ssl.key.password"), "{shown}");
    }

    #[test]
    fn consumer_settings_are_kept_from_producers_and_back() {
        assert!(!is_for(Role::Producer, "session.timeout.ms"));
        assert!(is_for(Role::Consumer, "session.timeout.ms"));
        assert!(!is_for(Role::Consumer, "linger.ms"));
        assert!(is_for(Role::Producer, "linger.ms"));
        assert!(is_for(Role::Producer, "statistics.interval.ms"));
        assert!(is_for(Role::Consumer, "statistics.interval.ms"));
    }

    #[test]
    fn sasl_and_ssl_values_are_filtered() {
        assert_eq!(
            redacted("sasl.password", "hunter2"),
            "sasl.password=[FILTERED]"
        );
        assert_eq!(
            redacted("ssl.key.password", "x"),
            "ssl.key.password=[FILTERED]"
        );
        assert_eq!(redacted("SASL.USERNAME", "x"), "SASL.USERNAME=[FILTERED]");
        assert_eq!(redacted("linger.ms", "5"), "linger.ms=5");
    }
}
