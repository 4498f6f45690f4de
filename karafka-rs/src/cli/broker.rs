//! `broker`: the embedded development broker on its own, until SIGINT or SIGTERM.

use anyhow::bail;

use crate::app::App;
use crate::embedded::EmbeddedBroker;
use crate::server::{ShutdownSignals, SignalRequest};

/// Starts the broker with the declared topics, advertises it to the app's other
/// commands, prints its address and waits for a stop signal.
pub(super) async fn run(app: &App) -> anyhow::Result<()> {
    let config = app.config();
    if !config.brokers.is_empty() {
        bail!(
            "brokers are configured ({}); the embedded broker is for apps without brokers (unset `brokers` and KARAFKA_BROKERS)",
            config.brokers.join(", ")
        );
    }
    if !config.is_development() {
        bail!(
            "the embedded broker runs only in development and test, not in environment `{}`",
            config.environment
        );
    }
    if let Some(address) = EmbeddedBroker::discover(app.root(), &config.client_id) {
        bail!(
            "an embedded broker of this app already runs at {address} (started by `server` or `broker` in {})",
            app.root().display()
        );
    }
    let mut signals = ShutdownSignals::install()?;
    let mut broker = EmbeddedBroker::start()?;
    broker.create_declared_topics(app)?;
    broker.advertise(app.root(), &config.client_id)?;
    let topics: Vec<String> = app
        .routes()
        .declared_topics()
        .iter()
        .map(|t| format!("{} ({})", t.name, t.partitions(config)))
        .collect();
    println!(
        "Embedded development broker running on {}",
        broker.bootstrap_servers()
    );
    tracing::info!(
        target: "karafka",
        "Topics: {}; commands of the app in {} use this broker; Ctrl-C stops it",
        topics.join(", "),
        app.root().display()
    );
    loop {
        if let SignalRequest::Stop(signal) = signals.recv().await {
            tracing::info!(target: "karafka", "Received {signal}, stopping the embedded broker");
            break;
        }
    }
    drop(broker);
    Ok(())
}
