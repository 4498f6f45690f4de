//! Killing and stopping a real server process mid-stream, then restarting it,
//! against Tansu (the broker must outlive the server process).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use karafka_tests::kafka::{create_topic, produce_sequence};
use karafka_tests::process::AppProcess;
use karafka_tests::records::{assert_order_per_lifetime, distinct, read as records};
use karafka_tests::tansu::Tansu;

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const PARTITIONS: i32 = 3;
const MESSAGES: usize = 600;

struct Setup {
    tansu: Tansu,
    root: tempfile::TempDir,
    placed: BTreeSet<(i32, i64)>,
}

async fn setup() -> Setup {
    let tansu = Tansu::start();
    create_topic(tansu.address(), "events", PARTITIONS).await;
    let placed = produce_sequence(tansu.address(), "events", PARTITIONS, MESSAGES)
        .await
        .into_iter()
        .collect();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("karafka.toml"),
        format!(
            "client_id = \"restarts\"\nbrokers = [\"{}\"]\nmax_messages = 10\nshutdown_timeout = 20000\n\n[kafka]\n\"session.timeout.ms\" = 6000\n",
            tansu.address()
        ),
    )
    .unwrap();
    Setup {
        tansu,
        root,
        placed,
    }
}

fn start(root: &Path, record: &Path) -> AppProcess {
    let root = root.to_str().unwrap();
    let record = record.to_str().unwrap();
    AppProcess::spawn(
        Path::new(RECORDER),
        &["server"],
        &[
            ("KARAFKA_ROOT", root),
            ("RECORD_FILE", record),
            ("RECORD_DELAY_MS", "40"),
        ],
    )
}

fn record_file(setup: &Setup) -> PathBuf {
    setup.root.path().join("records.txt")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_restarts_and_every_message_is_consumed_at_least_once() {
    let setup = setup().await;
    let record = record_file(&setup);
    let first = start(setup.root.path(), &record);
    let started =
        karafka_tests::wait_until(Duration::from_secs(60), || records(&record).len() >= 100);
    assert!(
        started,
        "the first server consumed too little:\n{}",
        first.log()
    );
    first.signal(libc::SIGKILL);
    drop(first);
    let killed_at = records(&record).len();

    let second = start(setup.root.path(), &record);
    let done = karafka_tests::wait_until(Duration::from_secs(120), || {
        distinct(&records(&record)).len() >= setup.placed.len()
    });
    let all = records(&record);
    assert!(
        done,
        "only {} of {} consumed after the restart:\n{}",
        distinct(&all).len(),
        setup.placed.len(),
        second.log()
    );
    assert_eq!(
        distinct(&all),
        setup.placed,
        "every produced message is consumed"
    );
    assert_order_per_lifetime(&all);
    println!(
        "killed after {killed_at} records; {} records in all, {} replayed",
        all.len(),
        all.len() - setup.placed.len()
    );
    drop(setup.tansu);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopped_with_sigterm_restarts_without_consuming_anything_twice() {
    let setup = setup().await;
    let record = record_file(&setup);
    let mut first = start(setup.root.path(), &record);
    let started =
        karafka_tests::wait_until(Duration::from_secs(60), || records(&record).len() >= 100);
    assert!(
        started,
        "the first server consumed too little:\n{}",
        first.log()
    );
    first.signal(libc::SIGTERM);
    let status = first.wait_exit(Duration::from_secs(30));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "graceful stop exits 0:\n{}",
        first.log()
    );
    let stopped_at = records(&record).len();
    assert!(
        stopped_at < setup.placed.len(),
        "the stop should land mid-stream"
    );

    let second = start(setup.root.path(), &record);
    let done = karafka_tests::wait_until(Duration::from_secs(120), || {
        records(&record).len() >= setup.placed.len()
    });
    let all = records(&record);
    assert!(
        done,
        "only {} of {} consumed after the restart:\n{}",
        all.len(),
        setup.placed.len(),
        second.log()
    );
    // Give a duplicate the chance to show up before judging.
    std::thread::sleep(Duration::from_secs(2));
    let all = records(&record);
    assert_eq!(
        distinct(&all),
        setup.placed,
        "every produced message is consumed"
    );
    assert_eq!(
        all.len(),
        setup.placed.len(),
        "no message is consumed twice across a graceful restart"
    );
    assert_order_per_lifetime(&all);
    drop(setup.tansu);
}
