//! Instrumentation: the server reports what happens as [`Event`]s with Karafka's
//! dotted names, and the [`Monitor`] hands each one to what is subscribed to it:
//! closures subscribed to one name, and [`Listener`]s whose `on_<name>` methods
//! (dots as underscores) receive typed payloads.
//!
//! ```
//! use karafka::instrumentation::{ConsumerConsumed, Event, Listener, Monitor};
//!
//! struct Slow;
//! impl Listener for Slow {
//!     fn on_consumer_consumed(&self, event: &ConsumerConsumed) {
//!         if event.duration.as_secs() > 1 {
//!             tracing::warn!("{} took {:?}", event.topic, event.duration);
//!         }
//!     }
//! }
//!
//! let mut monitor = Monitor::default();
//! monitor.register(Slow);
//! monitor.subscribe("app.running", |_: &Event| println!("running"))?;
//! let unknown = monitor.subscribe("app.runing", |_: &Event| ()).unwrap_err();
//! assert!(unknown.to_string().contains("app.running"), "the error lists the known names");
//! # Ok::<(), karafka::Error>(())
//! ```
//!
//! Events are emitted per batch, never per message. Payloads are built only
//! when something is subscribed to their event, so an unobserved event costs an
//! array lookup. Listeners run on the thread that emitted the event (a fetch
//! thread or a worker): they must return quickly. A listener that panics, or a
//! closure that returns `Err`, is reported (as `error.occurred` of type
//! `instrumentation.listener.error`) and processing goes on.

mod events;
pub mod metrics;
pub mod proctitle;
mod statistics;
mod stdout;
mod swarm;

pub use events::{
    AppStatus, AppStatusChanged, ConsumerConsume, ConsumerConsumed, ConsumerConsumingPause,
    ConsumerConsumingRetry, ConsumerHook, DeadLetterQueueDispatched, ErrorOccurred, ErrorType,
    Event, EventKind, FetchLoop, FetchLoopReceived, PartitionStatistics, Partitions, PauseReason,
    ProcessNoticeSignal, ProducerDelivered, Rebalance, ResponderResponded, Statistics,
    SwarmNodeExited, SwarmNodeStalled, SwarmNodeStarted,
};
pub use metrics::{Liveness, MetricsListener, MetricsServer};
pub use proctitle::ProctitleListener;
pub use stdout::StdoutListener;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;

/// Receives events through typed `on_<event name>` methods; every method has a
/// no-op default, so a listener implements only what it needs.
///
/// Methods run on the thread that emitted the event and must return quickly.
pub trait Listener: Send + Sync + 'static {
    /// Whether this listener wants events of `kind`, asked once when it is
    /// registered; declining the frequent `connection.listener.fetch_loop*`
    /// events keeps them free when nothing else wants them.
    fn listens_to(&self, kind: EventKind) -> bool {
        let _ = kind;
        true
    }

    /// How often this listener needs librdkafka statistics (`statistics.emitted`);
    /// the consumers then report at the shortest interval any listener asks for,
    /// unless `[kafka] statistics.interval.ms` is set.
    fn statistics_interval(&self) -> Option<Duration> {
        None
    }

    /// Receives every event the listener listens to; by default hands it to the
    /// `on_*` method of its name. Override it for a catch-all.
    fn on_event(&self, event: &Event) {
        event.dispatch(self);
    }

    /// Called on each of the five `app.*` status events whose own `on_app_*` method is
    /// not overridden: one place for a listener that treats every status change alike.
    fn on_app_status(&self, event: &AppStatusChanged) {
        let _ = event;
    }

    events::listener_methods!();
}

impl<F> Listener for F
where
    F: Fn(&Event) + Send + Sync + 'static,
{
    fn on_event(&self, event: &Event) {
        self(event)
    }
}

/// What a subscribed closure may return: `()`, or a `Result` whose error is reported.
pub trait HandlerOutcome {
    /// The outcome as a result; the error as text.
    fn into_outcome(self) -> std::result::Result<(), String>;
}

impl HandlerOutcome for () {
    fn into_outcome(self) -> std::result::Result<(), String> {
        Ok(())
    }
}

impl<E: std::fmt::Display> HandlerOutcome for std::result::Result<(), E> {
    fn into_outcome(self) -> std::result::Result<(), String> {
        self.map_err(|e| e.to_string())
    }
}

type Handler = dyn Fn(&Event) -> std::result::Result<(), String> + Send + Sync;

