//! Supervision on the embedded broker: a consumer group whose Kafka client hits
//! a fatal error (the mock cluster fences its next heartbeat, as a broker fences
//! a static member replaced by a newer one) stops the whole server. `wait()`
//! says which group failed and why, `error.occurred` reports it, and the health
//! view and the MetricsListener's liveness show the group failed.

use std::time::Duration;

use karafka::config::KafkaValue;
use karafka::embedded::EmbeddedBroker;
use karafka::instrumentation::{ErrorType, Event};
use karafka::{Consumer, Context, GroupState, Messages, MetricsListener, StopReason};
use karafka_tests::{app_on, eventually, EventLog};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

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
