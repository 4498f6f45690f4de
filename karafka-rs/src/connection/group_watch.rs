//! Notices a consumer group that still has no partition twice its session
//! timeout after it subscribed (or lost its last one), and says so once,
//! naming the group, its topics and what Kafka last said about it, instead of
//! a server that says `Running` and then nothing.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::routing::ConsumerGroup;

/// librdkafka's default `session.timeout.ms`.
const DEFAULT_SESSION_TIMEOUT_MS: u64 = 45_000;

/// How often the watch looks at its group.
const TICK: Duration = Duration::from_secs(1);

/// librdkafka debug facilities of the group protocol (with `debug = "cgrp"`).
const GROUP_FACILITIES: &[&str] = &[
    "JOIN",
    "JOINGROUP",
    "SYNCGROUP",
    "GRPSYNC",
    "ASSIGN",
    "ASSIGNMENT",
    "SUBSCRIPTION",
    "REBALANCE",
    "COORD",
    "CGRPCOORD",
    "CGRPSTATE",
];

/// A consumer group's watch; its thread ends when the watch is dropped.
pub(crate) struct GroupWatch {
    state: Arc<Mutex<Watched>>,
}

impl GroupWatch {
    /// Watches `group` (subscribed now), with the patience `config`'s
    /// session timeout gives it.
    pub(crate) fn start(group: &ConsumerGroup, config: &Config) -> GroupWatch {
        let session_ms = config
            .kafka
            .get("session.timeout.ms")
            .and_then(|v| v.to_string().parse().ok())
            .unwrap_or(DEFAULT_SESSION_TIMEOUT_MS);
        let mut watched =
            Watched::new(group, Duration::from_millis(session_ms * 2), Instant::now());
        watched.debugging = config.kafka.contains_key("debug");
        let state = Arc::new(Mutex::new(watched));
        let weak = Arc::downgrade(&state);
        let _ = std::thread::Builder::new()
            .name(format!("karafka-watch-{}", group.name))
            .spawn(move || watch(&weak));
        GroupWatch { state }
    }

    /// `count` partitions were assigned.
    pub(crate) fn assigned(&self, count: usize) {
        self.lock().assigned(count, Instant::now());
    }

    /// `count` partitions were revoked.
    pub(crate) fn revoked(&self, count: usize) {
        self.lock().revoked(count, Instant::now());
    }

    /// The group's client said `word` (an error, a warning, a rebalance outcome).
    pub(crate) fn heard(&self, word: &str) {
        self.lock().last_word = Some(word.to_owned());
    }

    /// Keeps a librdkafka line of the group's client that is about the group protocol.
    pub(crate) fn heard_log(&self, facility: &str, line: &str) {
        if GROUP_FACILITIES.contains(&facility) {
            self.heard(&format!("{facility} {line}"));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Watched> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn watch(state: &Weak<Mutex<Watched>>) {
    loop {
        std::thread::sleep(TICK);
        let Some(state) = state.upgrade() else {
            return;
        };
        let warning = state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .check(Instant::now());
        if let Some(warning) = warning {
            tracing::warn!(target: "karafka", "{warning}");
        }
    }
}

/// What the watch knows of its group.
#[derive(Debug)]
struct Watched {
    name: Arc<str>,
    id: String,
    topics: Vec<String>,
    patience: Duration,
    assigned: usize,
    /// Since when the group has had no partition.
    unassigned_since: Option<Instant>,
    /// Whether this stretch without partitions was warned about.
    warned: bool,
    last_word: Option<String>,
    /// Whether librdkafka's debug lines are asked for already.
    debugging: bool,
}

impl Watched {
    fn new(group: &ConsumerGroup, patience: Duration, now: Instant) -> Watched {
        Watched {
            name: group.name.clone(),
            id: group.id.clone(),
            topics: group.active_topics().map(|t| t.name.to_string()).collect(),
            patience,
            assigned: 0,
            unassigned_since: Some(now),
            warned: false,
            last_word: None,
            debugging: false,
        }
    }

    fn assigned(&mut self, count: usize, now: Instant) {
        self.assigned += count;
        if count == 0 {
            self.last_word = Some("it assigned this member no partition".to_owned());
        }
        self.settle(now);
    }

    fn revoked(&mut self, count: usize, now: Instant) {
        self.assigned = self.assigned.saturating_sub(count);
        self.settle(now);
    }

    fn settle(&mut self, now: Instant) {
        if self.assigned > 0 {
            self.unassigned_since = None;
            self.warned = false;
        } else if self.unassigned_since.is_none() {
            self.unassigned_since = Some(now);
        }
    }

    /// The warning due at `now`, once per stretch without partitions.
    fn check(&mut self, now: Instant) -> Option<String> {
        let since = self.unassigned_since?;
        if self.warned || now.duration_since(since) < self.patience {
            return None;
        }
        self.warned = true;
        let said = match &self.last_word {
            Some(word) => format!("last word from Kafka: {word}"),
            None => "Kafka has said nothing about it".to_owned(),
        };
        let hint = if self.debugging {
            ""
        } else {
            ". Set `debug = \"cgrp\"` in [kafka] to see the group protocol"
        };
        Some(format!(
            "[{}] No partition assigned after {} s (twice session.timeout.ms) for topics {} (group.id {}); {said}{hint}",
            self.name,
            now.duration_since(since).as_secs(),
            self.topics.join(", "),
            self.id,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched(now: Instant) -> Watched {
        let group = ConsumerGroup {
            name: "orders".into(),
            id: "shop_orders".into(),
            topics: Vec::new(),
        };
        let mut watched = Watched::new(&group, Duration::from_secs(90), now);
        watched.topics = vec!["orders".into(), "refunds".into()];
        watched
    }

    #[test]
    fn a_group_without_partitions_is_warned_about_once_after_its_patience() {
        let start = Instant::now();
        let mut watched = watched(start);
        assert_eq!(watched.check(start + Duration::from_secs(89)), None);
        watched.last_word = Some("Broker: Unknown topic or partition".into());
        let warning = watched.check(start + Duration::from_secs(90)).unwrap();
        assert!(
            warning.starts_with("[orders] No partition assigned after 90 s"),
            "{warning}"
        );
        assert!(
            warning.contains("topics orders, refunds (group.id shop_orders)"),
            "{warning}"
        );
        assert!(
            warning.contains("last word from Kafka: Broker: Unknown topic or partition"),
            "{warning}"
        );
        assert_eq!(watched.check(start + Duration::from_secs(200)), None);
    }

    #[test]
    fn assigned_partitions_end_the_stretch_and_losing_them_starts_another() {
        let start = Instant::now();
        let mut watched = watched(start);
        watched.assigned(2, start + Duration::from_secs(10));
        assert_eq!(watched.check(start + Duration::from_secs(100)), None);
        watched.revoked(2, start + Duration::from_secs(100));
        assert_eq!(watched.check(start + Duration::from_secs(150)), None);
        assert!(watched.check(start + Duration::from_secs(190)).is_some());
    }

    #[test]
    fn an_empty_assignment_is_the_coordinators_word() {
        let start = Instant::now();
        let mut watched = watched(start);
        watched.assigned(0, start);
        let warning = watched.check(start + Duration::from_secs(90)).unwrap();
        assert!(
            warning.contains("assigned this member no partition"),
            "{warning}"
        );
    }
}
