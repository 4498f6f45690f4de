//! Virtual partitions on the driver's side: each lane (virtual partition) of a
//! partition has a consumer instance of its own, made when the lane first
//! runs and kept for the partition's ownership; the core learns each route's
//! partitioner here.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::core::{Backoff, Core, Partitioner, Route};
use super::processor::Slot;
use crate::consumer::erased::ErasedConsumer;
use crate::consumer::Context;
use crate::messages::RawMessage;
use crate::routing::Topic;

impl Slot {
    /// A partition's slot with a fresh consumer instance for lane 0; every
    /// lane's context reads `revoked` (`Context::revoked`).
    pub(crate) fn new(
        group: &Arc<str>,
        route: &Topic,
        partition: i32,
        revoked: Arc<AtomicBool>,
    ) -> Slot {
        let ctx = Context::new(
            group.clone(),
            route.name.clone(),
            partition,
            revoked.clone(),
        );
        Slot {
            instance: Some(((route.factory)(), ctx)),
            initialized: false,
            revoked,
            lanes: Vec::new(),
        }
    }

    /// The slot of lane `lane`, made (with a fresh consumer instance) if it is new.
    pub(crate) fn lane_or_new(
        &mut self,
        lane: usize,
        group: &Arc<str>,
        route: &Topic,
        partition: i32,
    ) -> &mut Slot {
        if lane == 0 {
            return self;
        }
        while self.lanes.len() < lane {
            let lane = Slot::new(group, route, partition, self.revoked.clone());
            self.lanes.push(lane);
        }
        &mut self.lanes[lane - 1]
    }

    /// The slot of lane `lane`, which ran a job (so it exists).
    pub(crate) fn lane(&mut self, lane: usize) -> &mut Slot {
        match lane {
            0 => self,
            lane => &mut self.lanes[lane - 1],
        }
    }

    /// The consumer instances at hand whose `initialized` hook ran, lane 0 first.
    pub(crate) fn into_initialized(self) -> Vec<(Box<dyn ErasedConsumer>, Context)> {
        let mut instances = Vec::new();
        if let (Some(instance), true) = (self.instance, self.initialized) {
            instances.push(instance);
        }
        for lane in self.lanes {
            instances.extend(lane.into_initialized());
        }
        instances
    }
}

/// The core of a consumer group's `topics`, with the partitioner of each route
/// that has virtual partitions.
pub(crate) fn core_with_partitioners<S>(
    topics: &[Topic],
    routes: Vec<Route>,
    backoff: Backoff,
) -> Core<RawMessage, S> {
    let mut core = Core::new(routes, backoff);
    for (index, topic) in topics.iter().enumerate() {
        if let Some(virtual_partitions) = &topic.virtual_partitions {
            let key = virtual_partitions.partitioner.key_fn();
            core.partition_by(index, Partitioner::new(move |message| key(message)));
        }
    }
    core
}

/// An activity label, naming the lane when it is not the first.
pub(crate) fn label(label: String, lane: usize) -> String {
    match lane {
        0 => label,
        lane => format!("{label} lane {lane}"),
    }
}
