//! The reliability suite's bookkeeping: what was lost or seen twice, replays
//! per process lifetime, the one-line summary each scenario prints, and a
//! seeded random source for fault timing (seed printed, `RELIABILITY_SEED`
//! replays a run).

use std::collections::{BTreeMap, BTreeSet};

/// One scenario's outcome, printed as `reliability scenario=... messages=...`.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The scenario's name, e.g. `crash_loop`.
    pub scenario: &'static str,
    /// Messages the scenario produced and expects processed.
    pub messages: usize,
    /// Faults injected (kills, signals, broker faults, bad payloads...).
    pub faults: usize,
    /// Messages never processed.
    pub lost: usize,
    /// Processings beyond the first of a message.
    pub duplicates: usize,
    /// Further `key=value` figures of the scenario.
    pub extra: Vec<(&'static str, String)>,
}

impl Summary {
    /// A summary with no extra figures.
    pub fn new(
        scenario: &'static str,
        messages: usize,
        faults: usize,
        lost: usize,
        duplicates: usize,
    ) -> Summary {
        Summary {
            scenario,
            messages,
            faults,
            lost,
            duplicates,
            extra: Vec::new(),
        }
    }

    /// Adds a `key=value` figure.
    pub fn with(mut self, key: &'static str, value: impl ToString) -> Summary {
        self.extra.push((key, value.to_string()));
        self
    }

    /// The summary line.
    pub fn line(&self) -> String {
        let mut line = format!(
            "reliability scenario={} messages={} faults={} lost={} duplicates={}",
            self.scenario, self.messages, self.faults, self.lost, self.duplicates
        );
        for (key, value) in &self.extra {
            line.push_str(&format!(" {key}={value}"));
        }
        line
    }

    /// Prints the line on stdout (seen with `--nocapture`).
    pub fn print(&self) {
        println!("{}", self.line());
    }
}

/// (lost, duplicates) of `processed` (partition, offset) records against `placed`.
pub fn tally(placed: &BTreeSet<(i32, i64)>, processed: &[(i32, i64)]) -> (usize, usize) {
    let seen: BTreeSet<(i32, i64)> = processed.iter().copied().collect();
    let lost = placed.difference(&seen).count();
    (lost, processed.len() - seen.len())
}

/// For each process lifetime in `lifetimes` (pids, in start order), how many of
/// its records repeat a (partition, offset) recorded by an earlier lifetime:
/// the replay each restart caused.
pub fn replays_per_lifetime(records: &[(u32, i32, i64)], lifetimes: &[u32]) -> Vec<usize> {
    let mut by_pid: BTreeMap<u32, Vec<(i32, i64)>> = BTreeMap::new();
    for &(pid, partition, offset) in records {
        by_pid.entry(pid).or_default().push((partition, offset));
    }
    let mut seen: BTreeSet<(i32, i64)> = BTreeSet::new();
    lifetimes
        .iter()
        .map(|pid| {
            let mine = by_pid.remove(pid).unwrap_or_default();
            let replayed = mine.iter().filter(|r| seen.contains(r)).count();
            seen.extend(mine);
            replayed
        })
        .collect()
}

/// A small xorshift generator: fault timing only, never test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded from `RELIABILITY_SEED` or the clock; prints the seed for replays.
    pub fn from_env(scenario: &str) -> Rng {
        let seed = std::env::var("RELIABILITY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        println!(
            "reliability scenario={scenario} seed={seed} (RELIABILITY_SEED={seed} replays it)"
        );
        Rng(seed.max(1))
    }

    /// A number in `range` (inclusive bounds).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_count_records_an_earlier_lifetime_already_made() {
        let records = [(1, 0, 0), (1, 0, 1), (2, 0, 1), (2, 0, 2), (3, 0, 2)];
        assert_eq!(replays_per_lifetime(&records, &[1, 2, 3]), [0, 1, 1]);
    }

    #[test]
    fn tally_counts_missing_and_repeated_messages() {
        let placed: BTreeSet<_> = [(0, 0), (0, 1), (1, 0)].into_iter().collect();
        assert_eq!(tally(&placed, &[(0, 0), (0, 0), (1, 0)]), (1, 1));
    }
}
