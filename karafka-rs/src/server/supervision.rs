//! Supervision of the fetch threads, one per consumer group. Each fetch loop
//! runs under `catch_unwind`; a panic there (outside user code, which is caught
//! closer to it) or a fatal error of the group's Kafka client marks the group
//! failed, is reported as `error.occurred` (`connection.listener.fetch_loop.error`)
//! and stops the whole server, so a process never runs on half dead.
//! [`ServerHandle::wait`](super::ServerHandle::wait) and [`Health`] read the outcome.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use super::health::{GroupState, Health, StopReason};
use crate::app::App;
use crate::connection::listener::GroupListener;
use crate::connection::supervisor::GroupSupervisor;
use crate::error::{Error, Result};
use crate::instrumentation::{AppStatus, ErrorOccurred, ErrorType, Event};
use crate::processing::activity::Activity;

/// What `wait` and `stop` wait for.
#[derive(Debug, Clone, Default)]
pub(super) struct Progress {
    /// The first failure.
    pub(super) failure: Option<StopReason>,
    /// Fetch threads that have not left their group yet.
    live_threads: usize,
}

/// The server's side of supervision: the stop flag every fetch loop reads,
/// the groups' states, and the progress `wait` and `stop` watch.
pub(crate) struct Supervisor {
    app: App,
    pub(super) stop: Arc<AtomicBool>,
    stopping_reported: AtomicBool,
    pub(crate) activity: Arc<Activity>,
    groups: Mutex<Vec<(Arc<str>, GroupState)>>,
    pub(super) progress: watch::Sender<Progress>,
    /// How many fetch threads were started, ever.
    started: std::sync::atomic::AtomicUsize,
}

