//! `serve` as a user runs it, shared by the example's tests: the binary with
//! HTTP on a free port and the consumers on the embedded broker, in a private
//! copy of the app's directory (its karafka.toml; the database lands there).

use std::path::{Path, PathBuf};
use std::time::Duration;

use karafka_tests::process::AppProcess;

/// The example app's binary.
pub const APP: &str = env!("CARGO_BIN_EXE_example_app");

/// A running `serve` process.
pub struct Serving {
    pub process: AppProcess,
    /// `host:port` of its HTTP server.
    pub address: String,
    _root: tempfile::TempDir,
}

impl Serving {
    /// Starts `serve --http 127.0.0.1:0` and waits until HTTP answers and the
    /// consumers own the ratings topics.
    pub fn start() -> Serving {
        Serving::start_on(None)
    }

    /// [`Serving::start`] on `brokers` (`KARAFKA_BROKERS`) instead of the embedded broker.
    pub fn start_on(brokers: Option<&str>) -> Serving {
        let root = tempfile::tempdir().expect("a temporary directory");
        let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("karafka.toml");
        std::fs::copy(config, root.path().join("karafka.toml")).expect("karafka.toml is copied");
        let mut env = vec![("KARAFKA_ROOT", root.path().to_str().expect("a UTF-8 path"))];
        if let Some(brokers) = brokers {
            env.push(("KARAFKA_BROKERS", brokers));
        }
        let process = AppProcess::spawn(Path::new(APP), &["serve", "--http", "127.0.0.1:0"], &env);
        for line in [
            "HTTP on http://",
            "Partitions assigned for `ratings`",
            "Partitions assigned for `rating-averages`",
        ] {
            assert!(
                process.wait_for_line(line, Duration::from_secs(60)),
                "serve logs {line:?}:\n{}",
                process.log()
            );
        }
        let log = process.log();
        let address = log
            .split("HTTP on http://")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("the HTTP address is logged")
            .to_owned();
        Serving {
            process,
            address,
            _root: root,
        }
    }

    /// `http://host:port`.
    #[allow(dead_code)] // Not every test file uses every helper.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The database file in the app's directory.
    #[allow(dead_code)] // Not every test file uses every helper.
    pub fn database(&self) -> PathBuf {
        self._root.path().join("ratings.sqlite3")
    }
}
