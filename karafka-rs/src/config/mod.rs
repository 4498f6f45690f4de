//! Application configuration: `karafka.toml` (or `--config` / `KARAFKA_CONFIG`),
//! its `[environments.<env>]` tables, `${VAR}` references and `KARAFKA_*`
//! environment overrides.
//!
//! Every key has a default (Karafka's, where it has one), so an app without a
//! `karafka.toml` boots in development on the embedded broker. A key that is
//! unknown, of the wrong type or out of range fails the boot, naming the key and
//! where it came from. `Debug` filters the values of secret settings.

mod interpolate;
mod load;
mod origins;

pub use load::LoadOptions;
pub use origins::{Origin, Origins};

pub(crate) mod swarm;
mod web;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::redaction::{is_secret_key, FILTERED};
pub use swarm::SwarmSettings;
pub use web::WebSettings;

/// Name of the configuration file in the app's root directory.
pub const CONFIG_FILE: &str = "karafka.toml";

/// librdkafka settings karafka owns; setting them in `[kafka]` would break an invariant.
const RESERVED_KAFKA_KEYS: &[(&str, &str)] = &[
    (
        "enable.auto.offset.store",
        "karafka stores an offset only after its message was processed (at-least-once)",
    ),
    (
        "group.id",
        "it is derived from client_id and the consumer group name",
    ),
    ("bootstrap.servers", "use the top-level `brokers` key"),
    ("metadata.broker.list", "use the top-level `brokers` key"),
    (
        "message.timeout.ms",
        "use the top-level `delivery_timeout` key",
    ),
    (
        "delivery.timeout.ms",
        "use the top-level `delivery_timeout` key",
    ),
];

/// Environments in which a missing `brokers` setting means the embedded broker.
const DEVELOPMENT_ENVIRONMENTS: &[&str] = &["development", "test"];

/// How batches reach user code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// On the fetch task of the consumer group, one batch after another
    /// (polling waits for each batch: keep batches well under `max.poll.interval.ms`).
    Inline,
    /// On a pool of `concurrency` tokio tasks shared by every consumer group;
    /// partitions run in parallel, each partition's batches one at a time,
    /// while the fetch loop keeps polling (the default: a long batch costs no rebalance).
    #[default]
    WorkerPool,
}

impl Backend {
    /// The name used in `karafka.toml` and the routes DSL.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Inline => "inline",
            Backend::WorkerPool => "worker_pool",
        }
    }
}

/// Where a partition without a committed offset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialOffset {
    /// From the oldest message still on the broker.
    #[default]
    Earliest,
    /// Only messages produced after the group joined.
    Latest,
}

impl InitialOffset {
    /// The librdkafka `auto.offset.reset` value.
    pub fn name(self) -> &'static str {
        match self {
            InitialOffset::Earliest => "earliest",
            InitialOffset::Latest => "latest",
        }
    }
}

/// A scalar from the `[kafka]` table, handed to librdkafka as a string.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum KafkaValue {
    /// A string value.
    String(String),
    /// An integer value.
    Integer(i64),
    /// A float value.
    Float(f64),
    /// A boolean value.
    Bool(bool),
}

