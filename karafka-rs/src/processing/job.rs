//! A unit of user work for one partition (a batch to consume, or a tick) and
//! what comes back from it. The consumer instance travels with the job and
//! returns in the [`Completion`], so each partition has at most one job at a time.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;

use crate::config::Backend;
use crate::consumer::erased::{ErasedConsumer, Hook};
use crate::consumer::Context;
use crate::current_app::{self, ProducerScope};
use crate::error::{panic_message, Error, Result};
use crate::instrumentation::{ConsumerConsume, Event, EventKind, Monitor};
use crate::messages::{RawMessage, TopicPartition};

/// Identifies a topic-partition within a consumer group.
pub(crate) type PartitionKey = TopicPartition;

/// What a job does.
pub(crate) enum Work {
    /// Consume a batch (non-empty, in offset order).
    Consume(Vec<RawMessage>),
    /// Call the `tick` hook.
    Tick,
}

/// User work for one partition, ready to run inline or on the worker pool.
pub(crate) struct Job {
    pub(crate) key: PartitionKey,
    pub(crate) generation: u64,
    /// The virtual partition it runs for (0 without them).
    pub(crate) lane: usize,
    /// Whether the route has virtual partitions (events then name the lane).
    pub(crate) virtual_partitions: bool,
    pub(crate) consumer: Box<dyn ErasedConsumer>,
    pub(crate) ctx: Context,
    pub(crate) run_initialized: bool,
    pub(crate) consumer_group: Arc<str>,
    pub(crate) work: Work,
    /// Type name of the consumer, for events.
    pub(crate) consumer_name: &'static str,
    /// Where the job runs, for events.
    pub(crate) backend: Backend,
    /// Emits `consumer.consume` right before the batch is handed over.
    pub(crate) monitor: Monitor,
    /// The producer responders use while the job runs, if not the shared one.
    pub(crate) scope: Option<ProducerScope>,
}

/// How a consume job went.
pub(crate) struct Consumed {
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) size: usize,
    pub(crate) duration: Duration,
    /// From the last message's timestamp until `consume` started.
    pub(crate) consumption_lag: Option<Duration>,
    pub(crate) result: Result<()>,
}

/// What a job hands back: the consumer instance, and how the work went.
pub(crate) struct Completion {
    pub(crate) key: PartitionKey,
    pub(crate) generation: u64,
    pub(crate) lane: usize,
    pub(crate) consumer: Box<dyn ErasedConsumer>,
    pub(crate) ctx: Context,
    /// An error of the `initialized` hook, reported but not fatal.
    pub(crate) initialized_error: Option<Error>,
    pub(crate) outcome: Outcome,
}

/// The result of the job's work.
pub(crate) enum Outcome {
    Consumed(Consumed),
    /// How the `tick` hook went, and how long it took.
    Ticked(Result<()>, Duration),
}

impl Job {
    /// Runs the work (after the `initialized` hook if due); panics become errors.
    pub(crate) async fn run(mut self) -> Completion {
        let scope = self.scope.take();
        current_app::within(scope, self.run_here()).await
    }

    async fn run_here(self) -> Completion {
        let Job {
            key,
            generation,
            lane,
            virtual_partitions,
            mut consumer,
            mut ctx,
            run_initialized,
            consumer_group,
            work,
            consumer_name,
            backend,
            monitor,
            scope: _,
        } = self;
        let initialized_error = if run_initialized {
            guarded(consumer.hook(Hook::Initialized, &mut ctx))
                .await
                .err()
        } else {
            None
        };
        let outcome = match work {
            Work::Consume(batch) => {
                let first = batch.first().map_or(-1, RawMessage::offset);
                let last = batch.last().map_or(-1, RawMessage::offset);
                let size = batch.len();
                let consumption_lag = batch
                    .last()
                    .and_then(RawMessage::timestamp)
                    .and_then(since_epoch_millis);
                monitor.instrument_with(EventKind::ConsumerConsume, || {
                    Event::ConsumerConsume(ConsumerConsume {
                        consumer_group: consumer_group.clone(),
                        topic: key.topic.clone(),
                        partition: key.partition,
                        consumer: consumer_name,
                        backend,
                        size,
                        first_offset: first,
                        last_offset: last,
                        attempt: ctx.attempt(),
                        consumption_lag,
                        virtual_partition: virtual_partitions.then_some(lane),
                    })
                });
                let started = Instant::now();
                let result = guarded(consumer.consume(&mut ctx, batch, consumer_group)).await;
                Outcome::Consumed(Consumed {
                    first,
                    last,
                    size,
                    duration: started.elapsed(),
                    consumption_lag,
                    result,
                })
            }
            Work::Tick => {
                let started = Instant::now();
                let result = guarded(consumer.hook(Hook::Tick, &mut ctx)).await;
                Outcome::Ticked(result, started.elapsed())
            }
        };
        Completion {
            key,
            generation,
            lane,
            consumer,
            ctx,
            initialized_error,
            outcome,
        }
    }
}

/// Awaits user code; a panic becomes an error naming its message.
pub(crate) async fn guarded(
    future: crate::consumer::erased::BoxFuture<'_, Result<()>>,
) -> Result<()> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(Error::user(format!("panicked: {}", panic_message(&*panic)))),
    }
}

/// Time from a timestamp (ms since the Unix epoch) until now; `None` if it is in the future.
fn since_epoch_millis(timestamp: i64) -> Option<Duration> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let then = Duration::from_millis(u64::try_from(timestamp).ok()?);
    now.checked_sub(then)
}
