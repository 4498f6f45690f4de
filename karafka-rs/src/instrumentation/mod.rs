//! Instrumentation: the server reports what happens as [`Event`]s, and
//! [`Listener`]s subscribed to the [`Monitor`] turn them into output.

mod events;
mod stdout;

pub use events::{ErrorType, Event, Partitions};
pub use stdout::StdoutListener;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Receives every event the app emits; must return quickly.
pub trait Listener: Send + Sync + 'static {
    /// Called for each event, on the thread that emitted it.
    fn on_event(&self, event: &Event);
}

impl<F> Listener for F
where
    F: Fn(&Event) + Send + Sync + 'static,
{
    fn on_event(&self, event: &Event) {
        self(event)
    }
}

/// Fans events out to the subscribed listeners.
#[derive(Clone, Default)]
pub struct Monitor {
    listeners: Vec<Arc<dyn Listener>>,
}

impl Monitor {
    /// Adds a listener; it sees every event emitted from then on.
    pub fn subscribe(&mut self, listener: impl Listener) {
        self.listeners.push(Arc::new(listener));
    }

    /// Hands `event` to each listener; a panicking listener is reported and does not
    /// disturb processing or the other listeners.
    pub fn instrument(&self, event: Event) {
        for listener in &self.listeners {
            if catch_unwind(AssertUnwindSafe(|| listener.on_event(&event))).is_err() {
                tracing::error!(
                    target: "karafka",
                    "a listener panicked while handling {}; processing goes on",
                    event.name()
                );
            }
        }
    }

    /// Number of subscribed listeners.
    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    /// Whether no listener is subscribed.
    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field("listeners", &self.listeners.len())
            .finish()
    }
}
