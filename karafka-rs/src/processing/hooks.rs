//! Consumer hooks run on the fetch thread (`revoked`, `shutdown`) and the
//! reports of a partition's errors.

use std::time::{Duration, Instant};

use super::core::PartitionKey;
use super::job::guarded;
use super::processor::Processor;
use crate::consumer::erased::{ErasedConsumer, Hook};
use crate::consumer::Context;
use crate::current_app;
use crate::instrumentation::{ConsumerHook, ErrorOccurred, ErrorType, Event, EventKind};

impl Processor {
    /// Runs a `revoked` or `shutdown` hook on this thread; reports how it went.
    pub(crate) fn run_hook(
        &self,
        consumer: &mut dyn ErasedConsumer,
        ctx: &mut Context,
        hook: Hook,
    ) {
        let started = Instant::now();
        let outcome = self.shared.runtime.block_on(current_app::within(
            self.shared.scope.clone(),
            guarded(consumer.hook(hook, ctx)),
        ));
        let key = PartitionKey::new(ctx.topic(), ctx.partition());
        match outcome {
            Ok(()) => {
                let consumer_name = self
                    .topics()
                    .iter()
                    .find(|t| &*t.name == ctx.topic())
                    .map_or("", |t| t.consumer_name);
                self.hook_ran(hook, consumer_name, &key, started.elapsed());
            }
            Err(error) => {
                let error_type = match hook {
                    Hook::Initialized => ErrorType::ConsumerInitialized,
                    Hook::Revoked => ErrorType::ConsumerRevoked,
                    Hook::Shutdown => ErrorType::ConsumerShutdown,
                    Hook::Tick => ErrorType::ConsumerTick,
                };
                let message = format!("{} hook failed: {error}", hook.name());
                self.report_partition(error_type, &key, None, None, message);
            }
        }
    }

    /// Emits `consumer.revoked`, `consumer.shutdown` or `consumer.tick` for a hook that succeeded.
    pub(crate) fn hook_ran(
        &self,
        hook: Hook,
        consumer: &'static str,
        key: &PartitionKey,
        duration: Duration,
    ) {
        let (kind, variant): (EventKind, fn(ConsumerHook) -> Event) = match hook {
            Hook::Revoked => (EventKind::ConsumerRevoked, Event::ConsumerRevoked),
            Hook::Shutdown => (EventKind::ConsumerShutdown, Event::ConsumerShutdown),
            Hook::Tick => (EventKind::ConsumerTick, Event::ConsumerTick),
            Hook::Initialized => return,
        };
        self.shared.monitor.instrument_with(kind, || {
            variant(ConsumerHook {
                consumer_group: self.shared.group.name.clone(),
                topic: key.topic.clone(),
                partition: key.partition,
                consumer,
                duration,
            })
        });
    }

    /// Emits `error.occurred` for a partition.
    pub(crate) fn report_partition(
        &self,
        error_type: ErrorType,
        key: &PartitionKey,
        offset: Option<i64>,
        attempt: Option<u32>,
        error: String,
    ) {
        let mut event = ErrorOccurred::new(error_type, error)
            .in_group(self.shared.group.name.clone())
            .at(key.topic.clone(), key.partition, offset);
        event.attempt = attempt;
        self.shared.monitor.instrument(Event::ErrorOccurred(event));
    }
}
