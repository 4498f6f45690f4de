//! The seed 002 walkthrough with its responder: `server` in one process, then
//! `respond UsersResponder '<json>'` from another (the Rust side of Karafka's
//! `UsersResponder.call(...)` in a console); the server logs the event and pipes
//! it on to `user_activity` through `UserActivityResponder`, where it is logged too.

mod walkthrough;

use karafka_tests::tansu::Tansu;
use walkthrough::{Walkthrough, EVENT, LOGGED};

fn respond_and_see_it_logged_and_piped(extra_env: &[(&str, &str)]) {
    let mut env = vec![("RUST_LOG", "info")];
    env.extend_from_slice(extra_env);
    let walk = Walkthrough::start(&env);
    let (stdout, stderr) = walk.command(&["respond", "UsersResponder", EVENT]);
    assert!(stdout.contains("delivered to users/"), "{stdout}");
    assert!(
        stderr.contains("UsersResponder responded with 1 message to users"),
        "{stderr}"
    );
    walk.expect_logged(LOGGED);
    // The consumer pipes the event on to user_activity, keyed by user id.
    walk.expect_logged("User activity: user_created (user 1)");
    walk.expect_logged("UserActivityResponder responded with 1 message to user_activity");
    walk.stop();
}

#[test]
fn responded_user_event_is_logged_and_piped_by_the_server_on_the_embedded_broker() {
    respond_and_see_it_logged_and_piped(&[]);
}

#[test]
fn responded_user_event_is_logged_and_piped_by_the_server_on_tansu() {
    let tansu = Tansu::start();
    respond_and_see_it_logged_and_piped(&[("KARAFKA_BROKERS", tansu.address())]);
}
