use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::config::Backend;
use crate::instrumentation::{
    AppStatus, ErrorType, Event, FilteringDropped, Monitor, PartitionStatistics, PauseReason,
};

fn consumed(topic: &str, size: usize, millis: u64) -> Event {
    Event::ConsumerConsumed(ConsumerConsumed {
        consumer_group: Arc::from("g"),
        topic: Arc::from(topic),
        partition: 0,
        consumer: "C",
        backend: Backend::Inline,
        size,
        first_offset: 0,
        last_offset: size as i64 - 1,
        duration: Duration::from_millis(millis),
        attempt: 1,
        consumption_lag: None,
        virtual_partition: None,
    })
}

fn lag_report(lags: &[(i32, Option<i64>)]) -> Event {
    Event::StatisticsEmitted(Statistics {
        consumer_group: Arc::from("g"),
        client_name: "rdkafka#consumer-1".into(),
        partitions: lags
            .iter()
            .map(|(partition, lag)| PartitionStatistics {
                topic: Arc::from("events"),
                partition: *partition,
                fetch_state: "active".into(),
                high_watermark: Some(100),
                committed_offset: None,
                stored_offset: None,
                consumer_lag: None,
                consumer_lag_stored: *lag,
            })
            .collect(),
        raw: Arc::from("{}"),
    })
}

fn monitor_with(metrics: &MetricsListener) -> Monitor {
    let mut monitor = Monitor::default();
    monitor.register(metrics.clone());
    monitor
}

#[test]
fn consumption_is_counted_per_topic_with_a_cumulative_duration_histogram() {
    let metrics = MetricsListener::new();
    let monitor = monitor_with(&metrics);
    monitor.instrument(consumed("users", 3, 2));
    monitor.instrument(consumed("users", 2, 700));
    let text = metrics.render();
    assert!(
        text.contains("# TYPE karafka_messages_consumed_total counter"),
        "{text}"
    );
    assert!(
        text.contains("karafka_messages_consumed_total{consumer_group=\"g\",topic=\"users\"} 5"),
        "{text}"
    );
    assert!(
        text.contains("karafka_batches_consumed_total{consumer_group=\"g\",topic=\"users\"} 2"),
        "{text}"
    );
    let bucket = |le: &str| {
        format!("karafka_consume_duration_seconds_bucket{{consumer_group=\"g\",topic=\"users\",le=\"{le}\"}}")
    };
    assert!(text.contains(&format!("{} 0\n", bucket("0.001"))), "{text}");
    assert!(text.contains(&format!("{} 1\n", bucket("0.005"))), "{text}");
    assert!(text.contains(&format!("{} 1\n", bucket("0.5"))), "{text}");
    assert!(text.contains(&format!("{} 2\n", bucket("1"))), "{text}");
    assert!(text.contains(&format!("{} 2\n", bucket("+Inf"))), "{text}");
    assert!(
        text.contains(
            "karafka_consume_duration_seconds_count{consumer_group=\"g\",topic=\"users\"} 2"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "karafka_consume_duration_seconds_sum{consumer_group=\"g\",topic=\"users\"} 0.702"
        ),
        "{text}"
    );
}

