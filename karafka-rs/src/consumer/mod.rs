//! The [`Consumer`] trait users implement, and the [`Context`] each call receives.

pub(crate) mod erased;

use std::future::Future;
use std::sync::Arc;

use crate::current_app;
use crate::error::Result;
use crate::messages::{Message, Messages};
use crate::producer::Producer;
use crate::responders::{Respond, Responded};

/// Handles the batches of one topic-partition.
///
/// One instance is created (with `Default`) per assigned topic-partition and
/// kept across batches until the partition is revoked or the server stops.
/// `consume` returning `Ok` marks the whole batch as consumed; an `Err` (or a
/// panic) pauses the partition and retries the batch after a backoff.
pub trait Consumer: Send + 'static {
    /// The type each message payload is deserialized into.
    type Payload: Send + Sync + 'static;

    /// Processes one batch; called with messages in offset order.
    fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Self::Payload>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Runs once, before the first batch of this topic-partition.
    fn initialized(&mut self, ctx: &mut Context) -> impl Future<Output = Result<()>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Runs when the partition is taken away by a rebalance, before it is released.
    fn revoked(&mut self, ctx: &mut Context) -> impl Future<Output = Result<()>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Runs every `tick_interval` (a route option) while the partition is assigned,
    /// whether or not messages arrive; never at the same time as `consume`.
    fn tick(&mut self, ctx: &mut Context) -> impl Future<Output = Result<()>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Runs when the server stops gracefully.
    fn shutdown(&mut self, ctx: &mut Context) -> impl Future<Output = Result<()>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }
}

/// What a consumer knows about where it runs (group, topic, partition, attempt),
/// and its way out: `respond_with` and `producer`.
#[derive(Debug, Clone)]
pub struct Context {
    consumer_group: Arc<str>,
    topic: Arc<str>,
    partition: i32,
    attempt: u32,
    marked: Option<i64>,
}

impl Context {
    pub(crate) fn new(consumer_group: Arc<str>, topic: Arc<str>, partition: i32) -> Self {
        Context {
            consumer_group,
            topic,
            partition,
            attempt: 1,
            marked: None,
        }
    }

    /// The consumer group's name as routed.
    pub fn consumer_group(&self) -> &str {
        &self.consumer_group
    }

    /// The topic this consumer serves.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The partition this consumer serves.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// Which attempt at the current batch this is: 1 the first time, 2 after one failure...
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Marks `message`, and every earlier one of the partition, as consumed: a
    /// later failure in this batch resumes after it, and its offset is stored
    /// when the batch returns (the only way offsets move under
    /// `manual_offset_management`).
    pub fn mark_as_consumed<T: 'static>(&mut self, message: &Message<T>) {
        let next = message.offset() + 1;
        if self.marked.is_none_or(|marked| next > marked) {
            self.marked = Some(next);
        }
    }

    /// The offset after the last marked message of the current batch, if any.
    pub fn marked_offset(&self) -> Option<i64> {
        self.marked
    }

    /// Responds to `input` through responder `R` and resolves once the broker
    /// acknowledged every message (Karafka's `respond_with`). Awaiting it before
    /// `consume` returns means the batch is only marked consumed after delivery.
    pub fn respond_with<R: Respond + Default>(
        &self,
        input: &R::Input,
    ) -> impl Future<Output = Result<Responded>> + Send + 'static {
        crate::responders::call(&R::default(), input)
    }

    /// The process's shared producer, for sending records without a responder.
    pub fn producer(&self) -> Result<Producer> {
        current_app::producer()
    }

    pub(crate) fn set_attempt(&mut self, attempt: u32) {
        self.attempt = attempt;
    }

    pub(crate) fn take_mark(&mut self) -> Option<i64> {
        self.marked.take()
    }
}
