//! Backpressure (bounded memory), in two parts.
//!
//! The poll gate: while jobs run and the partitions that may still take
//! messages hold close to a partition's limit between them, the fetch loop
//! stops polling and waits for a job to finish instead. What the group does not
//! poll stays in librdkafka's own bounded queue, so nothing fetched is thrown
//! away: in steady state (workers slower than the broker) no partition is ever
//! paused. A poll round still happens at least every [`HOLD_AT_MOST`], so
//! rebalances are served and `max.poll.interval.ms` is never exceeded.
//!
//! The pause: a partition whose buffer is still full after dispatching (its
//! job hangs while polling goes on for the others) is paused; it resumes, from
//! where fetching stopped, once half of the buffer is consumed. Pausing is
//! costly (librdkafka drops what it prefetched for the partition), so it is the
//! last resort.

use std::time::{Duration, Instant};

use super::super::effects::{Effect, PartitionKey, PauseReason, Rules};
use super::super::partition::Partition;

/// Longest time the gate holds polling back while jobs run: a partition whose
/// job hangs then still fills up to its own limit and is paused, instead of
/// starving the others.
pub const HOLD_AT_MOST: Duration = Duration::from_secs(1);

/// The group-wide poll gate.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// Since when polling is held back.
    held_since: Option<Instant>,
}

/// Messages the unpaused partitions may hold between them before polling
/// waits: the partition limit less a poll round (four batches), so a round
/// polled just under it cannot fill one partition's buffer alone.
pub(crate) fn gate_limit(rules: &Rules) -> usize {
    let round = rules.max_messages.max(1).saturating_mul(4);
    rules
        .buffer_limit
        .saturating_sub(round)
        .max(rules.buffer_limit / 2)
        .max(1)
}

/// Whether the partition's buffered messages count against the gate: a
/// paused one takes no more messages, a held one consumes none.
pub(crate) fn counts<M, S>(part: &Partition<M, S>) -> bool {
    !part.backpressure.paused && part.retry.paused.is_none() && !part.hold.held
}

/// Decides whether the fetch loop polls now: `None` polls, `Some(wait)` waits
/// up to `wait` for a job to finish first. `buffered` is what the counted
/// partitions hold, `limit` the gate's limit, `in_flight` the jobs running.
pub(crate) fn hold(
    gate: &mut Gate,
    buffered: usize,
    limit: usize,
    in_flight: usize,
    now: Instant,
) -> Option<Duration> {
    if in_flight == 0 || buffered < limit {
        gate.held_since = None;
        return None;
    }
    let since = *gate.held_since.get_or_insert(now);
    let held = now.saturating_duration_since(since);
    if held >= HOLD_AT_MOST {
        // Poll one round now; the next hold starts over.
        gate.held_since = Some(now);
        return None;
    }
    Some(HOLD_AT_MOST - held)
}

/// What the backpressure step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Paused because the buffer is full.
    pub(crate) paused: bool,
}

/// Pauses the partition if its buffer is full.
pub(crate) fn after_dispatch<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) {
    if part.backpressure.paused
        || part.retry.paused.is_some()
        || part.buffer.len() < rules.buffer_limit
    {
        return;
    }
    part.backpressure.paused = true;
    out.push(Effect::Pause {
        key: key.clone(),
        offset: part.fetched_to.unwrap_or(-1),
        reason: PauseReason::Backpressure,
        timeout: None,
    });
}

/// Resumes a paused partition whose buffer has drained to half.
pub(crate) fn due<M, S>(
    key: &PartitionKey,
    part: &mut Partition<M, S>,
    rules: &Rules,
    out: &mut Vec<Effect<M>>,
) {
    if !part.backpressure.paused
        || part.retry.paused.is_some()
        || part.buffer.len() > rules.buffer_limit / 2
    {
        return;
    }
    part.backpressure.paused = false;
    if let Some(offset) = part.fetched_to {
        out.push(Effect::SeekAndResume {
            key: key.clone(),
            offset,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use super::HOLD_AT_MOST;
    use crate::processing::core::{Backoff, Core, Effect, Offset, Route, Rules, Work};

    struct Msg(i64);

    impl Offset for Msg {
        fn offset(&self) -> i64 {
            self.0
        }
    }

    /// One partition, batches of 10, paused at 100 buffered: the gate holds at 60.
    fn core(now: Instant) -> Core<Msg> {
        let rules = Rules {
            batch_consuming: true,
            max_messages: 10,
            manual_offsets: false,
            tick_interval: None,
            dead_letter_retries: None,
            buffer_limit: 100,
            virtual_partitions: None,
        };
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
            exponential: true,
        };
        let routes = vec![Route {
            topic: Arc::from("t"),
            rules,
        }];
        let mut core = Core::new(routes, backoff);
        core.assign(0, 0, (), now);
        core
    }

    fn fetch(core: &mut Core<Msg>, from: i64, to: i64) {
        let epoch = core.epoch();
        core.fetched(0, 0, epoch, (from..to).map(Msg));
    }

    fn start_job(core: &mut Core<Msg>, now: Instant) -> usize {
        core.dispatch(now, |_, start, _| {
            assert!(matches!(start.work, Work::Consume(_)))
        })
    }

    fn pauses(core: &mut Core<Msg>) -> usize {
        let mut out = Vec::new();
        core.take_effects(&mut out);
        out.iter()
            .filter(|e| matches!(e, Effect::Pause { .. }))
            .count()
    }

    #[test]
    fn full_buffers_hold_the_poll_instead_of_pausing() {
        // 70 buffered while a job runs: over the gate's 60, under the pause's 100.
        let now = Instant::now();
        let mut core = core(now);
        fetch(&mut core, 0, 80);
        assert_eq!(start_job(&mut core, now), 1);
        core.apply_backpressure();
        assert_eq!(pauses(&mut core), 0, "70 buffered is under the pause limit");
        assert_eq!(core.poll_hold(now), Some(HOLD_AT_MOST));
        assert_eq!(
            core.poll_hold(now + Duration::from_millis(400)),
            Some(Duration::from_millis(600))
        );
    }

    #[test]
    fn the_gate_opens_when_nothing_runs_or_the_buffers_drain() {
        let now = Instant::now();
        let mut core = core(now);
        fetch(&mut core, 0, 70);
        assert_eq!(
            core.poll_hold(now),
            None,
            "no job runs: nothing would drain the buffers"
        );
        start_job(&mut core, now);
        assert!(
            core.poll_hold(now).is_some(),
            "60 buffered while a job runs"
        );
        core.finished(
            &crate::processing::core::PartitionKey::new("t", 0),
            0,
            crate::processing::core::Finished::Consumed {
                first: 0,
                last: 9,
                mark: None,
                result: Ok(()),
            },
            now,
        );
        start_job(&mut core, now);
        assert_eq!(core.poll_hold(now), None, "50 buffered: under the limit");
    }

    #[test]
    fn a_held_poll_happens_after_hold_at_most() {
        let now = Instant::now();
        let mut core = core(now);
        fetch(&mut core, 0, 80);
        start_job(&mut core, now);
        assert!(core.poll_hold(now).is_some());
        assert_eq!(
            core.poll_hold(now + HOLD_AT_MOST),
            None,
            "one round is polled"
        );
        let later = now + HOLD_AT_MOST + Duration::from_millis(1);
        assert_eq!(
            core.poll_hold(later),
            Some(HOLD_AT_MOST - Duration::from_millis(1)),
            "and the next hold starts over"
        );
    }
}
