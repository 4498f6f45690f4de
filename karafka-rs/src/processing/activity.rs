//! What each consumer group is doing right now, for the forced-shutdown report.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// The work each partition is running, if any, keyed by `group topic/partition`.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    running: Mutex<BTreeMap<String, (String, Instant)>>,
}

impl Activity {
    pub(crate) fn started(&self, key: String, what: String) {
        self.lock().insert(key, (what, Instant::now()));
    }

    pub(crate) fn finished(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Whether no partition is busy.
    pub(crate) fn is_idle(&self) -> bool {
        self.lock().is_empty()
    }

    /// One entry per busy partition: `consumer group G: what (for N ms)`.
    pub(crate) fn describe(&self) -> String {
        let running = self.lock();
        if running.is_empty() {
            return "no batch in flight (closing the Kafka consumers)".to_owned();
        }
        running
            .iter()
            .map(|(group, (what, since))| {
                format!(
                    "consumer group {group}: {what} (for {} ms)",
                    since.elapsed().as_millis()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, (String, Instant)>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}
