//! The `[swarm]` table of `karafka.toml`: how many nodes `server` runs and when
//! the supervisor gives up restarting them; and this process's node number.

use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;

/// The environment variable that makes a `server` process node N of a swarm.
pub(crate) const NODE_ENV: &str = "KARAFKA_SWARM_NODE";

/// This process's node number when a swarm supervisor started it (1-based).
pub fn node_number() -> Option<u32> {
    static NODE: OnceLock<Option<u32>> = OnceLock::new();
    *NODE.get_or_init(|| std::env::var(NODE_ENV).ok()?.parse().ok())
}

/// Settings of `server --swarm`: the node count and the restart policy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SwarmSettings {
    /// Server processes `server` runs under a supervisor; unset runs one plain
    /// server process (`--swarm N` overrides it).
    pub nodes: Option<usize>,
    /// Node restarts allowed within `restart_window` before the supervisor stops
    /// every node and exits non-zero.
    pub max_restarts: u32,
    /// The window `max_restarts` counts in, in milliseconds.
    pub restart_window: u64,
    /// Delay before a node's first restart, in milliseconds; it doubles with each
    /// further restart of that node within `restart_window`.
    pub restart_backoff: u64,
    /// Longest delay before a restart, in milliseconds.
    pub restart_backoff_max: u64,
}

impl Default for SwarmSettings {
    fn default() -> Self {
        SwarmSettings {
            nodes: None,
            max_restarts: 10,
            restart_window: 60_000,
            restart_backoff: 1_000,
            restart_backoff_max: 30_000,
        }
    }
}

impl SwarmSettings {
    /// The first problem with these values, as (`swarm.<key>`, reason).
    pub(crate) fn problem(&self) -> Option<(&'static str, String)> {
        if self.nodes == Some(0) {
            return Some(("swarm.nodes", "must be at least 1".into()));
        }
        for (key, value) in [
            ("swarm.restart_window", self.restart_window),
            ("swarm.restart_backoff", self.restart_backoff),
            ("swarm.restart_backoff_max", self.restart_backoff_max),
        ] {
            if value == 0 {
                return Some((key, "must be greater than 0".into()));
            }
        }
        if self.restart_backoff_max < self.restart_backoff {
            return Some((
                "swarm.restart_backoff_max",
                format!(
                    "{} is below swarm.restart_backoff ({})",
                    self.restart_backoff_max, self.restart_backoff
                ),
            ));
        }
        None
    }

    /// `restart_window` as a duration.
    pub fn window(&self) -> Duration {
        Duration::from_millis(self.restart_window)
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(text: &str) -> crate::Result<Config> {
        Config::from_toml(text, Path::new("app/karafka.toml"))
    }

    #[test]
    fn the_swarm_table_is_read_and_bad_values_name_their_dotted_key() {
        let config = parse("[swarm]\nnodes = 4\nmax_restarts = 2\n").unwrap();
        assert_eq!(config.swarm.nodes, Some(4));
        assert_eq!(config.swarm.max_restarts, 2);
        assert_eq!(config.swarm.restart_backoff, 1_000);
        let zero = parse("[swarm]\nnodes = 0\n").unwrap_err().to_string();
        assert!(
            zero.contains("key `swarm.nodes`: must be at least 1"),
            "{zero}"
        );
        let unknown = parse("[swarm]\nnode = 2\n").unwrap_err().to_string();
        assert!(unknown.contains("swarm"), "{unknown}");
        let backoff = parse("[swarm]\nrestart_backoff = 5000\nrestart_backoff_max = 100\n")
            .unwrap_err()
            .to_string();
        assert!(
            backoff.contains("key `swarm.restart_backoff_max`"),
            "{backoff}"
        );
    }
}
