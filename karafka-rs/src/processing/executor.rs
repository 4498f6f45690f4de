//! Per-partition executors: one consumer instance per assigned topic-partition,
//! a bounded buffer of fetched messages, and at most one job in flight.
//!
//! Everything here runs on the consumer group's fetch thread (the rdkafka
//! callbacks included), except the jobs themselves, which run inline or on the
//! worker pool and come back as [`Completion`]s. Offsets are stored only from
//! completions, so an offset is stored only after its batch succeeded
//! (at-least-once); a completion from a partition revoked in the meantime
//! stores nothing.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::client::PartitionClient;
use super::clock::Clock;
use super::job::{guarded, Completion, Consumed, Job, Outcome, PartitionKey, Work};
use super::worker_pool::WorkerPool;
use crate::config::{Backend, Config};
use crate::consumer::erased::{ErasedConsumer, Hook};
use crate::consumer::Context;
use crate::current_app::{self, ProducerScope};
use crate::instrumentation::{
    ConsumerConsumed, ConsumerConsumingPause, ConsumerConsumingRetry, ConsumerHook,
    DeadLetterQueueDispatched, ErrorOccurred, ErrorType, Event, EventKind, Monitor, PauseReason,
    ProducerDelivered,
};
use crate::messages::{RawMessage, TopicPartition};
use crate::processing::activity::Activity;
use crate::producer::Producer;
use crate::routing::{ConsumerGroup, Topic};

/// What every executor of a consumer group shares.
pub(crate) struct GroupShared {
    pub(crate) group: ConsumerGroup,
    pub(crate) config: Arc<Config>,
    pub(crate) monitor: Monitor,
    pub(crate) runtime: Handle,
    pub(crate) activity: Arc<Activity>,
    pub(crate) pool: WorkerPool,
    /// Writes dead letter queue records; present when a route of the group has a DLQ.
    pub(crate) dlq_producer: Option<Producer>,
    /// Quiet mode: finish running work, start none.
    pub(crate) quiet: Arc<AtomicBool>,
    /// When retries and ticks are due.
    pub(crate) clock: Clock,
    /// The producer and monitor responders use inside this group's jobs and
    /// hooks; `None`: the process's shared producer.
    pub(crate) scope: Option<ProducerScope>,
}

/// The consumer instance of a partition and its context, when no job holds them.
type Instance = (Box<dyn ErasedConsumer>, Context);

/// The state of one assigned topic-partition.
struct Partition {
    topic: usize,
    generation: u64,
    /// `None` while a job runs.
    instance: Option<Instance>,
    initialized: bool,
    /// Fetched, not yet handed to the consumer, in offset order.
    buffer: VecDeque<RawMessage>,
    /// The lowest offset not yet processed; anything below it is a replay.
    next_offset: Option<i64>,
    /// The offset after the last message taken from the client.
    fetched_to: Option<i64>,
    /// Paused because the buffer is full.
    backpressure: bool,
    /// Paused until a retry.
    retry: Option<Retry>,
    /// Which attempt the next batch is.
    attempt: u32,
    last_error: String,
    /// Dead letter queue routes retry one message at a time up to this offset,
    /// so the message that fails is the one that goes to the DLQ.
    narrow_until: Option<i64>,
    next_tick: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
struct Retry {
    offset: i64,
    resume_at: Instant,
}

struct State {
    partitions: HashMap<PartitionKey, Partition>,
    /// Revoked partitions whose job outlived the revocation: no new job may start
    /// for them (should they come back) until it returns.
    draining: HashSet<PartitionKey>,
    next_generation: u64,
    in_flight: usize,
}

/// Every executor of one consumer group.
pub(crate) struct Executors {
    shared: GroupShared,
    topics: Vec<Topic>,
    state: Mutex<State>,
    done_tx: Sender<Completion>,
    done_rx: Mutex<Receiver<Completion>>,
}

impl Executors {
    pub(crate) fn new(shared: GroupShared) -> Self {
        let topics = shared.group.active_topics().cloned().collect();
        let (done_tx, done_rx) = channel();
        Executors {
            shared,
            topics,
            state: Mutex::new(State {
                partitions: HashMap::new(),
                draining: HashSet::new(),
                next_generation: 0,
                in_flight: 0,
            }),
            done_tx,
            done_rx: Mutex::new(done_rx),
        }
    }

