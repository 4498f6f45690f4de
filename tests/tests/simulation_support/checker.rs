//! The invariants, checked as the simulation goes:
//!
//! 1. nothing below a committed offset was left unprocessed (or un-dead-lettered);
//! 2. per partition, messages reach the consumer in offset order within one
//!    ownership, from where the last job left off (nothing skipped);
//! 3. at most one job per partition in flight;
//! 4. no job, no store for a partition not owned;
//! 5. committed offsets never move backwards (nor stored ones within an ownership);
//! 6. a message goes to the dead letter queue only after exactly
//!    `max_retries + 1` failed attempts of its own, and a message that
//!    succeeded is never dead-lettered;
//! 7. bounded memory: a member never buffers more than a poll round over
//!    each owned partition's limit;
//! 8. a member never holds polling back (backpressure's poll gate) for longer
//!    than `HOLD_AT_MOST`, so rebalances are served and it stays in the group;
//! 9. what the core announces after a failure is what happens next: a retry
//!    of attempt N at offset X is a job starting at X as attempt N, never a
//!    dead letter write; a dead letter pause at X is the write of X, never a job.
//! 10. a message is skipped only when a filter dropped it and reported so
//!     (a dropped message counts as processed for 1.); after a consumer's
//!     seek the next job starts there; no job of a partition its consumer
//!     paused starts before the pause ends or a tick resumes it.
//! 11. virtual partitions: the lanes of a batch together hold exactly the
//!     messages from where the last job left off, each lane in offset order,
//!     every partition key in one lane; the next batch starts only after all
//!     lanes returned, where the lowest message not done left off (the stored
//!     offset is checked by 1 as lanes return in any order).

use std::collections::{HashMap, HashSet};

use karafka::processing::core::{Finished, PauseFor, Requests};

/// What the checker knows of one ownership (a partition held by one member
/// from its assignment until its revocation or crash).
struct Ownership {
    partition: i32,
    start: i64,
    live: bool,
    /// Where the next job must start.
    expected: i64,
    stored: Option<i64>,
    own_failures: HashMap<i64, u32>,
    succeeded: HashSet<i64>,
    /// What the core said comes next after the last failure.
    announced: Option<Next>,
    /// Offsets a filter dropped (and reported).
    dropped: HashSet<i64>,
    /// Paused by its consumer until then (ms; `u64::MAX`: until resumed).
    paused_until: u64,
    /// The lanes of a batch split into virtual partitions: each one's offsets
    /// and, once it returned, its mark and failure.
    lanes: Vec<Lane>,
}

/// What the core announces after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A retry (`consumer.consuming.retry`): the attempt, at the offset.
    Attempt { offset: i64, attempt: u32 },
    /// A dead letter pause: the write of the message at the offset.
    DeadLetter(i64),
}

struct Lane {
    lane: usize,
    offsets: Vec<i64>,
    outcome: Option<(Option<i64>, Option<karafka::processing::core::Failure>)>,
}

impl Lane {
    /// Its lowest offset not done: a successful lane is done (only up to its
    /// mark with manual offsets), a failed one up to its mark.
    fn first_undone(&self, manual_offsets: bool) -> Option<i64> {
        let done_below = match &self.outcome {
            None => i64::MIN,
            Some((_, None)) if !manual_offsets => i64::MAX,
            Some((mark, _)) => mark
                .filter(|m| self.offsets.last().is_some_and(|last| *m <= last + 1))
                .unwrap_or(i64::MIN),
        };
        self.offsets.iter().copied().find(|o| *o >= done_below)
    }
}

/// Records what happened and the first invariant broken.
pub struct Checker {
    max_retries: Option<u32>,
    manual_offsets: bool,
    committed: Vec<i64>,
    processed: Vec<Vec<bool>>,
    ownerships: HashMap<u64, Ownership>,
    pub dead_lettered: u64,
    pub consumed: u64,
    pub violation: Option<String>,
}

impl Checker {
    pub fn new(partitions: i32, max_retries: Option<u32>, manual_offsets: bool) -> Self {
        Checker {
            max_retries,
            manual_offsets,
            committed: vec![0; partitions as usize],
            processed: vec![Vec::new(); partitions as usize],
            ownerships: HashMap::new(),
            dead_lettered: 0,
            consumed: 0,
            violation: None,
        }
    }

