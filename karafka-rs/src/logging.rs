//! Log output: `tracing` to stderr, `info` by default, `RUST_LOG` always wins.
//! What librdkafka says is translated and collapsed by `client_log`.

use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// The filter used when `RUST_LOG` is not set.
const DEFAULT_FILTER: &str = "info,librdkafka=warn,rdkafka=warn";

/// Installs the stderr log subscriber unless the app installed one already.
pub fn init() {
    install(DEFAULT_FILTER);
}

/// [`init`], showing librdkafka's debug lines without `RUST_LOG` when
/// `kafka_debug`: the app's `[kafka]` has a `debug` setting (`debug = "cgrp"`),
/// which asks librdkafka for them.
pub fn init_with_kafka_debug(kafka_debug: bool) {
    if kafka_debug {
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
