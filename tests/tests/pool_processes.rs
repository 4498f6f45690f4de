//! Worker-pool servers as real processes: quiet mode on SIGTSTP, and a second
//! server joining the group mid-stream on Tansu without losing anything.

use std::path::Path;
use std::time::Duration;

use karafka_tests::app_dir;
use karafka_tests::kafka::{create_topic, produce_sequence};
use karafka_tests::process::{run, AppProcess};
use karafka_tests::records::{assert_order_per_lifetime, distinct, read as records};
use karafka_tests::tansu::Tansu;
use karafka_tests::wait_until;

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");

#[test]
fn sigtstp_quiets_the_server_which_then_takes_no_new_batch_and_stops_on_sigterm() {
    let dir = app_dir("client_id = \"quiet\"\nbackend = \"worker_pool\"\n");
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("RECORD_FILE", record.to_str().unwrap()),
    ];
    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let produce = |payload: &str| {
        let (status, out, err) = run(
            Path::new(RECORDER),
            &["produce", "events", payload, "--partition", "0"],
            &env,
        );
        assert!(status.success(), "{out}{err}");
    };
    produce("{\"n\":1}");
    assert!(
        wait_until(Duration::from_secs(30), || records(&record).len() == 1),
        "{}",
        server.log()
    );

    server.signal(libc::SIGTSTP);
    assert!(
        server.wait_for_line("Quiet mode", Duration::from_secs(10)),
        "{}",
        server.log()
    );
    produce("{\"n\":2}");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(records(&record).len(), 1, "no new batch in quiet mode");
    assert!(
        !server.log().contains("Partitions revoked"),
        "quiet mode keeps the partitions"
    );

    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(30));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_joining_mid_stream_on_tansu_loses_nothing() {
    let tansu = Tansu::start();
    create_topic(tansu.address(), "events", 3).await;
    let placed = produce_sequence(tansu.address(), "events", 3, 1200).await;
    let dir = app_dir(&format!(
        "client_id = \"joiners\"\nbrokers = [\"{}\"]\nbackend = \"worker_pool\"\nconcurrency = 3\nmax_messages = 5\n\n[kafka]\n\"session.timeout.ms\" = 6000\n",
        tansu.address()
    ));
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("RECORD_FILE", record.to_str().unwrap()),
        ("RECORD_DELAY_MS", "100"),
    ];
    let first = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        wait_until(Duration::from_secs(60), || records(&record).len() >= 60),
        "{}",
        first.log()
    );
    let second = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    let done = wait_until(Duration::from_secs(120), || {
        distinct(&records(&record)).len() >= placed.len()
    });
    let all = records(&record);
    assert!(
        done,
        "{} of {} consumed\nfirst:\n{}\nsecond:\n{}",
        distinct(&all).len(),
        placed.len(),
        first.log(),
        second.log()
    );
    assert_eq!(
        distinct(&all),
        placed.into_iter().collect(),
        "every message consumed"
    );
    assert_order_per_lifetime(&all);
    let pids: std::collections::BTreeSet<u32> = all.iter().map(|r| r.0).collect();
    assert_eq!(pids.len(), 2, "both servers consumed: {pids:?}");
    println!(
        "{} records for {} messages",
        all.len(),
        distinct(&all).len()
    );
}