    pub fn violation(&mut self, what: String) {
        self.violation.get_or_insert(what);
    }

    /// Invariant 7: `buffered` messages over `owned` partitions.
    pub fn buffered(&mut self, member: usize, buffered: usize, owned: usize, per_partition: usize) {
        if buffered > owned * per_partition {
            self.violation(format!(
                "member {member} buffers {buffered} messages over {owned} partitions, more than {per_partition} each"
            ));
        }
    }

    /// Invariant 8: a member has held polling back since `since_ms`, now `now_ms`.
    pub fn held(&mut self, member: usize, since_ms: u64, now_ms: u64) {
        let most = karafka::processing::core::HOLD_AT_MOST.as_millis() as u64;
        if now_ms - since_ms > most {
            self.violation(format!(
                "member {member} has held polling back for {} ms, more than {most} ms",
                now_ms - since_ms
            ));
        }
    }

    pub fn committed(&self, partition: i32) -> i64 {
        self.committed[partition as usize]
    }

    fn processed(&mut self, partition: i32, offset: i64) {
        let processed = &mut self.processed[partition as usize];
        if processed.len() <= offset as usize {
            processed.resize(offset as usize + 1, false);
        }
        processed[offset as usize] = true;
    }

    fn all_processed_below(&self, partition: i32, offset: i64) -> Option<i64> {
        let processed = &self.processed[partition as usize];
        (0..offset).find(|o| !processed.get(*o as usize).copied().unwrap_or(false))
    }

    pub fn owned(&mut self, ownership: u64, partition: i32, start: i64) {
        self.ownerships.insert(
            ownership,
            Ownership {
                partition,
                start,
                live: true,
                expected: start,
                stored: None,
                own_failures: HashMap::new(),
                succeeded: HashSet::new(),
                announced: None,
                dropped: HashSet::new(),
                paused_until: 0,
                lanes: Vec::new(),
            },
        );
    }

    pub fn released(&mut self, ownership: u64) {
        if let Some(o) = self.ownerships.get_mut(&ownership) {
            o.live = false;
        }
    }

    pub fn ownership_start(&self, ownership: u64) -> i64 {
        self.ownerships
            .get(&ownership)
            .map_or(i64::MAX, |o| o.start)
    }

    fn live(&mut self, ownership: Option<u64>, partition: i32, what: &str) -> Option<u64> {
        match ownership.filter(|o| self.ownerships.get(o).is_some_and(|o| o.live)) {
            Some(o) => Some(o),
            None => {
                self.violation(format!(
                    "{what} for partition {partition}, which the member does not own"
                ));
                None
            }
        }
    }

    pub fn tick_started(&mut self, ownership: Option<u64>, partition: i32, busy: bool) {
        self.live(ownership, partition, "a tick started");
        if busy {
            self.violation(format!(
                "a tick of partition {partition} started while its job was in flight"
            ));
        }
    }

    /// The core announced what follows a failure of a partition it owns.
    pub fn announced(&mut self, ownership: Option<u64>, partition: i32, next: Next) {
        if let Some(id) = self.live(ownership, partition, "a failure's next step announced") {
            if let Some(o) = self.ownerships.get_mut(&id) {
                o.announced = Some(next);
            }
        }
    }

