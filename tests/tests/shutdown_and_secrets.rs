//! Server processes on their own embedded broker: a shutdown that overruns
//! `shutdown_timeout` exits 2 naming what still runs, and secrets in `[kafka]`
//! never reach the log.

use std::path::Path;
use std::time::Duration;

use karafka_tests::app_dir;
use karafka_tests::process::{run, AppProcess};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");

#[test]
fn shutdown_past_the_timeout_exits_2_and_says_what_was_running() {
    let dir = app_dir("client_id = \"slow\"\nshutdown_timeout = 1000\n");
    let root = dir.path().to_str().unwrap();
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", root),
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
    let status = server.wait_exit(Duration::from_secs(30));
    let log = server.log();
    assert_eq!(status.and_then(|s| s.code()), Some(2), "{log}");
    assert!(
        log.contains("shutdown did not finish within 1000 ms"),
        "{log}"
    );
    assert!(
        log.contains("RecordingConsumer consuming events/0 offsets 0..=0"),
        "{log}"
    );
    assert!(!record.exists(), "the unfinished batch recorded nothing");
}

#[test]
fn sasl_and_ssl_values_never_reach_the_log() {
    let dir = app_dir(
        "client_id = \"secretive\"\n[kafka]\n\"sasl.username\" = \"sentinel-user-0451\"\n\"sasl.password\" = \"sentinel-pass-0451\"\n",
    );
    let env = [("KARAFKA_ROOT", dir.path().to_str().unwrap())];
    let server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        server.wait_for_line("Running Karafka server", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains("sasl.password=[FILTERED]"), "{log}");
    assert!(log.contains("sasl.username=[FILTERED]"), "{log}");
    assert!(!log.contains("sentinel-"), "a secret leaked:\n{log}");
}
