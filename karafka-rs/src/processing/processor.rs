//! The driver of a consumer group's [`Core`]: it owns the consumer instances,
//! runs the jobs the core starts (inline on the fetch thread, or on the worker
//! pool) and carries out the core's effects with a [`PartitionClient`].
//!
//! Everything here runs on the consumer group's fetch thread (the rdkafka
//! callbacks included), except the jobs and the dead letter writes, which come
//! back through one channel as [`Done`] values.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;

use super::client::PartitionClient;
use super::clock::Clock;
use super::core::{Backoff, Core, Effect, PartitionKey, Route, Rules, Start, Work};
use super::job::{Completion, Job};
use super::turn::Round;
use super::worker_pool::WorkerPool;
use crate::config::{Backend, Config};
use crate::consumer::erased::{ErasedConsumer, Hook};
use crate::consumer::Context;
use crate::current_app::ProducerScope;
use crate::instrumentation::Monitor;
use crate::messages::RawMessage;
use crate::processing::activity::Activity;
use crate::producer::Producer;
use crate::routing::{ConsumerGroup, Topic};

/// What every partition of a consumer group shares.
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

/// A partition's consumer instance and its context, while no job holds them.
pub(crate) struct Slot {
    pub(crate) instance: Option<(Box<dyn ErasedConsumer>, Context)>,
    pub(crate) initialized: bool,
    /// Set once the partition is revoked; its context reads it (`Context::revoked`).
    pub(crate) revoked: Arc<AtomicBool>,
    /// The consumer instances of virtual partitions 1, 2, ... (see `lanes`).
    pub(crate) lanes: Vec<Slot>,
}

/// Work that came back to the fetch thread.
#[allow(clippy::large_enum_variant)] // jobs are the common case: boxing them would allocate per job
pub(crate) enum Done {
    /// A job returned.
    Job(Completion),
    /// The broker answered a dead letter write.
    DeadLetter(super::dead_letter_writer::Written),
}

pub(crate) struct State {
    pub(crate) core: Core<RawMessage, Slot>,
    /// Effects being carried out (kept to reuse its allocation).
    pub(crate) effects: Vec<Effect<RawMessage>>,
}

/// The processing of one consumer group.
pub(crate) struct Processor {
    pub(crate) shared: GroupShared,
    topics: Vec<Topic>,
    state: Mutex<State>,
    /// The core's rebalance epoch, readable without the lock while polling.
    epoch: AtomicU64,
    pub(crate) done_tx: Sender<Done>,
    done_rx: Mutex<Receiver<Done>>,
}

impl Processor {
    pub(crate) fn new(shared: GroupShared) -> Self {
        let topics: Vec<Topic> = shared.group.active_topics().cloned().collect();
        let routes = topics
            .iter()
            .map(|topic| Route {
                topic: topic.name.clone(),
                rules: rules_of(&shared.config, topic),
            })
            .collect();
        let config = &shared.config;
        let backoff = Backoff {
            base: Duration::from_millis(config.pause_timeout),
            max: Duration::from_millis(config.pause_max_timeout),
            exponential: config.pause_with_exponential_backoff,
        };
        let (done_tx, done_rx) = channel();
        let core = super::lanes::core_with_partitioners(&topics, routes, backoff)
            .with_wall_clock(shared.clock.now(), unix_millis());
        Processor {
            shared,
            topics,
            state: Mutex::new(State {
                core,
                effects: Vec::new(),
            }),
            epoch: AtomicU64::new(0),
            done_tx,
            done_rx: Mutex::new(done_rx),
        }
    }

    pub(crate) fn shared(&self) -> &GroupShared {
        &self.shared
    }

    /// The routes of the group's active topics; a message's route index points here.
    pub(crate) fn topics(&self) -> &[Topic] {
        &self.topics
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // User code never runs under this lock, so it cannot be poisoned by a panic there.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The rebalance epoch messages polled now belong to.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn sync_epoch(&self, state: &State) {
        self.epoch.store(state.core.epoch(), Ordering::Release);
    }

    /// Whether any job or dead letter write is in flight.
    pub(crate) fn has_in_flight(&self) -> bool {
        self.lock().core.in_flight() > 0
    }

    /// Whether anything is in flight or buffered for consuming.
    pub(crate) fn is_busy(&self) -> bool {
        self.lock().core.is_busy()
    }