    pub fn job_started(
        &mut self,
        ownership: Option<u64>,
        partition: i32,
        offsets: &[i64],
        attempt: u32,
        busy: bool,
        now_ms: u64,
    ) {
        let Some(id) = self.live(ownership, partition, "a job started") else {
            return;
        };
        let started = Next::Attempt {
            offset: offsets[0],
            attempt,
        };
        match self
            .ownerships
            .get_mut(&id)
            .and_then(|o| o.announced.take())
        {
            Some(next) if next != started => self.violation(format!(
                "partition {partition}: {next:?} was announced, then {started:?} ran"
            )),
            _ => {}
        }
        if busy {
            self.violation(format!(
                "two jobs of partition {partition} in flight at once"
            ));
        }
        let o = &self.ownerships[&id];
        let (expected, start) = (o.expected, o.start);
        let skipped = |from: i64, to: i64| (from..to).find(|offset| !o.dropped.contains(offset));
        let unordered = offsets
            .windows(2)
            .find(|w| w[1] <= w[0])
            .map(<[i64]>::to_vec);
        let missing = offsets.windows(2).find_map(|w| skipped(w[0] + 1, w[1]));
        let late = offsets[0] < expected || skipped(expected, offsets[0]).is_some();
        if let Some(gap) = unordered {
            self.violation(format!(
                "batch {offsets:?} of partition {partition} is not in offset order at {gap:?}"
            ));
        }
        if let Some(missing) = missing {
            self.violation(format!(
                "batch {offsets:?} of partition {partition} skips {missing}, which no filter dropped"
            ));
        }
        if late {
            self.violation(format!(
                "partition {partition}: a job starts at {} where {expected} was next (ownership from {start})",
                offsets[0]
            ));
        }
        let paused_until = self.ownerships[&id].paused_until;
        if now_ms < paused_until {
            self.violation(format!(
                "partition {partition}: a job starts at {now_ms} ms while its consumer paused it until {paused_until} ms"
            ));
        }
    }

    /// A filter dropped `offsets`: they count as processed.
    pub fn dropped(&mut self, ownership: Option<u64>, partition: i32, offsets: &[i64]) {
        let Some(id) = self.live(ownership, partition, "a filter dropped messages") else {
            return;
        };
        for &offset in offsets {
            self.processed(partition, offset);
        }
        if let Some(o) = self.ownerships.get_mut(&id) {
            o.dropped.extend(offsets);
            // A retried message that expired or was filtered meanwhile is not retried:
            // its drop, reported, is what happened next.
            if let Some(Next::Attempt { offset, .. }) = o.announced {
                if offsets.contains(&offset) {
                    o.announced = None;
                }
            }
        }
    }

    pub fn job_finished(
        &mut self,
        ownership: u64,
        done: &Finished,
        requests: &Requests,
        current: bool,
        now_ms: u64,
    ) {
        let Finished::Consumed {
            first,
            last,
            mark,
            result,
        } = done
        else {
            if let Some(o) = self.ownerships.get_mut(&ownership).filter(|_| current) {
                if requests.resume {
                    o.paused_until = 0;
                }
            }
            return;
        };
        let (first, last) = (*first, *last);
        let Some(o) = self.ownerships.get(&ownership) else {
            return;
        };
        let (partition, live) = (o.partition, o.live);
        if current && !live {
            self.violation(format!(
                "partition {partition}: a job of an ended ownership was applied"
            ));
        }
        if live && !current {
            self.violation(format!(
                "partition {partition}: a job of the current ownership was ignored"
            ));
        }
        let mark = mark.filter(|m| *m <= last + 1);
        let done_upto = match result {
            Ok(()) => last + 1,
            Err(_) => mark.filter(|m| *m > first).unwrap_or(first),
        };
        for offset in first..done_upto {
            self.processed(partition, offset);
        }
        self.consumed += (done_upto - first).max(0) as u64;
        if !current {
            return;
        }
        let o = self.ownerships.get_mut(&ownership).expect("checked above");
        o.succeeded.extend(first..done_upto);
        o.expected = done_upto;
        if result.is_ok() {
            if let Some(seek) = requests.seek {
                // Consumed again from there, as its consumer asked.
                o.expected = seek;
                o.succeeded.retain(|offset| *offset < seek);
            }
            o.paused_until = match requests.pause {
                Some(PauseFor::Duration(pause)) => now_ms + pause.as_millis() as u64,
                Some(PauseFor::UntilResumed) => u64::MAX,
                None => 0,
            };
        }
        if let Err(failure) = result {
            let resume = done_upto;
            let culprit = failure
                .culprit
                .filter(|c| (resume..=last).contains(c))
                .or((resume == last).then_some(resume));
            if let Some(culprit) = culprit {
                *o.own_failures.entry(culprit).or_default() += 1;
            }
        }
    }

