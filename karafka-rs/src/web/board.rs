//! What the UI knows, gathered from the Web UI's topics: the latest report of
//! each process, samples for the dashboard's charts, recent errors, and the
//! commands sent with their acknowledgements. Three threads follow the topics
//! from their start; a task samples the consumer groups' lag.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::report::{now_ms, CommandMessage, ErrorRecord, Report};
use crate::admin::{Admin, TailFrom};
use crate::config::WebSettings;

/// Samples kept for the charts.
const SAMPLES: usize = 120;
/// Errors and commands kept.
const KEPT: usize = 500;

/// One point of the dashboard's charts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Sample {
    /// When, in ms since the Unix epoch.
    pub(crate) at: i64,
    /// Messages consumed per second since the previous sample.
    pub(crate) messages_per_second: f64,
    /// Errors per second since the previous sample.
    pub(crate) errors_per_second: f64,
}

/// A command as the UI saw it: sent, and acknowledged or not yet.
#[derive(Debug, Clone)]
pub(crate) struct CommandEntry {
    pub(crate) message: CommandMessage,
    pub(crate) ack: Option<Result<(), String>>,
}

#[derive(Default)]
pub(crate) struct State {
    /// Latest report by process id.
    pub(crate) processes: BTreeMap<String, Report>,
    pub(crate) samples: VecDeque<Sample>,
    /// Total lag of every group of the app over time: (ms, lag).
    pub(crate) lag: VecDeque<(i64, i64)>,
    /// Newest last.
    pub(crate) errors: VecDeque<ErrorRecord>,
    /// Newest last.
    pub(crate) commands: VecDeque<CommandEntry>,
    /// Totals (messages, errors) of the reports seen last, for the rates.
    last_totals: Option<(i64, u64, u64)>,
}

/// The UI's shared view of the cluster's Karafka processes.
#[derive(Clone, Default)]
pub(crate) struct Board {
    state: Arc<Mutex<State>>,
    stopped: Arc<AtomicBool>,
}

impl Board {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts following the topics through `admin`; stops once [`Board::stop`] is called.
    pub(crate) fn follow(&self, admin: &Admin) {
        for topic in WebSettings::TOPICS {
            let board = self.clone();
            let admin = admin.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("karafka-web-{topic}"))
                .spawn(move || board.follow_topic(&admin, topic));
            if let Err(error) = spawned {
                tracing::warn!(target: "karafka", "the Web UI cannot follow {topic}: {error}");
            }
        }
    }

    /// Stops the threads following the topics.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    fn follow_topic(&self, admin: &Admin, topic: &str) {
        let mut warned = false;
        let tail = loop {
            if self.stopped.load(Ordering::Acquire) {
                return;
            }
            match admin.tail(topic, TailFrom::Earliest) {
                Ok(tail) => break tail,
                Err(error) => {
                    if !warned {
                        tracing::warn!(target: "karafka", "the Web UI waits for topic {topic}: {error}");
                        warned = true;
                    }
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        };
        while !self.stopped.load(Ordering::Acquire) {
            match tail.next(Duration::from_millis(250)) {
                Ok(Some(message)) => {
                    if let Some(payload) = message.payload.as_deref() {
                        self.take(topic, payload);
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(target: "karafka", "the Web UI reading {topic}: {error}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    /// Takes one message of `topic` into the state; what does not parse is skipped.
    pub(crate) fn take(&self, topic: &str, payload: &[u8]) {
        let mut state = self.lock();
        match topic {
            WebSettings::REPORTS_TOPIC => {
                if let Ok(report) = serde_json::from_slice::<Report>(payload) {
                    state.report(report);
                }
            }
            WebSettings::ERRORS_TOPIC => {
                if let Ok(error) = serde_json::from_slice::<ErrorRecord>(payload) {
                    push_bounded(&mut state.errors, error, KEPT);
                }
            }
            WebSettings::COMMANDS_TOPIC => {
                if let Ok(message) = serde_json::from_slice::<CommandMessage>(payload) {
                    state.command(message);
                }
            }
            _ => {}
        }
    }

    /// Records the total lag now.
    pub(crate) fn lag_sampled(&self, lag: i64) {
        push_bounded(&mut self.lock().lag, (now_ms(), lag), SAMPLES);
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, bound: usize) {
    if queue.len() == bound {
        queue.pop_front();
    }
    queue.push_back(item);
}

impl State {
    fn report(&mut self, report: Report) {
        let at = report.at;
        self.processes.insert(report.process.id.clone(), report);
        let (messages, errors) = self.processes.values().fold((0, 0), |(m, e), r| {
            (m + r.counters.messages, e + r.counters.errors)
        });
        if let Some((last_at, last_messages, last_errors)) = self.last_totals {
            let seconds = (at - last_at) as f64 / 1000.0;
            if seconds > 0.0 {
                let sample = Sample {
                    at,
                    messages_per_second: messages.saturating_sub(last_messages) as f64 / seconds,
                    errors_per_second: errors.saturating_sub(last_errors) as f64 / seconds,
                };
                push_bounded(&mut self.samples, sample, SAMPLES);
            }
        }
        self.last_totals = Some((at, messages, errors));
    }

    fn command(&mut self, message: CommandMessage) {
        match message {
            CommandMessage::Ack {
                ref id, ref result, ..
            } => {
                if let Some(entry) = self.commands.iter_mut().rev().find(|c| {
                    matches!(&c.message, CommandMessage::Command { id: sent, .. } if sent == id)
                }) {
                    entry.ack = Some(result.clone());
                }
            }
            command @ CommandMessage::Command { .. } => push_bounded(
                &mut self.commands,
                CommandEntry {
                    message: command,
                    ack: None,
                },
                KEPT,
            ),
        }
    }

    /// Whether `report`'s process reported recently enough to count as alive.
    pub(crate) fn is_live(report: &Report) -> bool {
        let interval = report.process.interval.max(1) as i64;
        report.status != "stopped" && now_ms() - report.at < interval * 3 + 1_000
    }
}
