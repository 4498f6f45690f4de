//! `MetricsListener`: Prometheus metrics of consumption, errors, lag and
//! rebalances, and a liveness check of the fetch loops (stalled, or failed:
//! `connection.listener.fetch_loop.error`), served over HTTP
//! (`server --metrics 127.0.0.1:9394`, or [`MetricsListener::serve`]).
//!
//! The figures live in memory and are updated from events (per batch, never per
//! message); [`MetricsListener::render`] and [`MetricsListener::liveness`] give
//! them to any HTTP stack, such as an axum route in an app that has one.

mod http;
mod registry;

pub use http::MetricsServer;
pub(crate) use http::{serve, Exposition};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

use super::{
    AppStatusChanged, ConsumerConsumed, ConsumerConsumingPause, ConsumerConsumingRetry,
    DeadLetterQueueDispatched, ErrorOccurred, ErrorType, EventKind, FetchLoop, Listener, Rebalance,
    Statistics,
};
use crate::config::Config;
use registry::Registry;

/// librdkafka's default `max.poll.interval.ms`: how long a consumer may go
/// without polling before the group drops it, and so the default liveness limit.
const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(300);
/// The statistics interval the listener asks for (Karafka's default too).
const DEFAULT_STATISTICS_INTERVAL: Duration = Duration::from_secs(5);

/// Collects metrics from events and serves them as Prometheus text, with a
/// liveness check that fails when a fetch loop stalls. Cheap to clone: clones
/// share the figures, so one clone can be registered and another served.
#[derive(Clone)]
pub struct MetricsListener {
    inner: Arc<Inner>,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    liveness_timeout: Duration,
    statistics_interval: Option<Duration>,
}

struct Inner {
    settings: Settings,
    started: Instant,
    /// Per consumer group: nanoseconds from `started` to its fetch loop's last iteration.
    loops: RwLock<HashMap<Arc<str>, AtomicU64>>,
    /// Consumer groups whose fetch thread failed, with why, in the order they failed.
    failed: Mutex<Vec<(Arc<str>, String)>>,
    registry: Mutex<Registry>,
}

/// Whether every fetch loop iterated recently enough and none failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Liveness {
    /// The limit a fetch loop may go without iterating.
    pub timeout: Duration,
    /// Consumer groups whose fetch loop has not iterated within the limit, with how long it has been.
    pub stalled: Vec<(Arc<str>, Duration)>,
    /// Consumer groups whose fetch thread failed (a panic or a fatal client error), with why.
    pub failed: Vec<(Arc<str>, String)>,
}

impl Liveness {
    /// Whether no fetch loop has stalled or failed.
    pub fn is_alive(&self) -> bool {
        self.stalled.is_empty() && self.failed.is_empty()
    }
}

impl std::fmt::Display for Liveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_alive() {
            return f.write_str("ok");
        }
        let failed = self.failed.iter().map(|(_, why)| format!("failed: {why}"));
        let stalled = self.stalled.iter().map(|(group, idle)| {
            format!(
                "stalled: consumer group {group}: no fetch loop iteration for {} ms (limit {} ms)",
                idle.as_millis(),
                self.timeout.as_millis()
            )
        });
        let problems: Vec<String> = failed.chain(stalled).collect();
        f.write_str(&problems.join("; "))
    }
}

impl Default for MetricsListener {
    fn default() -> Self {
        MetricsListener::with(Settings {
            liveness_timeout: DEFAULT_MAX_POLL_INTERVAL,
            statistics_interval: Some(DEFAULT_STATISTICS_INTERVAL),
        })
    }
}

impl MetricsListener {
    /// Metrics with a liveness limit of 5 minutes (librdkafka's `max.poll.interval.ms`)
    /// and librdkafka statistics every 5 s for the lag gauges.
    pub fn new() -> Self {
        MetricsListener::default()
    }

    /// Metrics whose liveness limit is the app's `max.poll.interval.ms` (from `[kafka]`, else 5 minutes).
    pub fn for_config(config: &Config) -> Self {
        MetricsListener::new().liveness_timeout(max_poll_interval(config))
    }

    fn with(settings: Settings) -> Self {
        MetricsListener {
            inner: Arc::new(Inner {
                settings,
                started: Instant::now(),
                loops: RwLock::new(HashMap::new()),
                failed: Mutex::new(Vec::new()),
                registry: Mutex::new(Registry::default()),
            }),
        }
    }

    /// Sets how long a fetch loop may go without iterating before liveness fails;
    /// keep it well above `max_wait_time`. Configure before registering or serving.
    pub fn liveness_timeout(self, timeout: Duration) -> Self {
        MetricsListener::with(Settings {
            liveness_timeout: timeout,
            ..self.inner.settings
        })
    }