    /// The lanes of one batch start: `(lane, offsets)` each.
    pub fn lanes_started(
        &mut self,
        ownership: Option<u64>,
        partition: i32,
        lanes: &[(usize, Vec<i64>)],
        busy: bool,
        keys: u64,
    ) {
        let Some(id) = self.live(ownership, partition, "lanes started") else {
            return;
        };
        if busy {
            self.violation(format!(
                "lanes of partition {partition} started while a job was in flight"
            ));
        }
        let mut all: Vec<i64> = lanes.iter().flat_map(|(_, o)| o.iter().copied()).collect();
        all.sort_unstable();
        let announced = self
            .ownerships
            .get_mut(&id)
            .and_then(|o| o.announced.take());
        match announced {
            Some(Next::Attempt { offset, .. }) if all.first() == Some(&offset) => {}
            Some(next) => self.violation(format!(
                "partition {partition}: {next:?} was announced, then lanes {lanes:?} ran"
            )),
            None => {}
        }
        let expected = self.ownerships[&id].expected;
        if all.first() != Some(&expected) || all.windows(2).any(|w| w[1] != w[0] + 1) {
            self.violation(format!(
                "partition {partition}: lanes {lanes:?} are not the messages from {expected} on, each once"
            ));
        }
        let mut lane_of_key = HashMap::new();
        for (lane, offsets) in lanes {
            if offsets.is_empty() || offsets.windows(2).any(|w| w[1] <= w[0]) {
                self.violation(format!(
                    "partition {partition}: lane {lane} holds {offsets:?}, not in offset order"
                ));
            }
            for offset in offsets {
                let key = super::world::key_of(*offset, keys);
                if *lane_of_key.entry(key).or_insert(*lane) != *lane {
                    self.violation(format!(
                        "partition {partition}: key {key} split over two lanes of one batch"
                    ));
                }
            }
        }
        let o = self.ownerships.get_mut(&id).expect("live");
        o.lanes = lanes
            .iter()
            .map(|(lane, offsets)| Lane {
                lane: *lane,
                offsets: offsets.clone(),
                outcome: None,
            })
            .collect();
    }

    /// A lane's job returned; the batch is applied once all did.
    pub fn lane_finished(&mut self, ownership: u64, lane: usize, done: &Finished, current: bool) {
        let Finished::Consumed { mark, result, .. } = done else {
            return;
        };
        let manual_offsets = self.manual_offsets;
        let Some(o) = self.ownerships.get_mut(&ownership) else {
            return;
        };
        let (partition, live) = (o.partition, o.live);
        let Some(index) = o
            .lanes
            .iter()
            .position(|l| l.lane == lane && l.outcome.is_none())
        else {
            if current {
                self.violation(format!(
                    "partition {partition}: lane {lane} was applied but is not running"
                ));
            }
            return;
        };
        o.lanes[index].outcome = Some((*mark, result.clone().err()));
        let processed_below = o.lanes[index].first_undone(false).unwrap_or(i64::MAX);
        let processed: Vec<i64> = o.lanes[index]
            .offsets
            .iter()
            .copied()
            .filter(|offset| *offset < processed_below)
            .collect();
        for offset in &processed {
            self.processed(partition, *offset);
        }
        self.consumed += processed.len() as u64;
        if current && !live {
            self.violation(format!(
                "partition {partition}: a lane of an ended ownership was applied"
            ));
        }
        if live && !current {
            self.violation(format!(
                "partition {partition}: a lane of the current ownership was ignored"
            ));
        }
        let o = self.ownerships.get_mut(&ownership).expect("checked above");
        if !current || o.lanes.iter().any(|l| l.outcome.is_none()) {
            return;
        }
        let lanes = std::mem::take(&mut o.lanes);
        let last = lanes
            .iter()
            .filter_map(|l| l.offsets.last().copied())
            .max()
            .unwrap_or(o.expected);
        let failed = lanes
            .iter()
            .filter_map(|l| {
                let failure = l.outcome.as_ref()?.1.clone()?;
                Some((l.first_undone(manual_offsets), failure))
            })
            .min_by_key(|(offset, _)| offset.unwrap_or(i64::MAX));
        let Some((_, failure)) = failed else {
            o.succeeded.extend(o.expected..=last);
            o.expected = last + 1;
            return;
        };
        let resume = lanes
            .iter()
            .filter_map(|l| l.first_undone(manual_offsets))
            .min()
            .unwrap_or(last + 1);
        o.succeeded.extend(o.expected..resume);
        o.expected = resume;
        let culprit = failure
            .culprit
            .filter(|c| (resume..=last).contains(c))
            .or((resume == last).then_some(resume));
        if let Some(culprit) = culprit {
            *o.own_failures.entry(culprit).or_default() += 1;
        }
    }

