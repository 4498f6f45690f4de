//! The node side of a swarm: a server process started by a supervisor reports
//! its status, its fetch loops' liveness and its consumption over the swarm
//! socket, and stops gracefully when the supervisor is gone.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::report::{Report, BEAT_INTERVAL};
pub(crate) use crate::config::swarm::{node_number, NODE_ENV};
use crate::error::{Error, Result};
use crate::instrumentation::{AppStatusChanged, ConsumerConsumed, EventKind, FetchLoop, Listener};

/// The environment variable naming the supervisor's socket.
pub(crate) const SOCKET_ENV: &str = "KARAFKA_SWARM_SOCKET";

/// The metrics address of node `node` when the command line asked for `address`:
/// the same host, and the port plus the node number (port 0 stays 0).
pub(crate) fn metrics_address(address: &str, node: u32) -> Result<String> {
    let invalid = || {
        Error::Swarm(format!(
            "--metrics `{address}` is not of the form host:port"
        ))
    };
    let (host, port) = address.rsplit_once(':').ok_or_else(invalid)?;
    let port: u16 = port.parse().map_err(|_| invalid())?;
    if port == 0 {
        return Ok(address.to_owned());
    }
    let port = u16::try_from(u32::from(port) + node).map_err(|_| {
        Error::Swarm(format!(
            "--metrics port {port} plus node number {node} is above 65535"
        ))
    })?;
    Ok(format!("{host}:{port}"))
}

/// What the node reports, updated from events.
#[derive(Debug)]
struct Figures {
    status: Mutex<&'static str>,
    /// Per consumer group, its fetch loop's last iteration.
    loops: Mutex<HashMap<Arc<str>, Instant>>,
    consumed: AtomicU64,
}

impl Figures {
    fn beat(&self) -> Report {
        let status = *lock(&self.status);
        let now = Instant::now();
        let idle = lock(&self.loops)
            .values()
            .map(|last| now.saturating_duration_since(*last))
            .max()
            .unwrap_or_default();
        Report::Beat {
            status: status.to_owned(),
            idle,
            consumed: self.consumed.load(Ordering::Relaxed),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The listener that feeds a node's reports; registered by `server` in a node.
#[derive(Debug, Clone)]
pub(crate) struct NodeReporter {
    figures: Arc<Figures>,
}

impl NodeReporter {
    fn status(&self, event: &AppStatusChanged) {
        *lock(&self.figures.status) = event.status.name();
    }
}

impl Listener for NodeReporter {
    fn listens_to(&self, kind: EventKind) -> bool {
        matches!(
            kind,
            EventKind::AppInitialized
                | EventKind::AppRunning
                | EventKind::AppQuieting
                | EventKind::AppStopping
                | EventKind::AppStopped
                | EventKind::FetchLoop
                | EventKind::ConsumerConsumed
        )
    }

    fn on_app_status(&self, event: &AppStatusChanged) {
        self.status(event);
    }

    fn on_app_stopped(&self, event: &AppStatusChanged) {
        self.status(event);
        // The fetch loops are gone; they are not stalled.
        lock(&self.figures.loops).clear();
    }

    fn on_connection_listener_fetch_loop(&self, event: &FetchLoop) {
        let now = Instant::now();
        let mut loops = lock(&self.figures.loops);
        match loops.get_mut(&event.consumer_group) {
            Some(last) => *last = now,
            None => {
                loops.insert(event.consumer_group.clone(), now);
            }
        }
    }

    fn on_consumer_consumed(&self, event: &ConsumerConsumed) {
        self.figures
            .consumed
            .fetch_add(event.size as u64, Ordering::Relaxed);
    }
}

/// Connects this node to its supervisor (when it is one: [`NODE_ENV`] is set),
/// says hello and starts reporting every [`BEAT_INTERVAL`]; the returned listener
/// must be registered with the app.
pub(crate) fn join(metrics: Option<SocketAddr>) -> Result<Option<NodeReporter>> {
    let Some(node) = node_number() else {
        return Ok(None);
    };
    let path = std::env::var_os(SOCKET_ENV).ok_or_else(|| {
        Error::Swarm(format!(
            "{NODE_ENV} is set but {SOCKET_ENV} is not: a swarm node is started by `server --swarm`"
        ))
    })?;
    let mut socket = UnixStream::connect(&path).map_err(|e| {
        Error::io(
            format!(
                "connecting node {node} to its swarm supervisor at {}",
                std::path::Path::new(&path).display()
            ),
            e,
        )
    })?;
    let hello = Report::Hello {
        node,
        pid: std::process::id(),
        metrics: metrics.map(|a| a.to_string()),
    };
    socket
        .write_all(hello.line().as_bytes())
        .map_err(|e| Error::io("greeting the swarm supervisor", e))?;
    let reporter = NodeReporter {
        figures: Arc::new(Figures {
            status: Mutex::new("booting"),
            loops: Mutex::new(HashMap::new()),
            consumed: AtomicU64::new(0),
        }),
    };
    let figures = reporter.figures.clone();
    let parent = std::os::unix::process::parent_id();
    std::thread::Builder::new()
        .name("karafka-swarm-node".into())
        .spawn(move || report_until_orphaned(node, parent, socket, &figures))
        .map_err(|e| Error::io("starting the swarm report thread", e))?;
    Ok(Some(reporter))
}

/// Beats until the supervisor is gone (the socket breaks or the parent process
/// changes), then stops this node gracefully as SIGTERM would.
fn report_until_orphaned(node: u32, parent: u32, mut socket: UnixStream, figures: &Figures) {
    let _ = socket.set_write_timeout(Some(Duration::from_secs(5)));
    loop {
        std::thread::sleep(BEAT_INTERVAL);
        let orphaned = std::os::unix::process::parent_id() != parent;
        if orphaned || socket.write_all(figures.beat().line().as_bytes()).is_err() {
            break;
        }
    }
    tracing::error!(target: "karafka", "The swarm supervisor is gone; node {node} stops");
    if let Err(error) = super::signal::send(std::process::id(), libc::SIGTERM) {
        tracing::error!(target: "karafka", "node {node} cannot stop itself: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_metrics_ports_follow_the_supervisor_port() {
        assert_eq!(metrics_address("0.0.0.0:9394", 2).unwrap(), "0.0.0.0:9396");
        assert_eq!(metrics_address("127.0.0.1:0", 3).unwrap(), "127.0.0.1:0");
        let error = metrics_address("nowhere", 1).unwrap_err().to_string();
        assert!(error.contains("`nowhere`"), "{error}");
    }
}