#[derive(Clone)]
enum Subscriber {
    Listener(Arc<dyn Listener>),
    Closure(Arc<Handler>),
}

impl Subscriber {
    fn call(&self, event: &Event) -> std::result::Result<(), String> {
        match self {
            Subscriber::Listener(listener) => {
                listener.on_event(event);
                Ok(())
            }
            Subscriber::Closure(handler) => handler(event),
        }
    }
}

#[derive(Clone, Default)]
struct Subscriptions {
    by_kind: [Vec<Subscriber>; EventKind::COUNT],
    statistics_interval: Option<Duration>,
    count: usize,
}

/// Fans events out to what is subscribed to each of them.
///
/// A `Monitor` is a value: the server takes a copy when it boots, so subscribe
/// (through [`App::listener`](crate::App::listener),
/// [`App::subscribe`](crate::App::subscribe) or here) before spawning it.
#[derive(Clone, Default)]
pub struct Monitor {
    subscriptions: Arc<Subscriptions>,
}

impl Monitor {
    /// Subscribes `handler` to the event named `event` (`"consumer.consumed"`, ...).
    /// The handler returns `()` or a `Result`; an `Err` is reported, not fatal.
    /// An unknown name is an error that lists the known ones.
    pub fn subscribe<F, R>(&mut self, event: &str, handler: F) -> Result<()>
    where
        F: Fn(&Event) -> R + Send + Sync + 'static,
        R: HandlerOutcome,
    {
        let kind: EventKind = event.parse()?;
        let handler: Arc<Handler> = Arc::new(move |event: &Event| handler(event).into_outcome());
        let subscriptions = Arc::make_mut(&mut self.subscriptions);
        subscriptions.by_kind[kind.index()].push(Subscriber::Closure(handler));
        subscriptions.count += 1;
        Ok(())
    }

    /// Registers a listener for every event it [listens to](Listener::listens_to).
    pub fn register(&mut self, listener: impl Listener) {
        let listener: Arc<dyn Listener> = Arc::new(listener);
        let subscriptions = Arc::make_mut(&mut self.subscriptions);
        for kind in EventKind::ALL {
            if listener.listens_to(*kind) {
                subscriptions.by_kind[kind.index()].push(Subscriber::Listener(listener.clone()));
            }
        }
        if let Some(interval) = listener.statistics_interval() {
            let current = subscriptions.statistics_interval.get_or_insert(interval);
            *current = (*current).min(interval);
        }
        subscriptions.count += 1;
    }

    /// Whether anything is subscribed to events of `kind`; check it before building
    /// a costly payload, or use [`Monitor::instrument_with`].
    #[inline]
    pub fn is_subscribed(&self, kind: EventKind) -> bool {
        !self.subscriptions.by_kind[kind.index()].is_empty()
    }

    /// Emits the event built by `build`, building it only if something is subscribed to `kind`.
    #[inline]
    pub fn instrument_with(&self, kind: EventKind, build: impl FnOnce() -> Event) {
        if self.is_subscribed(kind) {
            self.instrument(build());
        }
    }

    /// Hands `event` to everything subscribed to it. A subscriber that panics or
    /// fails is reported and does not disturb processing or the others.
    pub fn instrument(&self, event: Event) {
        for subscriber in &self.subscriptions.by_kind[event.kind().index()] {
            let failure = match catch_unwind(AssertUnwindSafe(|| subscriber.call(&event))) {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => format!("failed ({error})"),
                Err(panic) => format!("panicked ({})", crate::error::panic_message(&*panic)),
            };
            self.report_listener_failure(&event, failure);
        }
    }

    fn report_listener_failure(&self, event: &Event, failure: String) {
        let message = format!("a listener {failure} while handling {}", event.name());
        tracing::error!(target: "karafka", "{message}; processing goes on");
        // A failure while handling the report of a failure is only logged.
        let nested =
            matches!(event, Event::ErrorOccurred(e) if e.error_type == ErrorType::Listener);
        if !nested {
            self.instrument(Event::ErrorOccurred(ErrorOccurred::new(
                ErrorType::Listener,
                message,
            )));
        }
    }

    /// The shortest statistics interval a registered listener asked for.
    pub fn statistics_interval(&self) -> Option<Duration> {
        self.subscriptions.statistics_interval
    }

    /// Number of subscriptions (listeners and closures).
    pub fn len(&self) -> usize {
        self.subscriptions.count
    }

