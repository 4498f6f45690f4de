//! A unit of user work for one partition (a batch to consume, or a tick) and
//! what comes back from it. The consumer instance travels with the job and
//! returns in the [`Completion`], so each partition has at most one job at a time.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;

use super::erased::{ErasedConsumer, Hook};
use crate::consumer::Context;
use crate::error::{Error, Result};
use crate::messages::RawMessage;

/// Identifies a topic-partition within a consumer group.
pub(crate) type PartitionKey = (Arc<str>, i32);

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
    pub(crate) consumer: Box<dyn ErasedConsumer>,
    pub(crate) ctx: Context,
    pub(crate) run_initialized: bool,
    pub(crate) consumer_group: Arc<str>,
    pub(crate) work: Work,
}

/// How a consume job went.
pub(crate) struct Consumed {
    pub(crate) first: i64,
    pub(crate) last: i64,
    pub(crate) size: usize,
    pub(crate) duration: Duration,
    pub(crate) result: Result<()>,
}

/// What a job hands back: the consumer instance, and how the work went.
pub(crate) struct Completion {
    pub(crate) key: PartitionKey,
    pub(crate) generation: u64,
    pub(crate) consumer: Box<dyn ErasedConsumer>,
    pub(crate) ctx: Context,
    /// An error of the `initialized` hook, reported but not fatal.
    pub(crate) initialized_error: Option<Error>,
    pub(crate) outcome: Outcome,
}

/// The result of the job's work.
pub(crate) enum Outcome {
    Consumed(Consumed),
    Ticked(Result<()>),
}

impl Job {
    /// Runs the work (after the `initialized` hook if due); panics become errors.
    pub(crate) async fn run(self) -> Completion {
        let Job {
            key,
            generation,
            mut consumer,
            mut ctx,
            run_initialized,
            consumer_group,
            work,
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
                let started = Instant::now();
                let result = guarded(consumer.consume(&mut ctx, batch, consumer_group)).await;
                Outcome::Consumed(Consumed {
                    first,
                    last,
                    size,
                    duration: started.elapsed(),
                    result,
                })
            }
            Work::Tick => Outcome::Ticked(guarded(consumer.hook(Hook::Tick, &mut ctx)).await),
        };
        Completion {
            key,
            generation,
            consumer,
            ctx,
            initialized_error,
            outcome,
        }
    }
}

/// Awaits user code; a panic becomes an error naming its message.
pub(crate) async fn guarded(future: super::erased::BoxFuture<'_, Result<()>>) -> Result<()> {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(Error::user(format!("panicked: {}", panic_message(&*panic)))),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string panic payload".to_owned()
    }
}
