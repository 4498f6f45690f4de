//! Running an [`App`]: [`App::spawn`] boots its server on the caller's runtime,
//! [`App::run`] runs it until a signal stops it.

use super::{ServerHandle, ShutdownSignals, SignalRequest};
use crate::app::App;
use crate::error::Result;
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
    /// SIGTSTP first puts it in quiet mode (see [`ServerHandle::quiet`]).
    pub async fn run(&self) -> Result<()> {
        let mut signals = ShutdownSignals::install()?;
        let handle = self.spawn().await?;
        loop {
            let request = signals.recv().await;
            let signal = match request {
                SignalRequest::Quiet => "SIGTSTP",
                SignalRequest::Stop(signal) => signal,
            };
            self.monitor()
                .instrument_with(EventKind::ProcessNoticeSignal, || {
                    Event::ProcessNoticeSignal(ProcessNoticeSignal { signal })
                });
            match request {
                SignalRequest::Quiet => {
                    tracing::info!(target: "karafka", "Received SIGTSTP, Karafka server {} goes quiet", std::process::id());
                    handle.quiet();
                }
                SignalRequest::Stop(signal) => {
                    tracing::info!(target: "karafka", "Received {signal}, stopping Karafka server {}", std::process::id());
                    return handle.stop().await;
                }
            }
        }
    }
}
