//! Per-partition executors: one consumer instance per assigned topic-partition,
//! running its batches in order, storing offsets after success (at-least-once),
//! and pausing the partition for a retry with backoff after a failure.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::{Offset, TopicPartitionList};
use tokio::runtime::Handle;

use super::erased::{ErasedConsumer, Hook};
use crate::config::Config;
use crate::connection::context::GroupContext;
use crate::consumer::Context;
use crate::error::{Error, Result};
use crate::instrumentation::{ErrorType, Event, Monitor};
use crate::messages::RawMessage;
use crate::routing::{ConsumerGroup, Topic};
use crate::server::activity::Activity;

/// What every executor of a consumer group shares.
pub(crate) struct GroupShared {
    pub(crate) group: ConsumerGroup,
    pub(crate) config: Arc<Config>,
    pub(crate) monitor: Monitor,
    pub(crate) runtime: Handle,
    pub(crate) activity: Arc<Activity>,
}

/// The state of one assigned topic-partition.
struct Executor {
    consumer: Box<dyn ErasedConsumer>,
    ctx: Context,
    initialized: bool,
    /// The lowest offset not yet processed; anything below it is a replay and is dropped.
    next_offset: Option<i64>,
    /// Set while the partition is paused after a failure.
    retry: Option<Retry>,
}

#[derive(Debug, Clone, Copy)]
struct Retry {
    offset: i64,
    resume_at: Instant,
}

type Key = (Arc<str>, i32);

/// Every executor of one consumer group.
pub(crate) struct Executors {
    shared: GroupShared,
    executors: Mutex<HashMap<Key, Executor>>,
}