    /// Sets the librdkafka statistics interval the lag gauges need (`None`: do not
    /// ask for statistics). Configure before registering or serving.
    pub fn statistics_every(self, interval: Option<Duration>) -> Self {
        MetricsListener::with(Settings {
            statistics_interval: interval,
            ..self.inner.settings
        })
    }

    /// Every metric in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let idle = self.idle_times();
        self.registry().render(&idle)
    }

    /// Whether every fetch loop iterated within the liveness limit and none failed.
    pub fn liveness(&self) -> Liveness {
        let timeout = self.inner.settings.liveness_timeout;
        let failed = self
            .inner
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let stalled = self
            .idle_times()
            .into_iter()
            .filter(|(group, idle)| *idle > timeout && !failed.iter().any(|(g, _)| g == group))
            .collect();
        Liveness {
            timeout,
            stalled,
            failed,
        }
    }

    fn idle_times(&self) -> Vec<(Arc<str>, Duration)> {
        let now = self.elapsed_nanos();
        let loops = self.inner.loops.read().unwrap_or_else(|e| e.into_inner());
        let mut idle: Vec<(Arc<str>, Duration)> = loops
            .iter()
            .map(|(group, last)| {
                let last = last.load(Ordering::Relaxed);
                (
                    group.clone(),
                    Duration::from_nanos(now.saturating_sub(last)),
                )
            })
            .collect();
        idle.sort();
        idle
    }

    fn elapsed_nanos(&self) -> u64 {
        u64::try_from(self.inner.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        // Updates never panic half-way (no user code runs under the lock).
        self.inner
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// The app's `max.poll.interval.ms` (from `[kafka]`, else librdkafka's 5 minutes).
pub(crate) fn max_poll_interval(config: &Config) -> Duration {
    config
        .kafka
        .get("max.poll.interval.ms")
        .and_then(|v| v.to_string().parse::<u64>().ok())
        .map_or(DEFAULT_MAX_POLL_INTERVAL, Duration::from_millis)
}

impl std::fmt::Debug for MetricsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsListener")
            .field("liveness_timeout", &self.inner.settings.liveness_timeout)
            .field(
                "statistics_interval",
                &self.inner.settings.statistics_interval,
            )
            .finish_non_exhaustive()
    }
}

impl Listener for MetricsListener {
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
                | EventKind::ConsumerConsumingPause
                | EventKind::ConsumerConsumingRetry
                | EventKind::PartitionsAssigned
                | EventKind::PartitionsRevoked
                | EventKind::DeadLetterQueueDispatched
                | EventKind::StatisticsEmitted
                | EventKind::ErrorOccurred
        )
    }

    fn statistics_interval(&self) -> Option<Duration> {
        self.inner.settings.statistics_interval
    }

    fn on_app_status(&self, event: &AppStatusChanged) {
        self.registry().status = Some(event.status);
    }

    fn on_app_stopped(&self, event: &AppStatusChanged) {
        self.on_app_status(event);
        // The fetch loops are gone; they are not stalled.
        self.inner
            .loops
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn on_connection_listener_fetch_loop(&self, event: &FetchLoop) {
        let now = self.elapsed_nanos();
        {
            let loops = self.inner.loops.read().unwrap_or_else(|e| e.into_inner());
            if let Some(last) = loops.get(&event.consumer_group) {
                last.store(now, Ordering::Relaxed);
                return;
            }
        }
        self.inner
            .loops
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(event.consumer_group.clone(), AtomicU64::new(now));
    }

    fn on_consumer_consumed(&self, event: &ConsumerConsumed) {
        self.registry().consumed(event);
    }

    fn on_consumer_consuming_pause(&self, event: &ConsumerConsumingPause) {
        self.registry().paused(event);
    }

    fn on_consumer_consuming_retry(&self, event: &ConsumerConsumingRetry) {
        self.registry().retried(event);
    }

    fn on_rebalance_partitions_assigned(&self, event: &Rebalance) {
        self.registry().assigned(event);
    }

    fn on_rebalance_partitions_revoked(&self, event: &Rebalance) {
        self.registry().revoked(event);
    }

    fn on_dead_letter_queue_dispatched(&self, event: &DeadLetterQueueDispatched) {
        self.registry().dead_lettered(event);
    }

    fn on_statistics_emitted(&self, event: &Statistics) {
        self.registry().statistics(event);
    }

    fn on_error_occurred(&self, event: &ErrorOccurred) {
        self.registry().error(event);
        if event.error_type == ErrorType::ConnectionListenerFetchLoop {
            let group = event
                .consumer_group
                .clone()
                .unwrap_or_else(|| Arc::from(""));
            let mut failed = self.inner.failed.lock().unwrap_or_else(|e| e.into_inner());
            if !failed.iter().any(|(g, _)| *g == group) {
                failed.push((group, event.error.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests;
