//! The simulated world around the real processing core: members of a consumer
//! group (each a `Core` with its own partition client), the partition logs and
//! the committed offsets, jobs that run for a while and then succeed, fail,
//! panic or mark, dead letter writes that are acknowledged late or fail, pause
//! and resume commands, and a clock that moves only when the simulation says so. Each member's turn
//! follows the fetch loop's order: collect, dispatch, backpressure, resume
//! due, poll (unless the poll gate holds it back), accept.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use karafka::processing::core::{
    Backoff, Core, Effect, Failure, Finished, Offset, PartitionKey, Partitioner, PauseReason,
    Requests, Route, Rules, Start, Work,
};

use super::checker::{Checker, Next};
use super::flow::{Flow, WALL_START_MS};
use super::rng::Rng;

/// How long a revoke waits for running jobs (`shutdown_timeout`).
const SHUTDOWN_WAIT_MS: u64 = 1_000;

/// A simulated message: its offset and timestamp (wall-clock ms).
#[derive(Debug)]
pub struct Msg(pub i64, pub i64);

impl Offset for Msg {
    fn offset(&self) -> i64 {
        self.0
    }

    fn timestamp(&self) -> Option<i64> {
        Some(self.1)
    }
}

/// What one seed sets up.
#[derive(Debug, Clone)]
pub struct Setup {
    pub members: usize,
    pub partitions: i32,
    pub rules: Rules,
    pub worker_pool: bool,
    pub poison_percent: u64,
    pub transient_percent: u64,
    pub mark_percent: u64,
    pub commit_fail_percent: u64,
    pub dead_letter_fail_percent: u64,
    pub seek_fail_percent: u64,
    pub hang_percent: u64,
    /// Flow control: filters, throttle, delay and expiry, consumer pauses and seeks.
    pub flow: Flow,
    /// Distinct partition keys of the messages (see [`key_of`]).
    pub keys: u64,
}

