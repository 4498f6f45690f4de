//! What comes back to the fetch thread (finished jobs, dead letter
//! acknowledgements) goes into the core; what the core decides comes out as
//! effects, carried out here with the partition client, and reported.

use super::client::PartitionClient;
use super::core::{Effect, Failure, Finished, PartitionKey, PauseReason};
use super::dead_letter_writer::Written;
use super::job::{Completion, Consumed, Outcome};
use super::processor::{activity_label, Done, Processor};
use crate::consumer::erased::Hook;
use crate::error::Error;
use crate::instrumentation::{
    ConsumerConsumed, ConsumerConsumingPause, ConsumerConsumingRetry, DeadLetterQueueDispatched,
    ErrorOccurred, ErrorType, Event, EventKind, ProducerDelivered,
};

impl Processor {
    /// Applies one job completion or dead letter acknowledgement.
    pub(crate) fn complete(&self, client: &dyn PartitionClient, done: Done) {
        match done {
            Done::Job(completion) => self.job_finished(client, completion),
            Done::DeadLetter(written) => self.dead_letter_written(client, written),
        }
    }

    fn job_finished(&self, client: &dyn PartitionClient, completion: Completion) {
        let Completion {
            key,
            generation,
            lane,
            consumer: instance,
            mut ctx,
            initialized_error,
            outcome,
        } = completion;
        self.shared.activity.finished(&super::lanes::label(
            activity_label(&self.shared.group.name, &key),
            lane,
        ));
        if let Some(error) = initialized_error {
            let message = format!("initialized hook failed: {error}");
            self.report_partition(ErrorType::ConsumerInitialized, &key, None, None, message);
        }
        let finished = match &outcome {
            Outcome::Consumed(consumed) => Finished::Consumed {
                first: consumed.first,
                last: consumed.last,
                mark: ctx.take_mark(),
                result: consumed
                    .result
                    .as_ref()
                    .map(|_| ())
                    .map_err(|error| Failure {
                        culprit: culprit(error, &key),
                        error: error.to_string(),
                    }),
            },
            Outcome::Ticked(..) => Finished::Ticked,
        };
        let attempt = ctx.attempt();
        let failed_at = finished.failed_at();
        let requests = ctx.take_requests();
        let current = {
            let mut state = self.lock();
            let now = self.shared.clock.now();
            state.core.requested(&key, generation, requests);
            match state
                .core
                .finished_lane(&key, generation, lane, finished, now)
            {
                Some(slot) => {
                    slot.lane(lane).instance = Some((instance, ctx));
                    None
                }
                None => Some((instance, ctx)),
            }
        };
        if let Some((mut instance, mut ctx)) = current {
            // Revoked while the job ran: nothing of it was stored.
            self.run_hook(&mut *instance, &mut ctx, Hook::Revoked);
            return;
        }
        match outcome {
            Outcome::Ticked(Ok(()), duration) => {
                let consumer = self.consumer_name(&key);
                self.hook_ran(Hook::Tick, consumer, &key, duration);
            }
            Outcome::Ticked(Err(error), _) => {
                let message = format!("tick hook failed: {error}");
                self.report_partition(ErrorType::ConsumerTick, &key, None, None, message);
            }
            Outcome::Consumed(consumed) if consumed.result.is_ok() => {
                // Stored before it is reported consumed.
                self.apply_effects(client);
                self.consumed(&key, consumed, attempt, lane, None);
                return;
            }
            // Reported failed before the retry pause is.
            Outcome::Consumed(consumed) => self.consumed(&key, consumed, attempt, lane, failed_at),
        }
        self.apply_effects(client);
    }

    /// Reports how a batch (of virtual partition `lane`) went; a failure at the
    /// offset of the message it failed at.
    fn consumed(
        &self,
        key: &PartitionKey,
        consumed: Consumed,
        attempt: u32,
        lane: usize,
        failed_at: Option<i64>,
    ) {
        let monitor = &self.shared.monitor;
        match consumed.result {
            Ok(()) => monitor.instrument_with(EventKind::ConsumerConsumed, || {
                let route = self.topics().iter().find(|t| t.name == key.topic);
                Event::ConsumerConsumed(ConsumerConsumed {
                    consumer_group: self.shared.group.name.clone(),
                    topic: key.topic.clone(),
                    partition: key.partition,
                    consumer: route.map_or("", |r| r.consumer_name),
                    backend: route.map(|r| r.backend).unwrap_or_default(),
                    size: consumed.size,
                    first_offset: consumed.first,
                    last_offset: consumed.last,
                    duration: consumed.duration,
                    attempt,
                    consumption_lag: consumed.consumption_lag,
                    virtual_partition: route
                        .and_then(|r| r.virtual_partitions.as_ref())
                        .map(|_| lane),
                })
            }),
            Err(error) => monitor.instrument(Event::ErrorOccurred(
                ErrorOccurred::new(ErrorType::ConsumerConsume, error.to_string())
                    .in_group(self.shared.group.name.clone())
                    .at(
                        key.topic.clone(),
                        key.partition,
                        Some(failed_at.unwrap_or(consumed.first)),
                    )
                    .attempt(attempt),
            )),
        }
    }

