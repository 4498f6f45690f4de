//! `StdoutListener`: the server log of Karafka's StdoutListener, through `tracing`.

use super::{
    AppStatusChanged, ConsumerConsumed, ConsumerConsumingPause, ConsumerConsumingRetry,
    ConsumerHook, DeadLetterQueueDispatched, ErrorOccurred, ErrorType, EventKind, Listener,
    PauseReason, ProducerDelivered, Rebalance, ResponderResponded,
};
use crate::config::Backend;

/// Logs consumption, rebalances, retries, pauses, responses and errors (to
/// stderr, via `tracing`, target `karafka`), in the words of Karafka's log:
/// `Inline processing of topic users with 1 messages took 9 ms`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutListener;

impl Listener for StdoutListener {
    fn listens_to(&self, kind: EventKind) -> bool {
        // The fetch loop events fire many times a second, statistics are for
        // metrics, and the server logs the signals it acts on itself.
        !matches!(
            kind,
            EventKind::FetchLoop
                | EventKind::FetchLoopReceived
                | EventKind::StatisticsEmitted
                | EventKind::ProcessNoticeSignal
                | EventKind::ConsumerConsume
        )
    }

    fn on_app_initialized(&self, event: &AppStatusChanged) {
        tracing::debug!(target: "karafka", "Initialized Karafka app {}", event.client_id);
    }

    fn on_app_running(&self, event: &AppStatusChanged) {
        tracing::debug!(target: "karafka", "Karafka app {} is running", event.client_id);
    }

    fn on_app_quieting(&self, _event: &AppStatusChanged) {
        tracing::info!(target: "karafka", "Quiet mode: finishing running work, taking no new batches");
    }

    fn on_app_stopping(&self, _event: &AppStatusChanged) {
        tracing::info!(target: "karafka", "Stopping Karafka server {}", std::process::id());
    }

    fn on_app_stopped(&self, _event: &AppStatusChanged) {
        tracing::info!(target: "karafka", "Stopped Karafka server {}", std::process::id());
    }

    fn on_consumer_consumed(&self, event: &ConsumerConsumed) {
        let ConsumerConsumed {
            consumer_group,
            topic,
            consumer,
            size,
            duration,
            ..
        } = event;
        let backend = match event.backend {
            Backend::Inline => "Inline",
            Backend::WorkerPool => "Worker pool",
        };
        let noun = if *size == 1 { "message" } else { "messages" };
        tracing::info!(
            target: "karafka",
            "[{consumer_group}] {backend} processing of topic {topic} with {size} messages took {} ms",
            duration.as_millis()
        );
        tracing::info!(
            target: "karafka",
            "[{consumer_group}] {size} {noun} on {topic} topic delegated to {consumer}"
        );
    }

    fn on_consumer_revoked(&self, event: &ConsumerHook) {
        tracing::debug!(
            target: "karafka",
            "[{}] {} revoked from {}/{}",
            event.consumer_group, event.consumer, event.topic, event.partition
        );
    }

    fn on_consumer_shutdown(&self, event: &ConsumerHook) {
        tracing::debug!(
            target: "karafka",
            "[{}] {} of {}/{} shut down",
            event.consumer_group, event.consumer, event.topic, event.partition
        );
    }

    fn on_consumer_tick(&self, event: &ConsumerHook) {
        tracing::trace!(
            target: "karafka",
            "[{}] {} ticked on {}/{}",
            event.consumer_group, event.consumer, event.topic, event.partition
        );
    }

    fn on_consumer_consuming_pause(&self, event: &ConsumerConsumingPause) {
        let ConsumerConsumingPause {
            consumer_group,
            topic,
            partition,
            offset,
            ..
        } = event;
        let pause = event.timeout.unwrap_or_default();
        match event.reason {
            // Routine.
            PauseReason::Backpressure => tracing::debug!(
                target: "karafka",
                "[{consumer_group}] Pausing {topic}/{partition} at offset {offset}: its buffer is full"
            ),
            // Said by `consumer.consuming.retry` and `filtering.paused`.
            PauseReason::Retry | PauseReason::Filter => {}
            PauseReason::Consumer => tracing::debug!(
                target: "karafka",
                "[{consumer_group}] Pausing {topic}/{partition} at offset {offset}: its consumer asked"
            ),
            PauseReason::DeadLetter if pause.is_zero() => tracing::warn!(
                target: "karafka",
                "[{consumer_group}] Dead-lettering {topic}/{partition}@{offset}: no further attempt"
            ),
            PauseReason::DeadLetter => tracing::warn!(
                target: "karafka",
                "[{consumer_group}] Pausing {topic}/{partition} for {} ms; then dead-lettering offset {offset} again",
                pause.as_millis()
            ),
            PauseReason::Command => tracing::info!(
                target: "karafka",
                "[{consumer_group}] Pausing {topic}/{partition} at offset {offset}: paused by a command until resumed"
            ),
        }
    }

