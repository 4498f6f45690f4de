//! The core on its own: inputs in, effects out, no broker and no runtime.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

struct Msg(i64);

impl Offset for Msg {
    fn offset(&self) -> i64 {
        self.0
    }
}

fn rules(dead_letter_retries: Option<u32>, manual_offsets: bool) -> Rules {
    Rules {
        batch_consuming: true,
        max_messages: 100,
        manual_offsets,
        tick_interval: None,
        dead_letter_retries,
        buffer_limit: 1_000,
        virtual_partitions: None,
    }
}

fn core(rules: Rules) -> Core<Msg> {
    let backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_secs(1),
        exponential: true,
    };
    let routes = vec![Route {
        topic: Arc::from("t"),
        rules,
    }];
    Core::new(routes, backoff)
}

fn key() -> PartitionKey {
    PartitionKey::new("t", 0)
}

/// Dispatches and returns the started job's (generation, first, last, attempt).
fn start(core: &mut Core<Msg>, now: Instant) -> Option<(u64, i64, i64, u32)> {
    let mut started = None;
    core.dispatch(now, |_, start, _| {
        if let Work::Consume(batch) = start.work {
            started = Some((
                start.generation,
                batch[0].0,
                batch[batch.len() - 1].0,
                start.attempt,
            ));
        }
    });
    started
}

fn effects(core: &mut Core<Msg>) -> Vec<Effect<Msg>> {
    let mut out = Vec::new();
    core.take_effects(&mut out);
    out
}

fn stored(effects: &[Effect<Msg>]) -> Vec<i64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::StoreOffset { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect()
}

fn failed(first: i64, last: i64, mark: Option<i64>) -> Finished {
    Finished::Consumed {
        first,
        last,
        mark,
        result: Err(Failure {
            culprit: None,
            error: "boom".into(),
        }),
    }
}

fn ok(first: i64, last: i64) -> Finished {
    Finished::Consumed {
        first,
        last,
        mark: None,
        result: Ok(()),
    }
}

/// Seeks back after the retry pause and fetches `from..to` again.
fn refetch(core: &mut Core<Msg>, now: Instant, from: i64, to: i64) -> Instant {
    let later = now + Duration::from_secs(5);
    core.resume_due(later);
    let seeks: Vec<_> = effects(core)
        .into_iter()
        .filter(|e| matches!(e, Effect::SeekAndResume { offset, .. } if *offset == from))
        .collect();
    assert_eq!(seeks.len(), 1, "seeks back to {from}");
    let epoch = core.epoch();
    core.fetched(0, 0, epoch, (from..to).map(Msg));
    later
}

#[test]
fn only_the_failing_message_goes_to_the_dead_letter_queue_with_max_retries_zero() {
    let mut core = core(rules(Some(0), false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..5).map(Msg));
    let (generation, first, last, _) = start(&mut core, now).unwrap();
    assert_eq!((first, last), (0, 4));
    core.finished(&key(), generation, failed(0, 4, None), now);
    assert!(stored(&effects(&mut core)).is_empty());
    let mut now = refetch(&mut core, now, 0, 5);
    // One message at a time now: 0 and 1 succeed, 2 fails on its own.
    for offset in 0..2 {
        let (g, first, last, _) = start(&mut core, now).unwrap();
        assert_eq!((first, last), (offset, offset), "narrowed to one message");
        core.finished(&key(), g, ok(first, last), now);
        assert_eq!(stored(&effects(&mut core)), vec![offset + 1]);
    }
    let (g, first, last, _) = start(&mut core, now).unwrap();
    assert_eq!((first, last), (2, 2));
    core.finished(&key(), g, failed(2, 2, None), now);
    effects(&mut core);
    now = refetch(&mut core, now, 2, 5);
    assert!(
        start(&mut core, now).is_none(),
        "no job while the dead letter is written"
    );
    let letters: Vec<_> = effects(&mut core)
        .into_iter()
        .filter_map(|e| match e {
            Effect::WriteDeadLetter(letter) => Some((letter.message.0, letter.attempts)),
            _ => None,
        })
        .collect();
    assert_eq!(letters, vec![(2, 1)], "after one attempt of its own");
    assert!(core.dead_letter_written(&key(), g, 2, Ok(()), now));
    assert_eq!(stored(&effects(&mut core)), vec![3]);
    let (_, first, _, attempt) = start(&mut core, now).unwrap();
    assert_eq!((first, attempt), (3, 1), "the next message starts afresh");
}

