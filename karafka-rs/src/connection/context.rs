//! The rdkafka consumer context of a consumer group: rebalances, client errors
//! and statistics become events.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::{ClientContext, TopicPartitionList};

use super::supervisor::GroupSupervisor;
use crate::instrumentation::{
    ErrorOccurred, ErrorType, Event, EventKind, Partitions, Rebalance as RebalanceEvent, Statistics,
};
use crate::messages::TopicPartition;
use crate::processing::executor::Executors;
use crate::redaction::{log_redacted, Redactor};

/// Shared by the fetch loop and the callbacks librdkafka runs inside `poll`.
pub(crate) struct GroupContext {
    pub(crate) executors: Arc<Executors>,
    /// Filters secret setting values out of librdkafka's words.
    pub(crate) redactor: Redactor,
    /// Client errors reported so far; the fetch loop does not report them again.
    pub(crate) client_errors: AtomicU64,
    /// Told of a fatal client error, which stops the server.
    pub(crate) supervisor: GroupSupervisor,
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        log_redacted(&self.redactor, level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.client_errors.fetch_add(1, Ordering::AcqRel);
        let text = self.redactor.redact(&format!("{error}: {reason}"));
        self.report(ErrorType::ConnectionClient, text);
    }

    /// Decodes the report only when something listens to `statistics.emitted`.
    fn stats_raw(&self, statistics: &[u8]) {
        let shared = self.executors.shared();
        if !shared.monitor.is_subscribed(EventKind::StatisticsEmitted) {
            return;
        }
        match Statistics::decode(shared.group.name.clone(), statistics) {
            Ok(statistics) => shared
                .monitor
                .instrument(Event::StatisticsEmitted(statistics)),
            Err(error) => self.report(
                ErrorType::Statistics,
                format!("cannot decode librdkafka statistics: {error}"),
            ),
        }
    }
}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Revoke(tpl) => {
                let shared = self.executors.shared();
                shared
                    .monitor
                    .instrument_with(EventKind::PartitionsRevoked, || {
                        Event::PartitionsRevoked(RebalanceEvent {
                            consumer_group: shared.group.name.clone(),
                            partitions: by_topic(tpl),
                        })
                    });
                // Running jobs of these partitions finish first (bounded), then the
                // revoked hooks run; what was processed is committed before
                // librdkafka releases the partitions.
                let revoked: Vec<TopicPartition> = tpl
                    .elements()
                    .iter()
                    .map(|e| TopicPartition::new(e.topic(), e.partition()))
                    .collect();
                self.executors.revoke(consumer, &revoked);
                commit_sync(consumer, &self.executors);
            }
            Rebalance::Assign(_) => {}
            Rebalance::Error(error) => {
                self.report(
                    ErrorType::ConnectionClient,
                    format!("rebalance failed: {error}"),
                );
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, offsets: &TopicPartitionList) {
        match result {
            Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
            Err(error) => self.commit_failed(offsets, &error),
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
                self.report(
                    ErrorType::ConnectionClient,
                    format!("resuming newly assigned partitions failed: {error}"),
                );
            }
            let shared = self.executors.shared();
            shared
                .monitor
                .instrument_with(EventKind::PartitionsAssigned, || {
                    Event::PartitionsAssigned(RebalanceEvent {
                        consumer_group: shared.group.name.clone(),
                        partitions: by_topic(tpl),
                    })
                });
        }
    }
}

impl GroupContext {
    /// How many client errors were reported so far.
    pub(crate) fn client_errors(&self) -> u64 {
        self.client_errors.load(Ordering::Acquire)
    }

    /// Interval commits run inside librdkafka; their failures arrive only here.
    fn commit_failed(&self, offsets: &TopicPartitionList, error: &KafkaError) {
        let partitions: Vec<String> = offsets
            .elements()
            .iter()
            .map(|e| format!("{}/{}", e.topic(), e.partition()))
            .collect();
        self.report(
            ErrorType::ConnectionClientCommit,
            format!("commit of {} failed: {error}", partitions.join(", ")),
        );
    }

    fn report(&self, error_type: ErrorType, error: String) {
        let shared = self.executors.shared();
        shared.monitor.instrument(Event::ErrorOccurred(
            ErrorOccurred::new(error_type, error).in_group(shared.group.name.clone()),
        ));
    }
}

/// After `poll` returned a client error: if librdkafka calls the client's state
/// fatal, the client cannot go on, so the group fails and the server stops.
pub(crate) fn check_fatal(consumer: &BaseConsumer<GroupContext>) {
    if let Some((_, reason)) = consumer.client().fatal_error() {
        let context = consumer.context();
        context
            .supervisor
            .fatal_client_error(context.redactor.redact(&reason));
    }
}

/// Commits the stored offsets now; "nothing to commit" is not an error.
pub(crate) fn commit_sync(consumer: &BaseConsumer<GroupContext>, executors: &Executors) {
    if consumer.client().fatal_error().is_some() {
        // A client after a fatal error cannot commit; its partitions are lost.
        return;
    }
    match consumer.commit_consumer_state(CommitMode::Sync) {
        Ok(()) => {}
        Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
        Err(error) => {
            let shared = executors.shared();
            shared.monitor.instrument(Event::ErrorOccurred(
                ErrorOccurred::new(
                    ErrorType::ConnectionClientCommit,
                    format!("synchronous commit failed: {error}"),
                )
                .in_group(shared.group.name.clone()),
            ));
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
