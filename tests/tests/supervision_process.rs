//! Supervision as an operator sees it, with the `recorder` app's `server`
//! command: a consumer group that fails stops the process with a non-zero exit
//! code (never a half-dead process that exits 0 later), and a second SIGTERM
//! during a graceful stop exits 2 at once, naming what was still running.

use std::path::Path;
use std::time::{Duration, Instant};

use karafka_tests::app_dir;
use karafka_tests::mock_broker::MockBrokerProcess;
use karafka_tests::process::{run, AppProcess};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const MOCK_BROKER: &str = env!("CARGO_BIN_EXE_mock_broker");

#[test]
fn server_exits_non_zero_when_a_consumer_group_hits_a_fatal_client_error() {
    let mut broker = MockBrokerProcess::start(Path::new(MOCK_BROKER), &[("events", 1)]);
    let dir = app_dir(
        "client_id = \"fenced\"\nmax_wait_time = 100\n[kafka]\n\"heartbeat.interval.ms\" = 100\n",
    );
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("KARAFKA_BROKERS", broker.address()),
        ("RECORD_FILE", record.to_str().unwrap()),
    ];
    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
        "{}",
        server.log()
    );

    broker.command("fence-heartbeat");
    let status = server.wait_exit(Duration::from_secs(30));
    let log = server.log();
    let code = status.and_then(|s| s.code());
    assert!(
        code.is_some_and(|c| c != 0),
        "a failed group ends the process with a non-zero code, got {code:?}:\n{log}"
    );
    assert!(
        log.contains("connection.listener.fetch_loop.error"),
        "the failure is an error.occurred event:\n{log}"
    );
    assert!(
        log.contains("the server stopped: consumer group recorder: fatal Kafka client error"),
        "the process says why it stopped:\n{log}"
    );
}

#[test]
fn second_sigterm_exits_2_at_once_naming_the_running_job() {
    let dir = app_dir("client_id = \"impatient\"\nshutdown_timeout = 60000\n");
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("RECORD_FILE", record.to_str().unwrap()),
        ("RECORD_DELAY_MS", "60000"),
    ];
    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let (status, out, err) = run(
        Path::new(RECORDER),
        &["produce", "events", "{}", "--partition", "0"],
        &env,
    );
    assert!(status.success(), "{out}{err}");
    // The consumer now sleeps for a minute inside `consume`; give it time to start.
    std::thread::sleep(Duration::from_secs(2));
    server.signal(libc::SIGTERM);
    assert!(
        server.wait_for_line("Received SIGTERM, stopping", Duration::from_secs(10)),
        "{}",
        server.log()
    );
    assert!(
        server.wait_exit(Duration::from_millis(500)).is_none(),
        "the first SIGTERM waits for the running job:\n{}",
        server.log()
    );

    let second = Instant::now();
    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(5));
    let took = second.elapsed();
    let log = server.log();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{log}");
    assert!(
        took < Duration::from_secs(1),
        "exited {took:?} after the second SIGTERM"
    );
    let last_words: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Received SIGTERM again"))
        .collect();
    assert_eq!(last_words.len(), 1, "{log}");
    assert!(
        last_words[0].contains("exits at once (code 2); still running:")
            && last_words[0].contains(
                "consumer group recorder events/0: RecordingConsumer consuming events/0 offsets 0..=0 (for "
            ),
        "{log}"
    );
    assert!(!record.exists(), "the unfinished batch recorded nothing");
}
