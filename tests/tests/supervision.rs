//! Supervision. In process, on the embedded broker: a consumer group whose
//! Kafka client hits a fatal error (the mock cluster fences its next heartbeat,
//! as a broker fences a static member replaced by a newer one) stops the whole
//! server; `wait()` says which group failed and why, `error.occurred` reports
//! it, and the health view and the MetricsListener's liveness show the group
//! failed. As an operator sees it, with the `recorder` app's `server` command:
//! a failed group ends the process with a non-zero exit code (never a
//! half-dead process that exits 0 later), and a second SIGTERM during a
//! graceful stop exits 2 at once, naming what was still running.

use std::path::Path;
use std::time::{Duration, Instant};

use karafka::config::KafkaValue;
use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::{ErrorType, Event};
use karafka::{Consumer, Context, GroupState, Messages, MetricsListener, StopReason};
use karafka_tests::mock_broker::MockBrokerProcess;
use karafka_tests::process::{run, AppProcess};
use karafka_tests::{app_dir, app_on, eventually, EventLog};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const MOCK_BROKER: &str = env!("CARGO_BIN_EXE_mock_broker");

#[derive(Default)]
struct Idle;

impl Consumer for Idle {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _: &mut Context,
        _: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        Ok(())
    }
}

karafka::routes! {
    consumer_group alpha {
        topic alpha_events { consumer: Idle }
    }
    consumer_group beta {
        topic beta_events { consumer: Idle }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_client_error_stops_every_group_and_wait_says_which_failed() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("alpha_events", 1).unwrap();
    broker.create_topic("beta_events", 1).unwrap();
    let events = EventLog::default();
    let metrics = MetricsListener::new();
    let server = app_on(broker.bootstrap_servers(), "supervised", |config| {
        config.max_wait_time = 100;
        // Heartbeats often, so the fenced one comes soon.
        config
            .kafka
            .insert("heartbeat.interval.ms".into(), KafkaValue::Integer(100));
    })
    .listener(events.listener())
    .listener(metrics.clone())
    .spawn()
    .await
    .unwrap();
    assert!(
        eventually(Duration::from_secs(60), || events
            .count("rebalance.partitions_assigned")
            == 2)
        .await
    );
    let health = server.health();
    assert!(health.is_alive());
    assert_eq!(health.to_string(), "ok");
    assert!(health
        .groups()
        .iter()
        .all(|g| g.state == GroupState::Running));

    broker.mock().request_errors(
        RDKafkaApiKey::Heartbeat,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID],
    );
    let reason = tokio::time::timeout(Duration::from_secs(60), server.wait())
        .await
        .expect("the fatal error stops the server on its own");

    let StopReason::FatalClientError {
        consumer_group: failed,
        error,
    } = &reason
    else {
        panic!("a fatal client error, not {reason:?}");
    };
    assert!(["alpha", "beta"].contains(&&**failed), "{reason}");
    assert!(error.contains("fenced"), "{error}");
    let other = if &**failed == "alpha" {
        "beta"
    } else {
        "alpha"
    };

    for group in health.groups() {
        let expected = if *group.consumer_group == **failed {
            GroupState::Failed(reason.clone())
        } else {
            GroupState::Stopped
        };
        assert_eq!(group.state, expected, "{}", group.consumer_group);
    }
    assert!(!health.is_alive());
    assert_eq!(
        health.to_string(),
        format!("failed: consumer group {failed}: fatal Kafka client error: {error}")
    );
    let reports = events.matching(|e| match e {
        Event::ErrorOccurred(e) if e.error_type == ErrorType::ConnectionListenerFetchLoop => {
            Some(e.consumer_group.as_deref().map(str::to_owned))
        }
        _ => None,
    });
    assert_eq!(reports, [Some(failed.to_string())]);
    assert_eq!(events.count("app.stopping"), 1, "the whole server stops");
    let commit_errors = events.matching(|e| match e {
        Event::ErrorOccurred(e) if e.error_type == ErrorType::ConnectionClientCommit => {
            Some(e.error.clone())
        }
        _ => None,
    });
    assert!(
        commit_errors.is_empty(),
        "a fenced client does not try to commit: {commit_errors:?}"
    );
    let liveness = metrics.liveness();
    assert!(!liveness.is_alive());
    assert_eq!(liveness.failed.len(), 1, "{liveness}");
    assert!(
        liveness.to_string().starts_with(&format!(
            "failed: consumer group {failed}: fatal Kafka client error"
        )),
        "{liveness}"
    );
    assert!(!liveness.to_string().contains(other), "{liveness}");

    server.stop().await.unwrap();
    assert_eq!(events.count("app.stopped"), 1);
}

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
