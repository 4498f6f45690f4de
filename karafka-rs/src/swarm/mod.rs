//! Swarm: `server --swarm N` runs N server processes (nodes) of the app's own
//! binary under one supervisor, as Karafka's Swarm does with forks. Every node
//! is a full server in the same consumer groups, so Kafka spreads the
//! partitions over them; the supervisor restarts nodes that exit or stall,
//! forwards signals, and in development runs the embedded broker they share.
//!
//! A node reports to the supervisor over a Unix socket (see the `report` module): its
//! status, how long its fetch loops have gone without iterating, and what it
//! consumed. A node that stops reporting, or whose fetch loop stalls, for
//! longer than `max.poll.interval.ms` is killed and restarted; a node whose
//! supervisor is gone stops gracefully.

mod board;
mod child;
pub(crate) mod node;
mod policy;
mod report;
mod signal;
mod supervisor;

use std::ffi::OsString;

pub use crate::config::swarm::node_number;
pub use crate::config::SwarmSettings;

use crate::app::App;
use crate::error::Result;

/// What `server --swarm` runs.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// How many nodes.
    pub(crate) nodes: usize,
    /// The nodes' arguments: the supervisor's own, without `--swarm`.
    pub(crate) args: Vec<OsString>,
    /// Where the supervisor serves `/metrics` and `/live` (`--metrics`).
    pub(crate) metrics: Option<String>,
}

impl Plan {
    /// The plan for a `server` command line `argv` (program name first) asking
    /// for `flag` nodes (`--swarm`), else `swarm.nodes`; `None` runs a plain
    /// server (no swarm asked for, or this process is a node already).
    pub(crate) fn for_server(
        app: &App,
        argv: &[OsString],
        flag: Option<usize>,
        metrics: Option<String>,
    ) -> Option<Plan> {
        if node_number().is_some() {
            return None;
        }
        let nodes = flag.or(app.config().swarm.nodes)?;
        Some(Plan {
            nodes,
            args: without_swarm_flag(argv.get(1..).unwrap_or_default()),
            metrics,
        })
    }
}

/// Runs the swarm until a signal stops it; see [`supervisor`].
pub(crate) async fn run(app: App, plan: Plan) -> Result<()> {
    supervisor::run(app, plan).await
}

/// `args` without `--swarm N` and `--swarm=N`.
fn without_swarm_flag(args: &[OsString]) -> Vec<OsString> {
    let mut kept = Vec::with_capacity(args.len());
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let text = arg.to_string_lossy();
        if text == "--swarm" {
            skip_value = true;
        } else if !text.starts_with("--swarm=") {
            kept.push(arg.clone());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_arguments_are_the_supervisors_without_the_swarm_flag() {
        let args: Vec<OsString> = ["server", "--swarm", "3", "--topics", "users", "--swarm=2"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            without_swarm_flag(&args),
            ["server", "--topics", "users"]
                .iter()
                .map(OsString::from)
                .collect::<Vec<_>>()
        );
    }
}
