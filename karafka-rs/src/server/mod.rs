//! The server: boot (brokers, banner, subscriptions), one fetch thread per
//! consumer group, signals, and graceful or forced shutdown.

mod banner;
mod run;
mod topics;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::app::App;
use crate::connection::listener::GroupListener;
use crate::embedded::EmbeddedBroker;
use crate::error::{Error, Result};
use crate::instrumentation::AppStatus;
use crate::processing::activity::Activity;
use crate::processing::clock::Clock;
use crate::processing::executor::GroupShared;
use crate::processing::worker_pool::WorkerPool;

/// A running server; stop it with [`ServerHandle::stop`].
#[must_use = "dropping the handle leaves the server running without a way to stop it"]
pub struct ServerHandle {
    app: App,
    stop: Arc<AtomicBool>,
    quiet: Arc<AtomicBool>,
    groups: Vec<(Arc<str>, oneshot::Receiver<()>)>,
    activity: Arc<Activity>,
    brokers: String,
    embedded: Option<EmbeddedBroker>,
    /// One message per fetch thread once its Kafka clients are destroyed.
    released: std::sync::mpsc::Receiver<()>,
    fetch_threads: usize,
}

/// Longest an embedded broker outlives its server, waiting for the server's
/// clients to be destroyed (so they do not report the broker gone).
const EMBEDDED_BROKER_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

impl Drop for ServerHandle {
    /// An embedded broker this server started is dropped once the fetch threads
    /// have destroyed their clients, on a thread of its own.
    fn drop(&mut self) {
        let Some(broker) = self.embedded.take() else {
            return;
        };
        let released = std::mem::replace(&mut self.released, std::sync::mpsc::channel().1);
        let threads = self.fetch_threads;
        let spawned = std::thread::Builder::new()
            .name("karafka-broker-retire".into())
            .spawn(move || {
                let deadline = std::time::Instant::now() + EMBEDDED_BROKER_GRACE;
                for _ in 0..threads {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    if released.recv_timeout(left).is_err() {
                        break;
                    }
                }
                drop(broker);
            });
        if let Err(error) = spawned {
            tracing::warn!(target: "karafka", "stopping the embedded broker at once: {error}");
        }
    }
}

impl ServerHandle {
    /// The bootstrap servers the consumers use.
    pub fn bootstrap_servers(&self) -> &str {
        &self.brokers
    }

    /// The embedded broker this server started, if it started one.
    pub fn embedded_broker(&self) -> Option<&EmbeddedBroker> {
        self.embedded.as_ref()
    }

    /// Quiet mode: running work finishes, no new batches start, and the consumer
    /// groups stay joined (partitions are not handed to other processes).
    pub fn quiet(&self) {
        if !self.quiet.swap(true, Ordering::AcqRel) {
            self.app.status_changed(AppStatus::Quieting);
        }
    }

    /// Stops gracefully: no new fetches, the batch in flight finishes, `shutdown`
    /// hooks run, offsets are committed, the groups are left and the shared
    /// producer delivers what it still holds. Fails with [`Error::ShutdownTimeout`]
    /// past `shutdown_timeout`, naming what still runs.
    pub async fn stop(mut self) -> Result<()> {
        self.app.status_changed(AppStatus::Stopping);
        self.stop.store(true, Ordering::Release);
        let timeout = self.app.config().shutdown_wait();
        let deadline = tokio::time::Instant::now() + timeout;
        let groups = std::mem::take(&mut self.groups);
        let all_done = futures::future::join_all(groups.into_iter().map(|(_, done)| done));
        if tokio::time::timeout(timeout, all_done).await.is_err() {
            return Err(Error::ShutdownTimeout {
                timeout_ms: self.app.config().shutdown_timeout,
                still_running: self.activity.describe(),
            });
        }
        // What consumers and app code handed to the shared producer is delivered
        // within what is left of shutdown_timeout.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        crate::current_app::flush_on_stop(&self.app.registration(), left).await?;
        self.app.status_changed(AppStatus::Stopped);
        Ok(())
    }
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("brokers", &self.brokers)
            .field("groups", &self.groups.len())
            .finish()
    }
}