impl std::fmt::Display for KafkaValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KafkaValue::String(s) => f.write_str(s),
            KafkaValue::Integer(i) => write!(f, "{i}"),
            KafkaValue::Float(x) => write!(f, "{x}"),
            KafkaValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// The whole configuration of a karafka app.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Identifies the app to Kafka; prefixes consumer group ids.
    pub client_id: String,
    /// Bootstrap brokers as `host:port`; empty in development means the embedded broker.
    pub brokers: Vec<String>,
    /// `development`, `test`, `production`, ...; `KARAFKA_ENV` overrides it.
    pub environment: String,
    /// The default processing backend of routes that do not name one.
    pub backend: Backend,
    /// Worker count of the worker pool backend.
    pub concurrency: usize,
    /// Most messages in one batch handed to a consumer.
    pub max_messages: usize,
    /// Fetched messages a group's partitions may hold between them before the
    /// fetch loop waits for a job instead of polling, and one partition before
    /// it is paused (backpressure); never less than two batches.
    pub max_buffered_messages: usize,
    /// Longest wait for the first message of a batch, in milliseconds.
    pub max_wait_time: u64,
    /// How long a graceful shutdown may take before it is forced, in milliseconds.
    pub shutdown_timeout: u64,
    /// First pause of a partition whose processing failed, in milliseconds.
    pub pause_timeout: u64,
    /// Longest pause after repeated failures, in milliseconds.
    pub pause_max_timeout: u64,
    /// Whether pauses double after each consecutive failure.
    pub pause_with_exponential_backoff: bool,
    /// How long boot waits for the brokers to answer, in milliseconds.
    pub connect_timeout: u64,
    /// How long the producer tries to deliver a message before failing it, in
    /// milliseconds (librdkafka's `message.timeout.ms`).
    pub delivery_timeout: u64,
    /// Whether boot creates routed topics missing on the cluster; unset means
    /// yes in development and test, no elsewhere.
    pub auto_create_topics: Option<bool>,
    /// Partitions of each topic boot creates (on the embedded broker, or with `auto_create_topics`).
    pub default_partitions: i32,
    /// librdkafka settings passed through as they are.
    pub kafka: BTreeMap<String, KafkaValue>,
    /// `server --swarm`: how many nodes, and when to stop restarting them.
    pub swarm: SwarmSettings,
    /// The Web UI: reporting, and how the UI guards itself.
    pub web: WebSettings,
    /// Where this configuration was read from (`None`: defaults only).
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// Where each value that is not a built-in default came from.
    #[serde(skip)]
    pub origins: Origins,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kafka: BTreeMap<&str, String> = self
            .kafka
            .iter()
            .map(|(key, value)| {
                let shown = if is_secret_key(key) {
                    FILTERED.to_owned()
                } else {
                    value.to_string()
                };
                (key.as_str(), shown)
            })
            .collect();
        f.debug_struct("Config")
            .field("client_id", &self.client_id)
            .field("brokers", &self.brokers)
            .field("environment", &self.environment)
            .field("backend", &self.backend)
            .field("concurrency", &self.concurrency)
            .field("max_messages", &self.max_messages)
            .field("max_buffered_messages", &self.max_buffered_messages)
            .field("max_wait_time", &self.max_wait_time)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("pause_timeout", &self.pause_timeout)
            .field("pause_max_timeout", &self.pause_max_timeout)
            .field(
                "pause_with_exponential_backoff",
                &self.pause_with_exponential_backoff,
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("delivery_timeout", &self.delivery_timeout)
            .field("auto_create_topics", &self.auto_create_topics)
            .field("default_partitions", &self.default_partitions)
            .field("kafka", &kafka)
            .field("web", &self.web)
            .field("source", &self.source)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client_id: "karafka".to_owned(),
            brokers: Vec::new(),
            environment: "development".to_owned(),
            backend: Backend::WorkerPool,
            concurrency: 5,
            max_messages: 100,
            max_buffered_messages: 10_000,
            max_wait_time: 1_000,
            shutdown_timeout: 60_000,
            pause_timeout: 1_000,
            pause_max_timeout: 30_000,
            pause_with_exponential_backoff: true,
            connect_timeout: 10_000,
            delivery_timeout: 30_000,
            auto_create_topics: None,
            default_partitions: 3,
            kafka: BTreeMap::new(),
            swarm: SwarmSettings::default(),
            web: WebSettings::default(),
            source: None,
            origins: Origins::default(),
        }
    }
}

impl Config {
    /// Reads `karafka.toml` from `root` (defaults when absent; `KARAFKA_CONFIG`
    /// names another file), merges the environment's table, expands `${VAR}`
    /// references, applies the `KARAFKA_*` overrides and validates the result.
    pub fn load(root: &Path) -> Result<Config> {
        Config::load_with(root, &LoadOptions::default(), |name| {
            std::env::var(name).ok()
        })
    }

    /// [`Config::load`] with the file and environment chosen in `options`,
    /// environment variables read through `lookup`.
    pub fn load_with(
        root: &Path,
        options: &LoadOptions,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        load::load(root, options, &lookup)
    }

