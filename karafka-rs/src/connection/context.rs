//! The rdkafka consumer context of a consumer group: rebalances and client errors.

use std::sync::Arc;

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::{ClientContext, TopicPartitionList};

use crate::instrumentation::{ErrorType, Event, Partitions};
use crate::processing::executor::Executors;

/// Shared by the fetch loop and the callbacks librdkafka runs inside `poll`.
pub(crate) struct GroupContext {
    pub(crate) executors: Arc<Executors>,
}

impl ClientContext for GroupContext {
    fn error(&self, error: KafkaError, reason: &str) {
        self.executors
            .shared()
            .monitor
            .instrument(Event::ErrorOccurred {
                error_type: ErrorType::ConnectionClient,
                consumer_group: Some(self.executors.shared().group.name.clone()),
                topic: None,
                partition: None,
                offset: None,
                attempt: None,
                error: format!("{error}: {reason}"),
            });
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                let shared = self.executors.shared();
                shared.monitor.instrument(Event::PartitionsRevoked {
                    consumer_group: shared.group.name.clone(),
                    partitions: by_topic(tpl),
                });
                // Running jobs of these partitions finish first (bounded), then the
                // revoked hooks run; what was processed is committed before
                // librdkafka releases the partitions.
                let revoked: Vec<(Arc<str>, i32)> = tpl
                    .elements()
                    .iter()
                    .map(|e| (Arc::from(e.topic()), e.partition()))
                    .collect();
                self.executors.revoke(consumer, &revoked);
                commit_sync(consumer, &self.executors);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(error) => {
                let shared = self.executors.shared();
                shared.monitor.instrument(Event::ErrorOccurred {
                    error_type: ErrorType::ConnectionClient,
                    consumer_group: Some(shared.group.name.clone()),
                    topic: None,
                    partition: None,
                    offset: None,
                    attempt: None,
                    error: format!("rebalance failed: {error}"),
                });
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            for element in tpl.elements() {
                self.executors.assign(element.topic(), element.partition());
            }
            // A partition paused (backpressure, retry) when it was revoked stays paused
            // in librdkafka if it comes back; its new executor starts unpaused.
            if let Err(error) = consumer.resume(tpl) {
                self.report(format!(
                    "resuming newly assigned partitions failed: {error}"
                ));
            }
            let shared = self.executors.shared();
            shared.monitor.instrument(Event::PartitionsAssigned {
                consumer_group: shared.group.name.clone(),
                partitions: by_topic(tpl),
            });
        }
    }
}

impl GroupContext {
    fn report(&self, error: String) {
        let shared = self.executors.shared();
        shared.monitor.instrument(Event::ErrorOccurred {
            error_type: ErrorType::ConnectionClient,
            consumer_group: Some(shared.group.name.clone()),
            topic: None,
            partition: None,
            offset: None,
            attempt: None,
            error,
        });
    }
}

/// Commits the stored offsets now; "nothing to commit" is not an error.
pub(crate) fn commit_sync(consumer: &BaseConsumer<GroupContext>, executors: &Executors) {
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => {}
        Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
        Err(error) => {
            let shared = executors.shared();
            shared.monitor.instrument(Event::ErrorOccurred {
                error_type: ErrorType::ConnectionClientCommit,
                consumer_group: Some(shared.group.name.clone()),
                topic: None,
                partition: None,
                offset: None,
                attempt: None,
                error: format!("synchronous commit failed: {error}"),
            });
        }
    }
}

fn by_topic(tpl: &TopicPartitionList) -> Partitions {
    let mut partitions: Partitions = Vec::new();
    for element in tpl.elements() {
        match partitions.iter_mut().find(|(t, _)| &**t == element.topic()) {
            Some((_, list)) => list.push(element.partition()),
            None => partitions.push((Arc::from(element.topic()), vec![element.partition()])),
        }
    }
    for (_, list) in &mut partitions {
        list.sort_unstable();
    }
    partitions
}
