//! The `groups` commands on the example app's consumer group, on Tansu (the
//! embedded broker has no ListGroups or DescribeGroups): after the server
//! consumed, `groups list` shows the group and `groups lag` 0 lag; `seek` is
//! refused while the server runs; once it stopped, `seek --to earliest` makes
//! the next server consume everything again.

mod walkthrough;

use std::path::Path;
use std::time::{Duration, Instant};

use karafka_tests::process::run;
use karafka_tests::tansu::Tansu;
use walkthrough::{app_root, Walkthrough, APP, EVENT, LOGGED};

const GROUP: &str = "karafka_example_example";

/// Runs the app's CLI against Tansu from a copy of its directory: (exit code, stdout, stderr).
fn cli(brokers: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let root = app_root();
    let (status, out, err) = run(
        Path::new(APP),
        args,
        &[
            ("KARAFKA_ROOT", root.path().to_str().unwrap()),
            ("KARAFKA_BROKERS", brokers),
            ("RUST_BACKTRACE", "0"),
        ],
    );
    assert!(!err.contains("panicked"), "no panic:\n{err}");
    (status.code(), out, err)
}

/// Runs `args` until its stdout satisfies `done` (60 s at most); returns the last stdout.
fn until(brokers: &str, args: &[&str], done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, out, err) = cli(brokers, args);
        assert_eq!(code, Some(0), "{args:?}: {out}{err}");
        if done(&out) || Instant::now() > deadline {
            return out;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// (sum of committed offsets, every lag 0 or absent) of `users` in `groups lag --json` output.
fn users_lag(json: &str) -> (i64, bool) {
    let lags: serde_json::Value = serde_json::from_str(json).expect("lag --json is JSON");
    let users: Vec<&serde_json::Value> = lags[GROUP]
        .as_array()
        .expect("the group's partitions")
        .iter()
        .filter(|p| p["topic"] == "users")
        .collect();
    let committed = users.iter().filter_map(|p| p["committed"].as_i64()).sum();
    let caught_up = users.iter().all(|p| p["lag"].as_i64().unwrap_or(0) == 0);
    (committed, caught_up)
}

#[test]
fn groups_list_lag_and_a_seek_to_earliest_replay_what_the_example_consumed_on_tansu() {
    let tansu = Tansu::start();
    let brokers = tansu.address();
    let walk = Walkthrough::start(&[("KARAFKA_BROKERS", brokers)]);
    for _ in 0..3 {
        walk.command(&["produce", "users", EVENT]);
    }
    walk.expect_logged(LOGGED);
    assert!(
        karafka_tests::wait_until(Duration::from_secs(10), || walk.logged_count(LOGGED) == 3),
        "the server logs the three events"
    );

    let listed = until(brokers, &["groups", "list"], |out| out.contains(GROUP));
    assert!(listed.starts_with("GROUP"), "{listed}");
    assert!(
        listed.contains(GROUP),
        "groups list shows the group:\n{listed}"
    );
    let lag = until(brokers, &["groups", "lag", "--json"], |out| {
        users_lag(out) == (3, true)
    });
    assert_eq!(
        users_lag(&lag),
        (3, true),
        "every users message committed, 0 lag:\n{lag}"
    );
    let (_, table, _) = cli(brokers, &["groups", "lag", GROUP]);
    assert!(
        table.starts_with("GROUP") && table.contains("users"),
        "{table}"
    );

    until(brokers, &["groups", "describe", GROUP], |out| {
        out.contains("Stable")
    });
    let (code, out, err) = cli(
        brokers,
        &["groups", "seek", GROUP, "--to", "earliest", "--yes"],
    );
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!(
            "cannot seek group `{GROUP}` while it has active members"
        )),
        "{err}"
    );
    walk.stop();

    let (code, out, err) = cli(brokers, &["groups", "seek", GROUP, "--to", "earliest"]);
    assert_eq!(
        code,
        Some(1),
        "without a terminal, --yes is required: {out}{err}"
    );
    assert!(err.contains("pass --yes"), "{err}");
    let (code, out, err) = cli(
        brokers,
        &["groups", "seek", GROUP, "--to", "earliest", "--yes"],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.contains(&format!("seek {GROUP} users/")), "{out}");

    let replay = Walkthrough::start(&[("KARAFKA_BROKERS", brokers)]);
    assert!(
        karafka_tests::wait_until(Duration::from_secs(30), || replay.logged_count(LOGGED) == 3),
        "the restarted server consumes the three events again"
    );
    replay.stop();
}