    /// Parses TOML text; `origin` names the file in errors. Selects the
    /// environment the text names, and neither reads environment variables nor
    /// applies overrides (a `${VAR}` without a default is an error).
    pub fn from_toml(text: &str, origin: &Path) -> Result<Config> {
        Config::from_toml_with(text, origin, None, |_| None)
    }

    /// Parses TOML text for `environment` (else `KARAFKA_ENV`, else the text's
    /// own), reading environment variables through `lookup`.
    pub fn from_toml_with(
        text: &str,
        origin: &Path,
        environment: Option<&str>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        load::from_text(Some(text), origin, environment, &lookup)
    }

    /// Applies `KARAFKA_BROKERS` and `KARAFKA_CLIENT_ID`, recording their origins.
    fn apply_overrides(
        &mut self,
        lookup: &dyn Fn(&str) -> Option<String>,
        origins: &mut Origins,
    ) -> Result<()> {
        let overrides = |name: &str| (name != "KARAFKA_ENV").then(|| lookup(name)).flatten();
        self.apply_env(overrides)?;
        for (variable, key) in [
            ("KARAFKA_BROKERS", "brokers"),
            ("KARAFKA_CLIENT_ID", "client_id"),
        ] {
            if lookup(variable).is_some() {
                origins.set(key, Origin::EnvironmentVariable(variable.to_owned()));
            }
        }
        Ok(())
    }

    /// Applies `KARAFKA_ENV`, `KARAFKA_BROKERS` and `KARAFKA_CLIENT_ID` from `lookup`.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(env) = lookup("KARAFKA_ENV") {
            self.environment = env;
        }
        if let Some(brokers) = lookup("KARAFKA_BROKERS") {
            self.brokers = brokers
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(str::to_owned)
                .collect();
            validate_brokers(&self.brokers).map_err(|reason| Error::Config {
                file: PathBuf::from("the environment variable KARAFKA_BROKERS"),
                key: "brokers".into(),
                reason,
            })?;
        }
        if let Some(client_id) = lookup("KARAFKA_CLIENT_ID") {
            self.client_id = client_id;
        }
        Ok(())
    }

    /// Checks every value's range and the reserved librdkafka keys.
    pub fn validate(&self) -> Result<()> {
        let fail = |key: &str, reason: String| Error::Config {
            file: self.origin(),
            key: key.to_owned(),
            reason,
        };
        if !is_kafka_name(&self.client_id) {
            return Err(fail(
                "client_id",
                format!(
                    "`{}` must be 1-249 characters of ASCII letters, digits, '.', '_' or '-'",
                    self.client_id
                ),
            ));
        }
        validate_brokers(&self.brokers).map_err(|r| fail("brokers", r))?;
        if self.environment.trim().is_empty() {
            return Err(fail("environment", "must not be empty".into()));
        }
        for (key, value) in [
            ("concurrency", self.concurrency as u64),
            ("max_messages", self.max_messages as u64),
            ("max_buffered_messages", self.max_buffered_messages as u64),
            ("max_wait_time", self.max_wait_time),
            ("shutdown_timeout", self.shutdown_timeout),
            ("pause_timeout", self.pause_timeout),
            ("pause_max_timeout", self.pause_max_timeout),
            ("connect_timeout", self.connect_timeout),
            ("delivery_timeout", self.delivery_timeout),
        ] {
            if value == 0 {
                return Err(fail(key, "must be greater than 0".into()));
            }
        }
        if self.pause_max_timeout < self.pause_timeout {
            return Err(fail(
                "pause_max_timeout",
                format!(
                    "{} is below pause_timeout ({})",
                    self.pause_max_timeout, self.pause_timeout
                ),
            ));
        }
        if self.default_partitions < 1 {
            return Err(fail("default_partitions", "must be at least 1".into()));
        }
        if let Some((key, reason)) = self.swarm.problem().or_else(|| self.web.problem()) {
            return Err(fail(key, reason));
        }
        for (key, why) in RESERVED_KAFKA_KEYS {
            if self.kafka.contains_key(*key) {
                return Err(fail(
                    &format!("kafka.{key}"),
                    format!("cannot be set: {why}"),
                ));
            }
        }
        Ok(())
    }

    /// The file this configuration came from, or a description of the defaults.
    pub fn origin(&self) -> PathBuf {
        self.source
            .clone()
            .unwrap_or_else(|| PathBuf::from("the built-in defaults"))
    }

    /// Whether this environment may run the embedded broker and create topics by default.
    pub fn is_development(&self) -> bool {
        DEVELOPMENT_ENVIRONMENTS.contains(&self.environment.as_str())
    }

    /// Whether boot creates routed topics the cluster lacks.
    pub fn creates_missing_topics(&self) -> bool {
        self.auto_create_topics
            .unwrap_or_else(|| self.is_development())
    }

    /// `max_wait_time` as a duration.
    pub fn max_wait(&self) -> Duration {
        Duration::from_millis(self.max_wait_time)
    }

    /// `shutdown_timeout` as a duration.
    pub fn shutdown_wait(&self) -> Duration {
        Duration::from_millis(self.shutdown_timeout)
    }

    /// `delivery_timeout` as a duration.
    pub fn delivery_wait(&self) -> Duration {
        Duration::from_millis(self.delivery_timeout)
    }

    /// The pause before retry number `attempt` (1-based) of a failed batch.
    pub fn pause_for(&self, attempt: u32) -> Duration {
        let ms = if self.pause_with_exponential_backoff {
            let factor = 1u64 << attempt.saturating_sub(1).min(32);
            self.pause_timeout.saturating_mul(factor)
        } else {
            self.pause_timeout
        };
        Duration::from_millis(ms.min(self.pause_max_timeout))
    }
}

