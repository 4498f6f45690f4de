//! The server: boot (brokers, banner, subscriptions), one supervised fetch
//! thread per consumer group, signals, and graceful or forced shutdown.

mod banner;
pub(crate) mod control;
mod health;
mod run;
mod supervision;
mod topics;

pub use health::{GroupHealth, GroupState, Health, StopReason};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::app::App;
use crate::connection::listener::GroupListener;
use crate::connection::supervisor::GroupSupervisor;
use crate::embedded::EmbeddedBroker;
use crate::error::{Error, Result};
use crate::instrumentation::AppStatus;
use crate::processing::activity::Activity;
use crate::processing::clock::Clock;
use crate::processing::processor::GroupShared;
use crate::processing::worker_pool::WorkerPool;
use supervision::Supervisor;

/// Exit code of a server whose graceful shutdown ran past `shutdown_timeout`
/// (or that a second SIGINT or SIGTERM stopped at once).
pub const EXIT_FORCED_SHUTDOWN: i32 = 2;

/// A running server; stop it with [`ServerHandle::stop`], learn of a failure
/// with [`ServerHandle::wait`], watch it with [`ServerHandle::health`].
#[must_use = "dropping the handle leaves the server running without a way to stop it"]
pub struct ServerHandle {
    app: App,
    quiet: Arc<AtomicBool>,
    supervisor: Arc<Supervisor>,
    brokers: String,
    embedded: Option<EmbeddedBroker>,
    /// One message per fetch thread once its Kafka clients are destroyed (in a
    /// mutex only so that the handle is `Sync`: `wait` borrows it across awaits).
    released: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
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
        let released = std::mem::replace(
            self.released.get_mut().unwrap_or_else(|e| e.into_inner()),
            std::sync::mpsc::channel().1,
        );
        let threads = self.supervisor.threads_started();
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

    /// Resolves when the server stops on its own, with the reason: a consumer
    /// group's fetch thread panicked or its Kafka client hit a fatal error. The
    /// failure is reported as `error.occurred` and every other group is told to
    /// stop; this resolves once they have (or `shutdown_timeout` after the
    /// failure). Then call [`ServerHandle::stop`] to flush the producer, and exit
    /// non-zero. Pending for as long as the server runs healthy; cancel-safe,
    /// so it can be one branch of a `tokio::select!` next to a shutdown signal.
    ///
    /// ```no_run
    /// # async fn serve(app: karafka::App) -> anyhow::Result<()> {
    /// let server = app.spawn().await?;
    /// tokio::select! {
    ///     reason = server.wait() => {
    ///         server.stop().await?;
    ///         anyhow::bail!("karafka stopped: {reason}");
    ///     }
    ///     _ = tokio::signal::ctrl_c() => server.stop().await?,
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn wait(&self) -> StopReason {
        self.supervisor.failed_and_stopped().await
    }

    /// A live view of the consumer groups (running, stopping, stopped or failed
    /// with the reason), cheap to clone and read: what a `/live` probe answers from.
    pub fn health(&self) -> Health {
        self.supervisor.health()
    }

    /// Stops gracefully: no new fetches, the batch in flight finishes, `shutdown`
    /// hooks run, offsets are committed, the groups are left and the shared
    /// producer delivers what it still holds. Fails with [`Error::ShutdownTimeout`]
    /// past `shutdown_timeout`, naming what still runs.
    pub async fn stop(self) -> Result<()> {
        self.supervisor.request_stop();
        let timeout = self.app.config().shutdown_wait();
        let deadline = tokio::time::Instant::now() + timeout;
        if tokio::time::timeout(timeout, self.supervisor.all_ended())
            .await
            .is_err()
        {
            return Err(Error::ShutdownTimeout {
                timeout_ms: self.app.config().shutdown_timeout,
                still_running: self.supervisor.activity.describe(),
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
            .field("health", &self.health())
            .finish()
    }
}

/// Boots the app's server on the caller's runtime. When a consumer group
/// cannot be started, the groups started before it are stopped (and the shared
/// producer released) before the error is returned.
pub(crate) async fn spawn(app: App) -> Result<ServerHandle> {
    spawn_with(app, GroupListener::subscribe).await
}

/// How a consumer group's Kafka consumer is created and subscribed.
type Subscribe = fn(GroupShared, &str, GroupSupervisor) -> Result<GroupListener>;

/// [`spawn`] with the step that subscribes each group given (tests make it fail).
async fn spawn_with(app: App, subscribe: Subscribe) -> Result<ServerHandle> {
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

    let activity = Arc::new(Activity::default());
    let (released_tx, released) = std::sync::mpsc::channel();
    let handle = ServerHandle {
        app: app.clone(),
        quiet: Arc::new(AtomicBool::new(false)),
        supervisor: Supervisor::new(app.clone(), activity),
        brokers,
        embedded,
        released: std::sync::Mutex::new(released),
    };
    if let Err(error) = start_groups(&handle, released_tx, subscribe) {
        tracing::error!(target: "karafka", "Karafka server {} failed to start: {error}", std::process::id());
        if let Err(stop_error) = handle.stop().await {
            tracing::error!(target: "karafka", "stopping what had started: {stop_error}");
        }
        return Err(error);
    }
    tracing::info!(target: "karafka", "Running Karafka server {}", std::process::id());
    app.status_changed(AppStatus::Running);
    Ok(handle)
}

/// Subscribes every active consumer group and starts its fetch thread.
fn start_groups(
    handle: &ServerHandle,
    released: std::sync::mpsc::Sender<()>,
    subscribe: Subscribe,
) -> Result<()> {
    let app = &handle.app;
    let runtime = tokio::runtime::Handle::current();
    let pool = WorkerPool::new(app.config().concurrency, runtime.clone());
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
            activity: handle.supervisor.activity.clone(),
            pool: pool.clone(),
            dlq_producer,
            quiet: handle.quiet.clone(),
            clock: Clock::default(),
            scope: None,
        };
        let supervisor = handle.supervisor.group(group.name.clone());
        let listener = subscribe(shared, &handle.brokers, supervisor)?;
        handle
            .supervisor
            .spawn(group.name.clone(), listener, released.clone())?;
    }
    Ok(())
}

/// Configured brokers, or in development an embedded broker: the one another
/// command of this app already runs, or a new one with the routed topics.
pub(crate) fn resolve_brokers(app: &App) -> Result<(String, Option<EmbeddedBroker>)> {
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
            _ = control::stop_requested() => SignalRequest::Stop("a stop command"),
            _ = control::quiet_requested() => SignalRequest::Quiet,
        }
    }
}

#[cfg(test)]
mod tests;