impl Executors {
    pub(crate) fn new(shared: GroupShared) -> Self {
        Executors {
            shared,
            executors: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn shared(&self) -> &GroupShared {
        &self.shared
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Executor>> {
        // A panic in user code is caught before it can poison this lock.
        self.executors.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs the fetched messages of one partition (in offset order) through its consumer.
    pub(crate) fn process(
        &self,
        consumer: &BaseConsumer<GroupContext>,
        route: &Topic,
        partition: i32,
        messages: Vec<RawMessage>,
    ) {
        let mut executors = self.lock();
        let executor = executors
            .entry((route.name.clone(), partition))
            .or_insert_with(|| Executor {
                consumer: (route.factory)(),
                ctx: Context::new(
                    self.shared.group.name.clone(),
                    route.name.clone(),
                    partition,
                ),
                initialized: false,
                next_offset: None,
                retry: None,
            });
        if executor.retry.is_some() {
            // Paused for a retry: these were fetched before the pause and come again after the seek.
            return;
        }
        let floor = executor.next_offset.unwrap_or(i64::MIN);
        let mut messages: Vec<RawMessage> = messages
            .into_iter()
            .filter(|m| m.offset() >= floor)
            .collect();
        if messages.is_empty() {
            return;
        }
        if !executor.initialized {
            executor.initialized = true;
            self.run_hook(executor, Hook::Initialized);
        }
        let chunk = if route.batch_consuming {
            route.max_messages
        } else {
            1
        };
        while !messages.is_empty() {
            let rest = messages.split_off(chunk.min(messages.len()));
            let batch = std::mem::replace(&mut messages, rest);
            if !self.run_batch(consumer, route, executor, batch) {
                return;
            }
        }
    }

    /// Runs one batch; `false` when it failed and the partition is now paused.
    fn run_batch(
        &self,
        consumer: &BaseConsumer<GroupContext>,
        route: &Topic,
        executor: &mut Executor,
        batch: Vec<RawMessage>,
    ) -> bool {
        let (first, last, size) = match (batch.first(), batch.last()) {
            (Some(f), Some(l)) => (f.offset(), l.offset(), batch.len()),
            _ => return true,
        };
        let partition = executor.ctx.partition();
        let group = self.shared.group.name.clone();
        self.shared.activity.started(
            &group,
            format!(
                "{} consuming {}/{partition} offsets {first}..={last}",
                route.consumer_name, route.name
            ),
        );
        let started = Instant::now();
        let outcome = self.block_on_user_code(executor.consumer.consume(
            &mut executor.ctx,
            batch,
            group.clone(),
        ));
        let duration = started.elapsed();
        self.shared.activity.finished(&group);
        match outcome {
            Ok(()) => {
                if let Err(error) = store_offset(consumer, &route.name, partition, last + 1) {
                    self.report(
                        ErrorType::ConnectionClientCommit,
                        route,
                        partition,
                        Some(first),
                        None,
                        error.to_string(),
                    );
                }
                executor.next_offset = Some(last + 1);
                let attempt = executor.ctx.attempt();
                executor.ctx.set_attempt(1);
                self.shared.monitor.instrument(Event::ConsumerConsumed {
                    consumer_group: group,
                    topic: route.name.clone(),
                    partition,
                    consumer: route.consumer_name,
                    size,
                    first_offset: first,
                    last_offset: last,
                    duration,
                    attempt,
                });
                true
            }
            Err(error) => {
                let attempt = executor.ctx.attempt();
                self.report(
                    ErrorType::ConsumerConsume,
                    route,
                    partition,
                    Some(first),
                    Some(attempt),
                    error.to_string(),
                );
                let pause = self.shared.config.pause_for(attempt);
                executor.ctx.set_attempt(attempt + 1);
                executor.next_offset = Some(first);
                executor.retry = Some(Retry {
                    offset: first,
                    resume_at: Instant::now() + pause,
                });
                if let Err(error) = pause_partition(consumer, &route.name, partition) {
                    self.report(
                        ErrorType::ConnectionClient,
                        route,
                        partition,
                        Some(first),
                        None,
                        format!("pause failed: {error}"),
                    );
                }
                self.shared
                    .monitor
                    .instrument(Event::ConsumerConsumingRetry {
                        consumer_group: self.shared.group.name.clone(),
                        topic: route.name.clone(),
                        partition,
                        offset: first,
                        attempt: attempt + 1,
                        pause,
                    });
                false
            }
        }
    }

    /// Seeks back and resumes every paused partition whose backoff has passed; returns
    /// how long until the next one is due, if any is paused.
    pub(crate) fn resume_due(&self, consumer: &BaseConsumer<GroupContext>) -> Option<Duration> {
        let now = Instant::now();
        let mut next_due: Option<Duration> = None;
        let mut executors = self.lock();
        for ((topic, partition), executor) in executors.iter_mut() {
            let Some(retry) = executor.retry else {
                continue;
            };
            if retry.resume_at > now {
                let wait = retry.resume_at - now;
                next_due = Some(next_due.map_or(wait, |d| d.min(wait)));
                continue;
            }
            let resumed = consumer
                .seek(
                    topic,
                    *partition,
                    Offset::Offset(retry.offset),
                    Duration::from_secs(5),
                )
                .and_then(|()| resume_partition(consumer, topic, *partition));
            match resumed {
                Ok(()) => executor.retry = None,
                Err(error) => {
                    // Stay paused rather than resume from an unknown position.
                    let pause = self.shared.config.pause_for(executor.ctx.attempt());
                    executor.retry = Some(Retry {
                        offset: retry.offset,
                        resume_at: now + pause,
                    });
                    self.shared.monitor.instrument(Event::ErrorOccurred {
                        error_type: ErrorType::ConnectionClient,
                        consumer_group: Some(self.shared.group.name.clone()),
                        topic: Some(topic.clone()),
                        partition: Some(*partition),
                        offset: Some(retry.offset),
                        attempt: None,
                        error: format!("seek back for retry failed, staying paused: {error}"),
                    });
                }
            }
        }
        next_due
    }

    /// Runs the `revoked` hook of a partition being taken away and forgets it.
    pub(crate) fn revoke(&self, topic: &str, partition: i32) {
        let key: Key = (Arc::from(topic), partition);
        let removed = self.lock().remove(&key);
        if let Some(mut executor) = removed {
            if executor.initialized {
                self.run_hook(&mut executor, Hook::Revoked);
            }
        }
    }

    /// Runs the `shutdown` hook of every partition's consumer and forgets them all.
    pub(crate) fn shutdown_all(&self) {
        let drained: Vec<Executor> = self.lock().drain().map(|(_, e)| e).collect();
        for mut executor in drained {
            if executor.initialized {
                self.run_hook(&mut executor, Hook::Shutdown);
            }
        }
    }

    fn run_hook(&self, executor: &mut Executor, hook: Hook) {
        let outcome = self.block_on_user_code(executor.consumer.hook(hook, &mut executor.ctx));
        if let Err(error) = outcome {
            self.shared.monitor.instrument(Event::ErrorOccurred {
                error_type: ErrorType::ConsumerHook,
                consumer_group: Some(self.shared.group.name.clone()),
                topic: Some(Arc::from(executor.ctx.topic())),
                partition: Some(executor.ctx.partition()),
                offset: None,
                attempt: None,
                error: format!("{} hook failed: {error}", hook.name()),
            });
        }
    }

    /// Drives user code to completion on this thread; a panic becomes an error.
    fn block_on_user_code(&self, future: super::erased::BoxFuture<'_, Result<()>>) -> Result<()> {
        match catch_unwind(AssertUnwindSafe(|| self.shared.runtime.block_on(future))) {
            Ok(outcome) => outcome,
            Err(panic) => Err(Error::user(format!("panicked: {}", panic_message(&*panic)))),
        }
    }

    fn report(
        &self,
        error_type: ErrorType,
        route: &Topic,
        partition: i32,
        offset: Option<i64>,
        attempt: Option<u32>,
        error: String,
    ) {
        self.shared.monitor.instrument(Event::ErrorOccurred {
            error_type,
            consumer_group: Some(self.shared.group.name.clone()),
            topic: Some(route.name.clone()),
            partition: Some(partition),
            offset,
            attempt,
            error,
        });
    }
}

fn single(topic: &str, partition: i32) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::with_capacity(1);
    tpl.add_partition(topic, partition);
    tpl
}

fn store_offset(
    consumer: &BaseConsumer<GroupContext>,
    topic: &str,
    partition: i32,
    next: i64,
) -> rdkafka::error::KafkaResult<()> {
    let mut tpl = TopicPartitionList::with_capacity(1);
    tpl.add_partition_offset(topic, partition, Offset::Offset(next))?;
    consumer.store_offsets(&tpl)
}

fn pause_partition(
    consumer: &BaseConsumer<GroupContext>,
    topic: &str,
    partition: i32,
) -> rdkafka::error::KafkaResult<()> {
    consumer.pause(&single(topic, partition))
}

fn resume_partition(
    consumer: &BaseConsumer<GroupContext>,
    topic: &str,
    partition: i32,
) -> rdkafka::error::KafkaResult<()> {
    consumer.resume(&single(topic, partition))
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
