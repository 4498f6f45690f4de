//! The state of one owned topic-partition: what every step shares (the buffer,
//! the head, the job in flight) and each step's own part.

use std::collections::VecDeque;

use super::steps::{
    backpressure, control, dead_letter, filtering, hold, offsets, retry, tick, virtual_partitions,
};

/// One owned topic-partition. `S` is the driver's slot (its consumer
/// instance); the core never looks inside it.
#[derive(Debug)]
pub struct Partition<M, S> {
    /// Index of the route in the core's routes.
    pub(crate) route: usize,
    /// Which ownership this is; a job or write of another one is stale.
    pub(crate) generation: u64,
    /// The core's rebalance epoch when this ownership began: messages polled
    /// before it belong to an earlier owner.
    pub(crate) assigned_epoch: u64,
    /// Fetched, not yet handed over, in offset order, all at or after `head`.
    pub(crate) buffer: VecDeque<M>,
    /// The lowest offset not yet processed; anything below it is a replay.
    pub(crate) head: Option<i64>,
    /// The offset after the last message accepted into the buffer.
    pub(crate) fetched_to: Option<i64>,
    /// A job runs (or waits for a worker).
    pub(crate) job: bool,
    pub(crate) offsets: offsets::State,
    pub(crate) retry: retry::State,
    pub(crate) dead_letter: dead_letter::State,
    pub(crate) backpressure: backpressure::State,
    pub(crate) tick: tick::State,
    pub(crate) hold: hold::State,
    pub(crate) control: control::State,
    pub(crate) filtering: filtering::State<M>,
    pub(crate) virtual_partitions: virtual_partitions::State,
    /// The driver's data for this partition.
    pub(crate) slot: S,
}

impl<M, S> Partition<M, S> {
    pub(crate) fn new(route: usize, generation: u64, epoch: u64, slot: S) -> Self {
        Partition {
            route,
            generation,
            assigned_epoch: epoch,
            buffer: VecDeque::new(),
            head: None,
            fetched_to: None,
            job: false,
            offsets: offsets::State::default(),
            retry: retry::State::default(),
            dead_letter: dead_letter::State::default(),
            backpressure: backpressure::State::default(),
            tick: tick::State::default(),
            hold: hold::State::default(),
            control: control::State::default(),
            filtering: filtering::State::default(),
            virtual_partitions: virtual_partitions::State::default(),
            slot,
        }
    }

    /// Whether nothing (job or dead letter write) is in flight for it.
    pub(crate) fn is_idle(&self) -> bool {
        !self.job && self.dead_letter.writing.is_none()
    }

    /// Moves the head forward to `to` (never back): the steps that count per
    /// position start over there.
    pub(crate) fn advance_head(&mut self, to: i64) {
        if self.head.is_some_and(|head| head >= to) {
            return;
        }
        self.head = Some(to);
        self.retry.failed = self.dead_letter.moved_to(to);
    }
}
