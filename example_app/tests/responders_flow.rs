//! The seed 002 walkthrough with its responder: `server` in one process, then
//! `respond UsersResponder '<json>'` from another (the Rust side of Karafka's
//! `UsersResponder.call(...)` in a console); the server logs the event and pipes
//! it on to `user_activity` through `UserActivityResponder`, where it is logged too.

use std::path::Path;
use std::time::Duration;

use karafka_tests::process::{run, AppProcess};
use karafka_tests::tansu::Tansu;

const APP: &str = env!("CARGO_BIN_EXE_example_app");
const EVENT: &str = r#"{"event_name":"user_created","payload":{"id":1}}"#;
const LOGGED: &str = r#"New [User] event: UserEvent { event_name: "user_created", payload: Object {"id": Number(1)} }"#;

/// A private copy of the example app's directory (its karafka.toml).
fn app_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("karafka.toml");
    std::fs::copy(config, dir.path().join("karafka.toml")).unwrap();
    dir
}

fn walkthrough(extra_env: &[(&str, &str)]) {
    let root = app_root();
    let root_path = root.path().to_str().unwrap();
    let mut env = vec![("KARAFKA_ROOT", root_path), ("RUST_LOG", "info")];
    env.extend_from_slice(extra_env);

    let mut server = AppProcess::spawn(Path::new(APP), &["server"], &env);
    assert!(
        server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
        "the server joins its group:\n{}",
        server.log()
    );
    let (status, stdout, stderr) = run(Path::new(APP), &["respond", "UsersResponder", EVENT], &env);
    assert!(status.success(), "respond succeeds:\n{stdout}\n{stderr}");
    assert!(stdout.contains("delivered to users/"), "{stdout}");
    assert!(
        stderr.contains("UsersResponder responded with 1 message to users"),
        "{stderr}"
    );
    assert!(
        server.wait_for_line(LOGGED, Duration::from_secs(10)),
        "the server logs the event within 10 s:\n{}",
        server.log()
    );
    assert!(
        server.wait_for_line(
            "User activity: user_created (user 1)",
            Duration::from_secs(10)
        ),
        "the consumer pipes the event on to user_activity, keyed by user id:\n{}",
        server.log()
    );
    assert!(
        server.wait_for_line(
            "UserActivityResponder responded with 1 message to user_activity",
            Duration::from_secs(10)
        ),
        "{}",
        server.log()
    );

    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "SIGTERM stops it cleanly:\n{}",
        server.log()
    );
}

#[test]
fn responded_user_event_is_logged_and_piped_by_the_server_on_the_embedded_broker() {
    walkthrough(&[]);
}

#[test]
fn responded_user_event_is_logged_and_piped_by_the_server_on_tansu() {
    let tansu = Tansu::start();
    walkthrough(&[("KARAFKA_BROKERS", tansu.address())]);
}
