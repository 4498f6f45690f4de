//! The server side of the Web UI: a [`Reporter`] listens to the process's
//! events, publishes its state report every `web.report_interval` and each
//! error as it happens, and carries out the commands addressed to the process
//! (acknowledging each on the commands topic).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tokio::sync::Notify;

use super::report::{
    now_ms, Action, CommandMessage, Counters, ErrorRecord, JobReport, PartitionReport, ProcessInfo,
    Report,
};
use crate::admin::{Admin, TailFrom};
use crate::app::App;
use crate::config::WebSettings;
use crate::instrumentation::{
    AppStatusChanged, ConsumerConsume, ConsumerConsumed, ConsumerConsumingPause,
    ConsumerConsumingRetry, DeadLetterQueueDispatched, ErrorOccurred, EventKind, Listener,
    PauseReason, Rebalance,
};
use crate::producer::{Producer, Record};

/// Publishes this process's state, errors and command acknowledgements to the
/// Web UI's topics; register it with [`App::listener`] (`server --web` and
/// `web.enabled = true` do).
#[derive(Clone)]
pub struct Reporter {
    inner: Arc<Inner>,
}

struct Inner {
    app: App,
    /// The reporter's own producer, created once the server runs (so it
    /// neither competes with nor depends on the app's shared producer).
    producer: OnceLock<Producer>,
    process: ProcessInfo,
    live: Mutex<Live>,
    /// Wakes the publisher: an error or a status change to send now.
    wake: Notify,
    started: OnceLock<()>,
    stopped: AtomicBool,
}

#[derive(Default)]
struct Live {
    status: String,
    counters: Counters,
    /// Group → topic → partition: looked up by `&str` on every batch, so
    /// an existing partition's report costs no allocation.
    groups: BTreeMap<String, BTreeMap<String, BTreeMap<i32, PartitionReport>>>,
    errors: Vec<ErrorRecord>,
}

impl Reporter {
    /// A reporter for `app`'s server process.
    pub fn new(app: &App) -> Reporter {
        let config = app.config();
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        let pid = std::process::id();
        Reporter {
            inner: Arc::new(Inner {
                app: app.clone(),
                producer: OnceLock::new(),
                process: ProcessInfo {
                    id: format!("{host}:{pid}:{}", config.client_id),
                    host,
                    pid,
                    client_id: config.client_id.clone(),
                    started_at: now_ms(),
                    interval: config.web.report_interval,
                },
                live: Mutex::new(Live {
                    status: "initialized".to_owned(),
                    ..Live::default()
                }),
                wake: Notify::new(),
                started: OnceLock::new(),
                stopped: AtomicBool::new(false),
            }),
        }
    }

    /// The id commands address this process by (`host:pid:client_id`).
    pub fn process_id(&self) -> &str {
        &self.inner.process.id
    }

    /// The report as of now.
    pub fn report(&self) -> Report {
        self.inner.report()
    }

    fn live(&self) -> MutexGuard<'_, Live> {
        self.inner.live()
    }

    fn partition(
        &self,
        group: &str,
        topic: &str,
        partition: i32,
        f: impl FnOnce(&mut PartitionReport),
    ) {
        let mut live = self.live();
        let groups = &mut live.groups;
        if !groups.contains_key(group) {
            groups.insert(group.to_owned(), BTreeMap::new());
        }
        let Some(topics) = groups.get_mut(group) else {
            return;
        };
        if !topics.contains_key(topic) {
            topics.insert(topic.to_owned(), BTreeMap::new());
        }
        let Some(partitions) = topics.get_mut(topic) else {
            return;
        };
        let report = partitions
            .entry(partition)
            .or_insert_with(|| PartitionReport {
                topic: topic.to_owned(),
                partition,
                state: RUNNING.to_owned(),
                last_offset: None,
                job: None,
            });
        f(report);
    }

    fn status(&self, event: &AppStatusChanged) {
        self.live().status = event.status.name().to_owned();
        self.inner.wake.notify_one();
    }
}