#[test]
fn errors_are_counted_by_type_and_lag_follows_the_latest_report() {
    let metrics = MetricsListener::new();
    let monitor = monitor_with(&metrics);
    for _ in 0..2 {
        monitor.instrument(Event::ErrorOccurred(
            ErrorOccurred::new(ErrorType::ConsumerConsume, "boom").in_group(Arc::from("g")),
        ));
    }
    monitor.instrument(Event::ErrorOccurred(ErrorOccurred::new(
        ErrorType::ProducerDelivery,
        "x",
    )));
    monitor.instrument(lag_report(&[(0, Some(40)), (1, Some(7))]));
    monitor.instrument(lag_report(&[(0, Some(0)), (1, None)]));
    let text = metrics.render();
    assert!(
        text.contains(
            "karafka_errors_total{consumer_group=\"g\",type=\"consumer.consume.error\"} 2"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "karafka_errors_total{consumer_group=\"\",type=\"producer.delivery.error\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "karafka_consumer_lag{consumer_group=\"g\",topic=\"events\",partition=\"0\"} 0"
        ),
        "{text}"
    );
    assert!(
        !text.contains("partition=\"1\"}"),
        "unknown lag is not shown: {text}"
    );
}

#[test]
fn rebalances_pauses_and_dead_letters_are_counted_and_revoked_partitions_lose_their_lag() {
    let metrics = MetricsListener::new();
    let monitor = monitor_with(&metrics);
    let partitions = vec![(Arc::from("events"), vec![0, 1])];
    monitor.instrument(Event::PartitionsAssigned(Rebalance {
        consumer_group: Arc::from("g"),
        partitions: partitions.clone(),
    }));
    monitor.instrument(lag_report(&[(0, Some(3)), (1, Some(4))]));
    monitor.instrument(Event::PartitionsRevoked(Rebalance {
        consumer_group: Arc::from("g"),
        partitions: vec![(Arc::from("events"), vec![1])],
    }));
    monitor.instrument(Event::ConsumerConsumingPause(ConsumerConsumingPause {
        consumer_group: Arc::from("g"),
        topic: Arc::from("events"),
        partition: 0,
        offset: 4,
        reason: PauseReason::Backpressure,
        timeout: None,
    }));
    monitor.instrument(Event::DeadLetterQueueDispatched(
        DeadLetterQueueDispatched {
            consumer_group: Arc::from("g"),
            topic: Arc::from("events"),
            partition: 0,
            offset: 4,
            dead_letter_topic: Arc::from("dlq"),
            attempts: 3,
        },
    ));
    let text = metrics.render();
    assert!(
        text.contains(
            "karafka_rebalances_total{consumer_group=\"g\",event=\"partitions_assigned\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "karafka_rebalances_total{consumer_group=\"g\",event=\"partitions_revoked\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("karafka_assigned_partitions{consumer_group=\"g\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "karafka_consumer_lag{consumer_group=\"g\",topic=\"events\",partition=\"0\"} 3"
        ),
        "{text}"
    );
    assert!(!text.contains("partition=\"1\"}"), "{text}");
    assert!(
        text.contains(
            "karafka_pauses_total{consumer_group=\"g\",topic=\"events\",reason=\"backpressure\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "karafka_dead_letter_queue_dispatched_total{consumer_group=\"g\",topic=\"events\"} 1"
        ),
        "{text}"
    );
}

#[test]
fn liveness_fails_once_a_fetch_loop_goes_quiet_for_longer_than_the_limit() {
    let metrics = MetricsListener::new().liveness_timeout(Duration::from_millis(30));
    let monitor = monitor_with(&metrics);
    assert!(
        metrics.liveness().is_alive(),
        "no fetch loop yet is not a stall"
    );
    monitor.instrument(Event::FetchLoop(FetchLoop {
        consumer_group: Arc::from("g"),
    }));
    assert!(metrics.liveness().is_alive());
    std::thread::sleep(Duration::from_millis(60));
    let liveness = metrics.liveness();
    assert!(!liveness.is_alive());
    assert!(
        liveness
            .to_string()
            .contains("consumer group g: no fetch loop iteration for"),
        "{liveness}"
    );
    monitor.instrument(Event::FetchLoop(FetchLoop {
        consumer_group: Arc::from("g"),
    }));
    assert!(metrics.liveness().is_alive());
    std::thread::sleep(Duration::from_millis(60));
    monitor.instrument(AppStatusChanged::new("app", AppStatus::Stopped).into_event());
    assert!(
        metrics.liveness().is_alive(),
        "a stopped app has no fetch loop to stall"
    );
    assert!(metrics
        .render()
        .contains("karafka_app_status{status=\"stopped\"} 1"));
}

#[test]
fn label_values_are_escaped() {
    assert_eq!(registry_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

fn registry_escape(value: &str) -> String {
    let metrics = MetricsListener::new();
    let monitor = monitor_with(&metrics);
    monitor.instrument(Event::ErrorOccurred(
        ErrorOccurred::new(ErrorType::ConsumerConsume, "x").in_group(Arc::from(value)),
    ));
    let text = metrics.render();
    let line = text
        .lines()
        .find(|l| l.starts_with("karafka_errors_total{"))
        .unwrap()
        .to_owned();
    line.trim_start_matches("karafka_errors_total{consumer_group=\"")
        .split("\",type=")
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn statistics_are_asked_for_and_the_liveness_limit_follows_max_poll_interval() {
    let mut config = Config::default();
    config.kafka.insert(
        "max.poll.interval.ms".into(),
        crate::config::KafkaValue::Integer(45_000),
    );
    let metrics = MetricsListener::for_config(&config);
    assert_eq!(metrics.liveness().timeout, Duration::from_secs(45));
    assert_eq!(
        Listener::statistics_interval(&metrics),
        Some(Duration::from_secs(5))
    );
    let quiet = MetricsListener::new().statistics_every(None);
    assert_eq!(Listener::statistics_interval(&quiet), None);
}

#[test]
fn filtered_messages_are_counted_per_filter_and_filter_pauses_by_reason() {
    let metrics = MetricsListener::default();
    let monitor = monitor_with(&metrics);
    for (filter, offsets) in [("expire_in", vec![0, 1, 2]), ("SpamFilter", vec![5])] {
        monitor.instrument(Event::FilteringDropped(FilteringDropped {
            consumer_group: Arc::from("g"),
            topic: Arc::from("events"),
            partition: 0,
            filter,
            offsets,
        }));
    }
    monitor.instrument(Event::ConsumerConsumingPause(ConsumerConsumingPause {
        consumer_group: Arc::from("g"),
        topic: Arc::from("events"),
        partition: 0,
        offset: 6,
        reason: PauseReason::Filter,
        timeout: Some(Duration::from_millis(400)),
    }));
    let text = metrics.render();
    for line in [
        "karafka_filtered_messages_total{consumer_group=\"g\",topic=\"events\",filter=\"expire_in\"} 3",
        "karafka_filtered_messages_total{consumer_group=\"g\",topic=\"events\",filter=\"SpamFilter\"} 1",
        "karafka_pauses_total{consumer_group=\"g\",topic=\"events\",reason=\"filter\"} 1",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
}

#[test]
fn batches_of_virtual_partitions_are_counted_per_lane() {
    let metrics = MetricsListener::new();
    let monitor = monitor_with(&metrics);
    for lane in [Some(0), Some(1), Some(1), None] {
        let Event::ConsumerConsumed(mut event) = consumed("orders", 2, 5) else {
            unreachable!()
        };
        event.virtual_partition = lane;
        monitor.instrument(Event::ConsumerConsumed(event));
    }
    let text = metrics.render();
    let lane = |n: usize| {
        format!("karafka_virtual_partition_batches_consumed_total{{consumer_group=\"g\",topic=\"orders\",virtual_partition=\"{n}\"}}")
    };
    assert!(text.contains(&format!("{} 1\n", lane(0))), "{text}");
    assert!(text.contains(&format!("{} 2\n", lane(1))), "{text}");
    assert!(
        text.contains("karafka_batches_consumed_total{consumer_group=\"g\",topic=\"orders\"} 4"),
        "{text}"
    );
}
