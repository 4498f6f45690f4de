//! The embedded mock cluster run as a separate process (the `mock_broker` bin of
//! this crate), so that servers using it can be killed and restarted while it
//! keeps its topics, messages and committed offsets.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running `mock_broker` process; it exits when dropped.
pub struct MockBrokerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    address: String,
}

impl MockBrokerProcess {
    /// Starts `binary` (pass `env!("CARGO_BIN_EXE_mock_broker")`) with `topics`
    /// as (name, partitions) and waits for its address.
    pub fn start(binary: &Path, topics: &[(&str, i32)]) -> MockBrokerProcess {
        let mut child = Command::new(binary)
            .args(topics.iter().map(|(t, p)| format!("{t}:{p}")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("the mock broker prints its address");
        let address = first
            .trim()
            .strip_prefix("bootstrap ")
            .unwrap_or_else(|| panic!("unexpected first line from the mock broker: {first:?}"))
            .to_owned();
        MockBrokerProcess {
            child,
            stdin,
            address,
        }
    }

    /// Sends a fault-injection command (see the `mock_broker` binary), such as `fence-heartbeat`.
    pub fn command(&mut self, command: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("the broker's stdin is open");
        writeln!(stdin, "{command}").expect("the mock broker reads its commands");
        stdin.flush().expect("the command is sent");
    }

    /// The `host:port` clients connect to.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for MockBrokerProcess {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
