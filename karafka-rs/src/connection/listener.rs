//! The fetch loop of one consumer group, on its own thread: poll, group the
//! messages by partition, hand each partition's batch to its executor, repeat.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{BorrowedMessage, Headers as _, Message as _};

use super::client::consumer_config;
use super::context::{commit_sync, GroupContext};
use crate::error::{Error, Result};
use crate::instrumentation::{ErrorType, Event};
use crate::messages::RawMessage;
use crate::processing::executor::{Executors, GroupShared};
use crate::routing::Topic;

/// Longest single poll, so a stop request is noticed quickly.
const POLL_SLICE: Duration = Duration::from_millis(50);

/// A subscribed consumer group, ready to run its fetch loop.
pub(crate) struct GroupListener {
    consumer: BaseConsumer<GroupContext>,
    executors: Arc<Executors>,
    topics: Vec<Topic>,
}

impl GroupListener {
    /// Creates the group's Kafka consumer and subscribes it to the active topics.
    pub(crate) fn subscribe(shared: GroupShared, brokers: &str) -> Result<Self> {
        let client = consumer_config(&shared.config, brokers, &shared.group);
        let topics: Vec<Topic> = shared.group.active_topics().cloned().collect();
        let executors = Arc::new(Executors::new(shared));
        let consumer: BaseConsumer<GroupContext> = client
            .create_with_context(GroupContext {
                executors: executors.clone(),
            })
            .map_err(|e| Error::kafka("creating the consumer", e))?;
        let names: Vec<&str> = topics.iter().map(|t| &*t.name).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| Error::kafka(format!("subscribing to {}", names.join(", ")), e))?;
        Ok(GroupListener {
            consumer,
            executors,
            topics,
        })
    }

    /// Fetches and dispatches until `stop` is set, then shuts the group down:
    /// shutdown hooks, a synchronous commit, and leaving the group.
    pub(crate) fn run(self, stop: &AtomicBool) {
        while !stop.load(Ordering::Acquire) {
            let next_resume = self.executors.resume_due(&self.consumer);
            let fetched = self.fetch(next_resume, stop);
            for (topic_index, partition, messages) in group_by_partition(fetched) {
                if stop.load(Ordering::Acquire) {
                    // Not consumed, so not stored: the next owner fetches them again.
                    break;
                }
                let route = &self.topics[topic_index];
                self.executors
                    .process(&self.consumer, route, partition, messages);
            }
        }
        self.executors.shutdown_all();
        commit_sync(&self.consumer, &self.executors);
        // Dropping the consumer closes it: it leaves the group.
    }

    /// Polls until a batch is gathered: waits up to `max_wait_time` for the first
    /// message, then takes what is already queued, up to the group's `max_messages`.
    fn fetch(&self, next_resume: Option<Duration>, stop: &AtomicBool) -> Vec<(usize, RawMessage)> {
        let shared = self.executors.shared();
        let max = shared.group.max_messages();
        let mut wait = shared.config.max_wait();
        if let Some(resume) = next_resume {
            wait = wait.min(resume);
        }
        let deadline = Instant::now() + wait;
        let mut fetched = Vec::new();
        while fetched.len() < max {
            let timeout = if fetched.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || stop.load(Ordering::Acquire) {
                    break;
                }
                left.min(POLL_SLICE)
            } else {
                Duration::ZERO
            };
            match self.consumer.poll(timeout) {
                Some(Ok(message)) => {
                    if let Some(raw) = self.to_raw(&message) {
                        fetched.push(raw);
                    }
                }
                Some(Err(error)) => {
                    shared.monitor.instrument(Event::ErrorOccurred {
                        error_type: ErrorType::ConnectionClientPoll,
                        consumer_group: Some(shared.group.name.clone()),
                        topic: None,
                        partition: None,
                        offset: None,
                        attempt: None,
                        error: error.to_string(),
                    });
                    break;
                }
                None if !fetched.is_empty() => break,
                None => {}
            }
        }
        fetched
    }

    fn to_raw(&self, message: &BorrowedMessage<'_>) -> Option<(usize, RawMessage)> {
        let index = self
            .topics
            .iter()
            .position(|t| &*t.name == message.topic())?;
        let mut raw = RawMessage::new(
            self.topics[index].name.clone(),
            message.partition(),
            message.offset(),
        );
        if let Some(payload) = message.payload() {
            raw = raw.with_payload(payload);
        }
        if let Some(key) = message.key() {
            raw = raw.with_key(key);
        }
        if let Some(headers) = message.headers() {
            for header in headers.iter() {
                raw.push_header(header.key, header.value);
            }
        }
        raw.set_timestamp(message.timestamp().to_millis());
        Some((index, raw))
    }
}

/// Splits a fetch into per-partition runs, keeping each partition's offset order
/// and the order in which partitions first appeared.
fn group_by_partition(fetched: Vec<(usize, RawMessage)>) -> Vec<(usize, i32, Vec<RawMessage>)> {
    let mut groups: Vec<(usize, i32, Vec<RawMessage>)> = Vec::new();
    for (topic, message) in fetched {
        let partition = message.partition();
        match groups
            .iter_mut()
            .find(|(t, p, _)| *t == topic && *p == partition)
        {
            Some((_, _, list)) => list.push(message),
            None => groups.push((topic, partition, vec![message])),
        }
    }
    groups
}
