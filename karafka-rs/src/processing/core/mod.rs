//! The processing core of one consumer group, as a pure state machine (sans-IO,
//! as quinn-proto is for QUIC): every owned partition's state changes only
//! through the inputs below, and what should happen in the world comes out as
//! [`Effect`]s for a driver to carry out. No Kafka client, clock, lock or task
//! lives here; time is an input. The server's fetch loop and `TestApp` drive it
//! through the processor (`processing::processor`); the simulation test drives it
//! directly.
//!
//! Inputs: [`Core::assign`], [`Core::revoke`], [`Core::fetched`],
//! [`Core::dispatch`], [`Core::finished`] (or [`Core::finished_lane`]), [`Core::dead_letter_written`],
//! [`Core::apply_backpressure`], [`Core::poll_hold`], [`Core::resume_due`],
//! [`Core::resume_failed`], [`Core::hold`], [`Core::release`].
//! Effects collect until [`Core::take_effects`].

mod effects;
#[cfg(test)]
mod flow_tests;
mod partition;
mod pipeline;
mod steps;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod virtual_partitions_tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::consumer::{PauseFor, Requests};
pub use crate::filtering::{DelayBy, ExpireIn, Filter, FilterBatch, Throttle};
pub use effects::{
    Backoff, DeadLetter, Effect, Failure, Filtered, Finished, Offset, PartitionKey, PauseReason,
    Rules, Start, Work,
};
pub use partition::Partition;
pub use steps::backpressure::HOLD_AT_MOST;
pub use steps::virtual_partitions::Partitioner;

/// A route as the core knows it: its topic and the rules it follows.
#[derive(Debug, Clone)]
pub struct Route {
    /// The topic.
    pub topic: Arc<str>,
    /// Its options.
    pub rules: Rules,
}

/// The processing state of one consumer group's owned partitions.
#[derive(Debug)]
pub struct Core<M, S = ()> {
    routes: Vec<Route>,
    backoff: Backoff,
    partitions: HashMap<PartitionKey, Partition<M, S>>,
    /// Partitions revoked while jobs ran, with how many still run: none of
    /// their jobs starts (should they come back) before those return.
    draining: HashMap<PartitionKey, usize>,
    /// The partitioner of each route with virtual partitions, by route index.
    partitioners: HashMap<usize, Partitioner<M>>,
    next_generation: u64,
    epoch: u64,
    in_flight: usize,
    gate: steps::backpressure::Gate,
    effects: Vec<Effect<M>>,
    /// An instant and the wall-clock time then (ms since the Unix epoch):
    /// how filters compare message timestamps with `now`.
    wall_clock: (Instant, i64),
}

/// A partition waiting for a retry, as [`Core::pending_retries`] lists it.
#[derive(Debug, Clone)]
pub struct PendingRetry {
    /// The partition.
    pub key: PartitionKey,
    /// Where the retry starts.
    pub offset: i64,
    /// Consecutive failed jobs there.
    pub failed: u32,
    /// Whether the route has a dead letter queue.
    pub dead_letter_queue: bool,
    /// The last error.
    pub last_error: String,
    /// When the retry is due.
    pub due: Instant,
}

impl<M: Offset, S> Core<M, S> {
    /// A core for `routes` (a message's route index points here), pausing
    /// failed partitions as `backoff` says.
    pub fn new(routes: Vec<Route>, backoff: Backoff) -> Self {
        Core {
            routes,
            backoff,
            partitions: HashMap::new(),
            draining: HashMap::new(),
            partitioners: HashMap::new(),
            next_generation: 0,
            epoch: 0,
            in_flight: 0,
            gate: steps::backpressure::Gate::default(),
            effects: Vec::new(),
            wall_clock: (Instant::now(), 0),
        }
    }

    /// Sets what the wall clock read (`unix_ms`, ms since the Unix epoch) at
    /// `at`; filters comparing message timestamps with the time need it (the
    /// default reads the epoch now).
    pub fn with_wall_clock(mut self, at: Instant, unix_ms: i64) -> Self {
        self.wall_clock = (at, unix_ms);
        self
    }

