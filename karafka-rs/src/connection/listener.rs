//! The fetch loop of one consumer group, on its own thread: collect finished
//! jobs, dispatch new ones, resume paused partitions, poll. It never waits on
//! user code running on the worker pool, so polling goes on while jobs run.

use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};
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
use crate::processing::client::PartitionClient;
use crate::processing::processor::{GroupShared, Processor};
use crate::processing::turn::{turn, PollPlan, Round, Source};

/// Longest single poll, so a stop request is noticed quickly.
const POLL_SLICE: Duration = Duration::from_millis(10);
/// Longest wait for the next message while messages are buffered.
const BUSY_POLL: Duration = crate::processing::turn::BUSY_POLL;

/// How long a dropped listener waits for application code to let go of
/// fetched messages before it leaks the consumer instead of destroying it.
const LEASE_WAIT: Duration = Duration::from_secs(5);

/// A subscribed consumer group, ready to run its fetch loop.
pub(crate) struct GroupListener {
    /// Destroyed in `drop`, and only once no fetched message refers to it.
    consumer: ManuallyDrop<BaseConsumer<GroupContext>>,
    processor: Arc<Processor>,
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
        let processor = Arc::new(Processor::new(shared));
        let consumer: BaseConsumer<GroupContext> = client
            .create_with_context(GroupContext::new(processor.clone(), supervisor))
            .map_err(|e| Error::kafka("creating the consumer", e))?;
        let names: Vec<&str> = processor.topics().iter().map(|t| &*t.name).collect();
        consumer
            .subscribe(&names)
            .map_err(|e| Error::kafka(format!("subscribing to {}", names.join(", ")), e))?;
        Ok(GroupListener {
            consumer: ManuallyDrop::new(consumer),
            processor,
            lease: FetchLease::default(),
        })
    }

    /// Fetches and dispatches until `stop` is set; then waits for running jobs,
    /// runs the `shutdown` hooks, commits synchronously and leaves the group.
    pub(crate) fn run(&self, stop: &AtomicBool) {
        let shared = self.processor.shared();
        let quiet = shared.quiet.clone();
        let monitor = &shared.monitor;
        let mut source = KafkaSource {
            listener: self,
            stop,
        };
        loop {
            monitor.instrument_with(EventKind::FetchLoop, || {
                Event::FetchLoop(FetchLoop {
                    consumer_group: shared.group.name.clone(),
                })
            });
            let stopping = stop.load(Ordering::Acquire);
            if stopping && !self.processor.has_in_flight() {
                break;
            }
            let dispatching = !stopping && !quiet.load(Ordering::Acquire);
            // Once stopping, what is polled is not consumed, so not stored: the
            // next owner fetches it again.
            let turn = turn(&self.processor, &mut source, dispatching, !stopping);
            monitor.instrument_with(EventKind::FetchLoopReceived, || {
                Event::FetchLoopReceived(FetchLoopReceived {
                    consumer_group: shared.group.name.clone(),
                    messages: turn.fetched,
                    duration: turn.polled_for,
                })
            });
        }
        self.processor.shutdown_all();
        commit_sync(&self.consumer, &self.processor);
        self.leave_group();
    }

    /// After the fetch loop panicked: commits what was stored (every stored
    /// offset was processed) and leaves the group, without waiting for jobs.
    pub(crate) fn leave_after_failure(&self) {
        commit_sync(&self.consumer, &self.processor);
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
    fn poll_round(&self, plan: PollPlan, stop: &AtomicBool) -> Round {
        let shared = self.processor.shared();
        let cap = shared.group.max_messages().saturating_mul(4);
        let mut wait = if plan.jobs_running {
            Duration::ZERO
        } else if plan.busy {
            BUSY_POLL
        } else {
            shared.config.max_wait()
        };
        if let Some(due) = plan.next_due {
            wait = wait.min(due);
        }
        let deadline = Instant::now() + wait;
        let mut round = Round::new(cap, self.processor.epoch());
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
                        let name = self.processor.topics()[topic].name.clone();
                        // SAFETY: `drop` destroys the consumer only once the lease is free.
                        #[allow(unsafe_code)]
                        let raw = unsafe { RawMessage::fetched(name, message, &self.lease) };
                        // A rebalance callback inside this poll starts a new epoch.
                        round.push(topic, raw, self.processor.epoch());
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
            .processor
            .topics()
            .iter()
            .position(|t| &*t.name == message.topic())?;
        *last = Some((handle, index));
        Some(index)
    }
}

/// The group's Kafka consumer as the source of a fetch-loop turn.
struct KafkaSource<'a> {
    listener: &'a GroupListener,
    stop: &'a AtomicBool,
}

impl Source for KafkaSource<'_> {
    fn client(&self) -> &dyn PartitionClient {
        &*self.listener.consumer
    }

    fn poll(&mut self, _processor: &Processor, plan: PollPlan) -> Round {
        self.listener.poll_round(plan, self.stop)
    }
}

impl Drop for GroupListener {
    /// Drops every buffered message, then destroys the consumer, unless
    /// application code still holds messages it fetched: then the consumer is
    /// leaked (its messages stay valid) and the leak is reported.
    fn drop(&mut self) {
        self.processor.release_buffers();
        let deadline = Instant::now() + LEASE_WAIT;
        while self.lease.is_held() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if self.lease.is_held() {
            tracing::warn!(
                target: "karafka",
                "consumer group {}: fetched messages are still held by application code; its Kafka client is left open",
                self.processor.shared().group.name
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
