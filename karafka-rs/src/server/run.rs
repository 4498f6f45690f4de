//! Running an [`App`]: [`App::spawn`] boots its server on the caller's runtime;
//! [`App::run`] runs it as the process's main work, until SIGINT or SIGTERM (a
//! graceful stop; a second one exits at once with code 2) or until the server
//! stops on its own because a consumer group failed (an error, so the process
//! exits non-zero).

use super::{Health, ServerHandle, ShutdownSignals, SignalRequest, EXIT_FORCED_SHUTDOWN};
use crate::app::App;
use crate::error::{Error, Result};
use crate::instrumentation::{AppStatus, Event, EventKind, ProcessNoticeSignal};

impl App {
    /// Boots the server on the current tokio runtime and returns once it is running;
    /// it shares the runtime (and the process) with whatever else the app runs.
    /// The app becomes the process's current app, its shared producer connected
    /// to the server's brokers; stopping the server flushes and releases it.
    pub async fn spawn(&self) -> Result<ServerHandle> {
        self.status_changed(AppStatus::Initialized);
        super::spawn(self.clone()).await
    }

    /// Runs the server until SIGINT or SIGTERM, then stops it gracefully;
    /// SIGTSTP first puts it in quiet mode (see [`ServerHandle::quiet`]). A second
    /// SIGINT or SIGTERM during the stop exits the process at once with code 2,
    /// naming what was still running. When a consumer group fails (see
    /// [`ServerHandle::wait`]) the server stops and this returns
    /// [`Error::ServerFailed`].
    pub async fn run(&self) -> Result<()> {
        run(self).await
    }
}

/// Runs `app`'s server until a signal stops it or a failure does; SIGTSTP puts
/// it in quiet mode. A failure is [`Error::ServerFailed`].
async fn run(app: &App) -> Result<()> {
    let mut signals = ShutdownSignals::install()?;
    let handle = app.spawn().await?;
    let failure = loop {
        tokio::select! {
            request = signals.recv() => {
                notice(app, request);
                match request {
                    SignalRequest::Quiet => {
                        tracing::info!(target: "karafka", "Received SIGTSTP, Karafka server {} goes quiet", std::process::id());
                        handle.quiet();
                    }
                    SignalRequest::Stop(signal) => {
                        tracing::info!(target: "karafka", "Received {signal}, stopping Karafka server {}", std::process::id());
                        break None;
                    }
                }
            }
            reason = handle.wait() => break Some(reason),
        }
    };
    let health = handle.health();
    let stopped = stop_unless_forced(handle, &health, &mut signals, app).await;
    // A group may also fail while the others stop.
    match failure.or_else(|| health.failure()) {
        Some(reason) => {
            if let Err(error) = stopped {
                tracing::error!(target: "karafka", "Stopping after the failure: {error}");
            }
            Err(Error::ServerFailed { reason })
        }
        None => stopped,
    }
}

/// Stops `handle` gracefully; a SIGINT or SIGTERM meanwhile exits the process at
/// once with code 2, naming what was still running.
async fn stop_unless_forced(
    handle: ServerHandle,
    health: &Health,
    signals: &mut ShutdownSignals,
    app: &App,
) -> Result<()> {
    let stopping = handle.stop();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            stopped = &mut stopping => return stopped,
            request = signals.recv() => {
                notice(app, request);
                if let SignalRequest::Stop(signal) = request {
                    exit_at_once(signal, health);
                }
            }
        }
    }
}

/// Ends the process with code 2 after one line saying what was still running.
fn exit_at_once(signal: &str, health: &Health) -> ! {
    let line = format!(
        "Received {signal} again: Karafka server {} exits at once (code {EXIT_FORCED_SHUTDOWN}); still running: {}",
        std::process::id(),
        health.still_running()
    );
    if tracing::dispatcher::has_been_set() {
        tracing::error!(target: "karafka", "{line}");
    } else {
        eprintln!("{line}");
    }
    std::process::exit(EXIT_FORCED_SHUTDOWN)
}

fn notice(app: &App, request: SignalRequest) {
    let signal = match request {
        SignalRequest::Quiet => "SIGTSTP",
        SignalRequest::Stop(signal) => signal,
    };
    app.monitor()
        .instrument_with(EventKind::ProcessNoticeSignal, || {
            Event::ProcessNoticeSignal(ProcessNoticeSignal { signal })
        });
}
