//! Log output: `tracing` to stderr, `info` by default, `RUST_LOG` always wins.

use tracing_subscriber::EnvFilter;

/// Installs the stderr log subscriber unless the app installed one already.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,librdkafka=warn,rdkafka=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