/// The partition key of the message at `offset`, one of `keys`.
pub fn key_of(offset: i64, keys: u64) -> u64 {
    ((offset as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) % keys.max(1)
}

impl Setup {
    /// A random setup.
    pub fn random(rng: &mut Rng) -> Self {
        let max_messages = rng.range(1, 8) as usize;
        let mut setup = Setup {
            members: rng.range(1, 2) as usize,
            partitions: rng.range(1, 3) as i32,
            rules: Rules {
                batch_consuming: rng.chance(80),
                max_messages,
                manual_offsets: rng.chance(20),
                tick_interval: rng
                    .chance(20)
                    .then(|| Duration::from_millis(rng.range(50, 500))),
                dead_letter_retries: rng.chance(60).then(|| rng.below(4) as u32),
                buffer_limit: rng.range(2, 4) as usize * max_messages,
                virtual_partitions: None,
            },
            worker_pool: rng.chance(50),
            poison_percent: rng.range(0, 12),
            transient_percent: rng.range(0, 15),
            mark_percent: if rng.chance(50) { rng.range(5, 60) } else { 0 },
            commit_fail_percent: rng.range(0, 20),
            dead_letter_fail_percent: rng.range(0, 30),
            seek_fail_percent: rng.range(0, 5),
            hang_percent: rng.range(0, 10),
            flow: Flow::random(rng),
            keys: 1,
        };
        // Drawn last, so the draws above stay those of earlier versions. Virtual
        // partitions are simulated on seeds without flow control (filters before
        // the split are covered by the flow seeds; consumer seeks per lane are not).
        if setup.flow == Flow::default() && rng.chance(40) {
            setup.rules.virtual_partitions = Some(rng.range(2, 4) as usize);
            setup.keys = rng.range(1, 6);
        }
        setup
    }
}

/// A rebalance: `partition` leaves its owner (if any) for `to` (if any).
#[derive(Debug, Clone)]
pub struct Rebalance {
    pub partition: i32,
    pub to: Option<usize>,
}

/// One step of a run.
#[derive(Debug, Clone)]
pub enum Action {
    /// A fetch-loop turn of `member`; a rebalance may happen after `after`
    /// messages of its poll round.
    Turn {
        member: usize,
        mid_round: Option<(usize, Rebalance)>,
    },
    /// Time passes.
    Advance { ms: u64 },
    /// Partitions move.
    Rebalance(Rebalance),
    /// A member's process dies; its partitions go to `to` (restarted from committed offsets).
    Crash { member: usize, to: Vec<usize> },
    /// A member's interval commit.
    Commit { member: usize },
    /// New messages arrive.
    Produce { partition: i32, count: i64 },
    /// A pause (`hold: true`) or resume command for a partition of `member`.
    Hold {
        member: usize,
        partition: i32,
        hold: bool,
    },
}

impl Action {
    /// A random action for `setup`.
    pub fn random(rng: &mut Rng, setup: &Setup) -> Self {
        let member = rng.below(setup.members as u64) as usize;
        let rebalance = |rng: &mut Rng| Rebalance {
            partition: rng.below(setup.partitions as u64) as i32,
            to: (!rng.chance(15)).then(|| rng.below(setup.members as u64) as usize),
        };
        match rng.below(100) {
            0..=49 => Action::Turn {
                member,
                mid_round: rng
                    .chance(8)
                    .then(|| (rng.below(6) as usize, rebalance(rng))),
            },
            50..=69 => Action::Advance {
                ms: if rng.chance(70) {
                    rng.range(1, 100)
                } else {
                    rng.range(100, 4_000)
                },
            },
            70..=77 => Action::Rebalance(rebalance(rng)),
            78..=79 => Action::Crash {
                member,
                to: (0..setup.partitions)
                    .map(|_| rng.below(setup.members as u64) as usize)
                    .collect(),
            },
            80..=91 => Action::Commit { member },
            92..=95 => Action::Hold {
                member,
                partition: rng.below(setup.partitions as u64) as i32,
                hold: rng.chance(50),
            },
            _ => Action::Produce {
                partition: rng.below(setup.partitions as u64) as i32,
                count: rng.range(1, 10) as i64,
            },
        }
    }
}

/// A job in flight.
struct Job {
    partition: i32,
    generation: u64,
    /// Its virtual partition, and whether its batch was split into lanes.
    lane: usize,
    split: bool,
    ownership: u64,
    finish_at: u64,
    done: Finished,
    requests: Requests,
}

/// A dead letter write in flight.
struct Write {
    partition: i32,
    generation: u64,
    ownership: u64,
    offset: i64,
    finish_at: u64,
    ok: bool,
}

/// A partition as a member's client holds it.
struct Assigned {
    position: i64,
    paused: bool,
    stored: Option<i64>,
    ownership: u64,
}

struct Member {
    core: Core<Msg>,
    client: HashMap<i32, Assigned>,
    /// Partitions a pause command holds.
    held: HashSet<i32>,
    jobs: Vec<Job>,
    writes: Vec<Write>,
    /// Since when (ms) the poll gate has held polling back, across turns.
    held_since: Option<u64>,
}

/// Everything simulated.
pub struct World {
    pub setup: Setup,
    rng: Rng,
    base: Instant,
    now_ms: u64,
    members: Vec<Member>,
    /// Message count of each partition's log.
    logs: Vec<i64>,
    /// Each partition's message timestamps (wall-clock ms), by offset.
    stamps: Vec<Vec<i64>>,
    poison: Vec<Vec<Option<bool>>>,
    pub checker: Checker,
    next_ownership: u64,
    pub trace: Option<Vec<String>>,
}

fn topic() -> Arc<str> {
    Arc::from("events")
}

impl World {
    /// A world for `setup`, every partition assigned round robin, messages already waiting.
    pub fn new(setup: Setup, seed: u64, trace: bool) -> Self {
        let mut rng = Rng::new(seed ^ 0xdead_beef);
        let logs: Vec<i64> = (0..setup.partitions)
            .map(|_| rng.range(0, 30) as i64)
            .collect();
        let stamps = logs
            .iter()
            .map(|count| {
                let mut stamps: Vec<i64> = (0..*count)
                    .map(|_| WALL_START_MS - rng.range(0, 10_000) as i64)
                    .collect();
                stamps.sort_unstable();
                stamps
            })
            .collect();
        let base = Instant::now();
        let members = (0..setup.members)
            .map(|_| Member::new(&setup, base))
            .collect();
        let mut world = World {
            checker: Checker::new(
                setup.partitions,
                setup.rules.dead_letter_retries,
                setup.rules.manual_offsets,
            ),
            poison: vec![Vec::new(); setup.partitions as usize],
            setup,
            rng,
            base,
            now_ms: 0,
            members,
            logs,
            stamps,
            next_ownership: 0,
            trace: trace.then(Vec::new),
        };
        for partition in 0..world.setup.partitions {
            let member = partition as usize % world.setup.members;
            world.assign(member, partition);
        }
        world
    }

    fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(trace) = &mut self.trace {
            trace.push(format!("t={}ms {}", self.now_ms, line()));
        }
    }

    fn now(&self) -> Instant {
        self.base + Duration::from_millis(self.now_ms)
    }

    /// Runs one action; the checker records what it breaks.
    pub fn step(&mut self, action: &Action) {
        self.note(|| format!("{action:?}"));
        match action.clone() {
            Action::Turn { member, mid_round } => self.turn(member, mid_round),
            Action::Advance { ms } => self.now_ms += ms,
            Action::Rebalance(rebalance) => self.rebalance(&rebalance),
            Action::Crash { member, to } => self.crash(member, &to),
            Action::Commit { member } => self.commit(member),
            Action::Produce { partition, count } => {
                self.logs[partition as usize] += count;
                let at = WALL_START_MS + self.now_ms as i64;
                self.stamps[partition as usize].extend((0..count).map(|_| at));
            }
            Action::Hold {
                member,
                partition,
                hold,
            } => self.hold(member, partition, hold),
        }
        self.checker.check_committed();
    }

    fn is_poison(&mut self, partition: i32, offset: i64) -> bool {
        let percent = self.setup.poison_percent;
        let marks = &mut self.poison[partition as usize];
        if marks.len() <= offset as usize {
            marks.resize(offset as usize + 1, None);
        }
        *marks[offset as usize].get_or_insert_with(|| self.rng.chance(percent))
    }

    fn assign(&mut self, member: usize, partition: i32) {
        let ownership = self.next_ownership;
        self.next_ownership += 1;
        let start = self.checker.committed(partition);
        let now = self.now();
        let m = &mut self.members[member];
        if m.client.contains_key(&partition) {
            return;
        }
        m.core.assign(0, partition, (), now);
        let key = PartitionKey::new(topic(), partition);
        m.core.set_filters(&key, self.setup.flow.filters());
        m.client.insert(
            partition,
            Assigned {
                position: start,
                paused: false,
                stored: None,
                ownership,
            },
        );
        self.checker.owned(ownership, partition, start);
        self.note(|| {
            format!(
                "member {member} owns partition {partition} from {start} (ownership {ownership})"
            )
        });
    }

    /// As the fetch loop applies a pause or resume command at the start of a turn.
    fn hold(&mut self, member: usize, partition: i32, hold: bool) {
        let key = PartitionKey::new(topic(), partition);
        let m = &mut self.members[member];
        let owned = if hold {
            m.core.hold(&key)
        } else {
            m.core.release(&key)
        };
        if owned != m.client.contains_key(&partition) {
            self.checker.violation(format!(
                "member {member}: the core answers {owned} for owning partition {partition}"
            ));
        }
        if owned && hold {
            m.held.insert(partition);
        } else {
            m.held.remove(&partition);
        }
        self.apply_effects(member);
    }

    fn owner(&self, partition: i32) -> Option<usize> {
        self.members
            .iter()
            .position(|m| m.client.contains_key(&partition))
    }

    fn rebalance(&mut self, rebalance: &Rebalance) {
        if let Some(owner) = self.owner(rebalance.partition) {
            self.revoke(owner, rebalance.partition);
        }
        if let Some(to) = rebalance.to {
            self.assign(to, rebalance.partition);
        }
    }

    /// As `Processor::revoke`: waits (up to the shutdown timeout) for the
    /// partition's work, gives it up, commits.
    fn revoke(&mut self, member: usize, partition: i32) {
        let key = PartitionKey::new(topic(), partition);
        let deadline = self.now_ms + SHUTDOWN_WAIT_MS;
        while self.members[member].core.is_working(&key) {
            match self.next_finish(member) {
                Some(at) if at <= deadline => {
                    self.now_ms = self.now_ms.max(at);
                    self.complete_due(member, true);
                }
                _ => {
                    self.note(|| format!("member {member}: partition {partition} still works after the shutdown timeout"));
                    break;
                }
            }
        }
        self.members[member].core.revoke(&key);
        self.members[member].held.remove(&partition);
        self.commit(member);
        if let Some(assigned) = self.members[member].client.remove(&partition) {
            self.checker.released(assigned.ownership);
        }
        self.note(|| format!("member {member} gave up partition {partition}"));
    }

    fn crash(&mut self, member: usize, to: &[usize]) {
        let mut partitions: Vec<i32> = self.members[member].client.keys().copied().collect();
        partitions.sort_unstable();
        for assigned in self.members[member].client.values() {
            self.checker.released(assigned.ownership);
        }
        self.members[member] = Member::new(&self.setup, self.base);
        self.note(|| format!("member {member} crashed, losing {partitions:?}"));
        for partition in partitions {
            self.assign(to[partition as usize], partition);
        }
    }

    fn commit(&mut self, member: usize) {
        if self.rng.chance(self.setup.commit_fail_percent) {
            self.note(|| format!("member {member}: commit failed"));
            return;
        }
        let stored: Vec<(i32, i64)> = self.members[member]
            .client
            .iter()
            .filter_map(|(p, a)| a.stored.map(|s| (*p, s)))
            .collect();
        for (partition, offset) in stored {
            self.checker.commit(partition, offset);
        }
    }

    fn next_finish(&self, member: usize) -> Option<u64> {
        let m = &self.members[member];
        let jobs = m.jobs.iter().map(|j| j.finish_at);
        jobs.chain(m.writes.iter().map(|w| w.finish_at)).min()
    }

    /// Applies everything of `member` finished by now (only the first when `one`).
    fn complete_due(&mut self, member: usize, one: bool) {
        loop {
            let Some(at) = self.next_finish(member).filter(|at| *at <= self.now_ms) else {
                return;
            };
            let now = self.now();
            let m = &mut self.members[member];
            if let Some(i) = m.jobs.iter().position(|j| j.finish_at == at) {
                let job = m.jobs.remove(i);
                let key = PartitionKey::new(topic(), job.partition);
                m.core.requested(&key, job.generation, job.requests.clone());
                let current = m
                    .core
                    .finished_lane(&key, job.generation, job.lane, job.done.clone(), now)
                    .is_some();
                if job.split {
                    self.checker
                        .lane_finished(job.ownership, job.lane, &job.done, current);
                } else {
                    self.checker
                        .job_finished(job.ownership, &job.done, &job.requests, current, at);
                }
                self.note(|| {
                    format!(
                        "member {member}: job of partition {} lane {} finished: {:?} asking {:?} (current: {current})",
                        job.partition, job.lane, job.done, job.requests
                    )
                });
            } else if let Some(i) = m.writes.iter().position(|w| w.finish_at == at) {
                let write = m.writes.remove(i);
                let key = PartitionKey::new(topic(), write.partition);
                let result = if write.ok {
                    Ok(())
                } else {
                    Err("broker down".to_owned())
                };
                let current =
                    m.core
                        .dead_letter_written(&key, write.generation, write.offset, result, now);
                self.checker.dead_letter_written(
                    write.ownership,
                    write.partition,
                    write.offset,
                    write.ok,
                    current,
                );
                self.note(|| {
                    format!(
                        "member {member}: dead letter write of {}@{} ok={} (current: {current})",
                        write.partition, write.offset, write.ok
                    )
                });
            }
            self.apply_effects(member);
            if one {
                return;
            }
        }
    }

    fn turn(&mut self, member: usize, mid_round: Option<(usize, Rebalance)>) {
        self.complete_due(member, false);
        self.dispatch(member);
        self.members[member].core.apply_backpressure();
        self.apply_effects(member);
        let now = self.now();
        self.members[member].core.resume_due(now);
        self.apply_effects(member);
        if let Some(wait) = self.members[member].core.poll_hold(now) {
            // The listener waits for a completion instead of polling.
            let since = *self.members[member].held_since.get_or_insert(self.now_ms);
            self.checker.held(member, since, self.now_ms);
            self.note(|| format!("member {member} holds polling back (up to {wait:?})"));
            return;
        }
        self.members[member].held_since = None;
        let round = self.poll(member, mid_round);
        if self.trace.is_some() {
            let polled: Vec<(i32, u64, i64)> =
                round.iter().map(|(p, e, m)| (*p, *e, m.0)).collect();
            self.note(|| format!("member {member} polled (partition, epoch, offset) {polled:?}"));
        }
        let m = &mut self.members[member];
        let mut round = round.into_iter().peekable();
        while let Some((partition, epoch, first)) = round.next() {
            let rest = std::iter::from_fn(|| {
                round
                    .next_if(|(p, e, _)| *p == partition && *e == epoch)
                    .map(|(_, _, m)| m)
            });
            m.core
                .fetched(0, partition, epoch, std::iter::once(first).chain(rest));
        }
        let per_partition = self.setup.rules.buffer_limit + self.setup.rules.max_messages * 4;
        let (buffered, owned) = (m.core.buffered(), m.client.len());
        self.checker
            .buffered(member, buffered, owned, per_partition);
    }

    /// As the listener's poll round: up to four batches of messages from the
    /// unpaused partitions, each tagged with the epoch it was polled at.
    fn poll(
        &mut self,
        member: usize,
        mid_round: Option<(usize, Rebalance)>,
    ) -> Vec<(i32, u64, Msg)> {
        let cap = self.setup.rules.max_messages * 4;
        let mut round = Vec::new();
        let mut mid_round = mid_round;
        for partition in 0..self.setup.partitions {
            loop {
                if let Some((after, rebalance)) =
                    mid_round.take_if(|(after, _)| round.len() >= *after)
                {
                    let _ = after;
                    self.note(|| "rebalance inside the poll round".to_owned());
                    self.rebalance(&rebalance);
                }
                let log = self.logs[partition as usize];
                let m = &mut self.members[member];
                let Some(assigned) = m.client.get_mut(&partition) else {
                    break;
                };
                if assigned.paused || assigned.position >= log || round.len() >= cap {
                    break;
                }
                let offset = assigned.position;
                assigned.position += 1;
                let stamp = self.stamps[partition as usize][offset as usize];
                round.push((partition, m.core.epoch(), Msg(offset, stamp)));
            }
        }
        round
    }

    fn dispatch(&mut self, member: usize) {
        loop {
            let now = self.now();
            let mut started: Vec<Start<Msg>> = Vec::new();
            self.members[member]
                .core
                .dispatch(now, |_, start, _| started.push(start));
            self.apply_effects(member);
            if started.is_empty() {
                return;
            }
            // The core's map of partitions has no fixed order; the run must.
            started.sort_by_key(|start| (start.key.partition, start.lane));
            let mut inline = false;
            let mut started = started.into_iter().peekable();
            while let Some(first) = started.next() {
                let partition = first.key.partition;
                let mut lanes = vec![first];
                while let Some(next) = started.next_if(|s| s.key.partition == partition) {
                    lanes.push(next);
                }
                inline |= if lanes.len() == 1 && lanes[0].lane == 0 {
                    self.start(member, lanes.remove(0))
                } else {
                    self.start_lanes(member, lanes)
                };
            }
            if !inline {
                return;
            }
            // Inline jobs run on the fetch thread, one after another.
            while let Some(at) = self.next_finish(member) {
                self.now_ms = self.now_ms.max(at);
                self.complete_due(member, true);
            }
        }
    }

    /// Starts a job; returns whether it runs inline.
    fn start(&mut self, member: usize, start: Start<Msg>) -> bool {
        let partition = start.key.partition;
        if self.members[member].held.contains(&partition) {
            self.checker.violation(format!(
                "member {member}: a job of held partition {partition} started"
            ));
        }
        let ownership = self.members[member]
            .client
            .get(&partition)
            .map(|a| a.ownership);
        let busy = self.members[member]
            .jobs
            .iter()
            .any(|j| j.partition == partition);
        let Work::Consume(batch) = start.work else {
            self.checker.tick_started(ownership, partition, busy);
            let requests = self.setup.flow.tick_requests(&mut self.rng);
            self.push_job(
                member,
                partition,
                start.generation,
                ownership,
                10,
                Finished::Ticked,
                requests,
            );
            return !self.setup.worker_pool;
        };
        self.check_due(partition, &batch);
        let offsets: Vec<i64> = batch.iter().map(|m| m.0).collect();
        self.note(|| {
            format!(
                "member {member}: job of partition {partition} starts: {offsets:?} attempt {}",
                start.attempt
            )
        });
        self.checker.job_started(
            ownership,
            partition,
            &offsets,
            start.attempt,
            busy,
            self.now_ms,
        );
        let (first, last) = (offsets[0], offsets[offsets.len() - 1]);
        let (mut mark, result) = self.outcome(partition, &offsets);
        if self.setup.rules.manual_offsets && mark.is_none() && self.rng.chance(10) {
            // A message kept from an earlier batch, marked now.
            let since = self.checker.ownership_start(ownership.unwrap_or(u64::MAX));
            if since < first {
                mark = Some(self.rng.range(since as u64 + 1, first as u64) as i64);
            }
        }
        let requests = if result.is_ok() {
            let ticks = self.setup.rules.tick_interval.is_some();
            self.setup.flow.requests(&mut self.rng, first, last, ticks)
        } else {
            Requests::default()
        };
        let done = Finished::Consumed {
            first,
            last,
            mark,
            result,
        };
        let duration = self.duration();
        self.push_job(
            member,
            partition,
            start.generation,
            ownership,
            duration,
            done,
            requests,
        );
        !self.setup.worker_pool
    }

    /// Starts the lanes of a batch split into virtual partitions, each with
    /// its own outcome and duration (so they finish in any order); returns
    /// whether they run inline.
    fn start_lanes(&mut self, member: usize, lanes: Vec<Start<Msg>>) -> bool {
        let partition = lanes[0].key.partition;
        let ownership = self.members[member]
            .client
            .get(&partition)
            .map(|a| a.ownership);
        let busy = self.members[member]
            .jobs
            .iter()
            .any(|j| j.partition == partition);
        let groups: Vec<(usize, Vec<i64>)> = lanes
            .iter()
            .map(|start| match &start.work {
                Work::Consume(batch) => (start.lane, batch.iter().map(|m| m.0).collect()),
                Work::Tick => (start.lane, Vec::new()),
            })
            .collect();
        self.note(|| {
            format!(
                "member {member}: lanes of partition {partition} start: {groups:?} attempt {}",
                lanes[0].attempt
            )
        });
        self.checker
            .lanes_started(ownership, partition, &groups, busy, self.setup.keys);
        for (start, (lane, offsets)) in lanes.into_iter().zip(groups) {
            let Some((&first, &last)) = offsets.first().zip(offsets.last()) else {
                continue;
            };
            let (mark, result) = self.outcome(partition, &offsets);
            let done = Finished::Consumed {
                first,
                last,
                mark,
                result,
            };
            let duration = self.duration();
            self.push_job(
                member,
                partition,
                start.generation,
                ownership,
                duration,
                done,
                Requests::default(),
            );
            if let Some(job) = self.members[member].jobs.last_mut() {
                job.lane = lane;
                job.split = true;
            }
        }
        !self.setup.worker_pool
    }

    /// How long a job runs: a hang past the shutdown timeout on the worker pool, sometimes.
    fn duration(&mut self) -> u64 {
        if self.setup.worker_pool && self.rng.chance(self.setup.hang_percent) {
            self.rng.range(SHUTDOWN_WAIT_MS, 5 * SHUTDOWN_WAIT_MS)
        } else {
            self.rng.range(0, 50)
        }
    }

    /// How consuming `offsets` goes: the mark after the last message marked,
    /// and the first failure (a poison message, or a transient error).
    fn outcome(&mut self, partition: i32, offsets: &[i64]) -> (Option<i64>, Result<(), Failure>) {
        let mut mark = None;
        let mut result = Ok(());
        for &offset in offsets {
            let poison = self.is_poison(partition, offset);
            if poison || self.rng.chance(self.setup.transient_percent) {
                let named = poison && offset % 3 == 0;
                let panicked = self.rng.chance(30);
                result = Err(Failure {
                    culprit: named.then_some(offset),
                    error: format!(
                        "{} at {offset}",
                        if panicked { "panicked" } else { "failed" }
                    ),
                });
                break;
            }
            if self.rng.chance(self.setup.mark_percent) {
                mark = Some(offset + 1);
            }
        }
        (mark, result)
    }

    /// A consumed message was due (`delay_by`) and not expired (`expire_in`).
    fn check_due(&mut self, partition: i32, batch: &[Msg]) {
        let now = WALL_START_MS + self.now_ms as i64;
        for message in batch {
            let age = now - message.1;
            if self
                .setup
                .flow
                .delay_by
                .is_some_and(|delay| age < delay as i64)
            {
                self.checker.violation(format!(
                    "partition {partition}: {} consumed {age} ms old, before its delay",
                    message.0
                ));
            }
            if self
                .setup
                .flow
                .expire_in
                .is_some_and(|ttl| age > ttl as i64)
            {
                self.checker.violation(format!(
                    "partition {partition}: {} consumed {age} ms old, expired",
                    message.0
                ));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_job(
        &mut self,
        member: usize,
        partition: i32,
        generation: u64,
        ownership: Option<u64>,
        duration: u64,
        done: Finished,
        requests: Requests,
    ) {
        self.members[member].jobs.push(Job {
            partition,
            generation,
            lane: 0,
            split: false,
            ownership: ownership.unwrap_or(u64::MAX),
            finish_at: self.now_ms + duration,
            done,
            requests,
        });
    }

    fn apply_effects(&mut self, member: usize) {
        let mut effects = Vec::new();
        self.members[member].core.take_effects(&mut effects);
        // Stable: each partition's effects keep their order.
        effects.sort_by_key(|effect| match effect {
            Effect::StoreOffset { key, .. }
            | Effect::Pause { key, .. }
            | Effect::Retrying { key, .. }
            | Effect::SeekAndResume { key, .. } => key.partition,
            Effect::WriteDeadLetter(letter) => letter.key.partition,
            Effect::Filtered(filtered) => filtered.key.partition,
        });
        for effect in effects {
            self.apply(member, effect);
        }
    }

    /// Carries out one effect as the server's client would.
    fn apply(&mut self, member: usize, effect: Effect<Msg>) {
        let now = self.now();
        self.note(|| format!("member {member}: {effect:?}"));
        match effect {
            Effect::StoreOffset { key, offset } => {
                let assigned = self.members[member].client.get_mut(&key.partition);
                let ownership = assigned.as_ref().map(|a| a.ownership);
                self.checker.stored(ownership, key.partition, offset);
                if let Some(assigned) = assigned {
                    assigned.stored = Some(offset);
                }
            }
            Effect::Pause {
                key,
                offset,
                reason,
                ..
            } => {
                if reason == PauseReason::DeadLetter {
                    let ownership = self.members[member]
                        .client
                        .get(&key.partition)
                        .map(|a| a.ownership);
                    let next = Next::DeadLetter(offset);
                    self.checker.announced(ownership, key.partition, next);
                }
                match self.members[member].client.get_mut(&key.partition) {
                    Some(assigned) => assigned.paused = true,
                    None => self.checker.violation(format!(
                        "paused partition {} it does not own",
                        key.partition
                    )),
                }
            }
            Effect::Retrying {
                key,
                offset,
                attempt,
                ..
            } => {
                let ownership = self.members[member]
                    .client
                    .get(&key.partition)
                    .map(|a| a.ownership);
                let next = Next::Attempt { offset, attempt };
                self.checker.announced(ownership, key.partition, next);
            }
            Effect::Filtered(filtered) => {
                let ownership = self.members[member]
                    .client
                    .get(&filtered.key.partition)
                    .map(|a| a.ownership);
                self.checker
                    .dropped(ownership, filtered.key.partition, &filtered.dropped);
            }
            Effect::SeekAndResume { key, offset } => {
                let fails = self.rng.chance(self.setup.seek_fail_percent);
                let m = &mut self.members[member];
                match m.client.get_mut(&key.partition) {
                    Some(_) if fails => m.core.resume_failed(&key, offset, now),
                    Some(assigned) => {
                        assigned.position = offset;
                        assigned.paused = false;
                    }
                    None => self.checker.violation(format!(
                        "resumed partition {} it does not own",
                        key.partition
                    )),
                }
            }
            Effect::WriteDeadLetter(letter) => {
                let partition = letter.key.partition;
                let ownership = self.members[member]
                    .client
                    .get(&partition)
                    .map(|a| a.ownership);
                self.checker.dead_letter_started(
                    ownership,
                    partition,
                    letter.message.0,
                    letter.attempts,
                );
                let latency = if self.rng.chance(20) {
                    self.rng.range(500, 3_000)
                } else {
                    self.rng.range(0, 20)
                };
                let ok = !self.rng.chance(self.setup.dead_letter_fail_percent);
                self.members[member].writes.push(Write {
                    partition,
                    generation: letter.generation,
                    ownership: ownership.unwrap_or(u64::MAX),
                    offset: letter.message.0,
                    finish_at: self.now_ms + latency,
                    ok,
                });
            }
        }
    }
}

impl Member {
    fn new(setup: &Setup, base: Instant) -> Self {
        let routes = vec![Route {
            topic: topic(),
            rules: setup.rules.clone(),
        }];
        let backoff = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_millis(1_000),
            exponential: true,
        };
        let mut core = Core::new(routes, backoff);
        if setup.rules.virtual_partitions.is_some() {
            let keys = setup.keys;
            core.partition_by(0, Partitioner::new(move |m: &Msg| key_of(m.0, keys)));
        }
        Member {
            core: core.with_wall_clock(base, WALL_START_MS),
            client: HashMap::new(),
            held: HashSet::new(),
            jobs: Vec::new(),
            writes: Vec::new(),
            held_since: None,
        }
    }
}
