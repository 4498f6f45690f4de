//! The [`Consumer`] trait users implement, and the [`Context`] each call receives.

pub(crate) mod erased;
mod requests;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::current_app;
use crate::error::{Error, Result};
use crate::messages::{Message, Messages};
use crate::producer::Producer;
use crate::responders::{Respond, Responded};

pub use requests::{PauseFor, Requests};

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
/// how it steers its partition (`mark_as_consumed`, `pause`, `resume`, `seek`,
/// `revoked`), and its way out: `respond_with` and `producer`.
#[derive(Debug, Clone)]
pub struct Context {
    consumer_group: Arc<str>,
    topic: Arc<str>,
    partition: i32,
    attempt: u32,
    marked: Option<i64>,
    stored: Option<i64>,
    requests: Requests,
    revoked: Arc<AtomicBool>,
}

impl Context {
    pub(crate) fn new(
        consumer_group: Arc<str>,
        topic: Arc<str>,
        partition: i32,
        revoked: Arc<AtomicBool>,
    ) -> Self {
        Context {
            consumer_group,
            topic,
            partition,
            attempt: 1,
            marked: None,
            stored: None,
            requests: Requests::default(),
            revoked,
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
    ///
    /// Refuses (`Error::MarkBehindStored`, naming both offsets) a message
    /// older than what the partition has stored already: offsets never move
    /// back.
    pub fn mark_as_consumed<T: 'static>(&mut self, message: &Message<T>) -> Result<()> {
        let next = message.offset() + 1;
        if let Some(stored) = self.stored.filter(|stored| next < *stored) {
            return Err(Error::MarkBehindStored {
                topic: self.topic.to_string(),
                partition: self.partition,
                offset: message.offset(),
                stored,
            });
        }
        if self.marked.is_none_or(|marked| next > marked) {
            self.marked = Some(next);
        }
        Ok(())
    }

    /// Pauses this partition for `pause` once the current batch returns:
    /// nothing more is consumed from it meanwhile (polling goes on, so the
    /// group does not rebalance); then it goes on where it stopped.
    pub fn pause(&mut self, pause: Duration) {
        self.requests.pause = Some(PauseFor::Duration(pause));
    }

    /// Pauses this partition once the current batch returns, until
    /// [`Context::resume`] is called from its `tick` hook (route option
    /// `tick_interval`).
    pub fn pause_until_resumed(&mut self) {
        self.requests.pause = Some(PauseFor::UntilResumed);
    }

    /// Resumes this partition if it is paused (and cancels a pause asked for
    /// in the same call).
    pub fn resume(&mut self) {
        self.requests.pause = None;
        self.requests.resume = true;
    }

    /// Makes the next batch of this partition start at `offset`: later
    /// messages of the current batch are consumed again, or (seeking
    /// forward) the messages before `offset` are skipped. Offsets from
    /// `offset` on are not stored as consumed by this batch.
    pub fn seek(&mut self, offset: i64) {
        self.requests.seek = Some(offset);
    }

    /// Whether this partition was taken away (a rebalance) while the current
    /// batch runs: a long batch can stop early, as nothing it does after that
    /// is stored.
    pub fn revoked(&self) -> bool {
        self.revoked.load(Ordering::Acquire)
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

    /// What the partition has stored when a job starts (a mark below it is refused).
    pub(crate) fn set_stored(&mut self, stored: Option<i64>) {
        self.stored = stored;
    }

    /// What the consumer asked for during the job that just returned.
    pub(crate) fn take_requests(&mut self) -> Requests {
        std::mem::take(&mut self.requests)
    }

    pub(crate) fn take_mark(&mut self) -> Option<i64> {
        self.marked.take()
    }
}
