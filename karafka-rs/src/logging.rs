//! Log output: `tracing` to stderr, `info` by default, `RUST_LOG` always wins.
//! What librdkafka says is translated and collapsed by `client_log`.
//!
//! `RUST_LOG` takes comma-separated `target=level` directives and a bare
//! default level (`warn,karafka=debug`), as `tracing_subscriber`'s `Targets`
//! reads them: env_logger's syntax without span and field filters, whose
//! regular expressions cost every app about 10 s of its first build.

use tracing::Level;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

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
    let filter = filter(std::env::var("RUST_LOG").ok().as_deref(), default_filter);
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter)
        .with_filter(filter_fn(|meta| !is_second_close(meta)));
    let _ = tracing_subscriber::registry().with(output).try_init();
}

/// The filter `RUST_LOG` asks for, else `default_filter` (also when `RUST_LOG`
/// cannot be read, which is said on stderr: no subscriber exists yet).
fn filter(rust_log: Option<&str>, default_filter: &str) -> Targets {
    let default = || default_filter.parse().expect("the default filter is valid");
    match rust_log.map(str::trim) {
        None | Some("") => default(),
        Some(directives) => directives.parse().unwrap_or_else(|error| {
            eprintln!(
                "RUST_LOG={directives:?} is not a list of target=level directives ({error}); logging with {default_filter:?}"
            );
            default()
        }),
    }
}

/// rust-rdkafka's drop of a consumer closes it again and logs an error when it
/// is already closed, as karafka closes it itself (with shorter polls) before;
/// that is the only error that module logs.
fn is_second_close(meta: &tracing::Metadata<'_>) -> bool {
    meta.target() == "rdkafka::consumer::base_consumer" && *meta.level() == Level::ERROR
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::level_filters::LevelFilter;

    #[test]
    fn rust_log_wins_over_the_default_filter() {
        let filter = filter(Some("warn,karafka=debug"), DEFAULT_FILTER);
        assert!(filter.would_enable("karafka", &Level::DEBUG));
        assert!(filter.would_enable("karafka::server", &Level::DEBUG));
        assert!(!filter.would_enable("shop", &Level::INFO));
        assert!(filter.would_enable("shop", &Level::WARN));
    }

    #[test]
    fn without_rust_log_info_and_librdkafka_warnings_are_logged() {
        for rust_log in [None, Some(" ")] {
            let filter = filter(rust_log, DEFAULT_FILTER);
            assert!(filter.would_enable("shop", &Level::INFO));
            assert!(!filter.would_enable("librdkafka", &Level::INFO));
            assert!(filter.would_enable("librdkafka", &Level::WARN));
            assert_eq!(filter.default_level(), Some(LevelFilter::INFO));
        }
    }

    #[test]
    fn an_unreadable_rust_log_falls_back_to_the_default_filter() {
        let filter = filter(Some("karafka=loud"), DEFAULT_FILTER);
        assert!(filter.would_enable("shop", &Level::INFO));
        assert!(!filter.would_enable("shop", &Level::DEBUG));
    }
}