    /// The wall-clock time at `now`, in ms since the Unix epoch.
    fn unix_ms(&self, now: Instant) -> i64 {
        let (at, unix_ms) = self.wall_clock;
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        match now.checked_duration_since(at) {
            Some(after) => unix_ms.saturating_add(millis(after)),
            None => unix_ms.saturating_sub(millis(at - now)),
        }
    }

    /// Input: the filters each batch of the owned partition `key` goes
    /// through, in order (see [`Filter`]).
    pub fn set_filters(&mut self, key: &PartitionKey, filters: Vec<Box<dyn Filter<M>>>) {
        if let Some(part) = self.partitions.get_mut(key) {
            part.filtering.filters = filters;
        }
    }

    /// Input: what the consumer of the job of `key` started for `generation`
    /// asked for (pause, seek, resume); applied when [`Core::finished`] takes
    /// the job back (with virtual partitions, once every lane is back: the
    /// earliest seek, a pause any lane asked for).
    pub fn requested(&mut self, key: &PartitionKey, generation: u64, requests: Requests) {
        if let Some(part) = self
            .partitions
            .get_mut(key)
            .filter(|p| p.generation == generation && p.job)
        {
            // The lanes of a split batch each may ask; together they ask for all of it.
            let asked = &mut part.control.requested;
            asked.pause = requests.pause.or(asked.pause);
            asked.seek = match (asked.seek, requests.seek) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            asked.resume |= requests.resume;
        }
    }

    /// When each partition held back for a while (a consumer's timed pause, a
    /// filter's hold) is due to go on; a pause until resumed is not listed.
    pub fn held_until(&self) -> Vec<(PartitionKey, Instant)> {
        self.partitions
            .iter()
            .filter_map(|(key, part)| Some((key.clone(), part.control.held?.until?)))
            .collect()
    }

    /// Whether the partition is held back (paused by its consumer or a filter).
    pub fn is_held(&self, key: &PartitionKey) -> bool {
        self.partitions
            .get(key)
            .is_some_and(|p| p.control.held.is_some())
    }

    /// Splits the batches of route `route` (whose rules have
    /// `virtual_partitions`) into lanes by `partitioner`'s keys.
    pub fn partition_by(&mut self, route: usize, partitioner: Partitioner<M>) {
        self.partitioners.insert(route, partitioner);
    }

    /// The routes, by index.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Counts rebalances: a message polled at an earlier epoch than its
    /// partition's assignment belongs to an earlier owner.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Jobs and dead letter writes in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether a job or write is in flight, or a partition has buffered messages it may consume.
    pub fn is_busy(&self) -> bool {
        self.in_flight > 0
            || self
                .partitions
                .values()
                .any(|p| !p.buffer.is_empty() && p.retry.paused.is_none() && !p.hold.held)
    }

    /// Whether the partition is owned.
    pub fn owns(&self, key: &PartitionKey) -> bool {
        self.partitions.contains_key(key)
    }

    /// Whether a job or dead letter write of the partition is in flight.
    pub fn is_working(&self, key: &PartitionKey) -> bool {
        self.partitions.get(key).is_some_and(|p| !p.is_idle())
    }

    /// The owned partitions.
    pub fn owned(&self) -> impl Iterator<Item = &PartitionKey> {
        self.partitions.keys()
    }

    /// The driver's slot of an owned partition.
    pub fn slot_mut(&mut self, key: &PartitionKey) -> Option<&mut S> {
        self.partitions.get_mut(key).map(|p| &mut p.slot)
    }

    /// Whether effects wait to be taken.
    pub fn has_effects(&self) -> bool {
        !self.effects.is_empty()
    }

    /// Moves the effects collected so far to the end of `into`.
    pub fn take_effects(&mut self, into: &mut Vec<Effect<M>>) {
        into.append(&mut self.effects);
    }