    pub fn stored(&mut self, ownership: Option<u64>, partition: i32, offset: i64) {
        let Some(id) = self.live(ownership, partition, "an offset was stored") else {
            return;
        };
        if let Some(missing) = self.all_processed_below(partition, offset) {
            self.violation(format!(
                "partition {partition}: stored {offset} before {missing} was processed"
            ));
        }
        let o = self.ownerships.get_mut(&id).expect("live");
        let before = o.stored.replace(offset);
        if before.is_some_and(|s| s > offset) {
            self.violation(format!(
                "partition {partition}: stored offset moved back to {offset}"
            ));
        }
    }

    pub fn commit(&mut self, partition: i32, offset: i64) {
        if offset < self.committed[partition as usize] {
            self.violation(format!(
                "partition {partition}: committed offset moved back from {} to {offset}",
                self.committed[partition as usize]
            ));
        }
        self.committed[partition as usize] = offset;
    }

    /// Invariant 1, after every step.
    pub fn check_committed(&mut self) {
        for partition in 0..self.committed.len() as i32 {
            let committed = self.committed[partition as usize];
            if let Some(missing) = self.all_processed_below(partition, committed) {
                self.violation(format!("partition {partition}: committed {committed} but {missing} was never processed"));
            }
        }
    }

    pub fn dead_letter_started(
        &mut self,
        ownership: Option<u64>,
        partition: i32,
        offset: i64,
        attempts: u32,
    ) {
        let Some(id) = self.live(ownership, partition, "a dead letter write started") else {
            return;
        };
        match self
            .ownerships
            .get_mut(&id)
            .and_then(|o| o.announced.take())
        {
            Some(next) if next != Next::DeadLetter(offset) => self.violation(format!(
                "partition {partition}: {next:?} was announced, then {offset} was dead-lettered"
            )),
            _ => {}
        }
        let max_retries = self.max_retries;
        let o = &self.ownerships[&id];
        let own = o.own_failures.get(&offset).copied().unwrap_or(0);
        let expected = o.expected;
        let skips_kept = (expected..offset).any(|skipped| !o.dropped.contains(&skipped));
        let succeeded = o.succeeded.contains(&offset);
        match max_retries {
            None => self.violation(format!("partition {partition}: {offset} dead-lettered on a route without a DLQ")),
            Some(max) if own != max + 1 || attempts != own => self.violation(format!(
                "partition {partition}: {offset} dead-lettered after {own} failed attempts of its own (reported {attempts}), not max_retries + 1 = {}",
                max + 1
            )),
            Some(_) => {}
        }
        if succeeded {
            self.violation(format!(
                "partition {partition}: {offset} succeeded, then was dead-lettered"
            ));
        }
        if offset < expected || skips_kept {
            self.violation(format!(
                "partition {partition}: dead-lettered {offset} where {expected} was next"
            ));
        }
    }

    pub fn dead_letter_written(
        &mut self,
        ownership: u64,
        partition: i32,
        offset: i64,
        ok: bool,
        current: bool,
    ) {
        let live = self.ownerships.get(&ownership).is_some_and(|o| o.live);
        if current && !live {
            self.violation(format!(
                "partition {partition}: a dead letter write of an ended ownership was applied"
            ));
        }
        if !ok {
            return;
        }
        self.dead_lettered += 1;
        self.processed(partition, offset);
        if current {
            if let Some(o) = self.ownerships.get_mut(&ownership) {
                o.expected = offset + 1;
            }
        }
    }
}
