//! Log output: `tracing` to stderr, `info` by default, `RUST_LOG` always wins.
//!
//! librdkafka's errors and warnings are translated, not relayed: each is said
//! in plain words once, its repeats are counted and shown as one line per
//! window, and every line librdkafka wrote is kept in full at debug level
//! (`RUST_LOG=librdkafka=debug`).

mod digest;
mod translate;

use rdkafka::config::RDKafkaLogLevel;
use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::Config;
use crate::instrumentation::ErrorType;
use digest::{Line, Severity, Speaker};

/// The filter used when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,librdkafka=warn,rdkafka=warn";

/// Installs the stderr log subscriber unless the app installed one already.
pub fn init() {
    install(DEFAULT_FILTER);
}

/// [`init`] for an app with `config`: librdkafka's debug lines, which a `debug`
/// setting in `[kafka]` asks for (`debug = "cgrp"`), are shown without `RUST_LOG`.
pub fn init_for(config: &Config) {
    if config.kafka.contains_key("debug") {
        install("info,librdkafka=debug,rdkafka=warn");
    } else {
        install(DEFAULT_FILTER);
    }
}

fn install(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter)
        .with_filter(filter_fn(|meta| !is_second_close(meta)));
    let _ = tracing_subscriber::registry().with(output).try_init();
}

/// rust-rdkafka's drop of a consumer closes it again and logs an error when it
/// is already closed, as karafka closes it itself (with shorter polls) before;
/// that is the only error that module logs.
fn is_second_close(meta: &tracing::Metadata<'_>) -> bool {
    meta.target() == "rdkafka::consumer::base_consumer" && *meta.level() == Level::ERROR
}

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

/// Writes a Kafka client error of the app (`[group] connection.client.error: ...`)
/// collapsed by cause; `place` says whose it is. A client error (broker
/// unreachable, ...) shares its cause with librdkafka's own line about it.
pub(crate) fn client_error(place: &str, error_type: ErrorType, error: &str) {
    let name = error_type.name();
    tracing::debug!(target: "karafka", "{place}{name}: {error}");
    let (cause, text) = if error_type == ErrorType::ConnectionClient {
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
