//! Flow control in the simulation: the route's filters (a custom one that
//! drops and seeks, and the built-in `throttle`, `delay_by`, `expire_in`) and
//! consumers that pause, seek and resume from their context.

use std::collections::HashSet;
use std::time::Duration;

use karafka::processing::core::{
    DelayBy, ExpireIn, Filter, FilterBatch, Offset, PauseFor, Requests, Throttle,
};

use super::rng::Rng;
use super::world::Msg;

/// The wall clock (ms since the Unix epoch) at the simulation's start.
pub const WALL_START_MS: i64 = 1_700_000_000_000;

/// The flow options of one seed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    /// Percent of offsets the custom filter drops.
    pub drop_percent: u64,
    /// Percent of batches the custom filter seeks into (once per first offset).
    pub filter_seek_percent: u64,
    /// `throttle: { limit, interval }`.
    pub throttle: Option<(usize, u64)>,
    /// `delay_by` in ms.
    pub delay_by: Option<u64>,
    /// `expire_in` in ms.
    pub expire_in: Option<u64>,
    /// Percent of successful batches whose consumer pauses its partition.
    pub pause_percent: u64,
    /// Percent of successful batches whose consumer seeks back into them.
    pub seek_percent: u64,
    /// Percent of ticks that resume the partition.
    pub resume_percent: u64,
}

impl Flow {
    /// A random flow setup (half of the seeds use none of it).
    pub fn random(rng: &mut Rng) -> Self {
        if rng.chance(50) {
            return Flow::default();
        }
        Flow {
            drop_percent: if rng.chance(50) { rng.range(1, 30) } else { 0 },
            filter_seek_percent: if rng.chance(30) { rng.range(1, 20) } else { 0 },
            throttle: rng
                .chance(30)
                .then(|| (rng.range(1, 6) as usize, rng.range(50, 1_000))),
            delay_by: rng.chance(30).then(|| rng.range(10, 3_000)),
            expire_in: rng.chance(30).then(|| rng.range(500, 8_000)),
            pause_percent: if rng.chance(50) { rng.range(1, 20) } else { 0 },
            seek_percent: if rng.chance(40) { rng.range(1, 15) } else { 0 },
            resume_percent: rng.range(20, 80),
        }
    }

    /// The filters of one partition, in the server's order.
    pub fn filters(&self) -> Vec<Box<dyn Filter<Msg>>> {
        let mut filters: Vec<Box<dyn Filter<Msg>>> = Vec::new();
        if let Some(ttl) = self.expire_in {
            filters.push(Box::new(ExpireIn::new(Duration::from_millis(ttl))));
        }
        if let Some(delay) = self.delay_by {
            filters.push(Box::new(DelayBy::new(Duration::from_millis(delay))));
        }
        if self.drop_percent > 0 || self.filter_seek_percent > 0 {
            filters.push(Box::new(SimFilter {
                drop_percent: self.drop_percent,
                seek_percent: self.filter_seek_percent,
                sought: HashSet::new(),
            }));
        }
        if let Some((limit, interval)) = self.throttle {
            filters.push(Box::new(Throttle::new(
                limit,
                Duration::from_millis(interval),
            )));
        }
        filters
    }

    /// What a consumer asks for after consuming `first..=last` successfully.
    pub fn requests(&self, rng: &mut Rng, first: i64, last: i64, ticks: bool) -> Requests {
        let mut requests = Requests::default();
        if rng.chance(self.seek_percent) {
            requests.seek = Some(rng.range(first as u64, last as u64 + 1) as i64);
        }
        if rng.chance(self.pause_percent) {
            requests.pause = Some(if ticks && rng.chance(40) {
                PauseFor::UntilResumed
            } else {
                PauseFor::Duration(Duration::from_millis(rng.range(0, 2_000)))
            });
        }
        requests
    }

    /// What a tick asks for.
    pub fn tick_requests(&self, rng: &mut Rng) -> Requests {
        Requests {
            resume: rng.chance(self.resume_percent),
            ..Requests::default()
        }
    }
}

/// Whether the custom filter's coin for `offset` and `salt` shows below `percent`.
fn coin(offset: i64, salt: u64, percent: u64) -> bool {
    let mut rng = Rng::new((offset as u64).wrapping_mul(0x9e37_79b9) ^ salt);
    rng.chance(percent)
}

/// Drops some offsets (the same ones every time), and now and then seeks to
/// the middle of a batch.
struct SimFilter {
    drop_percent: u64,
    seek_percent: u64,
    sought: HashSet<i64>,
}

impl Filter<Msg> for SimFilter {
    fn apply(&mut self, batch: &mut FilterBatch<'_, Msg>) {
        let percent = self.drop_percent;
        batch.drop_where(|message| coin(message.offset(), 1, percent));
        let offsets: Vec<i64> = batch.messages().map(Offset::offset).collect();
        let Some(&first) = offsets.first() else {
            return;
        };
        if offsets.len() > 1 && coin(first, 2, self.seek_percent) && self.sought.insert(first) {
            batch.seek(offsets[offsets.len() / 2]);
        }
    }
}