    fn on_filtering_dropped(&self, event: &super::FilteringDropped) {
        tracing::info!(
            target: "karafka",
            "[{}] Filter {} dropped {} message(s) of {}/{} (offsets {:?}), counted as consumed",
            event.consumer_group, event.filter, event.offsets.len(), event.topic, event.partition, event.offsets
        );
    }

    fn on_filtering_paused(&self, event: &super::FilteringPaused) {
        tracing::debug!(
            target: "karafka",
            "[{}] Filter {} holds {}/{} back for {} ms, from offset {}",
            event.consumer_group, event.filter, event.topic, event.partition, event.pause.as_millis(), event.offset
        );
    }

    fn on_consumer_consuming_retry(&self, event: &ConsumerConsumingRetry) {
        let ConsumerConsumingRetry {
            consumer_group,
            topic,
            partition,
            offset,
            attempt,
            pause,
        } = event;
        tracing::warn!(
            target: "karafka",
            "[{consumer_group}] Pausing {topic}/{partition} for {} ms; attempt {attempt} will start at offset {offset}",
            pause.as_millis()
        );
    }

    fn on_rebalance_partitions_assigned(&self, event: &Rebalance) {
        for (topic, partitions) in &event.partitions {
            tracing::info!(
                target: "karafka",
                "[{}] Partitions assigned for `{topic}`: {}",
                event.consumer_group,
                list(partitions)
            );
        }
    }

    fn on_rebalance_partitions_revoked(&self, event: &Rebalance) {
        for (topic, partitions) in &event.partitions {
            tracing::info!(
                target: "karafka",
                "[{}] Partitions revoked for `{topic}`: {}",
                event.consumer_group,
                list(partitions)
            );
        }
    }

    fn on_dead_letter_queue_dispatched(&self, event: &DeadLetterQueueDispatched) {
        let DeadLetterQueueDispatched {
            consumer_group,
            topic,
            partition,
            offset,
            dead_letter_topic,
            attempts,
        } = event;
        tracing::warn!(
            target: "karafka",
            "[{consumer_group}] {topic}/{partition}@{offset} failed {attempts} times; written to dead letter queue {dead_letter_topic}"
        );
    }

    fn on_responder_responded(&self, event: &ResponderResponded) {
        let noun = if event.messages == 1 {
            "message"
        } else {
            "messages"
        };
        let topics: Vec<&str> = event.topics.iter().map(|t| &**t).collect();
        tracing::info!(
            target: "karafka",
            "{} responded with {} {noun} to {} in {} ms",
            event.responder,
            event.messages,
            topics.join(", "),
            event.duration.as_millis()
        );
    }

    fn on_producer_delivered(&self, event: &ProducerDelivered) {
        tracing::debug!(
            target: "karafka",
            "Delivered to {}/{} at offset {}",
            event.topic, event.partition, event.offset
        );
    }

    fn on_error_occurred(&self, event: &ErrorOccurred) {
        let mut place = String::new();
        if let Some(group) = &event.consumer_group {
            place.push_str(&format!("[{group}] "));
        }
        if let (Some(topic), Some(partition)) = (&event.topic, event.partition) {
            place.push_str(&format!("{topic}/{partition}"));
            if let Some(offset) = event.offset {
                place.push_str(&format!("@{offset}"));
            }
            place.push(' ');
        }
        if let Some(attempt) = event.attempt {
            place.push_str(&format!("(attempt {attempt}) "));
        }
        if is_client_error(event.error_type) {
            // A broker that is away makes every client repeat the same errors.
            let shares_cause = event.error_type == ErrorType::ConnectionClient;
            let name = event.error_type.name();
            crate::client_log::client_error(&place, name, &event.error, shares_cause);
            return;
        }
        tracing::error!(target: "karafka", "{place}{}: {}", event.error_type.name(), event.error);
    }
}

/// Errors of the Kafka clients, which repeat while their cause lasts.
fn is_client_error(error_type: ErrorType) -> bool {
    matches!(
        error_type,
        ErrorType::ConnectionClient
            | ErrorType::ConnectionClientPoll
            | ErrorType::ConnectionClientCommit
    )
}

fn list(partitions: &[i32]) -> String {
    partitions
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