    /// Starts owning a newly assigned partition, with a fresh consumer instance.
    pub(crate) fn assign(&self, topic: &str, partition: i32) {
        let Some(index) = self.topics.iter().position(|t| &*t.name == topic) else {
            return;
        };
        let route = &self.topics[index];
        if self
            .lock()
            .core
            .owns(&PartitionKey::new(route.name.clone(), partition))
        {
            return;
        }
        let revoked = Arc::new(AtomicBool::new(false));
        let slot = Slot::new(&self.shared.group.name, route, partition, revoked);
        let filters = crate::routing::flow::partition_filters(
            route.expire_in,
            route.delay_by,
            route.filters,
            route.throttle,
        );
        let mut state = self.lock();
        state
            .core
            .assign(index, partition, slot, self.shared.clock.now());
        state
            .core
            .set_filters(&PartitionKey::new(route.name.clone(), partition), filters);
        self.sync_epoch(&state);
    }

    /// Gives up partitions being revoked: first waits (up to `shutdown_timeout`)
    /// for their jobs and dead letter writes, so finished work is stored and
    /// committed before the partitions go; then runs the `revoked` hooks of idle
    /// consumers. A job still running after that stores nothing when it
    /// returns, and its partition takes no new job until then.
    pub(crate) fn revoke(&self, client: &dyn PartitionClient, revoked: &[PartitionKey]) {
        {
            // A running job sees it at once (`Context::revoked`) and can stop early.
            let mut state = self.lock();
            for key in revoked {
                if let Some(slot) = state.core.slot_mut(key) {
                    slot.revoked.store(true, Ordering::Release);
                }
            }
        }
        let deadline = Instant::now() + self.shared.config.shutdown_wait();
        loop {
            let waiting = {
                let state = self.lock();
                revoked.iter().any(|key| state.core.is_working(key))
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if !waiting || left.is_zero() {
                break;
            }
            let next = self.receiver().recv_timeout(left);
            if let Ok(done) = next {
                self.complete(client, done);
            }
        }
        for key in revoked {
            let released = {
                let mut state = self.lock();
                let released = state.core.revoke(key);
                self.sync_epoch(&state);
                released
            };
            if let Some((slot, _)) = released {
                for (mut consumer, mut ctx) in slot.into_initialized() {
                    self.run_hook(&mut *consumer, &mut ctx, Hook::Revoked);
                }
            }
        }
    }

    /// Buffers a poll round's messages; they come in runs of one partition, so
    /// each run is handed to the core at once.
    pub(crate) fn accept(&self, round: Round) {
        let mut state = self.lock();
        let Round { messages, epochs } = round;
        let mut messages = messages.into_iter().enumerate().peekable();
        while let Some((index, (route, first))) = messages.next() {
            let partition = first.partition();
            let epoch = epochs.at(index);
            let rest = std::iter::from_fn(|| {
                messages
                    .next_if(|(i, (r, m))| {
                        *r == route && m.partition() == partition && epochs.at(*i) == epoch
                    })
                    .map(|(_, (_, m))| m)
            });
            state
                .core
                .fetched(route, partition, epoch, std::iter::once(first).chain(rest));
        }
    }

    /// Hands each idle partition its next batch or tick, inline or to the worker
    /// pool; inline partitions work through everything fetched before the next poll.
    pub(crate) fn dispatch(&self, client: &dyn PartitionClient) {
        let mut inline = Vec::new();
        loop {
            {
                let mut state = self.lock();
                let now = self.shared.clock.now();
                state.core.dispatch(now, |slot, start, route| {
                    let job = self.job(slot, start, &self.topics[route]);
                    match self.topics[route].backend {
                        Backend::Inline => inline.push(job),
                        Backend::WorkerPool => self.shared.pool.submit(job, self.done_tx.clone()),
                    }
                });
            }
            self.apply_effects(client);
            if inline.is_empty() {
                return;
            }
            for job in inline.drain(..) {
                let completion = self.shared.runtime.block_on(job.run());
                self.complete(client, Done::Job(completion));
            }
        }
    }

    fn job(&self, slot: &mut Slot, start: Start<RawMessage>, route: &Topic) -> Job {
        let slot = slot.lane_or_new(
            start.lane,
            &self.shared.group.name,
            route,
            start.key.partition,
        );
        let (consumer, mut ctx) = slot
            .instance
            .take()
            .expect("the core starts jobs only for idle partitions");
        ctx.set_attempt(start.attempt);
        ctx.set_stored(start.stored);
        let work = match start.work {
            Work::Consume(batch) => super::job::Work::Consume(batch),
            Work::Tick => super::job::Work::Tick,
        };
        self.shared.activity.started(
            super::lanes::label(
                activity_label(&self.shared.group.name, &start.key),
                start.lane,
            ),
            describe(route, &start.key, &work),
        );
        let run_initialized = !slot.initialized;
        slot.initialized = true;
        Job {
            key: start.key,
            generation: start.generation,
            lane: start.lane,
            virtual_partitions: route.virtual_partitions.is_some(),
            consumer,
            ctx,
            run_initialized,
            consumer_group: self.shared.group.name.clone(),
            work,
            consumer_name: route.consumer_name,
            backend: route.backend,
            monitor: self.shared.monitor.clone(),
            scope: self.shared.scope.clone(),
        }
    }

    /// Pauses partitions whose buffer is still full after dispatching.
    pub(crate) fn apply_backpressure(&self, client: &dyn PartitionClient) {
        self.lock().core.apply_backpressure();
        self.apply_effects(client);
    }

    /// `None` when the fetch loop may poll now; else how long it waits for a
    /// job to finish instead (the buffers are full enough).
    pub(crate) fn poll_hold(&self) -> Option<Duration> {
        self.lock().core.poll_hold(self.shared.clock.now())
    }

    /// Resumes partitions whose retry is due or whose buffer has drained;
    /// returns how long until the next retry or tick is due.
    pub(crate) fn resume_due(&self, client: &dyn PartitionClient) -> Option<Duration> {
        let next_due = self.lock().core.resume_due(self.shared.clock.now());
        self.apply_effects(client);
        next_due
    }

    pub(crate) fn receiver(&self) -> MutexGuard<'_, Receiver<Done>> {
        self.done_rx.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies everything that came back so far.
    pub(crate) fn collect_completions(&self, client: &dyn PartitionClient) {
        loop {
            let next = self.receiver().try_recv();
            match next {
                Ok(done) => self.complete(client, done),
                Err(_) => return,
            }
        }
    }

    /// Waits up to `timeout` for something to come back, then applies all that has.
    pub(crate) fn wait_completions(&self, client: &dyn PartitionClient, timeout: Duration) {
        let first = self.receiver().recv_timeout(timeout);
        if let Ok(done) = first {
            self.complete(client, done);
            self.collect_completions(client);
        }
    }

    /// Runs the `shutdown` hook of every idle consumer and forgets them all.
    pub(crate) fn shutdown_all(&self) {
        let released = {
            let mut state = self.lock();
            let released = state.core.release_all();
            self.sync_epoch(&state);
            released
        };
        for (_, slot) in released {
            for (mut consumer, mut ctx) in slot.into_initialized() {
                self.run_hook(&mut *consumer, &mut ctx, Hook::Shutdown);
            }
        }
    }

    /// Drops everything that may hold fetched messages: partitions left behind
    /// and completions never collected (the consumer is about to be destroyed).
    pub(crate) fn release_buffers(&self) {
        let released = self.lock().core.release_all();
        drop(released);
        let done = self.receiver();
        while done.try_recv().is_ok() {}
    }
}

/// The wall clock now, in milliseconds since the Unix epoch.
fn unix_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The core's rules for a route.
fn rules_of(config: &Config, topic: &Topic) -> Rules {
    Rules {
        batch_consuming: topic.batch_consuming,
        max_messages: topic.max_messages,
        manual_offsets: topic.manual_offset_management,
        tick_interval: topic.tick_interval,
        dead_letter_retries: topic.dead_letter_queue.map(|dlq| dlq.max_retries),
        buffer_limit: buffer_limit(config, topic),
        virtual_partitions: topic.virtual_partitions.map(|vp| vp.max_partitions),
    }
}

/// Messages a partition may hold fetched but unprocessed before it is paused:
/// `max_buffered_messages`, and never less than two batches.
fn buffer_limit(config: &Config, route: &Topic) -> usize {
    config
        .max_buffered_messages
        .max(route.max_messages.saturating_mul(2))
}

pub(crate) fn activity_label(group: &str, key: &PartitionKey) -> String {
    format!("{group} {}/{}", key.topic, key.partition)
}

fn describe(route: &Topic, key: &PartitionKey, work: &super::job::Work) -> String {
    match work {
        super::job::Work::Consume(batch) => format!(
            "{} consuming {}/{} offsets {}..={}",
            route.consumer_name,
            key.topic,
            key.partition,
            batch.first().map_or(-1, RawMessage::offset),
            batch.last().map_or(-1, RawMessage::offset)
        ),
        super::job::Work::Tick => format!(
            "{} ticking {}/{}",
            route.consumer_name, key.topic, key.partition
        ),
    }
}
