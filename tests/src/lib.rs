//! Support for karafka-rs's end-to-end tests: real brokers (Tansu as a separate
//! process, or the embedded mock cluster), Kafka helpers that check what a
//! server really committed, and app processes whose logs can be awaited.

pub mod http;
pub mod kafka;
pub mod mock_broker;
pub mod process;
pub mod recording;
pub mod records;
pub mod reliability;
pub mod tansu;
pub mod webdriver;

use std::time::{Duration, Instant};

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A fresh app directory holding `karafka_toml` as its `karafka.toml` (point
/// `KARAFKA_ROOT` at it); removed when dropped.
pub fn app_dir(karafka_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("karafka.toml"), karafka_toml).expect("karafka.toml is written");
    dir
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface has a free port")
}

/// Async [`wait_until`]: checks `condition` every 50 ms without blocking the runtime.
pub async fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks that, per partition, `seen` holds offsets in strictly increasing order.
pub fn assert_partition_order(seen: &[(i32, i64)]) {
    let mut last: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for &(partition, offset) in seen {
        if let Some(previous) = last.insert(partition, offset) {
            assert!(
                offset > previous,
                "partition {partition}: offset {offset} came after {previous}"
            );
        }
    }
}

/// An app with this test binary's routes, on `brokers`, with `client_id` (so its
/// group ids are its own) and whatever `configure` changes.
pub fn app_on(
    brokers: &str,
    client_id: &str,
    configure: impl FnOnce(&mut karafka::Config),
) -> karafka::App {
    let mut config = karafka::Config {
        client_id: client_id.to_owned(),
        brokers: vec![brokers.to_owned()],
        ..karafka::Config::default()
    };
    configure(&mut config);
    let routes = karafka::routing::Routes::collect(&config).expect("the test's routes are valid");
    let root =
        std::env::temp_dir().join(format!("karafka-test-{client_id}-{}", std::process::id()));
    karafka::App::new(root, config, routes)
}

/// Collects every event an app emits, for assertions.
#[derive(Clone, Default)]
pub struct EventLog(std::sync::Arc<std::sync::Mutex<Vec<karafka::Event>>>);

impl EventLog {
    /// A listener that appends to this log.
    pub fn listener(&self) -> impl karafka::Listener {
        let events = self.0.clone();
        move |event: &karafka::Event| events.lock().expect("event log lock").push(event.clone())
    }

    /// The events so far that `select` picks out.
    pub fn matching<T>(&self, select: impl FnMut(&karafka::Event) -> Option<T>) -> Vec<T> {
        self.0
            .lock()
            .expect("event log lock")
            .iter()
            .filter_map(select)
            .collect()
    }

    /// Every event so far, in the order emitted.
    pub fn all(&self) -> Vec<karafka::Event> {
        self.0.lock().expect("event log lock").clone()
    }

    /// How many events named `name` (Karafka's dotted name) were emitted.
    pub fn count(&self, name: &str) -> usize {
        self.0
            .lock()
            .expect("event log lock")
            .iter()
            .filter(|e| e.name() == name)
            .count()
    }
}
