//! The swarm supervisor: starts the nodes, relays their output, restarts the
//! ones that exit or stall (with backoff, until `swarm.max_restarts` within
//! `swarm.restart_window` are used up), and forwards SIGINT, SIGTERM and SIGTSTP.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

use super::board::SharedBoard;
use super::child::{Exit, Launch, NodeProcess};
use super::policy::{Decision, RestartPolicy};
use super::report::Report;
use super::Plan;
use crate::app::App;
use crate::error::{Error, Result};
use crate::instrumentation::{
    Event, EventKind, SwarmNodeExited, SwarmNodeStalled, SwarmNodeStarted,
};
use crate::server::{ShutdownSignals, SignalRequest};

/// How often the supervisor checks liveness and due restarts.
const TICK: Duration = Duration::from_millis(250);
/// How long after `shutdown_timeout` the supervisor waits before killing nodes
/// (their own forced shutdown reports what still ran first).
const KILL_GRACE: Duration = Duration::from_secs(1);

/// A report from node `.0`'s process `.1`.
type NodeReport = (u32, u32, Report);

/// Why the supervising loop ended.
enum Ending {
    Signal(&'static str),
    GiveUp(String),
}

struct Swarm {
    app: App,
    launch: Launch,
    board: SharedBoard,
    processes: Vec<Option<NodeProcess>>,
    /// Per node, why it was killed for stalling (until its exit arrives).
    stalled: Vec<Option<String>>,
    policy: RestartPolicy,
    exits_tx: mpsc::UnboundedSender<Exit>,
    quiet: bool,
    /// Nodes already told to go quiet (their pids).
    quieted: Vec<u32>,
}

/// Runs the swarm until a signal stops it (Ok, or [`Error::ShutdownTimeout`]
/// when nodes had to be killed) or the restart budget runs out ([`Error::Swarm`]).
pub(crate) async fn run(app: App, plan: Plan) -> Result<()> {
    let config = app.config();
    let (brokers, embedded) = crate::server::resolve_brokers(&app)?;
    let mut env = Vec::new();
    if config.brokers.is_empty() {
        // The embedded broker this supervisor runs (or found): every node uses it.
        env.push(("KARAFKA_BROKERS".to_owned(), brokers.clone()));
    }
    let mut signals = ShutdownSignals::install()?;
    let (socket, listener) = Socket::bind()?;
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    tokio::spawn(accept(listener, reports_tx));
    let title = format!("karafka {} (swarm supervisor)", config.client_id);
    if let Err(error) = crate::instrumentation::proctitle::set_process_title(&title) {
        tracing::debug!(target: "karafka", "cannot set the process title to `{title}`: {error}");
    }
    let limit = crate::instrumentation::metrics::max_poll_interval(config);
    let board = SharedBoard::new(plan.nodes, limit);
    let _endpoint = match &plan.metrics {
        Some(address) => {
            let endpoint = crate::instrumentation::metrics::serve(
                std::sync::Arc::new(board.clone()),
                address.as_str(),
            )
            .await?;
            let bound = endpoint.local_addr();
            tracing::info!(target: "karafka", "Swarm metrics on http://{bound}/metrics, liveness on http://{bound}/live");
            Some(endpoint)
        }
        None => None,
    };
    let program = std::env::current_exe()
        .map_err(|e| Error::io("finding the app's binary to start the swarm nodes", e))?;
    let (exits_tx, mut exits) = mpsc::unbounded_channel();
    let mut swarm = Swarm {
        launch: Launch {
            program,
            args: plan.args.clone(),
            env,
            socket: socket.path.clone(),
        },
        board,
        processes: (0..plan.nodes).map(|_| None).collect(),
        stalled: vec![None; plan.nodes],
        policy: RestartPolicy::new(config.swarm.clone()),
        exits_tx,
        quiet: false,
        quieted: Vec::new(),
        app: app.clone(),
    };
    tracing::info!(
        target: "karafka",
        "Swarm supervisor {} starts {} nodes of {} on {brokers}{}",
        std::process::id(),
        plan.nodes,
        config.client_id,
        if embedded.is_some() { " (embedded development broker)" } else { "" }
    );
    let mut ending = None;
    for node in 1..=plan.nodes as u32 {
        if let Err(error) = swarm.start(node) {
            ending = Some(Ending::GiveUp(error.to_string()));
            break;
        }
    }
    let ending = match ending {
        Some(ending) => ending,
        None => {
            swarm
                .supervise(&mut signals, &mut reports, &mut exits)
                .await
        }
    };
    let (signal, cause) = match ending {
        Ending::Signal(name) => (name, None),
        Ending::GiveUp(cause) => ("SIGTERM", Some(cause)),
    };
    let stopped = swarm
        .stop(signal, &mut signals, &mut reports, &mut exits)
        .await;
    // The nodes are gone: the embedded broker may go too.
    drop(embedded);
    match cause {
        Some(cause) => {
            tracing::error!(target: "karafka", "Swarm supervisor gives up: {cause}");
            Err(Error::Swarm(cause))
        }
        None => stopped,
    }
}

impl Swarm {
    fn start(&mut self, node: u32) -> Result<()> {
        let process = NodeProcess::start(&self.launch, node, self.exits_tx.clone())?;
        let pid = process.pid;
        let restarts = {
            let mut board = self.board.lock();
            let view = board.node(node);
            view.pid = Some(pid);
            view.started_at = Instant::now();
            view.restart_at = None;
            view.last_report = None;
            view.status = "booting".into();
            view.idle = Duration::ZERO;
            view.metrics = None;
            view.restarts
        };
        self.processes[node as usize - 1] = Some(process);
        tracing::info!(target: "karafka", "Swarm node {node} started (pid {pid})");
        self.app
            .monitor()
            .instrument_with(EventKind::SwarmNodeStarted, || {
                Event::SwarmNodeStarted(SwarmNodeStarted {
                    node,
                    pid,
                    restarts,
                })
            });
        Ok(())
    }

