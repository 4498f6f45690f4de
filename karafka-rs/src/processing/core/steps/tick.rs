//! Ticks: a route with `tick_interval` calls its consumer's `tick` hook that
//! often while the partition is owned and has nothing buffered, never while a
//! job of the partition runs.

use std::time::{Duration, Instant};

use super::super::effects::Rules;

/// What the tick step keeps per partition.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// When the next tick is due.
    pub(crate) next: Option<Instant>,
}

/// The first tick of a new ownership.
pub(crate) fn assigned(state: &mut State, rules: &Rules, now: Instant) {
    state.next = rules.tick_interval.map(|interval| now + interval);
}

/// Whether a tick is due now; if so, schedules the next one.
pub(crate) fn take_due(state: &mut State, rules: &Rules, now: Instant) -> bool {
    if state.next.is_none_or(|due| due > now) {
        return false;
    }
    state.next = rules.tick_interval.map(|interval| now + interval);
    true
}

/// Notes when the next tick is due.
pub(crate) fn due(state: &State, now: Instant, next_due: &mut Option<Duration>) {
    if let Some(at) = state.next {
        let left = at.saturating_duration_since(now);
        *next_due = Some(next_due.map_or(left, |d| d.min(left)));
    }
}
