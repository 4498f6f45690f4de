//! The virtual partitions step on its own: a batch split into lanes by key,
//! lanes returning in any order, offsets and retries across them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

/// A message whose partition key is `.1`.
#[derive(Debug)]
struct Keyed(i64, u64);

impl Offset for Keyed {
    fn offset(&self) -> i64 {
        self.0
    }
}

fn core(max_partitions: usize, dead_letter_retries: Option<u32>) -> Core<Keyed> {
    let rules = Rules {
        batch_consuming: true,
        max_messages: 100,
        manual_offsets: false,
        tick_interval: None,
        dead_letter_retries,
        buffer_limit: 1_000,
        virtual_partitions: Some(max_partitions),
    };
    let backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_secs(1),
        exponential: true,
    };
    let mut core = Core::new(
        vec![Route {
            topic: Arc::from("t"),
            rules,
        }],
        backoff,
    );
    core.partition_by(0, Partitioner::new(|m: &Keyed| m.1));
    core
}

fn key() -> PartitionKey {
    PartitionKey::new("t", 0)
}

/// Dispatches; returns each started lane's (generation, lane, offsets).
fn lanes(core: &mut Core<Keyed>, now: Instant) -> Vec<(u64, usize, Vec<i64>)> {
    let mut started = Vec::new();
    core.dispatch(now, |_, start, _| {
        if let Work::Consume(batch) = start.work {
            started.push((
                start.generation,
                start.lane,
                batch.iter().map(|m| m.0).collect(),
            ));
        }
    });
    started.sort_by_key(|(_, lane, _)| *lane);
    started
}

