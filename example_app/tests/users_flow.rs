//! The seed 002 walkthrough as a user runs it: `server` in one process, then
//! `produce users '<json>'` from another, and the server logs the event.

mod walkthrough;

use std::path::Path;
use std::time::Duration;

use karafka_tests::process::AppProcess;
use karafka_tests::tansu::Tansu;
use walkthrough::{app_root, Walkthrough, APP, EVENT, LOGGED};

fn produce_and_see_it_logged(extra_env: &[(&str, &str)]) {
    let walk = Walkthrough::start(extra_env);
    let (stdout, _) = walk.command(&["produce", "users", EVENT]);
    assert!(stdout.contains("delivered to users/"), "{stdout}");
    walk.expect_logged(LOGGED);
    // Logged once `consume` returned, which is after the event line above.
    walk.expect_logged("1 message on users topic delegated to UsersConsumer");
    walk.stop();
}

#[test]
fn produced_user_event_is_logged_by_the_server_on_the_embedded_broker() {
    produce_and_see_it_logged(&[]);
}

#[test]
fn produced_user_event_is_logged_by_the_server_on_tansu() {
    let tansu = Tansu::start();
    produce_and_see_it_logged(&[("KARAFKA_BROKERS", tansu.address())]);
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
    let version = format!(
        "Karafka-rs framework version: {}",
        env!("CARGO_PKG_VERSION")
    );
    for expected in [
        version.as_str(),
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
