//! The built-in filters behind the route options `throttle`, `delay_by` and
//! `expire_in`, written on top of the public [`Filter`] trait.

use std::time::{Duration, Instant};

use super::{Filter, FilterBatch};
use crate::messages::Offset;

/// `throttle: { limit: N, interval: ms }`: at most `limit` messages per
/// `interval` per partition. What is over the limit waits, the partition
/// paused (never sleeping), until the next window opens.
#[derive(Debug, Clone)]
pub struct Throttle {
    limit: usize,
    interval: Duration,
    window: Option<(Instant, usize)>,
}

impl Throttle {
    /// At most `limit` messages per `interval`.
    pub fn new(limit: usize, interval: Duration) -> Self {
        Throttle {
            limit: limit.max(1),
            interval,
            window: None,
        }
    }
}

impl<M: Offset> Filter<M> for Throttle {
    fn name(&self) -> &'static str {
        "throttle"
    }

    fn apply(&mut self, batch: &mut FilterBatch<'_, M>) {
        let now = batch.now();
        let (opened, used) = match self.window {
            Some((opened, used)) if now < opened + self.interval => (opened, used),
            _ => (now, 0),
        };
        let left = self.limit.saturating_sub(used);
        let over = batch.messages().nth(left).map(M::offset);
        let taken = batch.len().min(left);
        self.window = Some((opened, used + taken));
        if let Some(from) = over {
            batch.pause_from(from, opened + self.interval - now);
        }
    }
}

/// `delay_by: ms`: a message is consumed only once it is at least that old
/// (by its timestamp); until the oldest waiting one is due, the partition is
/// paused. Messages without a timestamp are not delayed.
#[derive(Debug, Clone)]
pub struct DelayBy {
    delay: Duration,
}

impl DelayBy {
    /// Delays messages by `delay`.
    pub fn new(delay: Duration) -> Self {
        DelayBy { delay }
    }
}

impl<M: Offset> Filter<M> for DelayBy {
    fn name(&self) -> &'static str {
        "delay_by"
    }

    fn apply(&mut self, batch: &mut FilterBatch<'_, M>) {
        let now_ms = batch.unix_ms();
        let delay_ms = i64::try_from(self.delay.as_millis()).unwrap_or(i64::MAX);
        let waiting = batch.messages().find_map(|message| {
            let due = message.timestamp()?.saturating_add(delay_ms);
            (due > now_ms).then(|| (message.offset(), due - now_ms))
        });
        if let Some((from, wait_ms)) = waiting {
            let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0));
            batch.pause_from(from, wait);
        }
    }
}

/// `expire_in: ms`: messages older than that (by their timestamp) are dropped
/// (reported, stored as consumed). Messages without a timestamp never expire.
#[derive(Debug, Clone)]
pub struct ExpireIn {
    ttl: Duration,
}

impl ExpireIn {
    /// Drops messages older than `ttl`.
    pub fn new(ttl: Duration) -> Self {
        ExpireIn { ttl }
    }
}

impl<M: Offset> Filter<M> for ExpireIn {
    fn name(&self) -> &'static str {
        "expire_in"
    }

    fn apply(&mut self, batch: &mut FilterBatch<'_, M>) {
        let now_ms = batch.unix_ms();
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        batch.drop_where(|message| {
            message
                .timestamp()
                .is_some_and(|created| created.saturating_add(ttl_ms) < now_ms)
        });
    }
}