fn stored(core: &mut Core<Keyed>) -> Vec<i64> {
    let mut out = Vec::new();
    core.take_effects(&mut out);
    out.iter()
        .filter_map(|e| match e {
            Effect::StoreOffset { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect()
}

fn outcome(offsets: &[i64], result: Result<(), Failure>) -> Finished {
    Finished::Consumed {
        first: offsets[0],
        last: offsets[offsets.len() - 1],
        mark: None,
        result,
    }
}

#[test]
fn a_batch_splits_by_key_into_lanes_keeping_each_keys_order() {
    let mut core = core(3, None);
    let now = Instant::now();
    core.assign(0, 0, (), now);
    // Keys: a a b c a b c c
    let keys = [1, 1, 2, 3, 1, 2, 3, 3];
    core.fetched(
        0,
        0,
        core.epoch(),
        keys.iter().enumerate().map(|(o, k)| Keyed(o as i64, *k)),
    );
    let started = lanes(&mut core, now);
    assert_eq!(started.len(), 3, "one lane per key");
    let mut groups: Vec<Vec<i64>> = started.into_iter().map(|(_, _, o)| o).collect();
    groups.sort();
    assert_eq!(groups, vec![vec![0, 1, 4], vec![2, 5], vec![3, 6, 7]]);
    assert_eq!(core.in_flight(), 3);
}

#[test]
fn the_stored_offset_never_passes_a_lane_that_has_not_returned() {
    let mut core = core(2, None);
    let now = Instant::now();
    core.assign(0, 0, (), now);
    // Lane of key 1: 0, 2; lane of key 2: 1, 3.
    core.fetched(
        0,
        0,
        core.epoch(),
        (0..4).map(|o| Keyed(o, (o % 2) as u64 + 1)),
    );
    let started = lanes(&mut core, now);
    let (generation, lane_of_1) = (
        started[0].0,
        started.iter().find(|l| l.2[0] == 1).unwrap().1,
    );
    let lane_of_0 = started.iter().find(|l| l.2[0] == 0).unwrap().1;
    // The lane holding 1 and 3 returns first: 0 is not done, nothing is stored.
    core.finished_lane(&key(), generation, lane_of_1, outcome(&[1, 3], Ok(())), now);
    assert_eq!(stored(&mut core), Vec::<i64>::new());
    assert!(
        core.is_working(&key()),
        "the batch waits for its other lane"
    );
    assert!(lanes(&mut core, now).is_empty(), "no next batch meanwhile");
    core.finished_lane(&key(), generation, lane_of_0, outcome(&[0, 2], Ok(())), now);
    assert_eq!(stored(&mut core), vec![4]);
    assert!(!core.is_working(&key()));
}

#[test]
fn a_returned_lane_stores_up_to_the_lowest_offset_still_running() {
    let mut core = core(2, None);
    let now = Instant::now();
    core.assign(0, 0, (), now);
    // Key 1: 0, 1, 2; key 2: 3, 4.
    core.fetched(
        0,
        0,
        core.epoch(),
        (0..5).map(|o| Keyed(o, if o < 3 { 1 } else { 2 })),
    );
    let started = lanes(&mut core, now);
    let generation = started[0].0;
    let first = started.iter().find(|l| l.2[0] == 0).unwrap().1;
    core.finished_lane(&key(), generation, first, outcome(&[0, 1, 2], Ok(())), now);
    assert_eq!(stored(&mut core), vec![3], "3 still runs");
}

#[test]
fn a_failing_lane_retries_the_batch_from_its_lowest_offset_not_done() {
    let mut core = core(2, None);
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(
        0,
        0,
        core.epoch(),
        (0..4).map(|o| Keyed(o, (o % 2) as u64 + 1)),
    );
    let started = lanes(&mut core, now);
    let generation = started[0].0;
    let even = started.iter().find(|l| l.2[0] == 0).unwrap().1;
    let odd = started.iter().find(|l| l.2[0] == 1).unwrap().1;
    // 0 and 2 succeed; the lane of 1 and 3 fails.
    core.finished_lane(&key(), generation, even, outcome(&[0, 2], Ok(())), now);
    assert_eq!(stored(&mut core), vec![1]);
    let failure = Failure {
        culprit: None,
        error: "boom".into(),
    };
    core.finished_lane(&key(), generation, odd, outcome(&[1, 3], Err(failure)), now);
    let mut out = Vec::new();
    core.take_effects(&mut out);
    assert!(
        out.iter()
            .any(|e| matches!(e, Effect::Pause { offset: 1, .. })),
        "paused to retry from 1: {out:?}"
    );
    let later = now + Duration::from_secs(5);
    core.resume_due(later);
    core.take_effects(&mut out);
    assert!(out
        .iter()
        .any(|e| matches!(e, Effect::SeekAndResume { offset: 1, .. })));
}

#[test]
fn a_lane_that_keeps_failing_narrows_to_its_message_and_dead_letters_it() {
    let mut core = core(2, Some(0));
    let mut now = Instant::now();
    core.assign(0, 0, (), now);
    let fetch = |core: &mut Core<Keyed>, from: i64| {
        let epoch = core.epoch();
        core.fetched(0, 0, epoch, (from..4).map(|o| Keyed(o, (o % 2) as u64 + 1)));
    };
    fetch(&mut core, 0);
    let failure = || Failure {
        culprit: None,
        error: "poison 1".into(),
    };
    let started = lanes(&mut core, now);
    for (generation, lane, offsets) in started {
        let result = if offsets.contains(&1) {
            Err(failure())
        } else {
            Ok(())
        };
        core.finished_lane(&key(), generation, lane, outcome(&offsets, result), now);
    }
    let mut dead = Vec::new();
    for _ in 0..10 {
        now += Duration::from_secs(5);
        core.resume_due(now);
        let mut out = Vec::new();
        core.take_effects(&mut out);
        if let Some(offset) = out.iter().find_map(|e| match e {
            Effect::SeekAndResume { offset, .. } => Some(*offset),
            _ => None,
        }) {
            fetch(&mut core, offset);
        }
        for (generation, lane, offsets) in lanes(&mut core, now) {
            assert_eq!(offsets.len(), 1, "narrowed to one message at a time");
            let result = if offsets == [1] {
                Err(failure())
            } else {
                Ok(())
            };
            core.finished_lane(&key(), generation, lane, outcome(&offsets, result), now);
        }
        core.take_effects(&mut out);
        for effect in out {
            if let Effect::WriteDeadLetter(letter) = effect {
                dead.push((letter.message.0, letter.attempts));
                let generation = letter.generation;
                core.dead_letter_written(&key(), generation, letter.message.0, Ok(()), now);
            }
        }
    }
    assert_eq!(
        dead,
        vec![(1, 1)],
        "only 1, after max_retries + 1 = 1 attempt of its own"
    );
}
