//! Apps for the scenarios, with routes built in code so each run has exactly
//! one consumer group of its own.

use karafka::routing::definition::{ConsumerGroupDef, RouteOptions, TopicDef};
use karafka::routing::Routes;
use karafka::{App, Backend, Config, Consumer};

/// An app on `brokers` whose one group `client_id`'s consumer `C` reads `topic`
/// (JSON) on `backend`.
pub fn single_route<C: Consumer + Default>(
    brokers: &str,
    client_id: &str,
    topic: &str,
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> anyhow::Result<App>
where
    karafka::deserializers::Json: karafka::deserializers::Deserializer<C::Payload>,
{
    let mut config = Config {
        client_id: client_id.to_owned(),
        brokers: vec![brokers.to_owned()],
        backend,
        ..Config::default()
    };
    configure(&mut config);
    let route = TopicDef::new::<C, _>(topic, karafka::deserializers::Json, RouteOptions::default());
    let group = ConsumerGroupDef::new("bench", RouteOptions::default(), vec![route]);
    let routes = Routes::from_definitions(vec![group], &config)?;
    Ok(App::new(std::env::temp_dir(), config, routes))
}

/// A client id no earlier run used, so every run starts from the earliest offset.
pub fn fresh_client_id(scenario: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static RUN: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{scenario}_{}_{}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    )
}

/// A listener that signals the returned receiver whenever partitions are assigned.
pub fn assignment_signal() -> (impl karafka::Listener, std::sync::mpsc::Receiver<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let listener = move |event: &karafka::Event| {
        if let karafka::Event::PartitionsAssigned { .. } = event {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(());
            }
        }
    };
    (listener, rx)
}

/// Waits, off the runtime, for the signal of [`assignment_signal`] (60 s at most).
pub async fn wait_assigned(signal: std::sync::mpsc::Receiver<()>) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || signal.recv_timeout(std::time::Duration::from_secs(60)))
        .await??;
    Ok(())
}
