//! What the supervisor knows about each node, shared with its HTTP endpoint:
//! `/metrics` lists the nodes (status, restarts, liveness, consumption, where
//! each serves its own metrics) and sums their consumption; `/live` fails when
//! a node stalled past `max.poll.interval.ms`.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::instrumentation::metrics::Exposition;

/// One node as the supervisor sees it.
#[derive(Debug, Clone)]
pub(crate) struct NodeView {
    pub(crate) node: u32,
    /// The running process, if any.
    pub(crate) pid: Option<u32>,
    pub(crate) started_at: Instant,
    /// When it restarts, while it waits for its backoff.
    pub(crate) restart_at: Option<Instant>,
    pub(crate) restarts: u32,
    /// `booting`, the app status it reports, or `exited`.
    pub(crate) status: String,
    pub(crate) last_report: Option<Instant>,
    /// How long its most idle fetch loop went without iterating, as last reported.
    pub(crate) idle: Duration,
    /// Messages consumed by its earlier lifetimes, and by this one.
    pub(crate) consumed_before: u64,
    pub(crate) consumed: u64,
    /// Where it serves its own `/metrics` and `/live`.
    pub(crate) metrics: Option<String>,
}

impl NodeView {
    fn new(node: u32) -> NodeView {
        NodeView {
            node,
            pid: None,
            started_at: Instant::now(),
            restart_at: None,
            restarts: 0,
            status: "booting".into(),
            last_report: None,
            idle: Duration::ZERO,
            consumed_before: 0,
            consumed: 0,
            metrics: None,
        }
    }

    /// Why the node counts as stalled at `now`, if it does.
    pub(crate) fn stall(&self, now: Instant, limit: Duration) -> Option<String> {
        self.pid?;
        let since = self.last_report.unwrap_or(self.started_at);
        let silent = now.saturating_duration_since(since);
        if silent > limit {
            return Some(format!("no report for {} ms", silent.as_millis()));
        }
        let fetching = matches!(self.status.as_str(), "running" | "quieting");
        if fetching && self.idle > limit {
            return Some(format!(
                "a fetch loop did not iterate for {} ms",
                self.idle.as_millis()
            ));
        }
        None
    }
}

/// Every node's view, and the liveness limit.
#[derive(Debug)]
pub(crate) struct Board {
    pub(crate) nodes: Vec<NodeView>,
    pub(crate) limit: Duration,
}

/// The board, shared by the supervisor's loop and its endpoint.
#[derive(Debug, Clone)]
pub(crate) struct SharedBoard(Arc<Mutex<Board>>);

