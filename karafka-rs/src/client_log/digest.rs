//! Repeated log lines collapsed by cause: the first occurrence is shown, the
//! repeats are counted and shown as one line per window ("broker
//! 127.0.0.1:9092 unreachable (37 times in 30 s)"), and a cause quiet for a
//! whole window is forgotten, so its next occurrence is shown again.
//!
//! [`Digest`] is the pure bookkeeping (time is an input); [`collapse`] is the
//! process-wide one that writes through `tracing`, with a thread that writes
//! the counts when their window ends.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long repeats of a cause are counted before their count is shown.
pub(crate) const WINDOW: Duration = Duration::from_secs(30);

/// How often the process-wide digest looks for windows that ended.
const TICK: Duration = Duration::from_secs(1);

/// Severity of a collapsed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    /// Shown as `WARN`.
    Warn,
    /// Shown as `ERROR`.
    Error,
}

/// Who speaks in a collapsed line: its `tracing` target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Speaker {
    /// karafka's own words (target `karafka`).
    Karafka,
    /// librdkafka's words, translated (target `librdkafka`).
    Librdkafka,
}

/// A line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    /// Its severity.
    pub(crate) severity: Severity,
    /// Its target.
    pub(crate) speaker: Speaker,
    /// The text.
    pub(crate) text: String,
}

/// One cause seen recently.
#[derive(Debug)]
struct Cause {
    /// The line of its first occurrence, without a count.
    line: Line,
    /// When its last line (first occurrence or count) was written.
    shown_at: Instant,
    /// Occurrences since then.
    repeats: u64,
}

/// Causes seen within their window, by cause key.
#[derive(Debug)]
pub(crate) struct Digest {
    window: Duration,
    causes: BTreeMap<String, Cause>,
}

impl Digest {
    /// An empty digest counting repeats for `window` at a time.
    pub(crate) const fn new(window: Duration) -> Digest {
        Digest {
            window,
            causes: BTreeMap::new(),
        }
    }

    /// Records an occurrence of `cause` at `now`; returns whether `line` is to
    /// be written (the first occurrence) or only counted.
    pub(crate) fn observe(&mut self, cause: &str, line: Line, now: Instant) -> bool {
        if let Some(seen) = self.causes.get_mut(cause) {
            let quiet = seen.repeats == 0 && now.duration_since(seen.shown_at) >= self.window;
            if !quiet {
                seen.repeats += 1;
                return false;
            }
        }
        self.causes.insert(
            cause.to_owned(),
            Cause {
                line,
                shown_at: now,
                repeats: 0,
            },
        );
        true
    }

    /// The count lines of causes whose window ended by `now`; causes with no
    /// repeat in their window are forgotten.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<Line> {
        let window = self.window;
        let mut lines = Vec::new();
        self.causes.retain(|_, cause| {
            let elapsed = now.duration_since(cause.shown_at);
            if elapsed < window {
                return true;
            }
            if cause.repeats == 0 {
                return false;
            }
            lines.push(Line {
                text: format!(
                    "{} ({} in {} s)",
                    cause.line.text,
                    times(cause.repeats),
                    elapsed.as_secs()
                ),
                ..cause.line.clone()
            });
            cause.shown_at = now;
            cause.repeats = 0;
            true
        });
        lines
    }

    /// Whether no cause is remembered.
    pub(crate) fn is_empty(&self) -> bool {
        self.causes.is_empty()
    }
}

fn times(n: u64) -> String {
    if n == 1 {
        "once more".to_owned()
    } else {
        format!("{n} times")
    }
}

/// The process-wide digest, and whether its thread runs.
struct Shared {
    digest: Digest,
    ticking: bool,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    digest: Digest::new(WINDOW),
    ticking: false,
});

fn lock() -> std::sync::MutexGuard<'static, Shared> {
    SHARED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes `line` if it is the first occurrence of `cause` in this process
/// within the window; otherwise counts it, to be written as one line when the
/// window ends.
pub(crate) fn collapse(cause: &str, line: Line) {
    let mut shared = lock();
    let show = shared.digest.observe(cause, line.clone(), Instant::now());
    let start = !shared.ticking && !shared.digest.is_empty();
    if start {
        shared.ticking = true;
    }
    drop(shared);
    if start {
        let spawned = std::thread::Builder::new()
            .name("karafka-log-digest".into())
            .spawn(tick);
        if spawned.is_err() {
            lock().ticking = false;
        }
    }
    if show {
        write(&line);
    }
}

/// Writes the counts of ended windows until no cause is left.
fn tick() {
    loop {
        std::thread::sleep(TICK);
        let mut shared = lock();
        let lines = shared.digest.due(Instant::now());
        let idle = shared.digest.is_empty();
        if idle {
            shared.ticking = false;
        }
        drop(shared);
        for line in &lines {
            write(line);
        }
        if idle {
            return;
        }
    }
}

fn write(line: &Line) {
    let text = &line.text;
    match (line.speaker, line.severity) {
        (Speaker::Karafka, Severity::Warn) => tracing::warn!(target: "karafka", "{text}"),
        (Speaker::Karafka, Severity::Error) => tracing::error!(target: "karafka", "{text}"),
        (Speaker::Librdkafka, Severity::Warn) => {
            tracing::warn!(target: "librdkafka", "librdkafka: {text}")
        }
        (Speaker::Librdkafka, Severity::Error) => {
            tracing::error!(target: "librdkafka", "librdkafka: {text}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Line {
        Line {
            severity: Severity::Error,
            speaker: Speaker::Librdkafka,
            text: text.to_owned(),
        }
    }

    #[test]
    fn repeats_within_the_window_are_counted_and_shown_once_when_it_ends() {
        let start = Instant::now();
        let mut digest = Digest::new(Duration::from_secs(30));
        let down = "broker 127.0.0.1:9092 unreachable";
        assert!(digest.observe(down, line(down), start));
        for second in 1..=37 {
            let now = start + Duration::from_millis(second * 700);
            assert!(!digest.observe(down, line(down), now));
        }
        assert!(digest.due(start + Duration::from_secs(29)).is_empty());
        let lines = digest.due(start + Duration::from_secs(30));
        assert_eq!(
            lines,
            vec![line("broker 127.0.0.1:9092 unreachable (37 times in 30 s)")]
        );
        assert!(!digest.is_empty(), "still counted for the next window");
    }

    #[test]
    fn a_cause_quiet_for_a_window_is_forgotten_and_shown_again() {
        let start = Instant::now();
        let mut digest = Digest::new(Duration::from_secs(30));
        assert!(digest.observe("a", line("a"), start));
        assert!(digest.due(start + Duration::from_secs(31)).is_empty());
        assert!(digest.is_empty());
        assert!(digest.observe("a", line("a"), start + Duration::from_secs(40)));
    }

    #[test]
    fn a_quiet_cause_not_yet_forgotten_is_shown_again_on_its_next_occurrence() {
        let start = Instant::now();
        let mut digest = Digest::new(Duration::from_secs(30));
        assert!(digest.observe("a", line("a"), start));
        assert!(digest.observe("a", line("a"), start + Duration::from_secs(30)));
    }

    #[test]
    fn different_causes_are_shown_and_counted_apart() {
        let start = Instant::now();
        let mut digest = Digest::new(Duration::from_secs(30));
        assert!(digest.observe("a", line("a"), start));
        assert!(digest.observe("b", line("b"), start));
        assert!(!digest.observe("a", line("a"), start + Duration::from_secs(1)));
        let lines = digest.due(start + Duration::from_secs(30));
        assert_eq!(lines, vec![line("a (once more in 30 s)")]);
    }
}