    pub(crate) fn shared(&self) -> &GroupShared {
        &self.shared
    }

    /// The routes of the group's active topics; a message's topic index points here.
    pub(crate) fn topics(&self) -> &[Topic] {
        &self.topics
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // User code never runs under this lock, so it cannot be poisoned by a panic there.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether any job is running (or waiting for a worker).
    pub(crate) fn has_in_flight(&self) -> bool {
        self.lock().in_flight > 0
    }

    /// Whether an inline partition has buffered messages it could consume now.
    fn has_inline_work(&self) -> bool {
        let state = self.lock();
        state.partitions.iter().any(|(key, p)| {
            self.topics[p.topic].backend == Backend::Inline
                && !p.buffer.is_empty()
                && p.instance.is_some()
                && p.retry.is_none()
                && !state.draining.contains(key)
        })
    }

    /// Whether any partition has messages buffered or a job running.
    pub(crate) fn is_busy(&self) -> bool {
        let state = self.lock();
        state.in_flight > 0
            || state
                .partitions
                .values()
                .any(|p| !p.buffer.is_empty() && p.retry.is_none())
    }

    /// Starts tracking a newly assigned partition with a fresh consumer instance.
    pub(crate) fn assign(&self, topic: &str, partition: i32) {
        let mut state = self.lock();
        self.ensure(&mut state, topic, partition);
    }

    fn ensure<'s>(
        &self,
        state: &'s mut State,
        topic: &str,
        partition: i32,
    ) -> Option<&'s mut Partition> {
        let index = self.topics.iter().position(|t| &*t.name == topic)?;
        let route = &self.topics[index];
        let key = PartitionKey::new(route.name.clone(), partition);
        let generation = state.next_generation;
        let entry = state.partitions.entry(key).or_insert_with(|| {
            let ctx = Context::new(
                self.shared.group.name.clone(),
                route.name.clone(),
                partition,
            );
            Partition {
                topic: index,
                generation,
                instance: Some(((route.factory)(), ctx)),
                initialized: false,
                buffer: VecDeque::new(),
                next_offset: None,
                fetched_to: None,
                backpressure: false,
                retry: None,
                attempt: 1,
                last_error: String::new(),
                narrow_until: None,
                next_tick: route.tick_interval.map(|i| self.shared.clock.now() + i),
            }
        });
        if entry.generation == generation {
            state.next_generation += 1;
        }
        Some(entry)
    }

