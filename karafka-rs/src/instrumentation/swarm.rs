//! Payloads of the `swarm.node.*` events a swarm supervisor emits about its nodes.

use std::time::Duration;

/// Payload of `swarm.node.started`: the supervisor started a node's process.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SwarmNodeStarted {
    /// The node's number (1-based).
    pub node: u32,
    /// Its process id.
    pub pid: u32,
    /// How many times this node was restarted before (0 for its first start).
    pub restarts: u32,
}

/// Payload of `swarm.node.exited`: a node's process ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SwarmNodeExited {
    /// The node's number (1-based).
    pub node: u32,
    /// The process id it had.
    pub pid: u32,
    /// How it ended: `exit status: 1`, `signal: 9 (SIGKILL)`, ...
    pub status: String,
    /// The line of its stderr that best says why it ended (its `Error: ...`
    /// line, a panic message, its last ERROR log line, or its last line).
    pub cause: Option<String>,
    /// When it is started again; `None` when the swarm is stopping or gave up.
    pub restart_in: Option<Duration>,
}

/// Payload of `swarm.node.stalled`: a node stopped reporting, or its fetch loops
/// stopped iterating, for longer than `max.poll.interval.ms`; it is killed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SwarmNodeStalled {
    /// The node's number (1-based).
    pub node: u32,
    /// Its process id.
    pub pid: u32,
    /// What stalled, and for how long.
    pub reason: String,
    /// The limit (`max.poll.interval.ms`).
    pub limit: Duration,
}
