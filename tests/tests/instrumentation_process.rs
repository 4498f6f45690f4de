//! A real server process (the `recorder` app) with `server --metrics`: its
//! Prometheus endpoint scraped over HTTP while a backlog drains, and its process
//! title read back from the OS.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::proctitle::process_title;
use karafka_tests::http::{get, sample, samples};
use karafka_tests::kafka::produce_sequence;
use karafka_tests::process::AppProcess;
use karafka_tests::records::read as records;
use karafka_tests::wait_until;

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");

fn app_dir(karafka_toml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("karafka.toml"), karafka_toml).unwrap();
    dir
}

/// The metrics address the server logged (`Metrics on http://ADDR/metrics`).
fn metrics_address(server: &AppProcess) -> String {
    assert!(
        server.wait_for_line("Metrics on http://", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let log = server.log();
    let rest = &log[log.find("Metrics on http://").unwrap() + "Metrics on http://".len()..];
    rest[..rest.find("/metrics").unwrap()].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_endpoint_reports_consumption_and_lag_falling_to_zero_as_a_backlog_drains() {
    // Statistics every 200 ms for the lag gauges; 10-message batches of 150 ms
    // each make the 300-message backlog take 30 batches (4.5 s) to drain.
    let dir = app_dir(
        "client_id = \"scraped\"\nmax_messages = 10\n\n[kafka]\n\"statistics.interval.ms\" = 200\n",
    );
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("RECORD_FILE", record.to_str().unwrap()),
        ("RECORD_DELAY_MS", "150"),
    ];
    let mut server = AppProcess::spawn(
        Path::new(RECORDER),
        &["server", "--metrics", "127.0.0.1:0"],
        &env,
    );
    let address = metrics_address(&server);
    assert!(
        server.wait_for_line("Partitions assigned", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let brokers = EmbeddedBroker::discover(dir.path(), "scraped").expect("the server's broker");
    produce_sequence(&brokers, "events", 3, 300).await;

    let lag_series = |p: i32| {
        format!("karafka_consumer_lag{{consumer_group=\"recorder\",topic=\"events\",partition=\"{p}\"}}")
    };
    let consumed_series =
        "karafka_messages_consumed_total{consumer_group=\"recorder\",topic=\"events\"}";
    let mut highest_lag: BTreeMap<i32, f64> = BTreeMap::new();
    let mut last = String::new();
    let drained = wait_until(Duration::from_secs(120), || {
        let Ok((200, text)) = get(&address, "/metrics") else {
            return false;
        };
        for partition in 0..3 {
            if let Some(lag) = sample(&text, &lag_series(partition)) {
                let highest = highest_lag.entry(partition).or_default();
                *highest = highest.max(lag);
            }
        }
        last = text;
        sample(&last, consumed_series) == Some(300.0)
            && (0..3).all(|p| sample(&last, &lag_series(p)) == Some(0.0))
    });
    assert!(drained, "{last}\n{}", server.log());
    assert_eq!(records(&record).len(), 300);
    assert!(
        highest_lag.values().any(|lag| *lag > 0.0),
        "lag was seen while the backlog drained: {highest_lag:?}"
    );

    let text = last;
    assert!(
        text.contains("# TYPE karafka_consume_duration_seconds histogram"),
        "{text}"
    );
    let batches = sample(
        &text,
        "karafka_batches_consumed_total{consumer_group=\"recorder\",topic=\"events\"}",
    )
    .unwrap();
    let histogram_count = sample(
        &text,
        "karafka_consume_duration_seconds_count{consumer_group=\"recorder\",topic=\"events\"}",
    );
    assert_eq!(histogram_count, Some(batches));
    let under_150ms = sample(
        &text,
        "karafka_consume_duration_seconds_bucket{consumer_group=\"recorder\",topic=\"events\",le=\"0.1\"}",
    );
    assert_eq!(under_150ms, Some(0.0), "every batch slept 150 ms: {text}");
    assert_eq!(
        sample(
            &text,
            "karafka_assigned_partitions{consumer_group=\"recorder\"}"
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            "karafka_rebalances_total{consumer_group=\"recorder\",event=\"partitions_assigned\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "karafka_app_status{status=\"running\"}"),
        Some(1.0)
    );
    assert!(samples(&text, "karafka_errors_total").is_empty(), "{text}");

    let (status, body) = get(&address, "/live").unwrap();
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert_eq!(get(&address, "/nope").unwrap().0, 404);

    // A payload that is not JSON fails in the recorder: counted by type.
    produce_not_json(&brokers).await;
    let counted = wait_until(Duration::from_secs(60), || {
        get(&address, "/metrics").is_ok_and(|(_, text)| {
            sample(
                &text,
                "karafka_errors_total{consumer_group=\"recorder\",type=\"consumer.consume.error\"}",
            )
            .is_some_and(|n| n >= 1.0)
        })
    });
    assert!(counted, "{}", get(&address, "/metrics").unwrap().1);

    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(60));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log());
}

async fn produce_not_json(brokers: &str) {
    let producer = karafka::producer::Producer::new(&karafka::Config::default(), brokers).unwrap();
    producer
        .send(&karafka::producer::Record::new("events", "not json").partition(0))
        .await
        .unwrap();
}

#[test]
fn the_process_title_shows_the_client_id_and_status_read_back_from_the_os() {
    let dir = app_dir("client_id = \"titled\"\n");
    let record = dir.path().join("records.txt");
    let env = [
        ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
        ("RECORD_FILE", record.to_str().unwrap()),
    ];
    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    let pid = server.pid();
    let title_becomes = |expected: &str| {
        let mut seen = String::new();
        let reached = wait_until(Duration::from_secs(60), || {
            seen = process_title(pid).unwrap_or_default();
            seen == expected
        });
        assert!(
            reached,
            "title `{seen}`, expected `{expected}`\n{}",
            server.log()
        );
    };
    title_becomes("karafka titled (running)");
    // What ps shows too (it reads the same /proc/<pid>/cmdline).
    let ps = std::process::Command::new("ps")
        .args(["-o", "args=", "-p", &pid.to_string()])
        .output();
    if let Some(ps) = ps.ok().filter(|o| o.status.success()) {
        let shown = String::from_utf8_lossy(&ps.stdout);
        assert!(shown.starts_with("karafka titled (running)"), "{shown}");
    }

    server.signal(libc::SIGTSTP);
    title_becomes("karafka titled (quieting)");
    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(60));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{}", server.log());
}