/// Whether `name` is usable as a Kafka topic, group or client id.
pub(crate) fn is_kafka_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 249
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn validate_brokers(brokers: &[String]) -> std::result::Result<(), String> {
    for broker in brokers {
        let valid = broker
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !valid {
            return Err(format!("`{broker}` is not of the form host:port"));
        }
    }
    Ok(())
}

/// serde reports an unknown top-level field with an empty path; pull its name from the message.
fn unknown_key(error: &toml::de::Error) -> String {
    let message = error.message();
    message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned)
        .unwrap_or_else(|| "(top level)".to_owned())
}

/// A TOML syntax error naming the line and column, and showing the line.
fn syntax_error(text: &str, origin: &Path, error: &toml::de::Error) -> Error {
    let at = error.span().map_or(0, |span| span.start).min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() + 1;
    let column = text[line_start..at].chars().count() + 1;
    let shown = text[line_start..].lines().next().unwrap_or("");
    let number = line.to_string();
    let excerpt = format!(
        "{number} | {shown}\n{} | {}^",
        " ".repeat(number.len()),
        " ".repeat(column - 1)
    );
    Error::ConfigSyntax {
        file: origin.to_owned(),
        line,
        column,
        reason: first_line(error.message()),
        excerpt,
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::from_toml(text, Path::new("app/karafka.toml"))
    }

    #[test]
    fn empty_file_gives_karafka_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config.client_id, "karafka");
        assert_eq!(config.max_messages, 100);
        assert!(config.brokers.is_empty() && config.is_development());
        assert!(config.creates_missing_topics());
    }

    #[test]
    fn unknown_key_is_named_with_the_file() {
        let error = parse("client_id = \"a\"\nconcurency = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("app/karafka.toml"), "{error}");
        assert!(error.contains("`concurency`"), "{error}");
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column_and_shows_the_line() {
        let error = parse("client_id = \"shop\"\nbrokers = [\"a:1\" \"b:2\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("invalid TOML in app/karafka.toml, line 2, column 18: "),
            "{error}"
        );
        assert!(
            error.ends_with("\n2 | brokers = [\"a:1\" \"b:2\"]\n  |                  ^"),
            "{error}"
        );
    }

    #[test]
    fn wrong_type_names_the_key() {
        let error = parse("max_messages = \"ten\"").unwrap_err().to_string();
        assert!(error.contains("key `max_messages`"), "{error}");
        assert!(error.contains("invalid type"), "{error}");
    }

    #[test]
    fn nested_unknown_key_is_named_with_its_table() {
        let error = parse("[kafka.nested]\nx = 3").unwrap_err().to_string();
        assert!(error.contains("key `kafka.nested`"), "{error}");
    }

    #[test]
    fn zero_concurrency_is_rejected() {
        let error = parse("concurrency = 0").unwrap_err().to_string();
        assert!(
            error.contains("key `concurrency`: must be greater than 0"),
            "{error}"
        );
    }

    #[test]
    fn broker_without_port_is_rejected() {
        let error = parse("brokers = [\"localhost\"]").unwrap_err().to_string();
        assert!(error.contains("key `brokers`"), "{error}");
        assert!(error.contains("host:port"), "{error}");
    }

    #[test]
    fn offset_store_cannot_be_handed_to_librdkafka() {
        let error = parse("[kafka]\n\"enable.auto.offset.store\" = true")
            .unwrap_err()
            .to_string();
        assert!(error.contains("kafka.enable.auto.offset.store"), "{error}");
    }

    #[test]
    fn delivery_timeout_defaults_to_30_s_and_is_read_from_the_file() {
        assert_eq!(parse("").unwrap().delivery_timeout, 30_000);
        assert_eq!(
            parse("delivery_timeout = 2500").unwrap().delivery_wait(),
            Duration::from_millis(2500)
        );
    }

    #[test]
    fn zero_delivery_timeout_is_rejected_naming_key_and_file() {
        let error = parse("delivery_timeout = 0").unwrap_err().to_string();
        assert!(error.contains("app/karafka.toml"), "{error}");
        assert!(
            error.contains("key `delivery_timeout`: must be greater than 0"),
            "{error}"
        );
    }

    #[test]
    fn message_timeout_in_kafka_points_to_delivery_timeout() {
        let error = parse("[kafka]\n\"message.timeout.ms\" = 100")
            .unwrap_err()
            .to_string();
        assert!(error.contains("kafka.message.timeout.ms"), "{error}");
        assert!(error.contains("`delivery_timeout`"), "{error}");
    }

    #[test]
    fn unknown_backend_lists_the_value() {
        let error = parse("backend = \"sidekiq\"").unwrap_err().to_string();
        assert!(error.contains("key `backend`"), "{error}");
        assert!(error.contains("sidekiq"), "{error}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut config = parse("client_id = \"from_file\"").unwrap();
        config
            .apply_env(|name| match name {
                "KARAFKA_CLIENT_ID" => Some("from_env".into()),
                "KARAFKA_BROKERS" => Some("127.0.0.1:9092, 127.0.0.1:9093".into()),
                "KARAFKA_ENV" => Some("production".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.client_id, "from_env");
        assert_eq!(config.brokers, ["127.0.0.1:9092", "127.0.0.1:9093"]);
        assert_eq!(config.environment, "production");
    }

    #[test]
    fn bad_brokers_variable_is_named() {
        let mut config = Config::default();
        let error = config
            .apply_env(|name| (name == "KARAFKA_BROKERS").then(|| "nope".into()))
            .unwrap_err()
            .to_string();
        assert!(error.contains("KARAFKA_BROKERS"), "{error}");
    }

    #[test]
    fn debug_filters_secret_kafka_values() {
        let config = parse("[kafka]\n\"sasl.password\" = \"hunter2\"\n\"ssl.key.password\" = \"k\"\n\"linger.ms\" = 5\n\"my.secret.token\" = \"t0k\"").unwrap();
        let shown = format!("{config:?}");
        for secret in ["hunter2", "\"k\"", "t0k"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("\"sasl.password\": \"[FILTERED]\""),
            "{shown}"
        );
        assert!(shown.contains("\"linger.ms\": \"5\""), "{shown}");
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let config = parse("pause_timeout = 100\npause_max_timeout = 350").unwrap();
        let pauses: Vec<u128> = (1..=4).map(|a| config.pause_for(a).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 350, 350]);
    }
}