    /// Gives up partitions being revoked: first waits (up to `shutdown_timeout`)
    /// for their running jobs, so finished work is stored and committed before
    /// the partitions go; then runs the `revoked` hooks of idle consumers. A job
    /// still running after that stores nothing when it returns, and its partition
    /// takes no new job until then.
    pub(crate) fn revoke(&self, client: &dyn PartitionClient, revoked: &[PartitionKey]) {
        let deadline = Instant::now() + self.shared.config.shutdown_wait();
        loop {
            let waiting = {
                let state = self.lock();
                revoked.iter().any(|key| {
                    state
                        .partitions
                        .get(key)
                        .is_some_and(|p| p.instance.is_none())
                })
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if !waiting || left.is_zero() {
                break;
            }
            let next = self
                .done_rx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .recv_timeout(left);
            if let Ok(completion) = next {
                self.complete(client, completion);
            }
        }
        for key in revoked {
            let removed = {
                let mut state = self.lock();
                let removed = state.partitions.remove(key);
                if removed.as_ref().is_some_and(|p| p.instance.is_none()) {
                    state.draining.insert(key.clone());
                }
                removed
            };
            if let Some(Partition {
                instance: Some((mut consumer, mut ctx)),
                initialized: true,
                ..
            }) = removed
            {
                self.run_hook(&mut *consumer, &mut ctx, Hook::Revoked);
            }
        }
    }

    /// Buffers fetched messages (backpressure is decided after the next dispatch).
    /// Messages come in runs of one partition, so each run is looked up once.
    pub(crate) fn accept(&self, messages: Vec<(usize, RawMessage)>) {
        let mut state = self.lock();
        let mut messages = messages.into_iter().peekable();
        while let Some((topic, first)) = messages.next() {
            let partition = first.partition();
            let route = &self.topics[topic];
            let mut run = vec![first];
            while let Some((_, next)) =
                messages.next_if(|(t, m)| *t == topic && m.partition() == partition)
            {
                run.push(next);
            }
            let Some(part) = self.ensure(&mut state, &route.name, partition) else {
                continue;
            };
            if part.retry.is_some() {
                // Paused for a retry: refetched after the seek.
                continue;
            }
            let floor = part.next_offset.unwrap_or(i64::MIN);
            for message in run {
                if message.offset() >= floor {
                    part.fetched_to = Some(message.offset() + 1);
                    part.buffer.push_back(message);
                }
            }
        }
    }

    /// Pauses partitions whose buffer is still full after dispatching: their
    /// consumer is busy and more fetched messages would only wait in memory.
    pub(crate) fn apply_backpressure(&self, client: &dyn PartitionClient) {
        let full: Vec<(PartitionKey, i64)> = {
            let mut state = self.lock();
            state
                .partitions
                .iter_mut()
                .filter(|(_, p)| !p.backpressure && p.retry.is_none())
                .filter(|(_, p)| {
                    p.buffer.len() >= buffer_limit(&self.shared.config, &self.topics[p.topic])
                })
                .map(|(key, p)| {
                    p.backpressure = true;
                    (key.clone(), p.fetched_to.unwrap_or(-1))
                })
                .collect()
        };
        for (TopicPartition { topic, partition }, resume_at) in full {
            if let Err(error) = client.pause(&topic, partition) {
                self.report_partition(
                    ErrorType::ConnectionClient,
                    &topic,
                    partition,
                    None,
                    None,
                    format!("pause failed: {error}"),
                );
            }
            self.shared
                .monitor
                .instrument_with(EventKind::ConsumerConsumingPause, || {
                    Event::ConsumerConsumingPause(ConsumerConsumingPause {
                        consumer_group: self.shared.group.name.clone(),
                        topic,
                        partition,
                        offset: resume_at,
                        reason: PauseReason::Backpressure,
                        timeout: None,
                    })
                });
        }
    }

    /// Hands each idle partition its next batch (or due tick), inline or to the
    /// worker pool; writes exhausted messages to their dead letter queue.
    pub(crate) fn dispatch(&self, client: &dyn PartitionClient) {
        // Inline partitions work through everything fetched before the next poll.
        while self.dispatch_once(client) && self.has_inline_work() {}
    }

    /// One dispatch pass; returns whether it ran inline jobs.
    fn dispatch_once(&self, client: &dyn PartitionClient) -> bool {
        let now = self.shared.clock.now();
        let mut inline = Vec::new();
        let mut dead_letters = Vec::new();
        {
            let mut state = self.lock();
            let mut started = 0;
            let State {
                partitions,
                draining,
                ..
            } = &mut *state;
            for (key, part) in partitions.iter_mut() {
                if part.instance.is_none() || part.retry.is_some() || draining.contains(key) {
                    continue;
                }
                let route = &self.topics[part.topic];
                let work = if !part.buffer.is_empty() {
                    // `attempt` is the next attempt's number: the first one plus
                    // `max_retries` retries have failed once it passes max_retries + 1.
                    if route
                        .dead_letter_queue
                        .is_some_and(|dlq| part.attempt > dlq.max_retries.saturating_add(1))
                    {
                        dead_letters.push(key.clone());
                        continue;
                    }
                    let chunk = if part.narrow_until.is_some() || !route.batch_consuming {
                        1
                    } else {
                        route.max_messages
                    };
                    let take = chunk.min(part.buffer.len());
                    Work::Consume(part.buffer.drain(..take).collect())
                } else if part.next_tick.is_some_and(|due| due <= now) {
                    part.next_tick = route.tick_interval.map(|i| now + i);
                    Work::Tick
                } else {
                    continue;
                };
                let Some((instance, mut ctx)) = part.instance.take() else {
                    continue;
                };
                ctx.set_attempt(part.attempt);
                self.shared.activity.started(
                    activity_label(&self.shared.group.name, key),
                    describe(route, key, &work),
                );
                let job = Job {
                    key: key.clone(),
                    generation: part.generation,
                    consumer: instance,
                    ctx,
                    run_initialized: !part.initialized,
                    consumer_group: self.shared.group.name.clone(),
                    work,
                    consumer_name: route.consumer_name,
                    backend: route.backend,
                    monitor: self.shared.monitor.clone(),
                    scope: self.shared.scope.clone(),
                };
                part.initialized = true;
                started += 1;
                match route.backend {
                    Backend::Inline => inline.push(job),
                    Backend::WorkerPool => self.shared.pool.submit(job, self.done_tx.clone()),
                }
            }
            state.in_flight += started;
        }
        let ran_inline = !inline.is_empty();
        for job in inline {
            let completion = self.shared.runtime.block_on(job.run());
            self.complete(client, completion);
        }
        for key in dead_letters {
            self.dead_letter(client, key);
        }
        ran_inline
    }

    /// Applies every completion the worker pool has sent so far.
    pub(crate) fn collect_completions(&self, client: &dyn PartitionClient) {
        loop {
            let next = self
                .done_rx
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_recv();
            match next {
                Ok(completion) => self.complete(client, completion),
                Err(_) => return,
            }
        }
    }

    /// Waits up to `timeout` for a worker pool job to finish, then applies every
    /// completion that has arrived.
    pub(crate) fn wait_completions(&self, client: &dyn PartitionClient, timeout: Duration) {
        let first = self
            .done_rx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .recv_timeout(timeout);
        if let Ok(completion) = first {
            self.complete(client, completion);
            self.collect_completions(client);
        }
    }

    /// Applies a job's outcome: store offsets after success, pause for a retry after failure.
    fn complete(&self, client: &dyn PartitionClient, completion: Completion) {
        let Completion {
            key,
            generation,
            consumer: mut instance,
            mut ctx,
            initialized_error,
            outcome,
        } = completion;
        self.shared
            .activity
            .finished(&activity_label(&self.shared.group.name, &key));
        if let Some(error) = initialized_error {
            self.report_partition(
                ErrorType::ConsumerInitialized,
                &key.topic,
                key.partition,
                None,
                None,
                format!("initialized hook failed: {error}"),
            );
        }
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        let current = state
            .partitions
            .get_mut(&key)
            .filter(|p| p.generation == generation);
        let Some(part) = current else {
            // Revoked while the job ran: nothing of it may be stored now.
            state.draining.remove(&key);
            drop(state);
            self.run_hook(&mut *instance, &mut ctx, Hook::Revoked);
            return;
        };
        let route = &self.topics[part.topic];
        match outcome {
            Outcome::Ticked(Ok(()), duration) => {
                let consumer_name = route.consumer_name;
                drop(state);
                self.hook_ran(Hook::Tick, consumer_name, &key, duration);
                state = self.lock();
            }
            Outcome::Ticked(Err(error), _) => {
                let message = format!("tick hook failed: {error}");
                drop(state);
                self.report_partition(
                    ErrorType::ConsumerTick,
                    &key.topic,
                    key.partition,
                    None,
                    None,
                    message,
                );
                state = self.lock();
            }
            Outcome::Consumed(consumed) => {
                let mark = ctx.take_mark();
                let mut events = Vec::new();
                self.apply_consumed(client, route, &key, part, consumed, mark, &mut events);
                drop(state);
                for event in events {
                    self.shared.monitor.instrument(event);
                }
                state = self.lock();
            }
        }
        if let Some(part) = state
            .partitions
            .get_mut(&key)
            .filter(|p| p.generation == generation)
        {
            ctx.set_attempt(part.attempt);
            part.instance = Some((instance, ctx));
        }
    }

    /// Stores offsets after success, or schedules the retry after failure; the
    /// events to emit (once the state lock is released) go to `events`.
    #[allow(clippy::too_many_arguments)]
    fn apply_consumed(
        &self,
        client: &dyn PartitionClient,
        route: &Topic,
        key: &PartitionKey,
        part: &mut Partition,
        consumed: Consumed,
        mark: Option<i64>,
        events: &mut Vec<Event>,
    ) {
        let group = self.shared.group.name.clone();
        match consumed.result {
            Ok(()) => {
                let store_at = if route.manual_offset_management {
                    mark
                } else {
                    Some(consumed.last + 1)
                };
                if let Some(offset) = store_at {
                    self.store(client, key, offset);
                }
                part.next_offset = Some(consumed.last + 1);
                let attempt = part.attempt;
                match part.narrow_until {
                    Some(until) if consumed.last < until => {}
                    _ => {
                        part.narrow_until = None;
                        part.attempt = 1;
                    }
                }
                if self
                    .shared
                    .monitor
                    .is_subscribed(EventKind::ConsumerConsumed)
                {
                    events.push(Event::ConsumerConsumed(ConsumerConsumed {
                        consumer_group: group,
                        topic: key.topic.clone(),
                        partition: key.partition,
                        consumer: route.consumer_name,
                        backend: route.backend,
                        size: consumed.size,
                        first_offset: consumed.first,
                        last_offset: consumed.last,
                        duration: consumed.duration,
                        attempt,
                        consumption_lag: consumed.consumption_lag,
                    }));
                }
            }
            Err(error) => {
                let attempt = part.attempt;
                events.push(Event::ErrorOccurred(
                    ErrorOccurred::new(ErrorType::ConsumerConsume, error.to_string())
                        .in_group(group)
                        .at(key.topic.clone(), key.partition, Some(consumed.first))
                        .attempt(attempt),
                ));
                let resume = mark
                    .filter(|m| *m > consumed.first)
                    .unwrap_or(consumed.first);
                if resume > consumed.first {
                    self.store(client, key, resume);
                }
                if route.dead_letter_queue.is_some() {
                    part.narrow_until = Some(
                        part.narrow_until
                            .map_or(consumed.last, |u| u.max(consumed.last)),
                    );
                }
                part.attempt = attempt + 1;
                part.last_error = error.to_string();
                self.pause_for_retry(client, key, part, resume, attempt, events);
            }
        }
    }

    /// Pauses the partition, drops what it buffered, and schedules a retry from `offset`.
    fn pause_for_retry(
        &self,
        client: &dyn PartitionClient,
        key: &PartitionKey,
        part: &mut Partition,
        offset: i64,
        failed_attempt: u32,
        events: &mut Vec<Event>,
    ) {
        let pause = self.shared.config.pause_for(failed_attempt);
        part.next_offset = Some(offset);
        part.buffer.clear();
        part.backpressure = false;
        part.retry = Some(Retry {
            offset,
            resume_at: self.shared.clock.now() + pause,
        });
        if let Err(error) = client.pause(&key.topic, key.partition) {
            self.report_partition(
                ErrorType::ConnectionClient,
                &key.topic,
                key.partition,
                Some(offset),
                None,
                format!("pause failed: {error}"),
            );
        }
        let monitor = &self.shared.monitor;
        if monitor.is_subscribed(EventKind::ConsumerConsumingPause) {
            events.push(Event::ConsumerConsumingPause(ConsumerConsumingPause {
                consumer_group: self.shared.group.name.clone(),
                topic: key.topic.clone(),
                partition: key.partition,
                offset,
                reason: PauseReason::Retry,
                timeout: Some(pause),
            }));
        }
        if monitor.is_subscribed(EventKind::ConsumerConsumingRetry) {
            events.push(Event::ConsumerConsumingRetry(ConsumerConsumingRetry {
                consumer_group: self.shared.group.name.clone(),
                topic: key.topic.clone(),
                partition: key.partition,
                offset,
                attempt: part.attempt,
                pause,
            }));
        }
    }

    /// Writes a partition's first buffered message to the route's dead letter
    /// queue; its offset is stored only once the broker acknowledged the write.
    fn dead_letter(&self, client: &dyn PartitionClient, key: PartitionKey) {
        let (message, record, dlq_topic, attempts) = {
            let mut state = self.lock();
            let Some(part) = state.partitions.get_mut(&key) else {
                return;
            };
            let route = &self.topics[part.topic];
            let (Some(dlq), Some(message)) = (route.dead_letter_queue, part.buffer.pop_front())
            else {
                return;
            };
            let attempts = part.attempt.saturating_sub(1);
            let record = super::dlq::record(
                &message,
                dlq.topic,
                &self.shared.group.name,
                attempts,
                &part.last_error,
            );
            (message, record, dlq.topic, attempts)
        };
        let label = activity_label(&self.shared.group.name, &key);
        self.shared.activity.started(
            label.clone(),
            format!(
                "writing {}/{}@{} to dead letter queue {dlq_topic}",
                key.topic,
                key.partition,
                message.offset()
            ),
        );
        let sent = match &self.shared.dlq_producer {
            Some(producer) => self.shared.runtime.block_on(producer.send(&record)),
            None => Err(crate::error::Error::Internal(
                "no producer for the dead letter queue".into(),
            )),
        };
        self.shared.activity.finished(&label);
        let mut state = self.lock();
        let Some(part) = state.partitions.get_mut(&key) else {
            return;
        };
        let mut events = Vec::new();
        match sent {
            Ok(delivery) => {
                self.store(client, &key, message.offset() + 1);
                part.next_offset = Some(message.offset() + 1);
                part.attempt = if part.narrow_until.is_some_and(|u| message.offset() < u) {
                    2
                } else {
                    1
                };
                if part.attempt == 1 {
                    part.narrow_until = None;
                }
                let dead_letter_topic: Arc<str> = Arc::from(dlq_topic);
                if self
                    .shared
                    .monitor
                    .is_subscribed(EventKind::ProducerDelivered)
                {
                    events.push(Event::ProducerDelivered(ProducerDelivered {
                        topic: dead_letter_topic.clone(),
                        partition: delivery.partition,
                        offset: delivery.offset,
                    }));
                }
                events.push(Event::DeadLetterQueueDispatched(
                    DeadLetterQueueDispatched {
                        consumer_group: self.shared.group.name.clone(),
                        topic: key.topic.clone(),
                        partition: key.partition,
                        offset: message.offset(),
                        dead_letter_topic,
                        attempts,
                    },
                ));
            }
            Err(error) => {
                let failed = part.attempt;
                let offset = message.offset();
                drop(state);
                self.report_partition(
                    ErrorType::DeadLetterQueueDispatch,
                    &key.topic,
                    key.partition,
                    Some(offset),
                    None,
                    format!("writing to dead letter queue {dlq_topic} failed: {error}"),
                );
                state = self.lock();
                let Some(part) = state.partitions.get_mut(&key) else {
                    return;
                };
                self.pause_for_retry(client, &key, part, offset, failed, &mut events);
            }
        }
        drop(state);
        for event in events {
            self.shared.monitor.instrument(event);
        }
    }

    /// Resumes partitions whose retry is due (seeking back first) or whose buffer
    /// has drained; returns how long until the next retry or tick is due.
    pub(crate) fn resume_due(&self, client: &dyn PartitionClient) -> Option<Duration> {
        let now = self.shared.clock.now();
        let mut next_due: Option<Duration> = None;
        let mut failures = Vec::new();
        let mut state = self.lock();
        for (key, part) in state.partitions.iter_mut() {
            if let Some(tick) = part.next_tick {
                next_due = min_due(next_due, tick.saturating_duration_since(now));
            }
            let route = &self.topics[part.topic];
            let resume_from = match part.retry {
                Some(retry) if retry.resume_at > now => {
                    next_due = min_due(next_due, retry.resume_at - now);
                    None
                }
                Some(retry) => Some(retry.offset),
                None if part.backpressure
                    && part.buffer.len() <= buffer_limit(&self.shared.config, route) / 2 =>
                {
                    part.fetched_to
                }
                None => None,
            };
            let Some(offset) = resume_from else { continue };
            let resumed = client.seek_and_resume(&key.topic, key.partition, offset);
            match resumed {
                Ok(()) => {
                    part.retry = None;
                    part.backpressure = false;
                }
                Err(error) => {
                    // Stay paused rather than resume from an unknown position.
                    let pause = self.shared.config.pause_for(part.attempt);
                    part.retry = Some(Retry {
                        offset,
                        resume_at: now + pause,
                    });
                    failures.push((
                        key.clone(),
                        offset,
                        format!("seek before resuming failed, staying paused: {error}"),
                    ));
                }
            }
        }
        drop(state);
        for (TopicPartition { topic, partition }, offset, error) in failures {
            self.report_partition(
                ErrorType::ConnectionClient,
                &topic,
                partition,
                Some(offset),
                None,
                error,
            );
        }
        next_due
    }

    /// Runs the `shutdown` hook of every idle consumer and forgets them all.
    pub(crate) fn shutdown_all(&self) {
        let drained: Vec<Partition> = self.lock().partitions.drain().map(|(_, p)| p).collect();
        for part in drained {
            if let (Some((mut consumer, mut ctx)), true) = (part.instance, part.initialized) {
                self.run_hook(&mut *consumer, &mut ctx, Hook::Shutdown);
            }
        }
    }

    /// Drops everything that may hold fetched messages: partitions left behind
    /// and completions never collected (the consumer is about to be destroyed).
    pub(crate) fn release_buffers(&self) {
        let partitions = std::mem::take(&mut self.lock().partitions);
        drop(partitions);
        let done = self.done_rx.lock().unwrap_or_else(|e| e.into_inner());
        while done.try_recv().is_ok() {}
    }

    fn store(&self, client: &dyn PartitionClient, key: &PartitionKey, next: i64) {
        if let Err(error) = client.store_offset(&key.topic, key.partition, next) {
            self.report_partition(
                ErrorType::ConnectionClientCommit,
                &key.topic,
                key.partition,
                Some(next),
                None,
                format!("storing offset {next} failed: {error}"),
            );
        }
    }

    /// Runs a `revoked` or `shutdown` hook on this thread; reports how it went.
    fn run_hook(&self, consumer: &mut dyn ErasedConsumer, ctx: &mut Context, hook: Hook) {
        let started = Instant::now();
        let outcome = self.shared.runtime.block_on(current_app::within(
            self.shared.scope.clone(),
            guarded(consumer.hook(hook, ctx)),
        ));
        match outcome {
            Ok(()) => {
                let consumer_name = self
                    .topics
                    .iter()
                    .find(|t| &*t.name == ctx.topic())
                    .map_or("", |t| t.consumer_name);
                let key = PartitionKey::new(ctx.topic(), ctx.partition());
                self.hook_ran(hook, consumer_name, &key, started.elapsed());
            }
            Err(error) => {
                let error_type = match hook {
                    Hook::Initialized => ErrorType::ConsumerInitialized,
                    Hook::Revoked => ErrorType::ConsumerRevoked,
                    Hook::Shutdown => ErrorType::ConsumerShutdown,
                    Hook::Tick => ErrorType::ConsumerTick,
                };
                self.report_partition(
                    error_type,
                    ctx.topic(),
                    ctx.partition(),
                    None,
                    None,
                    format!("{} hook failed: {error}", hook.name()),
                );
            }
        }
    }

    /// Emits `consumer.revoked`, `consumer.shutdown` or `consumer.tick` for a hook that succeeded.
    fn hook_ran(&self, hook: Hook, consumer: &'static str, key: &PartitionKey, duration: Duration) {
        let (kind, variant): (EventKind, fn(ConsumerHook) -> Event) = match hook {
            Hook::Revoked => (EventKind::ConsumerRevoked, Event::ConsumerRevoked),
            Hook::Shutdown => (EventKind::ConsumerShutdown, Event::ConsumerShutdown),
            Hook::Tick => (EventKind::ConsumerTick, Event::ConsumerTick),
            Hook::Initialized => return,
        };
        self.shared.monitor.instrument_with(kind, || {
            variant(ConsumerHook {
                consumer_group: self.shared.group.name.clone(),
                topic: key.topic.clone(),
                partition: key.partition,
                consumer,
                duration,
            })
        });
    }

    fn report_partition(
        &self,
        error_type: ErrorType,
        topic: &str,
        partition: i32,
        offset: Option<i64>,
        attempt: Option<u32>,
        error: String,
    ) {
        let mut event = ErrorOccurred::new(error_type, error)
            .in_group(self.shared.group.name.clone())
            .at(Arc::from(topic), partition, offset);
        event.attempt = attempt;
        self.shared.monitor.instrument(Event::ErrorOccurred(event));
    }
}

/// A partition waiting to retry a failed batch.
#[cfg(feature = "testing")]
#[derive(Debug, Clone)]
pub(crate) struct PendingRetry {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    /// Where the retry starts.
    pub(crate) offset: i64,
    /// Failed attempts so far.
    pub(crate) failed_attempts: u32,
    /// Whether the route has a dead letter queue (which bounds the retries).
    pub(crate) dead_letter_queue: bool,
    pub(crate) last_error: String,
    /// Time left until the retry.
    pub(crate) due_in: Duration,
}

/// What [`crate::testing`] needs beyond what the fetch loop uses.
#[cfg(feature = "testing")]
impl Executors {
    /// Every partition paused until a retry.
    pub(crate) fn pending_retries(&self) -> Vec<PendingRetry> {
        let now = self.shared.clock.now();
        let state = self.lock();
        state
            .partitions
            .iter()
            .filter_map(|(key, part)| {
                let retry = part.retry?;
                Some(PendingRetry {
                    topic: key.topic.clone(),
                    partition: key.partition,
                    offset: retry.offset,
                    failed_attempts: part.attempt.saturating_sub(1),
                    dead_letter_queue: self.topics[part.topic].dead_letter_queue.is_some(),
                    last_error: part.last_error.clone(),
                    due_in: retry.resume_at.saturating_duration_since(now),
                })
            })
            .collect()
    }