    /// Input: the partition `partition` of route `route` is now owned; `slot` is
    /// the driver's data for it. Returns `false` (and keeps `slot` out) if it
    /// was owned already.
    pub fn assign(&mut self, route: usize, partition: i32, slot: S, now: Instant) -> bool {
        let key = PartitionKey::new(self.routes[route].topic.clone(), partition);
        if self.partitions.contains_key(&key) {
            return false;
        }
        self.epoch += 1;
        let mut part = Partition::new(route, self.next_generation, self.epoch, slot);
        self.next_generation += 1;
        steps::tick::assigned(&mut part.tick, &self.routes[route].rules, now);
        self.partitions.insert(key, part);
        true
    }

    /// Input: the partition is given up. Returns its slot, and whether a job
    /// (which will return stale) still holds the partition's consumer.
    pub fn revoke(&mut self, key: &PartitionKey) -> Option<(S, bool)> {
        self.epoch += 1;
        let part = self.partitions.remove(key)?;
        if part.job {
            *self.draining.entry(key.clone()).or_default() +=
                part.virtual_partitions.running_lanes();
        }
        Some((part.slot, part.job))
    }

    /// Input: messages of one partition of route `route`, polled at `epoch`
    /// (see [`Core::epoch`]), in offset order. Messages of a partition not
    /// owned, or polled before its current ownership began, are dropped: the
    /// owner fetches them from the committed offset.
    pub fn fetched(
        &mut self,
        route: usize,
        partition: i32,
        epoch: u64,
        messages: impl Iterator<Item = M>,
    ) {
        let key = PartitionKey::new(self.routes[route].topic.clone(), partition);
        if let Some(part) = self.partitions.get_mut(&key) {
            if part.assigned_epoch <= epoch {
                pipeline::fetched(part, messages);
            }
        }
    }

    /// Input: hands each idle partition its next job (or dead letter write).
    /// `start` receives the partition's slot, the job and the route index.
    /// Returns how many jobs started.
    pub fn dispatch(
        &mut self,
        now: Instant,
        mut start: impl FnMut(&mut S, Start<M>, usize),
    ) -> usize {
        let mut started = 0;
        let unix_ms = self.unix_ms(now);
        for (key, part) in &mut self.partitions {
            if !part.is_idle() || self.draining.contains_key(key) {
                continue;
            }
            let rules = &self.routes[part.route].rules;
            let partitioner = self.partitioners.get(&part.route);
            let jobs = pipeline::next_jobs(
                key,
                part,
                rules,
                partitioner,
                now,
                unix_ms,
                &mut self.effects,
            );
            if !jobs.is_empty() {
                started += jobs.len();
                for job in jobs {
                    start(&mut part.slot, job, part.route);
                }
            } else if part.dead_letter.writing.is_some() {
                // The partition was idle: a dead letter write just started.
                self.in_flight += 1;
            }
        }
        self.in_flight += started;
        started
    }

    /// Input: the job of `key` started for `generation` returned. Returns the
    /// partition's slot if the job was of its current ownership; `None` means
    /// the job is stale (its partition was revoked meanwhile) and nothing of it
    /// was applied.
    pub fn finished(
        &mut self,
        key: &PartitionKey,
        generation: u64,
        done: Finished,
        now: Instant,
    ) -> Option<&mut S> {
        self.finished_lane(key, generation, 0, done, now)
    }

    /// Input: as [`Core::finished`], for the job of virtual partition `lane`
    /// ([`Start::lane`]); a split batch is applied once all its lanes returned.
    pub fn finished_lane(
        &mut self,
        key: &PartitionKey,
        generation: u64,
        lane: usize,
        done: Finished,
        now: Instant,
    ) -> Option<&mut S> {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(part) = self
            .partitions
            .get_mut(key)
            .filter(|p| p.generation == generation && p.job)
        else {
            if let Some(running) = self.draining.get_mut(key) {
                *running = running.saturating_sub(1);
                if *running == 0 {
                    self.draining.remove(key);
                }
            }
            return None;
        };
        let rules = &self.routes[part.route].rules;
        pipeline::finished(
            key,
            part,
            rules,
            lane,
            done,
            &self.backoff,
            now,
            &mut self.effects,
        );
        Some(&mut part.slot)
    }