/// Boots the app's server on the caller's runtime.
pub(crate) async fn spawn(app: App) -> Result<ServerHandle> {
    let (brokers, embedded) = resolve_brokers(&app)?;
    let note = match &embedded {
        Some(_) => " (embedded development broker)",
        None => "",
    };
    for line in banner::lines(app.config(), app.routes(), &brokers, note) {
        tracing::info!(target: "karafka", "{line}");
    }
    topics::check(&app, &brokers).await?;

    // The process's shared producer, for responders called by consumers and app code.
    crate::current_app::serve(app.registration(), &brokers)?;

    let stop = Arc::new(AtomicBool::new(false));
    let quiet = Arc::new(AtomicBool::new(false));
    let activity = Arc::new(Activity::default());
    let runtime = tokio::runtime::Handle::current();
    let pool = WorkerPool::new(app.config().concurrency, runtime.clone());
    let mut groups = Vec::new();
    let (released_tx, released_rx) = std::sync::mpsc::channel();
    for group in app.routes().active_groups() {
        let dlq_producer = if group.active_topics().any(|t| t.dead_letter_queue.is_some()) {
            Some(crate::current_app::producer_of(app.registration())?)
        } else {
            None
        };
        let shared = GroupShared {
            group: group.clone(),
            config: app.config_arc(),
            monitor: app.monitor().clone(),
            runtime: runtime.clone(),
            activity: activity.clone(),
            pool: pool.clone(),
            dlq_producer,
            quiet: quiet.clone(),
            clock: Clock::default(),
            scope: None,
        };
        let listener = GroupListener::subscribe(shared, &brokers)?;
        let (done_tx, done_rx) = oneshot::channel();
        let stop = stop.clone();
        let released = released_tx.clone();
        std::thread::Builder::new()
            .name(format!("karafka-{}", group.name))
            .spawn(move || {
                listener.run(&stop);
                // The group is left; destroying the client may take a while longer.
                let _ = done_tx.send(());
                drop(listener);
                let _ = released.send(());
            })
            .map_err(|e| Error::io("starting a fetch thread", e))?;
        groups.push((group.name.clone(), done_rx));
    }
    tracing::info!(target: "karafka", "Running Karafka server {}", std::process::id());
    app.status_changed(AppStatus::Running);
    Ok(ServerHandle {
        app,
        stop,
        quiet,
        fetch_threads: groups.len(),
        groups,
        activity,
        brokers,
        embedded,
        released: released_rx,
    })
}

/// Configured brokers, or in development an embedded broker: the one another
/// command of this app already runs, or a new one with the routed topics.
fn resolve_brokers(app: &App) -> Result<(String, Option<EmbeddedBroker>)> {
    let config = app.config();
    if !config.brokers.is_empty() {
        return Ok((config.brokers.join(","), None));
    }
    if !config.is_development() {
        return Err(crate::embedded::no_brokers(config));
    }
    if let Some(found) = EmbeddedBroker::discover(app.root(), &config.client_id) {
        return Ok((found, None));
    }
    let mut broker = EmbeddedBroker::start()?;
    broker.create_declared_topics(app)?;
    broker.advertise(app.root(), &config.client_id)?;
    Ok((broker.bootstrap_servers().to_owned(), Some(broker)))
}

/// What a signal asks the server to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignalRequest {
    /// SIGINT or SIGTERM: stop gracefully.
    Stop(&'static str),
    /// SIGTSTP: quiet mode.
    Quiet,
}

/// SIGINT, SIGTERM and SIGTSTP handlers, installed before boot so none of them
/// kills (or suspends) a booting server.
pub(crate) struct ShutdownSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quiet: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    /// Takes over SIGINT and SIGTERM from their default (terminate) action.
    pub(crate) fn install() -> Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(ShutdownSignals {
            terminate: signal(SignalKind::terminate())
                .map_err(|e| Error::io("installing the SIGTERM handler", e))?,
            interrupt: signal(SignalKind::interrupt())
                .map_err(|e| Error::io("installing the SIGINT handler", e))?,
            quiet: signal(SignalKind::from_raw(libc::SIGTSTP))
                .map_err(|e| Error::io("installing the SIGTSTP handler", e))?,
        })
    }

    /// Waits for the next SIGINT, SIGTERM or SIGTSTP.
    pub(crate) async fn recv(&mut self) -> SignalRequest {
        tokio::select! {
            _ = self.terminate.recv() => SignalRequest::Stop("SIGTERM"),
            _ = self.interrupt.recv() => SignalRequest::Stop("SIGINT"),
            _ = self.quiet.recv() => SignalRequest::Quiet,
        }
    }
}
