//! The app binary's `respond` and `produce` commands against the embedded broker
//! (run in this process, reached by the CLI through KARAFKA_BROKERS): responders
//! called by name, options on every message, stdin one line per message, and
//! clear errors that name the responder or the failing line.

use std::path::Path;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka_tests::kafka::read_messages;
use karafka_tests::process::{run, run_with_stdin};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const PARTITIONS: i32 = 3;

/// An embedded broker with the `events` topic, and an app directory for the CLI.
fn setup() -> (EmbeddedBroker, tempfile::TempDir) {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("events", PARTITIONS).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("karafka.toml"),
        "client_id = \"cli\"\ndelivery_timeout = 10000\n",
    )
    .unwrap();
    (broker, dir)
}

fn env<'a>(broker: &'a EmbeddedBroker, dir: &'a tempfile::TempDir) -> [(&'a str, &'a str); 2] {
    [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("KARAFKA_BROKERS", broker.bootstrap_servers()),
    ]
}

#[test]
fn respond_sends_through_the_registered_responder_with_key_partition_and_headers() {
    let (broker, dir) = setup();
    let (status, out, err) = run(
        Path::new(RECORDER),
        &[
            "respond",
            "EventsResponder",
            r#"{"n":1}"#,
            "--key",
            "user-1",
            "--partition",
            "2",
            "--header",
            "source=cli",
        ],
        &env(&broker, &dir),
    );
    assert!(status.success(), "{out}{err}");
    assert_eq!(out.trim(), "delivered to events/2 at offset 0", "{err}");
    let read = read_messages(
        broker.bootstrap_servers(),
        "events",
        PARTITIONS,
        1,
        Duration::from_secs(10),
    );
    assert_eq!(read.len(), 1, "{read:?}");
    let message = &read[0];
    assert_eq!(message.partition, 2);
    assert_eq!(message.key.as_deref(), Some(&b"user-1"[..]));
    assert_eq!(message.payload.as_deref(), Some(&br#"{"n":1}"#[..]));
    assert_eq!(
        message.headers,
        [
            ("responder".to_owned(), b"EventsResponder".to_vec()),
            ("source".to_owned(), b"cli".to_vec())
        ]
    );
}

#[test]
fn produce_from_stdin_sends_each_line_in_order_and_counts_them() {
    let (broker, dir) = setup();
    let mut stdin = String::new();
    for i in 0..300 {
        stdin.push_str(&format!("line-{i}\n"));
        if i == 100 || i == 200 {
            stdin.push('\n');
        }
    }
    let (status, out, err) = run_with_stdin(
        Path::new(RECORDER),
        &["produce", "events", "-", "--partition", "1"],
        &env(&broker, &dir),
        &stdin,
    );
    assert!(status.success(), "{out}{err}");
    assert_eq!(
        out.trim(),
        "delivered 300 messages from 302 lines of stdin to topic events (2 blank lines skipped)"
    );
    let read = read_messages(
        broker.bootstrap_servers(),
        "events",
        PARTITIONS,
        300,
        Duration::from_secs(10),
    );
    let payloads: Vec<String> = read
        .iter()
        .map(|m| String::from_utf8(m.payload.clone().unwrap()).unwrap())
        .collect();
    let expected: Vec<String> = (0..300).map(|i| format!("line-{i}")).collect();
    assert_eq!(payloads, expected, "one message per line, in order");
}

#[test]
fn respond_from_stdin_stops_at_an_invalid_line_naming_it() {
    let (broker, dir) = setup();
    let stdin = "{\"n\":1}\n{\"n\":2}\nnot json\n{\"n\":4}\n";
    let (status, out, err) = run_with_stdin(
        Path::new(RECORDER),
        &["respond", "EventsResponder", "-"],
        &env(&broker, &dir),
        stdin,
    );
    assert!(!status.success(), "{out}{err}");
    assert!(
        err.contains("line 3 of stdin: invalid input for responder `EventsResponder`"),
        "{err}"
    );
    assert!(err.contains("after delivering 2 messages"), "{err}");
    let read = read_messages(
        broker.bootstrap_servers(),
        "events",
        PARTITIONS,
        3,
        Duration::from_secs(3),
    );
    assert_eq!(
        read.len(),
        2,
        "the lines before the bad one, and no more: {read:?}"
    );
}

#[test]
fn respond_with_an_unknown_responder_lists_the_registered_ones() {
    let (broker, dir) = setup();
    let (status, out, err) = run(
        Path::new(RECORDER),
        &["respond", "EventResponder", "{}"],
        &env(&broker, &dir),
    );
    assert!(!status.success(), "{out}{err}");
    assert!(
        err.contains("no responder named `EventResponder`; registered: EventsResponder"),
        "{err}"
    );
}
