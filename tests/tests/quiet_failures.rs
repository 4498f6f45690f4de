//! A broker that is not there is said in a few plain lines, not librdkafka's
//! hundreds: the CLI's `produce` and `respond` give up within the connect
//! timeout, a server whose broker is away says so briefly and recovers by
//! itself, and a group that gets no partition is warned about.

use std::path::Path;
use std::time::{Duration, Instant};

use karafka_tests::mock_broker::MockBrokerProcess;
use karafka_tests::process::{run, AppProcess};
use karafka_tests::{app_dir, free_port, wait_until};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const MOCK_BROKER: &str = env!("CARGO_BIN_EXE_mock_broker");

/// The only broker of the mock cluster.
const BROKER: i32 = 1;

/// Lines of a log that are about consuming, not about the broker.
fn is_consumption(line: &str) -> bool {
    line.contains("processing of topic") || line.contains("delegated to")
}

#[test]
fn produce_and_respond_to_an_unreachable_broker_fail_within_the_connect_timeout_in_a_few_lines() {
    let port = free_port();
    let dir = app_dir(&format!("brokers = [\"127.0.0.1:{port}\"]\n"));
    let root = dir.path().to_str().unwrap().to_owned();
    let commands: [&[&str]; 2] = [
        &["produce", "events", "{\"id\":1}"],
        &["respond", "EventsResponder", "{\"id\":1}"],
    ];
    let runs: Vec<_> = commands
        .into_iter()
        .map(|args| {
            let root = root.clone();
            std::thread::spawn(move || {
                let started = Instant::now();
                let (status, stdout, stderr) = run(
                    Path::new(RECORDER),
                    args,
                    &[("KARAFKA_ROOT", &root), ("RUST_BACKTRACE", "0")],
                );
                (args[0], status.code(), started.elapsed(), stdout + &stderr)
            })
        })
        .collect();
    for handle in runs {
        let (command, code, took, output) = handle.join().unwrap();
        assert_eq!(code, Some(1), "{command}:\n{output}");
        assert!(
            took < Duration::from_secs(12),
            "{command} took {took:?}:\n{output}"
        );
        assert!(
            output.contains(&format!(
                "cannot reach the brokers 127.0.0.1:{port} within 10000 ms"
            )),
            "{command} names the brokers it tried:\n{output}"
        );
        let lines = output.lines().filter(|l| !l.trim().is_empty()).count();
        assert!(lines <= 5, "{command} printed {lines} lines:\n{output}");
    }
}

#[test]
fn a_server_whose_broker_is_away_for_30_s_logs_a_few_lines_and_recovers_by_itself() {
    let mut broker = MockBrokerProcess::start(Path::new(MOCK_BROKER), &[("events", 1)]);
    let dir = app_dir(&format!(
        "client_id = \"away\"\nbrokers = [\"{}\"]\n",
        broker.address()
    ));
    let root = dir.path().to_str().unwrap().to_owned();
    let record = dir.path().join("record.txt");
    let server = AppProcess::spawn(
        Path::new(RECORDER),
        &["server"],
        &[
            ("KARAFKA_ROOT", &root),
            ("RECORD_FILE", record.to_str().unwrap()),
        ],
    );
    assert!(
        server.wait_for_line("Partitions assigned for `events`", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let before = server.log().lines().count();

    broker.broker_down(BROKER);
    std::thread::sleep(Duration::from_secs(30));
    broker.broker_up(BROKER);

    let (status, stdout, stderr) = run(
        Path::new(RECORDER),
        &["produce", "events", "{\"after\":\"up\"}"],
        &[("KARAFKA_ROOT", &root)],
    );
    assert!(status.success(), "{stdout}{stderr}");
    let offset = stdout
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_else(|| panic!("produce prints the offset: {stdout}"))
        .to_owned();
    let recovered = wait_until(Duration::from_secs(60), || {
        std::fs::read_to_string(&record)
            .unwrap_or_default()
            .lines()
            .any(|l| l.ends_with(&format!(" 0 {offset}")))
    });
    let log = server.log();
    let about: Vec<&str> = log
        .lines()
        .skip(before)
        .filter(|l| !is_consumption(l))
        .collect();
    assert!(
        recovered,
        "the message sent after the broker came back is consumed:\n{log}"
    );
    assert!(
        about.len() <= 10,
        "{} lines about the broker being away:\n{}",
        about.len(),
        about.join("\n")
    );
    assert!(
        about
            .iter()
            .any(|l| l.contains(&format!("broker {} unreachable", broker.address()))),
        "says plainly which broker is away:\n{}",
        about.join("\n")
    );
}

#[test]
fn a_group_without_partitions_is_warned_about_and_kafka_debug_settings_reach_the_log() {
    // No topic at all, and the server may not create it: the group gets nothing.
    let broker = MockBrokerProcess::start(Path::new(MOCK_BROKER), &[]);
    let dir = app_dir(&format!(
        "client_id = \"idle\"\nbrokers = [\"{}\"]\nauto_create_topics = false\n\n[kafka]\n\"session.timeout.ms\" = 3000\n\"heartbeat.interval.ms\" = 1000\ndebug = \"cgrp\"\n",
        broker.address()
    ));
    let root = dir.path().to_str().unwrap().to_owned();
    // Without RUST_LOG: the `debug` setting alone shows librdkafka's debug lines.
    let server = AppProcess::spawn(
        Path::new(RECORDER),
        &["server"],
        &[("KARAFKA_ROOT", &root), ("RUST_LOG", "")],
    );
    let warned = server.wait_for_line("No partition assigned", Duration::from_secs(30));
    let log = server.log();
    assert!(warned, "{log}");
    let warning = log
        .lines()
        .find(|l| l.contains("No partition assigned"))
        .unwrap();
    for expected in [
        "[recorder]",
        "topics events",
        "group.id idle_recorder",
        "last word from Kafka: ",
    ] {
        assert!(warning.contains(expected), "{expected:?} in {warning}");
    }
    assert!(
        log.lines()
            .any(|l| l.contains("DEBUG") && l.contains("librdkafka")),
        "librdkafka's debug lines are shown:\n{log}"
    );
}
