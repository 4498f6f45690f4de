//! A consumer group's line to whatever supervises its fetch thread (the server).

use std::sync::Arc;

/// One group's line to its supervisor, held by its Kafka client context: a fatal
/// client error goes there, and the supervisor stops the server.
#[derive(Clone)]
pub(crate) struct GroupSupervisor {
    on_fatal: Arc<dyn Fn(String) + Send + Sync>,
}

impl GroupSupervisor {
    /// A line that hands each fatal client error to `on_fatal`.
    pub(crate) fn new(on_fatal: impl Fn(String) + Send + Sync + 'static) -> GroupSupervisor {
        GroupSupervisor {
            on_fatal: Arc::new(on_fatal),
        }
    }

    /// The group's client reported a fatal error: the group is lost and the server stops.
    pub(crate) fn fatal_client_error(&self, error: String) {
        (self.on_fatal)(error);
    }
}
