//! What a server's consumer groups are doing, as its handle reports it: each
//! group's state, and why the server stopped when a group failed.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::supervision::Supervisor;
pub use crate::error::StopReason;

/// What a consumer group's fetch thread is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupState {
    /// Fetching and dispatching.
    Running,
    /// Asked to stop: finishing its batches, committing, leaving the group.
    Stopping,
    /// Stopped and out of the group.
    Stopped,
    /// Lost: the reason is why (the server stops because of it).
    Failed(StopReason),
}

/// One consumer group of a [`Health`] report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupHealth {
    /// The group's name as routed.
    pub consumer_group: Arc<str>,
    /// What its fetch thread is doing.
    pub state: GroupState,
}

/// A live view of a server's consumer groups, for a liveness probe: cheap to
/// clone and to read (one short lock), usable from any task or thread.
#[derive(Clone)]
pub struct Health {
    supervisor: Arc<Supervisor>,
}

impl Health {
    pub(super) fn of(supervisor: Arc<Supervisor>) -> Health {
        Health { supervisor }
    }

    /// Every consumer group the server started, in routing order.
    pub fn groups(&self) -> Vec<GroupHealth> {
        let stopping = self.supervisor.stop.load(Ordering::Acquire);
        self.supervisor
            .lock()
            .iter()
            .map(|(name, state)| GroupHealth {
                consumer_group: name.clone(),
                state: match state {
                    GroupState::Running if stopping => GroupState::Stopping,
                    other => other.clone(),
                },
            })
            .collect()
    }

    /// Whether no consumer group has failed.
    pub fn is_alive(&self) -> bool {
        self.failure().is_none()
    }

    /// The first failure, which stopped the server, if any.
    pub fn failure(&self) -> Option<StopReason> {
        self.supervisor.progress.borrow().failure.clone()
    }

    /// The work in flight (group, partition, consumer and offsets), or the
    /// consumer groups not stopped yet: a forced exit's last words.
    pub fn still_running(&self) -> String {
        if !self.supervisor.activity.is_idle() {
            return self.supervisor.activity.describe();
        }
        let groups: Vec<String> = self
            .supervisor
            .lock()
            .iter()
            .filter(|(_, state)| *state == GroupState::Running)
            .map(|(name, _)| name.to_string())
            .collect();
        match groups.len() {
            0 => "nothing (every consumer group has stopped)".to_owned(),
            1 => format!("consumer group {} (no batch in flight)", groups[0]),
            _ => format!("consumer groups {} (no batch in flight)", groups.join(", ")),
        }
    }
}

impl std::fmt::Display for Health {
    /// `ok`, or `failed: ` and why.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let failed: Vec<String> = self
            .supervisor
            .lock()
            .iter()
            .filter_map(|(_, state)| match state {
                GroupState::Failed(reason) => Some(reason.to_string()),
                _ => None,
            })
            .collect();
        if failed.is_empty() {
            f.write_str("ok")
        } else {
            write!(f, "failed: {}", failed.join("; "))
        }
    }
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Health")
            .field("groups", &self.groups())
            .finish()
    }
}