    async fn supervise(
        &mut self,
        signals: &mut ShutdownSignals,
        reports: &mut mpsc::UnboundedReceiver<NodeReport>,
        exits: &mut mpsc::UnboundedReceiver<Exit>,
    ) -> Ending {
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                request = signals.recv() => match request {
                    SignalRequest::Stop(name) => {
                        tracing::info!(target: "karafka", "Received {name}, stopping the swarm's nodes");
                        return Ending::Signal(name);
                    }
                    SignalRequest::Quiet => {
                        tracing::info!(target: "karafka", "Received SIGTSTP, the swarm's nodes go quiet");
                        self.quiet = true;
                        self.quiet_reported_nodes();
                    }
                },
                Some((node, pid, report)) = reports.recv() => {
                    self.reported(node, pid, report);
                    if self.quiet {
                        self.quiet_reported_nodes();
                    }
                }
                Some(exit) = exits.recv() => {
                    if let Some(cause) = self.exited(exit) {
                        return Ending::GiveUp(cause);
                    }
                }
                _ = tick.tick() => {
                    if let Some(cause) = self.restart_due() {
                        return Ending::GiveUp(cause);
                    }
                    self.kill_stalled();
                }
            }
        }
    }

    fn reported(&mut self, node: u32, pid: u32, report: Report) {
        let mut board = self.board.lock();
        let Some(view) = board.nodes.get_mut((node as usize).wrapping_sub(1)) else {
            return;
        };
        if view.pid != Some(pid) {
            return; // a late line of an earlier lifetime
        }
        view.last_report = Some(Instant::now());
        match report {
            Report::Hello { metrics, .. } => view.metrics = metrics,
            Report::Beat {
                status,
                idle,
                consumed,
            } => {
                view.status = status;
                view.idle = idle;
                view.consumed = consumed;
            }
        }
    }

    /// Sends SIGTSTP to every node whose signal handlers are in place (it
    /// reported an app status) and that was not told yet.
    fn quiet_reported_nodes(&mut self) {
        let ready: Vec<(u32, u32)> = self
            .board
            .lock()
            .nodes
            .iter()
            .filter(|v| v.status != "booting")
            .filter_map(|v| v.pid.map(|pid| (v.node, pid)))
            .filter(|(_, pid)| !self.quieted.contains(pid))
            .collect();
        for (node, pid) in ready {
            if let Some(process) = &self.processes[node as usize - 1] {
                process.signal(libc::SIGTSTP);
                self.quieted.push(pid);
            }
        }
    }

    /// Handles a node's exit while the swarm runs; `Some(cause)` to give up.
    fn exited(&mut self, exit: Exit) -> Option<String> {
        let Exit {
            node,
            pid,
            status,
            cause,
        } = exit;
        let index = node as usize - 1;
        self.processes[index] = None;
        let stalled = self.stalled[index].take();
        let how = match &stalled {
            Some(reason) => format!("was killed because it stalled ({reason})"),
            None => format!("exited with {status}"),
        };
        let output = cause
            .as_deref()
            .map(|line| format!("; its output: {line}"))
            .unwrap_or_default();
        let decision = self.policy.node_exited(node, Instant::now());
        let restart_in = match decision {
            Decision::Restart(delay) => Some(delay),
            Decision::GiveUp { .. } => None,
        };
        {
            let mut board = self.board.lock();
            let view = board.node(node);
            view.pid = None;
            view.status = "exited".into();
            view.consumed_before += view.consumed;
            view.consumed = 0;
            view.metrics = None;
            if let Some(delay) = restart_in {
                view.restart_at = Some(Instant::now() + delay);
                view.restarts += 1;
            }
        }
        self.app
            .monitor()
            .instrument_with(EventKind::SwarmNodeExited, || {
                Event::SwarmNodeExited(SwarmNodeExited {
                    node,
                    pid,
                    status: status.to_string(),
                    cause: cause.clone(),
                    restart_in,
                })
            });
        match decision {
            Decision::Restart(delay) => {
                tracing::warn!(target: "karafka", "Swarm node {node} (pid {pid}) {how}{output}; restarting it in {} ms", delay.as_millis());
                None
            }
            Decision::GiveUp { restarts } => {
                let settings = &self.app.config().swarm;
                Some(format!(
                    "node {node} (pid {pid}) {how} after {restarts} restarts within {} ms (swarm.max_restarts = {}){output}",
                    settings.restart_window, settings.max_restarts
                ))
            }
        }
    }

    /// Starts the nodes whose backoff is over; `Some(cause)` when one cannot start.
    fn restart_due(&mut self) -> Option<String> {
        let now = Instant::now();
        let due: Vec<u32> = self
            .board
            .lock()
            .nodes
            .iter()
            .filter(|v| v.pid.is_none() && v.restart_at.is_some_and(|at| at <= now))
            .map(|v| v.node)
            .collect();
        for node in due {
            if let Err(error) = self.start(node) {
                return Some(error.to_string());
            }
        }
        None
    }

    /// Kills the nodes that stopped reporting or whose fetch loops stalled; their
    /// exits then restart them.
    fn kill_stalled(&mut self) {
        let now = Instant::now();
        let (limit, stalls): (Duration, Vec<(u32, u32, String)>) = {
            let board = self.board.lock();
            let stalls = board
                .nodes
                .iter()
                .filter(|v| self.stalled[v.node as usize - 1].is_none())
                .filter_map(|v| Some((v.node, v.pid?, v.stall(now, board.limit)?)))
                .collect();
            (board.limit, stalls)
        };
        for (node, pid, reason) in stalls {
            tracing::error!(target: "karafka", "Swarm node {node} (pid {pid}) stalled: {reason} (limit max.poll.interval.ms = {} ms); killing it", limit.as_millis());
            self.app
                .monitor()
                .instrument_with(EventKind::SwarmNodeStalled, || {
                    Event::SwarmNodeStalled(SwarmNodeStalled {
                        node,
                        pid,
                        reason: reason.clone(),
                        limit,
                    })
                });
            if let Some(process) = &self.processes[node as usize - 1] {
                process.signal(libc::SIGKILL);
            }
            self.stalled[node as usize - 1] = Some(reason);
        }
    }

    /// Stops every node with `signal_name`'s signal and waits for them; past
    /// `shutdown_timeout` (or on a second signal) kills what is left.
    async fn stop(
        &mut self,
        signal_name: &'static str,
        signals: &mut ShutdownSignals,
        reports: &mut mpsc::UnboundedReceiver<NodeReport>,
        exits: &mut mpsc::UnboundedReceiver<Exit>,
    ) -> Result<()> {
        let signal = if signal_name == "SIGINT" {
            libc::SIGINT
        } else {
            libc::SIGTERM
        };
        {
            let mut board = self.board.lock();
            for view in &mut board.nodes {
                view.restart_at = None;
            }
        }
        for process in self.processes.iter().flatten() {
            process.signal(signal);
        }
        let timeout = self.app.config().shutdown_wait();
        let deadline = tokio::time::Instant::now() + timeout + KILL_GRACE;
        let mut forced: Vec<String> = Vec::new();
        let mut killed = false;
        while self.processes.iter().any(Option::is_some) {
            tokio::select! {
                Some(exit) = exits.recv() => {
                    let index = exit.node as usize - 1;
                    self.processes[index] = None;
                    let mut board = self.board.lock();
                    let view = board.node(exit.node);
                    view.pid = None;
                    view.status = "exited".into();
                    if exit.status.code() == Some(crate::server::EXIT_FORCED_SHUTDOWN) {
                        forced.push(format!("node {} (pid {}) forced its own shutdown{}", exit.node, exit.pid, exit.cause.map(|l| format!(": {l}")).unwrap_or_default()));
                    }
                    tracing::info!(target: "karafka", "Swarm node {} (pid {}) stopped ({})", exit.node, exit.pid, exit.status);
                }
                Some((node, pid, report)) = reports.recv() => self.reported(node, pid, report),
                _ = tokio::time::sleep_until(deadline), if !killed => {
                    killed = true;
                    self.kill_all(&mut forced, "still running past shutdown_timeout");
                }
                request = signals.recv(), if !killed => {
                    if let SignalRequest::Stop(again) = request {
                        killed = true;
                        self.kill_all(&mut forced, &format!("still running at the second signal ({again})"));
                    }
                }
            }
        }
        if forced.is_empty() {
            tracing::info!(target: "karafka", "Swarm stopped");
            Ok(())
        } else {
            Err(Error::ShutdownTimeout {
                timeout_ms: self.app.config().shutdown_timeout,
                still_running: forced.join("; "),
            })
        }
    }

    fn kill_all(&mut self, forced: &mut Vec<String>, why: &str) {
        for (index, process) in self.processes.iter().enumerate() {
            if let Some(process) = process {
                tracing::error!(target: "karafka", "Killing swarm node {} (pid {}): {why}", index + 1, process.pid);
                forced.push(format!("node {} (pid {}) {why}", index + 1, process.pid));
                process.signal(libc::SIGKILL);
            }
        }
    }
}