    /// Input: the broker's answer to a dead letter write of the message at
    /// `offset`. Returns whether it was of the current ownership.
    pub fn dead_letter_written(
        &mut self,
        key: &PartitionKey,
        generation: u64,
        offset: i64,
        result: Result<(), String>,
        now: Instant,
    ) -> bool {
        self.in_flight = self.in_flight.saturating_sub(1);
        let Some(part) = self
            .partitions
            .get_mut(key)
            .filter(|p| p.generation == generation && p.dead_letter.writing == Some(offset))
        else {
            return false;
        };
        pipeline::written(
            key,
            part,
            offset,
            result,
            &self.backoff,
            now,
            &mut self.effects,
        );
        true
    }

    /// Input: a dispatch pass is over; full buffers pause their partitions.
    pub fn apply_backpressure(&mut self) {
        for (key, part) in &mut self.partitions {
            let rules = &self.routes[part.route].rules;
            pipeline::after_dispatch(key, part, rules, &mut self.effects);
        }
    }

    /// Input: the fetch loop is about to poll at `now`. `None`: poll. `Some(wait)`:
    /// the buffers are full enough, wait up to `wait` for a job to finish instead
    /// (see the backpressure step).
    pub fn poll_hold(&mut self, now: Instant) -> Option<Duration> {
        let limit = self
            .routes
            .iter()
            .map(|route| steps::backpressure::gate_limit(&route.rules))
            .min()?;
        let buffered = self
            .partitions
            .values()
            .filter(|part| steps::backpressure::counts(part))
            .map(|part| part.buffer.len())
            .sum();
        steps::backpressure::hold(&mut self.gate, buffered, limit, self.in_flight, now)
    }

    /// Messages buffered over every owned partition.
    pub fn buffered(&self) -> usize {
        self.partitions.values().map(|part| part.buffer.len()).sum()
    }

    /// Input: the time is `now`. Resumes what is due; returns how long until
    /// the next retry or tick is due.
    pub fn resume_due(&mut self, now: Instant) -> Option<Duration> {
        let mut next_due = None;
        for (key, part) in &mut self.partitions {
            let rules = &self.routes[part.route].rules;
            pipeline::due(key, part, rules, now, &mut next_due, &mut self.effects);
        }
        next_due
    }

    /// Input: seeking `key` to `offset` failed; it stays paused and tries again later.
    pub fn resume_failed(&mut self, key: &PartitionKey, offset: i64, now: Instant) {
        if let Some(part) = self.partitions.get_mut(key) {
            steps::retry::resume_failed(part, offset, &self.backoff, now);
        }
    }

    /// Input: hold the partition (a pause command): no job starts and fetching
    /// pauses until [`Core::release`]. Returns whether it is owned.
    pub fn hold(&mut self, key: &PartitionKey) -> bool {
        let Some(part) = self.partitions.get_mut(key) else {
            return false;
        };
        steps::hold::hold(key, part, &mut self.effects);
        true
    }

    /// Input: release a held partition (a resume command). Returns whether it is owned.
    pub fn release(&mut self, key: &PartitionKey) -> bool {
        let Some(part) = self.partitions.get_mut(key) else {
            return false;
        };
        let rules = &self.routes[part.route].rules;
        steps::hold::release(key, part, rules, &mut self.effects);
        true
    }

    /// Whether the partition is held by a pause command (see [`Core::hold`]).
    pub fn is_held_by_command(&self, key: &PartitionKey) -> bool {
        self.partitions.get(key).is_some_and(|p| p.hold.held)
    }

    /// Forgets every partition (the consumer stops); returns their slots.
    pub fn release_all(&mut self) -> Vec<(PartitionKey, S)> {
        self.epoch += 1;
        self.partitions.drain().map(|(k, p)| (k, p.slot)).collect()
    }

    /// Every partition paused until a retry.
    pub fn pending_retries(&self) -> Vec<PendingRetry> {
        self.partitions
            .iter()
            .filter_map(|(key, part)| {
                let (offset, due) = part.retry.paused?;
                Some(PendingRetry {
                    key: key.clone(),
                    offset,
                    failed: part.retry.failed,
                    dead_letter_queue: self.routes[part.route].rules.dead_letter_retries.is_some(),
                    last_error: part.retry.last_error.clone(),
                    due,
                })
            })
            .collect()
    }
}
