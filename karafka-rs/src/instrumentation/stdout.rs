//! `StdoutListener`: the server log in the spirit of Karafka's, through `tracing`.

use super::{Event, Listener, Partitions};

/// Logs consumption, rebalances, retries, responses and errors (to stderr, via `tracing`).
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutListener;

impl Listener for StdoutListener {
    fn on_event(&self, event: &Event) {
        match event {
            Event::AppQuieting => {
                tracing::info!(target: "karafka", "Quiet mode: finishing running work, taking no new batches");
            }
            Event::AppInitialized | Event::AppRunning | Event::AppStopping | Event::AppStopped => {
                tracing::debug!(target: "karafka", "{}", event.name());
            }
            Event::DeadLetterQueueDispatched {
                consumer_group,
                topic,
                partition,
                offset,
                dead_letter_topic,
                attempts,
            } => {
                tracing::warn!(
                    target: "karafka",
                    "[{consumer_group}] {topic}/{partition}@{offset} failed {attempts} times; written to dead letter queue {dead_letter_topic}"
                );
            }
            Event::PartitionsAssigned {
                consumer_group,
                partitions,
            } => {
                tracing::info!(
                    target: "karafka",
                    "[{consumer_group}] Partitions assigned: {}",
                    describe(partitions)
                );
            }
            Event::PartitionsRevoked {
                consumer_group,
                partitions,
            } => {
                tracing::info!(
                    target: "karafka",
                    "[{consumer_group}] Partitions revoked: {}",
                    describe(partitions)
                );
            }
            Event::ConsumerConsumed {
                consumer_group,
                topic,
                partition,
                consumer,
                size,
                duration,
                ..
            } => {
                let noun = if *size == 1 { "message" } else { "messages" };
                tracing::info!(
                    target: "karafka",
                    "[{consumer_group}] Processing of topic {topic}/{partition} with {size} messages took {} ms",
                    duration.as_millis()
                );
                tracing::info!(
                    target: "karafka",
                    "[{consumer_group}] {size} {noun} on {topic} topic delegated to {consumer}"
                );
            }
            Event::ConsumerConsumingRetry {
                consumer_group,
                topic,
                partition,
                offset,
                attempt,
                pause,
            } => {
                tracing::warn!(
                    target: "karafka",
                    "[{consumer_group}] Pausing {topic}/{partition} for {} ms; attempt {attempt} will start at offset {offset}",
                    pause.as_millis()
                );
            }
            Event::ResponderResponded {
                responder,
                topics,
                messages,
                duration,
            } => {
                let noun = if *messages == 1 {
                    "message"
                } else {
                    "messages"
                };
                let topics: Vec<&str> = topics.iter().map(|t| &**t).collect();
                tracing::info!(
                    target: "karafka",
                    "{responder} responded with {messages} {noun} to {} in {} ms",
                    topics.join(", "),
                    duration.as_millis()
                );
            }
            Event::ErrorOccurred {
                error_type,
                consumer_group,
                topic,
                partition,
                offset,
                attempt,
                error,
            } => {
                let mut place = String::new();
                if let Some(group) = consumer_group {
                    place.push_str(&format!("[{group}] "));
                }
                if let (Some(topic), Some(partition)) = (topic, partition) {
                    place.push_str(&format!("{topic}/{partition}"));
                    if let Some(offset) = offset {
                        place.push_str(&format!("@{offset}"));
                    }
                    place.push(' ');
                }
                if let Some(attempt) = attempt {
                    place.push_str(&format!("(attempt {attempt}) "));
                }
                tracing::error!(target: "karafka", "{place}{}: {error}", error_type.name());
            }
        }
    }
}

fn describe(partitions: &Partitions) -> String {
    partitions
        .iter()
        .map(|(topic, ps)| {
            let list: Vec<String> = ps.iter().map(i32::to_string).collect();
            format!("{topic}: {}", list.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