impl Inner {
    fn live(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn report(&self) -> Report {
        let live = self.live();
        Report {
            process: self.process.clone(),
            status: live.status.clone(),
            at: now_ms(),
            counters: live.counters,
            groups: live
                .groups
                .iter()
                .map(|(name, topics)| {
                    let partitions = topics.values().flat_map(BTreeMap::values);
                    (name.clone(), partitions.cloned().collect())
                })
                .collect(),
        }
    }

    /// The app's shared producer (responders and dead letters use it too): a
    /// producer of its own would cost the process a client's idle threads.
    fn producer(&self) -> crate::error::Result<&Producer> {
        if let Some(producer) = self.producer.get() {
            return Ok(producer);
        }
        let producer = self.app.producer()?;
        Ok(self.producer.get_or_init(|| producer))
    }

    async fn send(&self, topic: &str, payload: Vec<u8>) {
        let record = Record::new(topic, payload).key(self.process.id.clone());
        let sent = match self.producer() {
            Ok(producer) => producer.send(&record).await.map(|_| ()),
            Err(error) => Err(error),
        };
        if let Err(error) = sent {
            tracing::debug!(target: "karafka", "a Web UI report to {topic} was not delivered: {error}");
        }
    }

    /// Publishes the report every interval and errors as they come, until the
    /// process stopped (the last report says so, when the runtime lets it out).
    async fn publish(self: Arc<Self>) {
        let interval = Duration::from_millis(self.process.interval);
        loop {
            let stopped = self.stopped.load(Ordering::Acquire);
            let errors = std::mem::take(&mut self.live().errors);
            for error in errors {
                if let Ok(json) = serde_json::to_vec(&error) {
                    self.send(WebSettings::ERRORS_TOPIC, json).await;
                }
            }
            if let Ok(json) = serde_json::to_vec(&self.report()) {
                self.send(WebSettings::REPORTS_TOPIC, json).await;
            }
            if stopped {
                return;
            }
            let _ = tokio::time::timeout(interval, self.wake.notified()).await;
        }
    }

    /// Follows the commands topic and carries out what is addressed to this process.
    fn follow_commands(self: Arc<Self>, runtime: tokio::runtime::Handle) {
        let tail = loop {
            if self.stopped.load(Ordering::Acquire) {
                return;
            }
            let tail = self
                .app
                .bootstrap_servers()
                .and_then(|brokers| Admin::connect(&self.app, &brokers))
                .and_then(|admin| admin.tail(WebSettings::COMMANDS_TOPIC, TailFrom::End));
            match tail {
                Ok(tail) => break tail,
                Err(error) => {
                    tracing::warn!(target: "karafka", "Web UI commands are not followed yet: {error}");
                    std::thread::sleep(Duration::from_secs(5));
                }
            }
        };
        while !self.stopped.load(Ordering::Acquire) {
            let message = match tail.next(Duration::from_millis(250)) {
                Ok(Some(message)) => message,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(target: "karafka", "reading Web UI commands: {error}");
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            };
            let Some(Ok(CommandMessage::Command {
                id,
                process_id,
                action,
                ..
            })) = message
                .payload
                .as_deref()
                .map(serde_json::from_slice::<CommandMessage>)
            else {
                continue;
            };
            if process_id != self.process.id {
                continue;
            }
            tracing::info!(target: "karafka", "Web UI command {id}: {}", action.describe());
            let result = carry_out(&action);
            if let (
                Ok(()),
                Action::Resume {
                    consumer_group,
                    topic,
                    partition,
                },
            ) = (&result, &action)
            {
                let mut live = self.live();
                if let Some(p) = live
                    .groups
                    .get_mut(consumer_group)
                    .and_then(|g| g.get_mut(topic))
                    .and_then(|t| t.get_mut(partition))
                {
                    set_state(p, RUNNING);
                }
                drop(live);
                self.wake.notify_one();
            }
            let ack = CommandMessage::Ack {
                id,
                process_id,
                result,
                at: now_ms(),
            };
            if let Ok(json) = serde_json::to_vec(&ack) {
                let inner = self.clone();
                runtime.spawn(async move { inner.send(WebSettings::COMMANDS_TOPIC, json).await });
            }
        }
    }
}

/// Does what `action` asks of this process.
fn carry_out(action: &Action) -> Result<(), String> {
    match action {
        Action::Quiet => {
            crate::server::control::request_quiet();
            Ok(())
        }
        Action::Stop => {
            crate::server::control::request_stop();
            Ok(())
        }
        Action::Pause {
            consumer_group,
            topic,
            partition,
        }
        | Action::Resume {
            consumer_group,
            topic,
            partition,
        } => {
            let hold = matches!(action, Action::Pause { .. });
            let answer =
                crate::processing::commands::request(consumer_group, topic, *partition, hold);
            match answer.recv_timeout(crate::processing::commands::REQUEST_TTL) {
                Ok(true) => Ok(()),
                Ok(false) => Err(format!(
                    "{topic}/{partition} is not assigned to this process in {consumer_group}"
                )),
                Err(_) => Err(format!(
                    "consumer group {consumer_group} does not run in this process"
                )),
            }
        }
    }
}

impl Listener for Reporter {
    fn listens_to(&self, kind: EventKind) -> bool {
        // Only what it handles: the others are then not even built for it.
        matches!(
            kind,
            EventKind::AppRunning
                | EventKind::AppQuieting
                | EventKind::AppStopping
                | EventKind::AppStopped
                | EventKind::PartitionsAssigned
                | EventKind::PartitionsRevoked
                | EventKind::ConsumerConsume
                | EventKind::ConsumerConsumed
                | EventKind::ConsumerConsumingPause
                | EventKind::ConsumerConsumingRetry
                | EventKind::DeadLetterQueueDispatched
                | EventKind::ErrorOccurred
        )
    }

