//! The fetch loop of one consumer group, on its own thread: collect finished
//! jobs, dispatch new ones, resume paused partitions, poll. It never waits on
//! user code running on the worker pool, so polling goes on while jobs run.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::message::{BorrowedMessage, Message as _};

use super::client::consumer_config;
use super::context::{check_fatal, commit_sync, GroupContext};
use super::supervisor::GroupSupervisor;
use crate::error::{Error, Result};
use crate::instrumentation::{
    ErrorOccurred, ErrorType, Event, EventKind, FetchLoop, FetchLoopReceived,
};
use crate::messages::{FetchLease, RawMessage};
use crate::processing::executor::{Executors, GroupShared};
use crate::redaction::Redactor;

/// Longest single poll, so a stop request is noticed quickly.
const POLL_SLICE: Duration = Duration::from_millis(10);
/// Longest wait while messages are buffered or jobs run: for a job's
/// completion when jobs run, else for the next message.
const BUSY_POLL: Duration = Duration::from_millis(2);

/// How long a dropped listener waits for application code to let go of
/// fetched messages before it leaks the consumer instead of destroying it.
const LEASE_WAIT: Duration = Duration::from_secs(5);

/// A subscribed consumer group, ready to run its fetch loop.
pub(crate) struct GroupListener {
    /// Destroyed in `drop`, and only once no fetched message refers to it.
    consumer: ManuallyDrop<BaseConsumer<GroupContext>>,
    executors: Arc<Executors>,
    /// Held by every message fetched by `consumer`.
    lease: FetchLease,
}

impl GroupListener {
    /// Creates the group's Kafka consumer and subscribes it to the active topics.
    pub(crate) fn subscribe(
        shared: GroupShared,
        brokers: &str,
        supervisor: GroupSupervisor,
    ) -> Result<Self> {
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
                redactor: Redactor::new(&shared_config.kafka),
                client_errors: AtomicU64::new(0),
                supervisor,
            })
            .map_err(|e| Error::kafka("creating the consumer", e))?;
        let names: Vec<&str> = executors.topics().iter().map(|t| &*t.name).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| Error::kafka(format!("subscribing to {}", names.join(", ")), e))?;
        Ok(GroupListener {
            consumer: ManuallyDrop::new(consumer),
            executors,
            lease: FetchLease::default(),
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
            self.executors.collect_completions(&*self.consumer);
            if !stopping && !quiet.load(Ordering::Acquire) {
                self.executors.dispatch(&*self.consumer);
            }
            self.executors.apply_backpressure(&*self.consumer);
            let next_due = self.executors.resume_due(&*self.consumer);
            let busy = self.executors.is_busy();
            let jobs_running = self.executors.has_in_flight();
            let polled_at = Instant::now();
            // While jobs run, take only what is already fetched, then wait for a
            // completion rather than for Kafka: a worker that finishes gets its
            // partition's next batch at once, not after a poll times out.
            let fetched = self.poll_round(next_due, busy, jobs_running, stop);
            if jobs_running && fetched.is_empty() {
                let wait = next_due.map_or(BUSY_POLL, |due| due.min(BUSY_POLL));
                self.executors.wait_completions(&*self.consumer, wait);
            }
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

    /// After the fetch loop panicked: commits what was stored (every stored
    /// offset was processed) and leaves the group, without waiting for jobs.
    pub(crate) fn leave_after_failure(&self) {
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

    /// Waits up to `max_wait_time` (less when work is due or buffered, not at
    /// all while jobs run) for a first message, then takes what is already
    /// queued, up to a few batches' worth. Messages are not copied: each keeps
    /// librdkafka's buffer until dropped.
    fn poll_round(
        &self,
        next_due: Option<Duration>,
        busy: bool,
        jobs_running: bool,
        stop: &AtomicBool,
    ) -> Vec<(usize, RawMessage)> {
        let shared = self.executors.shared();
        let cap = shared.group.max_messages().saturating_mul(4);
        let mut wait = if jobs_running {
            Duration::ZERO
        } else if busy {
            BUSY_POLL
        } else {
            shared.config.max_wait()
        };
        if let Some(due) = next_due {
            wait = wait.min(due);
        }
        let deadline = Instant::now() + wait;
        let mut round = Vec::with_capacity(cap);
        let mut last_topic = None;
        let mut first = true;
        while round.len() < cap {
            let timeout = if round.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if (left.is_zero() && !first) || stop.load(Ordering::Acquire) {
                    break;
                }
                left.min(POLL_SLICE)
            } else {
                Duration::ZERO
            };
            first = false;
            let reported_before = self.consumer.context().client_errors();
            match self.consumer.poll(timeout) {
                Some(Ok(message)) => {
                    if let Some(topic) = self.route_of(&message, &mut last_topic) {
                        let name = self.executors.topics()[topic].name.clone();
                        // SAFETY: `drop` destroys the consumer only once the lease is free.
                        #[allow(unsafe_code)]
                        let raw = unsafe { RawMessage::fetched(name, message, &self.lease) };
                        round.push((topic, raw));
                    }
                }
                Some(Err(error)) => {
                    // rust-rdkafka hands a client error to the context (reported there,
                    // with librdkafka's reason) and then returns it from `poll` too.
                    if self.consumer.context().client_errors() == reported_before {
                        shared.monitor.instrument(Event::ErrorOccurred(
                            ErrorOccurred::new(ErrorType::ConnectionClientPoll, error.to_string())
                                .in_group(shared.group.name.clone()),
                        ));
                    }
                    check_fatal(&self.consumer);
                    break;
                }
                None if !round.is_empty() => break,
                None => {}
            }
        }
        round
    }

    /// The index of the message's route; consecutive messages mostly share a
    /// topic, so the last match (by librdkafka's topic handle) is tried first.
    fn route_of(
        &self,
        message: &BorrowedMessage<'_>,
        last: &mut Option<(usize, usize)>,
    ) -> Option<usize> {
        let handle = message.topic_ptr() as usize;
        if let Some((cached, index)) = *last {
            if cached == handle {
                return Some(index);
            }
        }
        let index = self
            .executors
            .topics()
            .iter()
            .position(|t| &*t.name == message.topic())?;
        *last = Some((handle, index));
        Some(index)
    }
}

impl Drop for GroupListener {
    /// Drops every buffered message, then destroys the consumer, unless
    /// application code still holds messages it fetched: then the consumer is
    /// leaked (its messages stay valid) and the leak is reported.
    fn drop(&mut self) {
        self.executors.release_buffers();
        let deadline = Instant::now() + LEASE_WAIT;
        while self.lease.is_held() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.lease.is_held() {
            tracing::warn!(
                target: "karafka",
                "consumer group {}: fetched messages are still held by application code; its Kafka client is left open",
                self.executors.shared().group.name
            );
            return;
        }
        // SAFETY: dropped once, here; no fetched message refers to it any more.
        #[allow(unsafe_code)]
        unsafe {
            ManuallyDrop::drop(&mut self.consumer)
        };
    }
}
