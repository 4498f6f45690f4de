//! librdkafka's words translated, not relayed: each error or warning is said
//! once in plain words (`broker 127.0.0.1:9092 unreachable: connection
//! refused`), whichever client or callback reported it; its repeats are counted
//! and shown as one line per window; every line librdkafka wrote is kept in
//! full at debug level (`RUST_LOG=librdkafka=debug`).
//!
//! A bottom module like [`crate::redaction`]: it imports nothing of the crate.

mod digest;
mod translate;

use rdkafka::config::RDKafkaLogLevel;

use digest::{Line, Severity, Speaker};

/// Writes a line of librdkafka's log (secrets already filtered): errors and
/// warnings translated and collapsed by cause, the rest as it is.
pub(crate) fn librdkafka_log(level: RDKafkaLogLevel, facility: &str, message: &str) {
    let severity = match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => Severity::Error,
        RDKafkaLogLevel::Warning => Severity::Warn,
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", "librdkafka: {facility} {message}");
            return;
        }
        RDKafkaLogLevel::Debug => {
            tracing::debug!(target: "librdkafka", "librdkafka: {facility} {message}");
            return;
        }
    };
    tracing::debug!(target: "librdkafka", "librdkafka: {facility} {message}");
    let translated = translate::translate(message);
    digest::collapse(
        &translated.cause,
        Line {
            severity,
            speaker: Speaker::Librdkafka,
            text: translated.text,
        },
    );
}

/// Writes an error librdkafka reported to a client without a karafka consumer
/// group (producer, admin, CLI), secrets already filtered; collapsed by cause.
pub(crate) fn librdkafka_error(error: &str) {
    tracing::debug!(target: "librdkafka", "librdkafka: {error}");
    let translated = translate::translate(error);
    digest::collapse(
        &translated.cause,
        Line {
            severity: Severity::Error,
            speaker: Speaker::Librdkafka,
            text: translated.text,
        },
    );
}

/// Writes a Kafka client error of the app (`[group] connection.client.error: ...`,
/// `name` being the error type's) collapsed by cause; `place` says whose it is.
/// With `shares_cause` (librdkafka's own errors: broker unreachable, ...) it
/// counts as librdkafka's line about the same failure.
pub(crate) fn client_error(place: &str, name: &str, error: &str, shares_cause: bool) {
    tracing::debug!(target: "karafka", "{place}{name}: {error}");
    let (cause, text) = if shares_cause {
        let translated = translate::translate(error);
        (translated.cause, translated.text)
    } else {
        // "commit of events/0, events/1 failed: REASON": repeats differ in their partitions.
        let reason = error.rsplit_once(" failed: ").map_or(error, |(_, r)| r);
        let cause = translate::translate(reason).cause;
        (format!("{place}{name}: {cause}"), error.to_owned())
    };
    digest::collapse(
        &cause,
        Line {
            severity: Severity::Error,
            speaker: Speaker::Karafka,
            text: format!("{place}{name}: {text}"),
        },
    );
}