    fn on_app_running(&self, event: &AppStatusChanged) {
        self.status(event);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(target: "karafka", "the Web UI reporter needs a tokio runtime; not reporting");
            return;
        };
        if self.inner.started.set(()).is_err() {
            return;
        }
        runtime.spawn(self.inner.clone().publish());
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new()
            .name("karafka-web-commands".into())
            .spawn(move || inner.follow_commands(runtime));
        if let Err(error) = spawned {
            tracing::warn!(target: "karafka", "Web UI commands are not followed: {error}");
        }
    }

    fn on_app_quieting(&self, event: &AppStatusChanged) {
        self.status(event);
    }

    fn on_app_stopping(&self, event: &AppStatusChanged) {
        self.status(event);
    }

    fn on_app_stopped(&self, event: &AppStatusChanged) {
        {
            let mut live = self.live();
            live.groups.clear();
            live.status = event.status.name().to_owned();
        }
        self.inner.stopped.store(true, Ordering::Release);
        self.inner.wake.notify_one();
    }

    fn on_rebalance_partitions_assigned(&self, event: &Rebalance) {
        for (topic, partitions) in &event.partitions {
            for &partition in partitions {
                self.partition(&event.consumer_group, topic, partition, |_| {});
            }
        }
    }

    fn on_rebalance_partitions_revoked(&self, event: &Rebalance) {
        let mut live = self.live();
        if let Some(group) = live.groups.get_mut(&*event.consumer_group) {
            for (topic, partitions) in &event.partitions {
                if let Some(reports) = group.get_mut(&**topic) {
                    for partition in partitions {
                        reports.remove(partition);
                    }
                }
            }
        }
    }

    fn on_consumer_consume(&self, event: &ConsumerConsume) {
        self.partition(&event.consumer_group, &event.topic, event.partition, |p| {
            p.job = Some(JobReport {
                consumer: event.consumer.to_owned(),
                first_offset: event.first_offset,
                last_offset: event.last_offset,
                attempt: event.attempt,
                started_at: now_ms(),
            });
            if p.state == "paused" {
                set_state(p, RUNNING);
            }
        });
    }

    fn on_consumer_consumed(&self, event: &ConsumerConsumed) {
        self.partition(&event.consumer_group, &event.topic, event.partition, |p| {
            p.job = None;
            p.last_offset = Some(event.last_offset);
            set_state(p, RUNNING);
        });
        let mut live = self.live();
        live.counters.batches += 1;
        live.counters.messages += event.size as u64;
    }

    fn on_consumer_consuming_pause(&self, event: &ConsumerConsumingPause) {
        let state = match event.reason {
            PauseReason::Retry => "retrying",
            PauseReason::Command => "paused by command",
            PauseReason::Backpressure => "paused",
            PauseReason::DeadLetter => DEAD_LETTERING,
            PauseReason::Consumer => "paused by its consumer",
            PauseReason::Filter => "held by a filter",
        };
        self.partition(&event.consumer_group, &event.topic, event.partition, |p| {
            set_state(p, state);
        });
        if event.reason == PauseReason::Command {
            // The UI shows what its command did at once, not an interval later.
            self.inner.wake.notify_one();
        }
    }

    fn on_consumer_consuming_retry(&self, event: &ConsumerConsumingRetry) {
        self.partition(&event.consumer_group, &event.topic, event.partition, |p| {
            set_state(p, "retrying");
        });
        self.live().counters.retries += 1;
    }

    fn on_dead_letter_queue_dispatched(&self, event: &DeadLetterQueueDispatched) {
        // Written: the partition goes on past the message (no event says it resumed).
        self.partition(&event.consumer_group, &event.topic, event.partition, |p| {
            if p.state == "retrying" || p.state == DEAD_LETTERING {
                set_state(p, RUNNING);
            }
        });
        self.live().counters.dead += 1;
    }

    fn on_error_occurred(&self, event: &ErrorOccurred) {
        if let (Some(group), Some(topic), Some(partition)) =
            (&event.consumer_group, &event.topic, event.partition)
        {
            self.partition(group, topic, partition, |p| p.job = None);
        }
        let record = ErrorRecord {
            process_id: self.inner.process.id.clone(),
            error_type: event.error_type.name().to_owned(),
            consumer_group: event.consumer_group.as_deref().map(str::to_owned),
            topic: event.topic.as_deref().map(str::to_owned),
            partition: event.partition,
            offset: event.offset,
            attempt: event.attempt,
            error: event.error.clone(),
            at: now_ms(),
        };
        let mut live = self.live();
        live.counters.errors += 1;
        // Bounded: a burst of errors while the broker is away is summarised by the count.
        if live.errors.len() < 1_000 {
            live.errors.push(record);
        }
        drop(live);
        self.inner.wake.notify_one();
    }
}

/// A partition's state while its batches go through.
const RUNNING: &str = "running";
/// A partition's state while its failed message is written to the dead letter queue.
const DEAD_LETTERING: &str = "dead-lettering";

/// Sets `report`'s state, allocating only when it changes (it is set on every batch).
fn set_state(report: &mut PartitionReport, state: &str) {
    if report.state != state {
        report.state = state.to_owned();
    }
}
