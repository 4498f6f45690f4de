//! When to restart a node that exited, and when to give up: a pure function of
//! the restart history and the time, so it is tested without processes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::SwarmSettings;

/// What the supervisor does about a node that exited unexpectedly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Start it again after this delay.
    Restart(Duration),
    /// Too many restarts within the window: stop everything.
    GiveUp {
        /// Restarts already made within the window.
        restarts: usize,
    },
}

/// The restarts made so far, swarm-wide, with the node each was for.
#[derive(Debug, Clone)]
pub(crate) struct RestartPolicy {
    settings: SwarmSettings,
    history: VecDeque<(Instant, u32)>,
}

impl RestartPolicy {
    pub(crate) fn new(settings: SwarmSettings) -> Self {
        RestartPolicy {
            settings,
            history: VecDeque::new(),
        }
    }

    /// Decides about `node`, which exited at `now`; a restart is recorded.
    pub(crate) fn node_exited(&mut self, node: u32, now: Instant) -> Decision {
        let window = self.settings.window();
        while let Some(&(at, _)) = self.history.front() {
            if now.saturating_duration_since(at) > window {
                self.history.pop_front();
            } else {
                break;
            }
        }
        let restarts = self.history.len();
        if restarts >= self.settings.max_restarts as usize {
            return Decision::GiveUp { restarts };
        }
        let earlier = self.history.iter().filter(|(_, n)| *n == node).count();
        self.history.push_back((now, node));
        Decision::Restart(self.backoff(earlier))
    }

    /// `restart_backoff` doubled `earlier` times, at most `restart_backoff_max`.
    fn backoff(&self, earlier: usize) -> Duration {
        let factor = 1u64 << earlier.min(32);
        let ms = self
            .settings
            .restart_backoff
            .saturating_mul(factor)
            .min(self.settings.restart_backoff_max);
        Duration::from_millis(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(max_restarts: u32) -> RestartPolicy {
        RestartPolicy::new(SwarmSettings {
            max_restarts,
            restart_window: 10_000,
            restart_backoff: 100,
            restart_backoff_max: 350,
            ..SwarmSettings::default()
        })
    }

    #[test]
    fn backoff_doubles_per_restart_of_the_same_node_up_to_the_maximum() {
        let mut policy = policy(100);
        let now = Instant::now();
        let delays: Vec<Decision> = (0..4).map(|_| policy.node_exited(1, now)).collect();
        let ms = |d: u64| Decision::Restart(Duration::from_millis(d));
        assert_eq!(delays, [ms(100), ms(200), ms(350), ms(350)]);
        assert_eq!(
            policy.node_exited(2, now),
            ms(100),
            "another node starts over"
        );
    }

    #[test]
    fn the_swarm_gives_up_once_max_restarts_are_used_within_the_window() {
        let mut policy = policy(3);
        let start = Instant::now();
        for node in [1, 2, 1] {
            assert!(matches!(
                policy.node_exited(node, start),
                Decision::Restart(_)
            ));
        }
        assert_eq!(
            policy.node_exited(3, start + Duration::from_secs(1)),
            Decision::GiveUp { restarts: 3 }
        );
    }

    #[test]
    fn restarts_older_than_the_window_no_longer_count() {
        let mut policy = policy(2);
        let start = Instant::now();
        policy.node_exited(1, start);
        policy.node_exited(1, start);
        let later = start + Duration::from_secs(11);
        assert_eq!(
            policy.node_exited(1, later),
            Decision::Restart(Duration::from_millis(100)),
            "the backoff starts over too"
        );
    }
}