    /// Whether the partition is tracked (assigned).
    pub(crate) fn is_assigned(&self, topic: &str, partition: i32) -> bool {
        self.lock()
            .partitions
            .contains_key(&TopicPartition::new(topic, partition))
    }
}

/// Messages a partition may hold fetched but unprocessed before it is paused:
/// `max_buffered_messages`, and never less than two batches; it resumes once half
/// of that is consumed. Pausing is costly (librdkafka drops what it prefetched
/// for the partition and fetches it again on resume), so the default is large.
fn buffer_limit(config: &Config, route: &Topic) -> usize {
    config
        .max_buffered_messages
        .max(route.max_messages.saturating_mul(2))
}

fn min_due(current: Option<Duration>, candidate: Duration) -> Option<Duration> {
    Some(current.map_or(candidate, |c| c.min(candidate)))
}

fn activity_label(group: &str, key: &PartitionKey) -> String {
    format!("{group} {}/{}", key.topic, key.partition)
}

fn describe(route: &Topic, key: &PartitionKey, work: &Work) -> String {
    match work {
        Work::Consume(batch) => format!(
            "{} consuming {}/{} offsets {}..={}",
            route.consumer_name,
            key.topic,
            key.partition,
            batch.first().map_or(-1, RawMessage::offset),
            batch.last().map_or(-1, RawMessage::offset)
        ),
        Work::Tick => format!(
            "{} ticking {}/{}",
            route.consumer_name, key.topic, key.partition
        ),
    }
}