    fn dead_letter_written(&self, client: &dyn PartitionClient, written: Written) {
        let Written {
            key,
            generation,
            offset,
            dead_letter_topic,
            attempts,
            result,
        } = written;
        self.shared
            .activity
            .finished(&activity_label(&self.shared.group.name, &key));
        let acknowledged = result.as_ref().map(|_| ()).map_err(Error::to_string);
        let current = {
            let mut state = self.lock();
            let now = self.shared.clock.now();
            state
                .core
                .dead_letter_written(&key, generation, offset, acknowledged, now)
        };
        let monitor = &self.shared.monitor;
        match result {
            Ok(delivery) => {
                monitor.instrument_with(EventKind::ProducerDelivered, || {
                    Event::ProducerDelivered(ProducerDelivered {
                        topic: dead_letter_topic.clone(),
                        partition: delivery.partition,
                        offset: delivery.offset,
                    })
                });
                if current {
                    monitor.instrument(Event::DeadLetterQueueDispatched(
                        DeadLetterQueueDispatched {
                            consumer_group: self.shared.group.name.clone(),
                            topic: key.topic.clone(),
                            partition: key.partition,
                            offset,
                            dead_letter_topic,
                            attempts,
                        },
                    ));
                }
            }
            Err(error) => self.report_partition(
                ErrorType::DeadLetterQueueDispatch,
                &key,
                Some(offset),
                None,
                format!("writing to dead letter queue {dead_letter_topic} failed: {error}"),
            ),
        }
        self.apply_effects(client);
    }

    /// Carries out the effects the core collected.
    pub(crate) fn apply_effects(&self, client: &dyn PartitionClient) {
        let mut effects = {
            let mut state = self.lock();
            if !state.core.has_effects() {
                return;
            }
            let mut effects = std::mem::take(&mut state.effects);
            state.core.take_effects(&mut effects);
            effects
        };
        for effect in effects.drain(..) {
            self.apply(client, effect);
        }
        self.lock().effects = effects;
    }

    fn apply(&self, client: &dyn PartitionClient, effect: Effect<crate::messages::RawMessage>) {
        let group = &self.shared.group.name;
        let monitor = &self.shared.monitor;
        match effect {
            Effect::StoreOffset { key, offset } => {
                if let Err(error) = client.store_offset(&key.topic, key.partition, offset) {
                    let message = format!("storing offset {offset} failed: {error}");
                    self.report_partition(
                        ErrorType::ConnectionClientCommit,
                        &key,
                        Some(offset),
                        None,
                        message,
                    );
                }
            }
            Effect::Pause {
                key,
                offset,
                reason,
                timeout,
            } => {
                if let Err(error) = client.pause(&key.topic, key.partition) {
                    let at = (reason != PauseReason::Backpressure).then_some(offset);
                    let message = format!("pause failed: {error}");
                    self.report_partition(ErrorType::ConnectionClient, &key, at, None, message);
                }
                monitor.instrument_with(EventKind::ConsumerConsumingPause, || {
                    Event::ConsumerConsumingPause(ConsumerConsumingPause {
                        consumer_group: group.clone(),
                        topic: key.topic.clone(),
                        partition: key.partition,
                        offset,
                        reason,
                        timeout,
                    })
                });
            }
            Effect::Retrying {
                key,
                offset,
                attempt,
                pause,
            } => monitor.instrument_with(EventKind::ConsumerConsumingRetry, || {
                Event::ConsumerConsumingRetry(ConsumerConsumingRetry {
                    consumer_group: group.clone(),
                    topic: key.topic.clone(),
                    partition: key.partition,
                    offset,
                    attempt,
                    pause,
                })
            }),
            Effect::SeekAndResume { key, offset } => {
                if let Err(error) = client.seek_and_resume(&key.topic, key.partition, offset) {
                    // Stay paused rather than resume from an unknown position.
                    self.lock()
                        .core
                        .resume_failed(&key, offset, self.shared.clock.now());
                    let message = format!("seek before resuming failed, staying paused: {error}");
                    self.report_partition(
                        ErrorType::ConnectionClient,
                        &key,
                        Some(offset),
                        None,
                        message,
                    );
                }
            }
            Effect::WriteDeadLetter(letter) => self.write_dead_letter(letter),
            Effect::Filtered(filtered) => self.report_filtered(filtered),
        }
    }

    fn consumer_name(&self, key: &PartitionKey) -> &'static str {
        self.topics()
            .iter()
            .find(|t| t.name == key.topic)
            .map_or("", |t| t.consumer_name)
    }
}

/// The offset of the message an error names, if it is of this partition.
fn culprit(error: &Error, key: &PartitionKey) -> Option<i64> {
    match error {
        Error::Deserialization {
            topic,
            partition,
            offset,
            ..
        } if *topic == *key.topic && *partition == key.partition => Some(*offset),
        _ => None,
    }
}