/// The supervisor's socket file, removed when dropped.
struct Socket {
    path: PathBuf,
}

impl Socket {
    fn bind() -> Result<(Socket, UnixListener)> {
        let dir = std::env::temp_dir().join("karafka-rs");
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        remove_stale_sockets(&dir);
        let path = dir.join(format!("swarm-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let listener = UnixListener::bind(&path)
            .map_err(|e| Error::io(format!("binding the swarm socket {}", path.display()), e))?;
        Ok((Socket { path }, listener))
    }
}

/// Removes the socket files of supervisors that are gone (SIGKILLed ones
/// cannot remove their own).
fn remove_stale_sockets(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix("swarm-"))
            .and_then(|n| n.strip_suffix(".sock"))
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Accepts node connections; each says hello, then beats.
async fn accept(listener: UnixListener, reports: mpsc::UnboundedSender<NodeReport>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(read_reports(stream, reports.clone()));
            }
            Err(error) => {
                tracing::warn!(target: "karafka", "swarm socket: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        if reports.is_closed() {
            return;
        }
    }
}

async fn read_reports(stream: UnixStream, reports: mpsc::UnboundedSender<NodeReport>) {
    let mut lines = BufReader::new(stream).lines();
    let Ok(Some(first)) = lines.next_line().await else {
        return;
    };
    let Some(Report::Hello { node, pid, metrics }) = Report::parse(&first) else {
        tracing::warn!(target: "karafka", "swarm socket: a connection did not say hello: {first:?}");
        return;
    };
    let _ = reports.send((node, pid, Report::Hello { node, pid, metrics }));
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(report) = Report::parse(&line) {
            if reports.send((node, pid, report)).is_err() {
                return;
            }
        }
    }
}
