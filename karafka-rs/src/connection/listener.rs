//! The fetch loop of one consumer group, on its own thread: collect finished
//! jobs, dispatch new ones, resume paused partitions, poll. It never waits on
//! user code running on the worker pool, so polling goes on while jobs run.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{BorrowedMessage, Headers as _, Message as _};

use super::client::{consumer_config, Redactor};
use super::context::{commit_sync, GroupContext};
use crate::error::{Error, Result};
use crate::instrumentation::{
    ErrorOccurred, ErrorType, Event, EventKind, FetchLoop, FetchLoopReceived,
};
use crate::messages::RawMessage;
use crate::processing::executor::{Executors, GroupShared};
use crate::routing::Topic;

/// Longest single poll, so a stop request is noticed quickly.
const POLL_SLICE: Duration = Duration::from_millis(10);
/// Longest poll while jobs run, so their completions are picked up promptly.
const BUSY_POLL: Duration = Duration::from_millis(2);

/// A subscribed consumer group, ready to run its fetch loop.
pub(crate) struct GroupListener {
    consumer: BaseConsumer<GroupContext>,
    executors: Arc<Executors>,
}

impl GroupListener {
    /// Creates the group's Kafka consumer and subscribes it to the active topics.
    pub(crate) fn subscribe(shared: GroupShared, brokers: &str) -> Result<Self> {
        let client = consumer_config(
            &shared.config,
            brokers,
            &shared.group,
            shared.monitor.statistics_interval(),
        );
        let shared_config = shared.config.clone();
        let executors = Arc::new(Executors::new(shared));
        let consumer: BaseConsumer<GroupContext> = client
            .create_with_context(GroupContext {
                executors: executors.clone(),
                redactor: Redactor::new(&shared_config),
                client_errors: AtomicU64::new(0),
            })
            .map_err(|e| Error::kafka("creating the consumer", e))?;
        let names: Vec<&str> = executors.topics().iter().map(|t| &*t.name).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| Error::kafka(format!("subscribing to {}", names.join(", ")), e))?;
        Ok(GroupListener {
            consumer,
            executors,
        })
    }

    /// Fetches and dispatches until `stop` is set; then waits for running jobs,
    /// runs the `shutdown` hooks, commits synchronously and leaves the group.
    pub(crate) fn run(&self, stop: &AtomicBool) {
        let shared = self.executors.shared();
        let quiet = shared.quiet.clone();
        let monitor = &shared.monitor;
        loop {
            monitor.instrument_with(EventKind::FetchLoop, || {
                Event::FetchLoop(FetchLoop {
                    consumer_group: shared.group.name.clone(),
                })
            });
            let stopping = stop.load(Ordering::Acquire);
            if stopping && !self.executors.has_in_flight() {
                break;
            }
            self.executors.collect_completions(&self.consumer);
            if !stopping && !quiet.load(Ordering::Acquire) {
                self.executors.dispatch(&self.consumer);
            }
            self.executors.apply_backpressure(&self.consumer);
            let next_due = self.executors.resume_due(&self.consumer);
            let busy = self.executors.is_busy();
            let polled_at = Instant::now();
            let fetched = self.poll_round(next_due, busy, stop);
            monitor.instrument_with(EventKind::FetchLoopReceived, || {
                Event::FetchLoopReceived(FetchLoopReceived {
                    consumer_group: shared.group.name.clone(),
                    messages: fetched.len(),
                    duration: polled_at.elapsed(),
                })
            });
            if !stopping && !fetched.is_empty() {
                // Not consumed, so not stored: the next owner fetches them again.
                self.executors.accept(fetched);
            }
        }
        self.executors.shutdown_all();
        commit_sync(&self.consumer, &self.executors);
        self.leave_group();
    }

    /// Closes the consumer (leaves the group) with short polls; rdkafka's drop
    /// would do the same with 100 ms polls, adding up to 200 ms to every stop.
    fn leave_group(&self) {
        if self.consumer.close_queue().is_err() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.consumer.closed() && Instant::now() < deadline {
            self.consumer.poll(Duration::from_millis(5));
        }
    }

    /// Waits up to `max_wait_time` (less when work is due or running) for a first
    /// message, then takes what is already queued, up to a few batches' worth.
    /// Keys and payloads of the round are copied into one buffer, shared by the
    /// messages through cheap slices.
    fn poll_round(
        &self,
        next_due: Option<Duration>,
        busy: bool,
        stop: &AtomicBool,
    ) -> Vec<(usize, RawMessage)> {
        let shared = self.executors.shared();
        let cap = shared.group.max_messages().saturating_mul(4);
        let mut wait = if busy {
            BUSY_POLL
        } else {
            shared.config.max_wait()
        };
        if let Some(due) = next_due {
            wait = wait.min(due);
        }
        let deadline = Instant::now() + wait;
        let mut round = Round::default();
        while round.fetched.len() < cap {
            let timeout = if round.fetched.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() || stop.load(Ordering::Acquire) {
                    break;
                }
                left.min(POLL_SLICE)
            } else {
                Duration::ZERO
            };
            let reported_before = self.consumer.context().client_errors();
            match self.consumer.poll(timeout) {
                Some(Ok(message)) => round.add(self.executors.topics(), &message),
                Some(Err(error)) => {
                    // rust-rdkafka hands a client error to the context (reported there,
                    // with librdkafka's reason) and then returns it from `poll` too.
                    if self.consumer.context().client_errors() == reported_before {
                        shared.monitor.instrument(Event::ErrorOccurred(
                            ErrorOccurred::new(ErrorType::ConnectionClientPoll, error.to_string())
                                .in_group(shared.group.name.clone()),
                        ));
                    }
                    break;
                }
                None if !round.fetched.is_empty() => break,
                None => {}
            }
        }
        round.finish()
    }
}

/// A message of a round whose key and payload are still ranges of the round's buffer.
struct Fetched {
    topic: usize,
    raw: RawMessage,
    key: Option<Range<usize>>,
    payload: Option<Range<usize>>,
}

/// The messages of one poll round, with their keys and payloads in one buffer.
#[derive(Default)]
struct Round {
    buffer: BytesMut,
    fetched: Vec<Fetched>,
}

impl Round {
    fn add(&mut self, topics: &[Topic], message: &BorrowedMessage<'_>) {
        let Some(index) = topics.iter().position(|t| &*t.name == message.topic()) else {
            return;
        };
        let mut raw = RawMessage::new(
            topics[index].name.clone(),
            message.partition(),
            message.offset(),
        );
        if let Some(headers) = message.headers() {
            for header in headers.iter() {
                raw.push_header(header.key, header.value);
            }
        }
        raw.set_timestamp(message.timestamp().to_millis());
        let key = message.key().map(|k| self.copy(k));
        let payload = message.payload().map(|p| self.copy(p));
        self.fetched.push(Fetched {
            topic: index,
            raw,
            key,
            payload,
        });
    }

    fn copy(&mut self, bytes: &[u8]) -> Range<usize> {
        let start = self.buffer.len();
        self.buffer.extend_from_slice(bytes);
        start..self.buffer.len()
    }

    fn finish(self) -> Vec<(usize, RawMessage)> {
        let buffer = self.buffer.freeze();
        self.fetched
            .into_iter()
            .map(
                |Fetched {
                     topic,
                     mut raw,
                     key,
                     payload,
                 }| {
                    raw.set_shared(
                        key.map(|r| buffer.slice(r)),
                        payload.map(|r| buffer.slice(r)),
                    );
                    (topic, raw)
                },
            )
            .collect()
    }
}
