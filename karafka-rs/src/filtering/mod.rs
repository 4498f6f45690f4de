//! Filters: the [`Filter`] trait that a route's `filters: [A, B]` (and the
//! built-in `throttle`, `delay_by` and `expire_in`) run each batch through
//! before its consumer sees it, and the [`FilterBatch`] a filter works on. The
//! processing core's filtering step applies them.

mod builtin;

use std::time::{Duration, Instant};

pub use builtin::{DelayBy, ExpireIn, Throttle};

use crate::messages::{Offset, RawMessage};

/// Looks at each batch of a partition before its consumer does; may drop
/// messages (they count as consumed: their offsets are stored, and a
/// `filtering.dropped` event reports them), hold the partition back for a
/// while (`filtering.paused`) or make it fetch again from another offset.
///
/// One instance per assigned partition, created with `Default`, kept across
/// batches (so a filter can count). Filters run in the route's order; each
/// sees only what the ones before it kept.
///
/// ```
/// use karafka::{Filter, FilterBatch, RawMessage};
///
/// /// Drops messages without a key.
/// #[derive(Default)]
/// struct KeyedOnly;
///
/// impl Filter for KeyedOnly {
///     fn apply(&mut self, batch: &mut FilterBatch<'_, RawMessage>) {
///         batch.drop_where(|message| message.key().is_none());
///     }
/// }
/// ```
pub trait Filter<M = RawMessage>: Send {
    /// The name events and `routes` show: the type's name by default.
    fn name(&self) -> &'static str {
        short_type_name::<Self>()
    }

    /// Looks at the batch; may drop messages, pause or seek.
    fn apply(&mut self, batch: &mut FilterBatch<'_, M>);
}

/// The last segment of a type's path (`KeyedOnly` for `app::filters::KeyedOnly`).
pub(crate) fn short_type_name<T: ?Sized>() -> &'static str {
    let full = std::any::type_name::<T>();
    let path = full.split('<').next().unwrap_or(full);
    let start = path.rfind("::").map_or(0, |i| i + 2);
    &full[start..]
}

/// Where a filter held the partition back: fetching resumes at `from` once `until` is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// Where fetching resumes.
    pub from: i64,
    /// When.
    pub until: Instant,
}

/// A batch as a filter sees it: the messages still in it, and what the
/// filter may do to it.
pub struct FilterBatch<'a, M> {
    messages: &'a [M],
    dropped: &'a mut [bool],
    hold: &'a mut Option<Hold>,
    now: Instant,
    unix_ms: i64,
}

impl<'a, M: Offset> FilterBatch<'a, M> {
    /// A batch of `messages`, none dropped yet, for the filters at `now`
    /// (`unix_ms` on the wall clock); `dropped` and `hold` collect what they do.
    pub fn new(
        messages: &'a [M],
        dropped: &'a mut [bool],
        hold: &'a mut Option<Hold>,
        now: Instant,
        unix_ms: i64,
    ) -> Self {
        FilterBatch {
            messages,
            dropped,
            hold,
            now,
            unix_ms,
        }
    }

    fn is_in(&self, index: usize) -> bool {
        !self.dropped[index]
            && self
                .hold
                .is_none_or(|hold| self.messages[index].offset() < hold.from)
    }

    /// The messages still in the batch (not dropped, not held back), in offset order.
    pub fn messages(&self) -> impl Iterator<Item = &M> + '_ {
        (0..self.messages.len())
            .filter(|i| self.is_in(*i))
            .map(|i| &self.messages[i])
    }

    /// How many messages are still in the batch.
    pub fn len(&self) -> usize {
        (0..self.messages.len()).filter(|i| self.is_in(*i)).count()
    }

    /// Whether no message is left in the batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops the messages `drop` says yes to: their consumer never sees them,
    /// their offsets are stored as consumed.
    pub fn drop_where(&mut self, mut drop: impl FnMut(&M) -> bool) {
        for i in 0..self.messages.len() {
            if self.is_in(i) && drop(&self.messages[i]) {
                self.dropped[i] = true;
            }
        }
    }

    /// Holds the partition back from `offset` for `pause`: the messages from
    /// there on are not consumed now; the partition is paused (polling goes
    /// on) and fetches them again once the pause is over.
    pub fn pause_from(&mut self, offset: i64, pause: Duration) {
        self.hold_from(offset, self.now + pause);
    }

    /// Makes the partition fetch again from `offset`: messages of this batch
    /// before it are dropped (reported, stored as consumed), the ones from it
    /// on are fetched again. An offset past the batch's end counts as just
    /// after its last message (a filter cannot skip messages it has not seen;
    /// drop them instead). An offset before the batch fetches earlier messages
    /// again (they are consumed again).
    pub fn seek(&mut self, offset: i64) {
        let end = self.messages.last().map_or(offset, |m| m.offset() + 1);
        let offset = offset.min(end);
        self.drop_where(|message| message.offset() < offset);
        self.hold_from(offset, self.now);
    }

    fn hold_from(&mut self, from: i64, until: Instant) {
        // Two holds of one batch: from the earlier offset, until the later time.
        let hold = match *self.hold {
            Some(held) => Hold {
                from: held.from.min(from),
                until: held.until.max(until),
            },
            None => Hold { from, until },
        };
        *self.hold = Some(hold);
    }

    /// The processing's current instant (pauses count from it).
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The current wall-clock time in milliseconds since the Unix epoch, to
    /// compare with message timestamps.
    pub fn unix_ms(&self) -> i64 {
        self.unix_ms
    }
}
