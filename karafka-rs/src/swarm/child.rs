//! One node's process, seen from the supervisor: started from the app's own
//! binary, its stderr relayed line by line (`[node 2] ...`), signalled on
//! request, and its exit reported with its last line of output.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use super::node::{NODE_ENV, SOCKET_ENV};
use crate::error::{Error, Result};

/// How the supervisor starts a node: the app's binary, its arguments without
/// `--swarm`, and what is added to its environment.
#[derive(Debug, Clone)]
pub(crate) struct Launch {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) socket: PathBuf,
}

/// Something a node's process did, for the supervisor's loop.
#[derive(Debug)]
pub(crate) struct Exit {
    pub(crate) node: u32,
    pub(crate) pid: u32,
    pub(crate) status: ExitStatus,
    /// The line of its output that best says why it ended (see [`OutputTail`]).
    pub(crate) cause: Option<String>,
}

/// A running node process; signals go through its task, which owns the child
/// until it is reaped (so a signal never reaches a recycled process id).
#[derive(Debug)]
pub(crate) struct NodeProcess {
    pub(crate) pid: u32,
    signals: mpsc::UnboundedSender<i32>,
}

impl NodeProcess {
    /// Starts node `node`; its exit is sent to `exits`.
    pub(crate) fn start(
        launch: &Launch,
        node: u32,
        exits: mpsc::UnboundedSender<Exit>,
    ) -> Result<NodeProcess> {
        let mut command = tokio::process::Command::new(&launch.program);
        command
            .args(&launch.args)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .env(NODE_ENV, node.to_string())
            .env(SOCKET_ENV, &launch.socket)
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C in the terminal reaches the
            // supervisor only, which forwards it once.
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|e| {
            Error::io(
                format!("starting node {node} ({})", launch.program.display()),
                e,
            )
        })?;
        let pid = child
            .id()
            .ok_or_else(|| Error::Internal(format!("node {node} exited before it was seen")))?;
        let tail = Arc::new(Mutex::new(OutputTail::default()));
        let relay = child.stderr.take().map(|stderr| {
            let tail = tail.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    eprintln!("[node {node}] {line}");
                    tail.lock().unwrap_or_else(|e| e.into_inner()).push(&line);
                }
            })
        });
        let (signals, mut requests) = mpsc::unbounded_channel::<i32>();
        tokio::spawn(async move {
            let status = loop {
                tokio::select! {
                    status = child.wait() => break status,
                    Some(signal) = requests.recv() => {
                        let sent = if signal == libc::SIGKILL {
                            child.start_kill()
                        } else {
                            super::signal::send(pid, signal)
                        };
                        if let Err(error) = sent {
                            tracing::warn!(target: "karafka", "cannot send {} to node {node} ({pid}): {error}", super::signal::name(signal));
                        }
                    }
                }
            };
            let status = match status {
                Ok(status) => status,
                Err(error) => {
                    tracing::error!(target: "karafka", "cannot wait for node {node} ({pid}): {error}");
                    let _ = child.start_kill();
                    match child.wait().await {
                        Ok(status) => status,
                        Err(_) => return,
                    }
                }
            };
            // The last lines come just before the exit: let the relay finish them.
            if let Some(relay) = relay {
                let _ = tokio::time::timeout(Duration::from_secs(1), relay).await;
            }
            let cause = tail.lock().unwrap_or_else(|e| e.into_inner()).cause();
            let _ = exits.send(Exit {
                node,
                pid,
                status,
                cause,
            });
        });
        Ok(NodeProcess { pid, signals })
    }

    /// Sends `signal` to the node unless it has exited already.
    pub(crate) fn signal(&self, signal: i32) {
        let _ = self.signals.send(signal);
    }
}

/// What a node wrote to stderr that may say why it ended.
#[derive(Debug, Default)]
pub(crate) struct OutputTail {
    /// The `Error: ...` line `main` printed.
    error: Option<String>,
    /// A panic's `thread '...' panicked at ...:` line and its message.
    panic: Option<String>,
    awaiting_panic_message: bool,
    /// The last ERROR log line.
    error_log: Option<String>,
    /// The last line that is not part of a backtrace or a blank.
    last: Option<String>,
}

impl OutputTail {
    /// Takes in the next line of output.
    pub(crate) fn push(&mut self, line: &str) {
        if std::mem::take(&mut self.awaiting_panic_message) {
            if let Some(panic) = &mut self.panic {
                panic.push(' ');
                panic.push_str(line.trim());
            }
        }
        if line.trim().is_empty() || line.starts_with(char::is_whitespace) {
            return;
        }
        if line.starts_with("Error: ") {
            self.error = Some(line.to_owned());
        } else if line.contains(" panicked at ") {
            self.panic = Some(line.trim_end().to_owned());
            self.awaiting_panic_message = true;
        } else if line.contains(" ERROR ") {
            self.error_log = Some(line.to_owned());
        }
        if !line.eq_ignore_ascii_case("stack backtrace:") {
            self.last = Some(line.to_owned());
        }
    }

    /// The line that best says why the node ended: its `Error: ` line, else a
    /// panic and its message, else its last ERROR log line, else its last line.
    pub(crate) fn cause(&self) -> Option<String> {
        self.error
            .clone()
            .or_else(|| self.panic.clone())
            .or_else(|| self.error_log.clone())
            .or_else(|| self.last.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(text: &str) -> Option<String> {
        let mut tail = OutputTail::default();
        text.lines().for_each(|line| tail.push(line));
        tail.cause()
    }

    #[test]
    fn the_cause_of_an_exit_is_the_error_line_or_the_panic_not_the_backtrace() {
        let error = "INFO booting\nError: cannot reach the brokers\n\nStack backtrace:\n   0: main\n             at src/main.rs:1";
        assert_eq!(cause(error).unwrap(), "Error: cannot reach the brokers");
        let panic = "INFO booting\nthread 'main' panicked at src/main.rs:3:5:\nno config\nstack backtrace:\n  35: _start";
        assert_eq!(
            cause(panic).unwrap(),
            "thread 'main' panicked at src/main.rs:3:5: no config"
        );
        let logged = "2026 ERROR karafka: fetch thread died\n2026 INFO karafka: Stopped";
        assert_eq!(
            cause(logged).unwrap(),
            "2026 ERROR karafka: fetch thread died"
        );
        assert_eq!(cause("just this\n   0: frame").unwrap(), "just this");
    }
}
