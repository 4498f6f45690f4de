//! Keeping secrets out of sight: which librdkafka settings hold secrets, their
//! display form, and a client context that filters secret values out of
//! librdkafka's log lines and errors.
//!
//! The bottom layer: it imports nothing of the crate but the other bottom
//! module, `client_log` (where its log lines go), so configuration,
//! errors, clients, the CLI and the boot banner can all use it.

use std::fmt::Display;
use std::sync::Arc;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::KafkaError;
use rdkafka::ClientContext;

/// The shown form of a secret value.
pub const FILTERED: &str = "[FILTERED]";

/// Whether a librdkafka setting holds a secret that must never be shown
/// (`sasl.*`, `ssl.*`, and any key naming a password or secret).
pub fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.starts_with("sasl.")
        || key.starts_with("ssl.")
        || key.contains("password")
        || key.contains("secret")
}

/// `key=value` for display, with secret values replaced by [`FILTERED`].
pub fn redacted(key: &str, value: &str) -> String {
    if is_secret_key(key) {
        format!("{key}={FILTERED}")
    } else {
        format!("{key}={value}")
    }
}

/// A client context that passes librdkafka's log lines on to `tracing` (target
/// `librdkafka`, as rust-rdkafka does) with the values of the app's secret
/// settings replaced: librdkafka quotes setting values in its warnings
/// (`sasl.mechanism set to ...`).
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Values of secret settings, longest first (so a value inside another is not half-replaced).
    secrets: Arc<[String]>,
}

impl Redactor {
    /// Collects the values of the secret settings among `settings` (`[kafka]`'s pairs).
    pub(crate) fn new<K, V>(settings: impl IntoIterator<Item = (K, V)>) -> Redactor
    where
        K: AsRef<str>,
        V: Display,
    {
        let mut secrets: Vec<String> = settings
            .into_iter()
            .filter(|(key, _)| is_secret_key(key.as_ref()))
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
        crate::client_log::librdkafka_error(&self.redact(&format!("{error}: {reason}")));
    }
}

impl ConsumerContext for Redactor {}

/// Emits a librdkafka log line through `tracing` with secrets filtered (errors
/// and warnings translated and collapsed by cause, see `client_log`).
pub(crate) fn log_redacted(
    redactor: &Redactor,
    level: RDKafkaLogLevel,
    fac: &str,
    log_message: &str,
) {
    crate::client_log::librdkafka_log(level, fac, &redactor.redact(log_message));
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
        let redactor = Redactor::new([("sasl.mechanism", "sentinel-mech"), ("linger.ms", "5")]);
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