impl SharedBoard {
    pub(crate) fn new(nodes: usize, limit: Duration) -> SharedBoard {
        let nodes = (1..=nodes as u32).map(NodeView::new).collect();
        SharedBoard(Arc::new(Mutex::new(Board { nodes, limit })))
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Board> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Board {
    /// Node `node`'s view (1-based).
    pub(crate) fn node(&mut self, node: u32) -> &mut NodeView {
        &mut self.nodes[node as usize - 1]
    }

    fn render(&self, now: Instant) -> String {
        let mut out = String::with_capacity(2048);
        let nodes = &self.nodes;
        let name = "karafka_swarm_nodes";
        header(&mut out, name, "gauge", "Nodes the swarm supervisor runs.");
        let _ = writeln!(out, "{name} {}", nodes.len());
        let name = "karafka_swarm_node_up";
        header(
            &mut out,
            name,
            "gauge",
            "1 while the node's process runs and reports within max.poll.interval.ms.",
        );
        for view in nodes {
            let up = view.pid.is_some() && view.stall(now, self.limit).is_none();
            let _ = writeln!(out, "{name}{{node=\"{}\"}} {}", view.node, u8::from(up));
        }
        let name = "karafka_swarm_node_status";
        header(&mut out, name, "gauge", "1 for the status the node reports (booting, running, quieting, stopping, stopped, exited).");
        for view in nodes {
            let _ = writeln!(
                out,
                "{name}{{node=\"{}\",status=\"{}\"}} 1",
                view.node, view.status
            );
        }
        let name = "karafka_swarm_node_pid";
        header(
            &mut out,
            name,
            "gauge",
            "The node's process id (absent while it restarts).",
        );
        for view in nodes {
            if let Some(pid) = view.pid {
                let _ = writeln!(out, "{name}{{node=\"{}\"}} {pid}", view.node);
            }
        }
        let name = "karafka_swarm_node_restarts_total";
        header(
            &mut out,
            name,
            "counter",
            "Times the supervisor restarted the node.",
        );
        for view in nodes {
            let _ = writeln!(out, "{name}{{node=\"{}\"}} {}", view.node, view.restarts);
        }
        let name = "karafka_swarm_node_fetch_loop_idle_seconds";
        header(
            &mut out,
            name,
            "gauge",
            "How long the node's most idle fetch loop went without iterating, as last reported.",
        );
        for view in nodes {
            let _ = writeln!(
                out,
                "{name}{{node=\"{}\"}} {:.3}",
                view.node,
                view.idle.as_secs_f64()
            );
        }
        let name = "karafka_swarm_node_messages_consumed_total";
        header(
            &mut out,
            name,
            "counter",
            "Messages the node consumed successfully, over all its lifetimes.",
        );
        for view in nodes {
            let _ = writeln!(
                out,
                "{name}{{node=\"{}\"}} {}",
                view.node,
                view.consumed_before + view.consumed
            );
        }
        let name = "karafka_swarm_messages_consumed_total";
        header(
            &mut out,
            name,
            "counter",
            "Messages all nodes consumed successfully.",
        );
        let total: u64 = nodes.iter().map(|v| v.consumed_before + v.consumed).sum();
        let _ = writeln!(out, "{name} {total}");
        let name = "karafka_swarm_node_info";
        header(
            &mut out,
            name,
            "gauge",
            "Where the node serves its own /metrics and /live.",
        );
        for view in nodes {
            if let Some(address) = &view.metrics {
                let _ = writeln!(
                    out,
                    "{name}{{node=\"{}\",metrics=\"{address}\"}} 1",
                    view.node
                );
            }
        }
        out
    }

    fn live(&self, now: Instant) -> (bool, String) {
        let mut stalled = Vec::new();
        let mut states = Vec::new();
        for view in &self.nodes {
            if let Some(reason) = view.stall(now, self.limit) {
                stalled.push(format!("node {}: {reason}", view.node));
            }
            let state = match (view.pid, view.restart_at) {
                (Some(pid), _) => format!("node {} {} (pid {pid})", view.node, view.status),
                (None, Some(at)) => format!(
                    "node {} restarts in {} ms",
                    view.node,
                    at.saturating_duration_since(now).as_millis()
                ),
                (None, None) => format!("node {} {}", view.node, view.status),
            };
            states.push(state);
        }
        if stalled.is_empty() {
            (true, format!("ok: {}", states.join("; ")))
        } else {
            (
                false,
                format!(
                    "stalled (limit {} ms): {}",
                    self.limit.as_millis(),
                    stalled.join("; ")
                ),
            )
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

impl Exposition for SharedBoard {
    fn metrics(&self) -> String {
        self.lock().render(Instant::now())
    }

    fn live(&self) -> (bool, String) {
        self.lock().live(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_node_or_an_idle_fetch_loop_past_the_limit_fails_liveness() {
        let board = SharedBoard::new(2, Duration::from_secs(5));
        let now = Instant::now();
        {
            let mut board = board.lock();
            for view in &mut board.nodes {
                view.pid = Some(100 + view.node);
                view.status = "running".into();
                view.last_report = Some(now);
            }
        }
        assert!(board.lock().live(now).0);
        let later = now + Duration::from_secs(6);
        let (alive, verdict) = board.lock().live(later);
        assert!(
            !alive && verdict.contains("node 1: no report for 6000 ms"),
            "{verdict}"
        );
        {
            let mut board = board.lock();
            board.node(2).last_report = Some(later);
            board.node(2).idle = Duration::from_secs(7);
        }
        let (_, verdict) = board.lock().live(later);
        assert!(
            verdict.contains("node 2: a fetch loop did not iterate for 7000 ms"),
            "{verdict}"
        );
    }

    #[test]
    fn metrics_list_every_node_and_sum_consumption_over_lifetimes() {
        let board = SharedBoard::new(2, Duration::from_secs(5));
        {
            let mut board = board.lock();
            board.node(1).consumed_before = 10;
            board.node(1).consumed = 5;
            board.node(2).consumed = 7;
            board.node(2).restarts = 1;
            board.node(2).metrics = Some("127.0.0.1:9396".into());
        }
        let text = board.lock().render(Instant::now());
        assert!(text.contains("karafka_swarm_nodes 2\n"), "{text}");
        assert!(
            text.contains("karafka_swarm_messages_consumed_total 22\n"),
            "{text}"
        );
        assert!(
            text.contains("karafka_swarm_node_messages_consumed_total{node=\"1\"} 15\n"),
            "{text}"
        );
        assert!(
            text.contains("karafka_swarm_node_restarts_total{node=\"2\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("karafka_swarm_node_info{node=\"2\",metrics=\"127.0.0.1:9396\"} 1"),
            "{text}"
        );
    }
}
