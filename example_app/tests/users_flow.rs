//! The seed 002 walkthrough as a user runs it: `server` in one process, then
//! `produce users '<json>'` from another, and the server logs the event.

use std::path::Path;
use std::time::Duration;

use karafka_tests::process::{run, AppProcess};
use karafka_tests::tansu::Tansu;

const APP: &str = env!("CARGO_BIN_EXE_example_app");
const EVENT: &str = r#"{"event_name":"user_created","payload":{"id":1}}"#;
const LOGGED: &str = r#"New [User] event: UserEvent { event_name: "user_created", payload: Object {"id": Number(1)} }"#;

/// A private copy of the example app's directory (its karafka.toml), so the
/// embedded broker's address file does not meet a developer's running server.
fn app_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("karafka.toml");
    std::fs::copy(config, dir.path().join("karafka.toml")).unwrap();
    dir
}

fn walkthrough(extra_env: &[(&str, &str)]) {
    let root = app_root();
    let root_path = root.path().to_str().unwrap();
    let mut env = vec![("KARAFKA_ROOT", root_path)];
    env.extend_from_slice(extra_env);

    let mut server = AppProcess::spawn(Path::new(APP), &["server"], &env);
    assert!(
        server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
        "the server joins its group:\n{}",
        server.log()
    );
    let (status, stdout, stderr) = run(Path::new(APP), &["produce", "users", EVENT], &env);
    assert!(status.success(), "produce succeeds:\n{stdout}\n{stderr}");
    assert!(stdout.contains("delivered to users/"), "{stdout}");
    assert!(
        server.wait_for_line(LOGGED, Duration::from_secs(10)),
        "the server logs the event within 10 s:\n{}",
        server.log()
    );
    // Logged once `consume` returned, which is after the event line above.
    assert!(
        server.wait_for_line(
            "1 message on users topic delegated to UsersConsumer",
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
fn produced_user_event_is_logged_by_the_server_on_the_embedded_broker() {
    walkthrough(&[]);
}

#[test]
fn produced_user_event_is_logged_by_the_server_on_tansu() {
    let tansu = Tansu::start();
    walkthrough(&[("KARAFKA_BROKERS", tansu.address())]);
}

#[test]
fn banner_names_versions_settings_and_routes() {
    let root = app_root();
    let env = [("KARAFKA_ROOT", root.path().to_str().unwrap())];
    let server = AppProcess::spawn(Path::new(APP), &["server"], &env);
    assert!(
        server.wait_for_line("Running Karafka server", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let log = server.log();
    for expected in [
        "Karafka-rs framework version: 0.1.0",
        "librdkafka version: 2.",
        "Application client id: karafka_example",
        "Backend: inline",
        "Environment: development",
        "(embedded development broker)",
        "consumer group example (group.id karafka_example_example)",
        "users -> UsersConsumer (deserializer Json, backend inline, batch consuming true",
    ] {
        assert!(log.contains(expected), "banner lacks {expected:?}:\n{log}");
    }
}
