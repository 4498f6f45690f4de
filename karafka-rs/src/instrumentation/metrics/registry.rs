//! The figures behind `/metrics`, and their Prometheus text rendering.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use crate::instrumentation::{
    AppStatus, ConsumerConsumed, ConsumerConsumingPause, ConsumerConsumingRetry,
    DeadLetterQueueDispatched, ErrorOccurred, FilteringDropped, Rebalance, Statistics,
};
use crate::messages::TopicPartition;

/// Upper bounds (seconds) of the processing time histogram's buckets: 1 ms to a minute.
pub(super) const DURATION_BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

type GroupTopic = (Arc<str>, Arc<str>);

/// A cumulative histogram of durations.
#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [u64; DURATION_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, duration: Duration) {
        let seconds = duration.as_secs_f64();
        let slot = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[slot] += 1;
        self.sum += seconds;
        self.count += 1;
    }
}

/// Everything `/metrics` shows, updated by the listener's event methods.
#[derive(Debug, Default)]
pub(super) struct Registry {
    pub(super) status: Option<AppStatus>,
    messages: BTreeMap<GroupTopic, u64>,
    batches: BTreeMap<GroupTopic, u64>,
    /// Batches per virtual partition (lane), on routes with `virtual_partitions`.
    lane_batches: BTreeMap<(Arc<str>, Arc<str>, usize), u64>,
    durations: BTreeMap<GroupTopic, Histogram>,
    errors: BTreeMap<(Arc<str>, &'static str), u64>,
    retries: BTreeMap<GroupTopic, u64>,
    pauses: BTreeMap<(Arc<str>, Arc<str>, &'static str), u64>,
    filtered: BTreeMap<(Arc<str>, Arc<str>, &'static str), u64>,
    dead_letters: BTreeMap<GroupTopic, u64>,
    rebalances: BTreeMap<(Arc<str>, &'static str), u64>,
    assigned: BTreeMap<Arc<str>, BTreeSet<TopicPartition>>,
    lag: BTreeMap<(Arc<str>, Arc<str>, i32), i64>,
}

impl Registry {
    pub(super) fn consumed(&mut self, event: &ConsumerConsumed) {
        let key = (event.consumer_group.clone(), event.topic.clone());
        *self.messages.entry(key.clone()).or_default() += event.size as u64;
        *self.batches.entry(key.clone()).or_default() += 1;
        if let Some(lane) = event.virtual_partition {
            let lane_key = (key.0.clone(), key.1.clone(), lane);
            *self.lane_batches.entry(lane_key).or_default() += 1;
        }
        self.durations
            .entry(key)
            .or_default()
            .observe(event.duration);
    }

    pub(super) fn paused(&mut self, event: &ConsumerConsumingPause) {
        let key = (
            event.consumer_group.clone(),
            event.topic.clone(),
            event.reason.name(),
        );
        *self.pauses.entry(key).or_default() += 1;
    }

    pub(super) fn filtered(&mut self, event: &FilteringDropped) {
        let key = (
            event.consumer_group.clone(),
            event.topic.clone(),
            event.filter,
        );
        *self.filtered.entry(key).or_default() += event.offsets.len() as u64;
    }

    pub(super) fn retried(&mut self, event: &ConsumerConsumingRetry) {
        let key = (event.consumer_group.clone(), event.topic.clone());
        *self.retries.entry(key).or_default() += 1;
    }

    pub(super) fn assigned(&mut self, event: &Rebalance) {
        *self
            .rebalances
            .entry((event.consumer_group.clone(), "partitions_assigned"))
            .or_default() += 1;
        let assigned = self
            .assigned
            .entry(event.consumer_group.clone())
            .or_default();
        for (topic, partitions) in &event.partitions {
            assigned.extend(
                partitions
                    .iter()
                    .map(|p| TopicPartition::new(topic.clone(), *p)),
            );
        }
    }

    pub(super) fn revoked(&mut self, event: &Rebalance) {
        *self
            .rebalances
            .entry((event.consumer_group.clone(), "partitions_revoked"))
            .or_default() += 1;
        let assigned = self
            .assigned
            .entry(event.consumer_group.clone())
            .or_default();
        for (topic, partitions) in &event.partitions {
            for partition in partitions {
                assigned.remove(&TopicPartition::new(topic.clone(), *partition));
                self.lag
                    .remove(&(event.consumer_group.clone(), topic.clone(), *partition));
            }
        }
    }

    pub(super) fn dead_lettered(&mut self, event: &DeadLetterQueueDispatched) {
        let key = (event.consumer_group.clone(), event.topic.clone());
        *self.dead_letters.entry(key).or_default() += 1;
    }

    /// Replaces the group's lag gauges with the report's partitions whose lag is known.
    pub(super) fn statistics(&mut self, event: &Statistics) {
        let group = &event.consumer_group;
        self.lag.retain(|(g, _, _), _| g != group);
        for partition in &event.partitions {
            if let Some(lag) = partition.lag() {
                self.lag.insert(
                    (group.clone(), partition.topic.clone(), partition.partition),
                    lag,
                );
            }
        }
    }

    pub(super) fn error(&mut self, event: &ErrorOccurred) {
        let group = event
            .consumer_group
            .clone()
            .unwrap_or_else(|| Arc::from(""));
        *self
            .errors
            .entry((group, event.error_type.name()))
            .or_default() += 1;
    }

    /// The Prometheus text exposition (format 0.0.4) of every figure.
    pub(super) fn render(&self, idle: &[(Arc<str>, Duration)]) -> String {
        let mut out = String::with_capacity(4096);
        header(
            &mut out,
            "karafka_app_status",
            "gauge",
            "1 for the status the app is in (initialized, running, quieting, stopping, stopped).",
        );
        for status in [
            AppStatus::Initialized,
            AppStatus::Running,
            AppStatus::Quieting,
            AppStatus::Stopping,
            AppStatus::Stopped,
        ] {
            let value = u64::from(self.status == Some(status));
            sample(
                &mut out,
                "karafka_app_status",
                &[("status", status.name())],
                value,
            );
        }

        header(
            &mut out,
            "karafka_messages_consumed_total",
            "counter",
            "Messages consumed successfully.",
        );
        for ((group, topic), value) in &self.messages {
            sample(
                &mut out,
                "karafka_messages_consumed_total",
                &group_topic(group, topic),
                *value,
            );
        }
        header(
            &mut out,
            "karafka_batches_consumed_total",
            "counter",
            "Batches consumed successfully.",
        );
        for ((group, topic), value) in &self.batches {
            sample(
                &mut out,
                "karafka_batches_consumed_total",
                &group_topic(group, topic),
                *value,
            );
        }

        if !self.lane_batches.is_empty() {
            header(
                &mut out,
                "karafka_virtual_partition_batches_consumed_total",
                "counter",
                "Batches consumed successfully per virtual partition.",
            );
        }
        for ((group, topic, lane), value) in &self.lane_batches {
            let lane = lane.to_string();
            let labels = [
                ("consumer_group", &**group),
                ("topic", &**topic),
                ("virtual_partition", lane.as_str()),
            ];
            sample(
                &mut out,
                "karafka_virtual_partition_batches_consumed_total",
                &labels,
                *value,
            );
        }

        let name = "karafka_consume_duration_seconds";
        header(
            &mut out,
            name,
            "histogram",
            "Time consume took per successful batch.",
        );
        for ((group, topic), histogram) in &self.durations {
            let mut cumulative = 0;
            for (slot, count) in histogram.buckets.iter().enumerate() {
                cumulative += count;
                let bound = DURATION_BUCKETS
                    .get(slot)
                    .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
                let labels = [
                    ("consumer_group", &**group),
                    ("topic", &**topic),
                    ("le", &bound),
                ];
                sample(&mut out, &format!("{name}_bucket"), &labels, cumulative);
            }
            let labels = group_topic(group, topic);
            let _ = writeln!(
                out,
                "{name}_sum{} {}",
                render_labels(&labels),
                histogram.sum
            );
            sample(&mut out, &format!("{name}_count"), &labels, histogram.count);
        }

        header(
            &mut out,
            "karafka_errors_total",
            "counter",
            "Errors by type (error.occurred).",
        );
        for ((group, error_type), value) in &self.errors {
            let labels = [("consumer_group", &**group), ("type", *error_type)];
            sample(&mut out, "karafka_errors_total", &labels, *value);
        }
        header(
            &mut out,
            "karafka_retries_total",
            "counter",
            "Failed batches scheduled for a retry.",
        );
        for ((group, topic), value) in &self.retries {
            sample(
                &mut out,
                "karafka_retries_total",
                &group_topic(group, topic),
                *value,
            );
        }
        header(
            &mut out,
            "karafka_pauses_total",
            "counter",
            "Partitions paused, by reason (retry, backpressure, consumer, filter).",
        );
        for ((group, topic, reason), value) in &self.pauses {
            let labels = [
                ("consumer_group", &**group),
                ("topic", &**topic),
                ("reason", *reason),
            ];
            sample(&mut out, "karafka_pauses_total", &labels, *value);
        }
        header(
            &mut out,
            "karafka_filtered_messages_total",
            "counter",
            "Messages a filter dropped (counted as consumed), by filter.",
        );
        for ((group, topic, filter), value) in &self.filtered {
            let labels = [
                ("consumer_group", &**group),
                ("topic", &**topic),
                ("filter", *filter),
            ];
            sample(&mut out, "karafka_filtered_messages_total", &labels, *value);
        }
        header(
            &mut out,
            "karafka_dead_letter_queue_dispatched_total",
            "counter",
            "Messages written to a dead letter queue.",
        );
        for ((group, topic), value) in &self.dead_letters {
            sample(
                &mut out,
                "karafka_dead_letter_queue_dispatched_total",
                &group_topic(group, topic),
                *value,
            );
        }
        header(
            &mut out,
            "karafka_rebalances_total",
            "counter",
            "Rebalance events, by event (partitions_assigned, partitions_revoked).",
        );
        for ((group, event), value) in &self.rebalances {
            let labels = [("consumer_group", &**group), ("event", *event)];
            sample(&mut out, "karafka_rebalances_total", &labels, *value);
        }
        header(
            &mut out,
            "karafka_assigned_partitions",
            "gauge",
            "Partitions currently assigned to the consumer group.",
        );
        for (group, partitions) in &self.assigned {
            sample(
                &mut out,
                "karafka_assigned_partitions",
                &[("consumer_group", group)],
                partitions.len() as u64,
            );
        }
        header(&mut out, "karafka_consumer_lag", "gauge", "Messages left to process per partition (librdkafka's consumer_lag_stored, else consumer_lag).");
        for ((group, topic, partition), lag) in &self.lag {
            let partition = partition.to_string();
            let labels = [
                ("consumer_group", &**group),
                ("topic", &**topic),
                ("partition", &*partition),
            ];
            let _ = writeln!(out, "karafka_consumer_lag{} {lag}", render_labels(&labels));
        }
        header(
            &mut out,
            "karafka_fetch_loop_idle_seconds",
            "gauge",
            "Time since the consumer group's fetch loop last iterated.",
        );
        for (group, idle) in idle {
            let _ = writeln!(
                out,
                "karafka_fetch_loop_idle_seconds{} {}",
                render_labels(&[("consumer_group", group)]),
                idle.as_secs_f64()
            );
        }
        out
    }
}

fn group_topic<'a>(group: &'a str, topic: &'a str) -> [(&'static str, &'a str); 2] {
    [("consumer_group", group), ("topic", topic)]
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: u64) {
    let _ = writeln!(out, "{name}{} {value}", render_labels(labels));
}

fn render_labels(labels: &[(&str, &str)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let rendered: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}=\"{}\"", escape(value)))
        .collect();
    format!("{{{}}}", rendered.join(","))
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}
