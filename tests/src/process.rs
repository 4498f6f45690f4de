//! App processes under test: spawned binaries whose stderr lines are collected
//! so a test can wait for a log line, send signals, and read exit codes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::wait_until;

/// A running app binary with its log (stderr and stdout lines) collected.
pub struct AppProcess {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl AppProcess {
    /// Spawns `binary args...` with the given extra environment (`RUST_LOG` is
    /// `info` unless given; an empty value removes a variable).
    pub fn spawn(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> AppProcess {
        let mut command = Command::new(binary);
        command
            .args(args)
            .env("RUST_LOG", "info")
            .env_remove("KARAFKA_ENV")
            .env_remove("KARAFKA_BROKERS")
            .env_remove("KARAFKA_CLIENT_ID")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            if v.is_empty() {
                command.env_remove(k);
            } else {
                command.env(k, v);
            }
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().expect("log lock").push(line);
                }
            });
        }
        AppProcess { child, lines }
    }

    /// Waits until some log line contains `needle`; false after `timeout`.
    pub fn wait_for_line(&self, needle: &str, timeout: Duration) -> bool {
        wait_until(timeout, || self.log().contains(needle))
    }

    /// Every line so far, joined with newlines.
    pub fn log(&self) -> String {
        self.lines.lock().expect("log lock").join("\n")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (`libc::SIGTERM`, `libc::SIGKILL`, ...).
    pub fn signal(&self, signal: i32) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(
            status.success(),
            "kill -{signal} {} failed",
            self.child.id()
        );
    }

    /// Waits for the process to exit, up to `timeout`; `None` if it did not.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(timeout, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `binary args...` to completion; returns (exit status, stdout, stderr).
pub fn run(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> (ExitStatus, String, String) {
    let mut command = Command::new(binary);
    command
        .args(args)
        .env_remove("KARAFKA_ENV")
        .env_remove("KARAFKA_BROKERS")
        .env_remove("KARAFKA_CLIENT_ID");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `binary args...` to completion with `stdin` as its standard input;
/// returns (exit status, stdout, stderr).
pub fn run_with_stdin(
    binary: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> (ExitStatus, String, String) {
    use std::io::Write;

    let mut command = Command::new(binary);
    command
        .args(args)
        .env_remove("KARAFKA_ENV")
        .env_remove("KARAFKA_BROKERS")
        .env_remove("KARAFKA_CLIENT_ID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let mut input = child.stdin.take().expect("piped stdin");
    let text = stdin.to_owned();
    // Written from a thread: a child that stops reading early must not block the test.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(text.as_bytes());
    });
    let output = child.wait_with_output().expect("the child runs");
    let _ = writer.join();
    (
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