impl Supervisor {
    pub(crate) fn new(app: App, activity: Arc<Activity>) -> Arc<Supervisor> {
        Arc::new(Supervisor {
            app,
            stop: Arc::new(AtomicBool::new(false)),
            stopping_reported: AtomicBool::new(false),
            activity,
            groups: Mutex::new(Vec::new()),
            progress: watch::Sender::new(Progress::default()),
            started: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The live view of this server's groups.
    pub(crate) fn health(self: &Arc<Self>) -> Health {
        Health::of(self.clone())
    }

    /// The handle a group's Kafka client context reports fatal errors to.
    pub(crate) fn group(self: &Arc<Self>, name: Arc<str>) -> GroupSupervisor {
        let supervisor = self.clone();
        GroupSupervisor::new(move |error| {
            supervisor.fail(StopReason::FatalClientError {
                consumer_group: name.clone(),
                error,
            })
        })
    }

    /// How many fetch threads were started.
    pub(crate) fn threads_started(&self) -> usize {
        self.started.load(Ordering::Acquire)
    }

    /// Tells every fetch loop to stop; `app.stopping` is emitted once.
    pub(crate) fn request_stop(&self) {
        if !self.stopping_reported.swap(true, Ordering::AcqRel) {
            self.app.status_changed(AppStatus::Stopping);
        }
        self.stop.store(true, Ordering::Release);
    }

    /// Resolves with the first failure, once every fetch thread has left its
    /// group or `shutdown_timeout` has passed since the failure.
    pub(crate) async fn failed_and_stopped(&self) -> StopReason {
        let mut progress = self.progress.subscribe();
        let reason = match progress.wait_for(|p| p.failure.is_some()).await {
            Ok(p) => p.failure.clone(),
            Err(_) => None,
        };
        let Some(reason) = reason else {
            // The sender lives as long as `self`: never reached.
            return std::future::pending().await;
        };
        let _ = tokio::time::timeout(self.app.config().shutdown_wait(), self.all_ended()).await;
        reason
    }

    /// Resolves once every fetch thread started so far has left its group.
    pub(crate) async fn all_ended(&self) {
        let mut progress = self.progress.subscribe();
        let _ = progress.wait_for(|p| p.live_threads == 0).await;
    }

    /// Starts `listener`'s fetch loop on a thread of its own, supervised.
    /// `released` gets one message once the thread has destroyed its client.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        name: Arc<str>,
        listener: impl FetchLoop,
        released: std::sync::mpsc::Sender<()>,
    ) -> Result<()> {
        self.lock().push((name.clone(), GroupState::Running));
        self.progress.send_modify(|p| p.live_threads += 1);
        let supervisor = self.clone();
        let group = name.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("karafka-{name}"))
            .spawn(move || {
                let stop = supervisor.stop.clone();
                if let Err(panic) = catch_unwind(AssertUnwindSafe(|| listener.run(&stop))) {
                    let message = crate::error::panic_message(&*panic);
                    supervisor.fail(StopReason::FetchThreadPanicked {
                        consumer_group: group.clone(),
                        message,
                    });
                    let left = catch_unwind(AssertUnwindSafe(|| listener.leave_after_failure()));
                    if left.is_err() {
                        tracing::warn!(target: "karafka", "consumer group {group}: leaving the group after the failure panicked too");
                    }
                }
                supervisor.ended(&group);
                // The group is left; destroying the client may take a while longer.
                if catch_unwind(AssertUnwindSafe(move || drop(listener))).is_err() {
                    tracing::warn!(target: "karafka", "consumer group {group}: closing its Kafka client panicked");
                }
                let _ = released.send(());
            });
        match spawned {
            Ok(_) => {
                self.started.fetch_add(1, Ordering::AcqRel);
                Ok(())
            }
            Err(error) => {
                self.lock().retain(|(n, _)| *n != name);
                self.progress.send_modify(|p| p.live_threads -= 1);
                Err(Error::io(
                    format!("starting the fetch thread of consumer group {name}"),
                    error,
                ))
            }
        }
    }

    /// Marks the group failed and reports it (once per group); the first
    /// failure stops the server.
    fn fail(&self, reason: StopReason) {
        {
            let mut groups = self.lock();
            let group = reason.consumer_group();
            match groups.iter_mut().find(|(name, _)| &**name == group) {
                Some((_, GroupState::Failed(_))) => return,
                Some((_, state)) => *state = GroupState::Failed(reason.clone()),
                None => groups.push((group.into(), GroupState::Failed(reason.clone()))),
            }
        }
        let mut first = false;
        self.progress.send_if_modified(|p| {
            first = p.failure.is_none();
            if first {
                p.failure = Some(reason.clone());
            }
            first
        });
        self.app.monitor().instrument(Event::ErrorOccurred(
            ErrorOccurred::new(ErrorType::ConnectionListenerFetchLoop, reason.to_string())
                .in_group(reason.consumer_group().into()),
        ));
        if first {
            tracing::error!(target: "karafka", "Karafka server {} stops on its own: {reason}", std::process::id());
            self.request_stop();
        }
    }

    /// The group's thread has left the group.
    fn ended(&self, group: &str) {
        if let Some((_, state)) = self.lock().iter_mut().find(|(name, _)| &**name == group) {
            if !matches!(state, GroupState::Failed(_)) {
                *state = GroupState::Stopped;
            }
        }
        self.progress
            .send_modify(|p| p.live_threads = p.live_threads.saturating_sub(1));
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Vec<(Arc<str>, GroupState)>> {
        // Nothing panics while holding it.
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a supervised fetch thread runs.
pub(crate) trait FetchLoop: Send + 'static {
    /// Fetches and dispatches until `stop` is set, then stops gracefully.
    fn run(&self, stop: &AtomicBool);
    /// After `run` panicked: keeps what can be kept and leaves the group.
    fn leave_after_failure(&self);
}

impl FetchLoop for GroupListener {
    fn run(&self, stop: &AtomicBool) {
        GroupListener::run(self, stop);
    }

    fn leave_after_failure(&self) {
        GroupListener::leave_after_failure(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::instrumentation::EventKind;
    use crate::routing::Routes;
    use crate::server::health::GroupHealth;

    /// A fetch loop with a bug outside user code.
    struct Buggy {
        left: Arc<AtomicBool>,
    }

    impl FetchLoop for Buggy {
        fn run(&self, _stop: &AtomicBool) {
            panic!("index out of bounds: the len is 0 but the index is 0");
        }

        fn leave_after_failure(&self) {
            self.left.store(true, Ordering::Release);
        }
    }

    /// A fetch loop that runs until told to stop.
    struct Healthy;

    impl FetchLoop for Healthy {
        fn run(&self, stop: &AtomicBool) {
            while !stop.load(Ordering::Acquire) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }

        fn leave_after_failure(&self) {}
    }

    fn app(reports: Arc<Mutex<Vec<String>>>) -> App {
        let routes = Routes::from_definitions(Vec::new(), &Config::default()).unwrap_or_default();
        let app = App::new(std::env::temp_dir(), Config::default(), routes);
        app.subscribe("error.occurred", move |event: &Event| {
            if let Event::ErrorOccurred(e) = event {
                reports.lock().unwrap().push(format!(
                    "{} {} {}",
                    e.error_type,
                    e.consumer_group.as_deref().unwrap_or("-"),
                    e.error
                ));
            }
        })
        .unwrap()
    }

    #[tokio::test]
    async fn a_panicking_fetch_loop_fails_its_group_reports_it_and_stops_the_others() {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let supervisor = Supervisor::new(app(reports.clone()), Arc::default());
        assert!(supervisor
            .app
            .monitor()
            .is_subscribed(EventKind::ErrorOccurred));
        let (released, done) = std::sync::mpsc::channel();
        supervisor
            .spawn("steady".into(), Healthy, released.clone())
            .unwrap();
        let left = Arc::new(AtomicBool::new(false));
        let health = supervisor.health();
        supervisor
            .spawn("buggy".into(), Buggy { left: left.clone() }, released)
            .unwrap();

        let reason = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            supervisor.failed_and_stopped(),
        )
        .await
        .expect("the failure ends the server");
        let expected = StopReason::FetchThreadPanicked {
            consumer_group: "buggy".into(),
            message: "index out of bounds: the len is 0 but the index is 0".into(),
        };
        assert_eq!(reason, expected);
        assert_eq!(done.iter().take(2).count(), 2, "both threads ended");
        assert!(left.load(Ordering::Acquire), "the failed group left");
        assert_eq!(
            health.groups(),
            [
                GroupHealth {
                    consumer_group: "steady".into(),
                    state: GroupState::Stopped
                },
                GroupHealth {
                    consumer_group: "buggy".into(),
                    state: GroupState::Failed(expected)
                },
            ]
        );
        assert!(!health.is_alive());
        assert_eq!(
            health.to_string(),
            "failed: consumer group buggy: its fetch thread panicked: index out of bounds: the len is 0 but the index is 0"
        );
        assert_eq!(
            *reports.lock().unwrap(),
            ["connection.listener.fetch_loop.error buggy consumer group buggy: its fetch thread panicked: index out of bounds: the len is 0 but the index is 0"]
        );
    }
}