#[test]
fn a_named_culprit_counts_its_batch_failure() {
    let mut core = core(rules(Some(0), false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..5).map(Msg));
    let (g, ..) = start(&mut core, now).unwrap();
    let done = Finished::Consumed {
        first: 0,
        last: 4,
        mark: Some(2),
        result: Err(Failure {
            culprit: Some(2),
            error: "cannot deserialize".into(),
        }),
    };
    core.finished(&key(), g, done, now);
    assert_eq!(stored(&effects(&mut core)), vec![2], "the mark is stored");
    refetch(&mut core, now, 2, 5);
    start(&mut core, now);
    let letters: Vec<_> = effects(&mut core)
        .into_iter()
        .filter_map(|e| match e {
            Effect::WriteDeadLetter(letter) => Some(letter.message.0),
            _ => None,
        })
        .collect();
    assert_eq!(letters, vec![2]);
}

#[test]
fn messages_of_a_revoked_partition_polled_in_the_same_round_are_dropped() {
    let mut core = core(rules(None, false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    let polled_at = core.epoch();
    core.revoke(&key());
    core.fetched(0, 0, polled_at, (10..20).map(Msg));
    assert!(!core.owns(&key()), "no partition comes back from the dead");
    assert!(start(&mut core, now).is_none());
    // Back to the same member within the round: the old round's messages are
    // not the new owner's (it fetches from the committed offset).
    core.assign(0, 0, (), now);
    core.fetched(0, 0, polled_at, (10..20).map(Msg));
    assert!(start(&mut core, now).is_none());
    core.fetched(0, 0, core.epoch(), (5..20).map(Msg));
    assert_eq!(start(&mut core, now).map(|s| s.1), Some(5));
}

#[test]
fn a_job_of_an_earlier_ownership_stores_nothing() {
    let mut core = core(rules(None, false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..3).map(Msg));
    let (g, ..) = start(&mut core, now).unwrap();
    assert_eq!(core.revoke(&key()).map(|(_, job)| job), Some(true));
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..3).map(Msg));
    assert!(start(&mut core, now).is_none(), "waits for the old job");
    assert!(core.finished(&key(), g, ok(0, 2), now).is_none());
    assert!(stored(&effects(&mut core)).is_empty());
    assert_eq!(start(&mut core, now).map(|s| s.1), Some(0));
}

#[test]
fn a_mark_from_an_older_batch_never_moves_the_stored_offset_back() {
    let mut core = core(rules(None, true));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..3).map(Msg));
    let (g, ..) = start(&mut core, now).unwrap();
    let marked = |first, last, mark| Finished::Consumed {
        first,
        last,
        mark: Some(mark),
        result: Ok(()),
    };
    core.finished(&key(), g, marked(0, 2, 3), now);
    assert_eq!(stored(&effects(&mut core)), vec![3]);
    core.fetched(0, 0, core.epoch(), (3..6).map(Msg));
    let (g, ..) = start(&mut core, now).unwrap();
    core.finished(&key(), g, marked(3, 5, 1), now);
    assert!(
        stored(&effects(&mut core)).is_empty(),
        "offset 1 is behind 3"
    );
}

#[test]
fn failures_back_off_exponentially_and_a_success_starts_over() {
    let mut core = core(rules(None, false));
    let mut now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..2).map(Msg));
    let mut pauses = Vec::new();
    for attempt in 1..=3 {
        let (g, _, _, seen) = start(&mut core, now).unwrap();
        assert_eq!(seen, attempt);
        core.finished(&key(), g, failed(0, 1, None), now);
        pauses.extend(effects(&mut core).into_iter().filter_map(|e| match e {
            Effect::Retrying { pause, attempt, .. } => Some((attempt, pause.as_millis())),
            _ => None,
        }));
        now = refetch(&mut core, now, 0, 2);
    }
    assert_eq!(pauses, vec![(2, 100), (3, 200), (4, 400)]);
    let (g, ..) = start(&mut core, now).unwrap();
    core.finished(&key(), g, ok(0, 1), now);
    assert_eq!(stored(&effects(&mut core)), vec![2]);
}