    /// Whether nothing is subscribed.
    pub fn is_empty(&self) -> bool {
        self.subscriptions.count == 0
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("subscriptions", &self.subscriptions.count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn running() -> Event {
        AppStatusChanged::new("app", AppStatus::Running).into_event()
    }

    #[test]
    fn every_registered_name_maps_back_to_its_kind() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_name(kind.name()), Some(*kind));
        }
        assert_eq!(EventKind::COUNT, 25);
    }

    #[test]
    fn subscribing_to_an_unknown_event_is_an_error_listing_the_known_ones() {
        let mut monitor = Monitor::default();
        let error = monitor
            .subscribe("consumer.consumd", |_: &Event| ())
            .unwrap_err()
            .to_string();
        assert!(error.contains("`consumer.consumd`"), "{error}");
        for kind in EventKind::ALL {
            assert!(error.contains(kind.name()), "{error}");
        }
        assert!(monitor.is_empty());
    }

    #[test]
    fn a_closure_sees_only_the_event_it_subscribed_to() {
        let mut monitor = Monitor::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        monitor
            .subscribe("app.running", move |_: &Event| {
                counter.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        assert!(monitor.is_subscribed(EventKind::AppRunning));
        assert!(!monitor.is_subscribed(EventKind::FetchLoop));
        monitor.instrument(running());
        monitor.instrument(AppStatusChanged::new("app", AppStatus::Stopped).into_event());
        assert_eq!(seen.load(Ordering::SeqCst), 1);
    }

    fn explode(_: &Event) {
        panic!("listener bug")
    }

    #[test]
    fn a_failing_or_panicking_subscriber_is_reported_and_the_others_still_run() {
        let mut monitor = Monitor::default();
        let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = reports.clone();
        monitor
            .subscribe(
                "app.running",
                |_: &Event| -> std::result::Result<(), String> { Err("no disk".into()) },
            )
            .unwrap();
        monitor.subscribe("app.running", explode).unwrap();
        let after = Arc::new(AtomicUsize::new(0));
        let counter = after.clone();
        monitor
            .subscribe("app.running", move |_: &Event| {
                counter.fetch_add(1, Ordering::SeqCst);
            })
            .unwrap();
        monitor
            .subscribe("error.occurred", move |event: &Event| {
                if let Event::ErrorOccurred(e) = event {
                    sink.lock().unwrap().push((e.error_type, e.error.clone()));
                }
            })
            .unwrap();
        monitor.instrument(running());
        assert_eq!(after.load(Ordering::SeqCst), 1);
        let reports = reports.lock().unwrap().clone();
        assert_eq!(reports.len(), 2, "{reports:?}");
        assert!(reports.iter().all(|(t, _)| *t == ErrorType::Listener));
        assert!(reports[0].1.contains("failed (no disk)"), "{reports:?}");
        assert!(
            reports[1].1.contains("panicked (listener bug)"),
            "{reports:?}"
        );
        assert!(reports[1].1.contains("app.running"), "{reports:?}");
    }

    #[test]
    fn a_listener_that_panics_on_its_own_failure_report_does_not_loop() {
        let mut monitor = Monitor::default();
        monitor.register(|_: &Event| panic!("always"));
        monitor.instrument(running());
    }

    #[test]
    fn listeners_receive_typed_payloads_of_what_they_listen_to() {
        #[derive(Default)]
        struct Titles(std::sync::Mutex<Vec<String>>);
        impl Listener for Arc<Titles> {
            fn listens_to(&self, kind: EventKind) -> bool {
                kind.name().starts_with("app.")
            }
            fn on_app_running(&self, event: &AppStatusChanged) {
                self.0
                    .lock()
                    .unwrap()
                    .push(format!("{} {}", event.client_id, event.status.name()));
            }
        }
        let titles = Arc::new(Titles::default());
        let mut monitor = Monitor::default();
        monitor.register(titles.clone());
        assert!(!monitor.is_subscribed(EventKind::ConsumerConsumed));
        monitor.instrument(running());
        assert_eq!(*titles.0.lock().unwrap(), ["app running"]);
    }

    #[test]
    fn the_shortest_statistics_interval_asked_for_wins() {
        struct Wants(u64);
        impl Listener for Wants {
            fn statistics_interval(&self) -> Option<Duration> {
                Some(Duration::from_millis(self.0))
            }
        }
        let mut monitor = Monitor::default();
        assert_eq!(monitor.statistics_interval(), None);
        monitor.register(Wants(5000));
        monitor.register(Wants(250));
        assert_eq!(
            monitor.statistics_interval(),
            Some(Duration::from_millis(250))
        );
    }
}
