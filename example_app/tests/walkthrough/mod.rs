//! The seed 002 walkthrough as a user runs it, shared by the example's tests:
//! the app's `server` in one process, CLI commands from another, and the
//! server's log read back.

use std::path::Path;
use std::time::Duration;

use karafka_tests::process::{run, AppProcess};

/// The example app's binary.
pub const APP: &str = env!("CARGO_BIN_EXE_example_app");
/// The seed's event, as a user types it.
pub const EVENT: &str = r#"{"event_name":"user_created","payload":{"id":1}}"#;
/// How `UsersConsumer` logs that event.
pub const LOGGED: &str = r#"New [User] event: UserEvent { event_name: "user_created", payload: Object {"id": Number(1)} }"#;

/// A running example server in a private copy of the app's directory (its
/// karafka.toml), so the embedded broker's address file does not meet a
/// developer's running server.
pub struct Walkthrough {
    env: Vec<(String, String)>,
    server: AppProcess,
    _root: tempfile::TempDir,
}

impl Walkthrough {
    /// Starts `server` with `extra_env` and waits until it has joined its group.
    pub fn start(extra_env: &[(&str, &str)]) -> Walkthrough {
        let root = app_root();
        let mut env = vec![("KARAFKA_ROOT".to_owned(), root.path().display().to_string())];
        env.extend(
            extra_env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let server = AppProcess::spawn(Path::new(APP), &["server"], &borrowed(&env));
        assert!(
            server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
            "the server joins its group:\n{}",
            server.log()
        );
        Walkthrough {
            env,
            server,
            _root: root,
        }
    }

    /// Runs a CLI command of the app against the same app directory; it must
    /// succeed. Returns (stdout, stderr).
    pub fn command(&self, args: &[&str]) -> (String, String) {
        let (status, stdout, stderr) = run(Path::new(APP), args, &borrowed(&self.env));
        assert!(status.success(), "{args:?} succeeds:\n{stdout}\n{stderr}");
        (stdout, stderr)
    }

    /// Waits (10 s at most) until the server has logged a line containing `line`.
    pub fn expect_logged(&self, line: &str) {
        assert!(
            self.server.wait_for_line(line, Duration::from_secs(10)),
            "the server logs {line:?} within 10 s:\n{}",
            self.server.log()
        );
    }

    /// How many lines the server has logged so far that contain `needle`.
    #[allow(dead_code)] // not every test binary that includes this module counts lines
    pub fn logged_count(&self, needle: &str) -> usize {
        self.server
            .log()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// Stops the server with SIGTERM; it must exit 0 and log no error on the
    /// way (its clients are gone before its embedded broker).
    pub fn stop(mut self) {
        self.server.signal(libc::SIGTERM);
        let status = self.server.wait_exit(Duration::from_secs(30));
        let log = self.server.log();
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(0),
            "SIGTERM stops it cleanly:\n{log}"
        );
        let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
        assert!(errors.is_empty(), "no errors while stopping: {errors:#?}");
    }
}

/// A private copy of the example app's directory (its karafka.toml).
pub fn app_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("karafka.toml");
    std::fs::copy(config, dir.path().join("karafka.toml")).expect("karafka.toml is copied");
    dir
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}
