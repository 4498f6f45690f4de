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

/// The pauses and retry announcements of the effects, as (reason, timeout ms) and attempts.
fn pauses_and_retries(effects: &[Effect<Msg>]) -> (Vec<(PauseReason, u128)>, Vec<u32>) {
    let pauses = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Pause {
                reason, timeout, ..
            } => Some((*reason, timeout.unwrap_or_default().as_millis())),
            _ => None,
        })
        .collect();
    let retries = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Retrying { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    (pauses, retries)
}

#[test]
fn the_last_failed_attempt_announces_the_dead_letter_not_a_retry() {
    let mut core = core(rules(Some(1), false));
    let mut now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..1).map(Msg));
    let (g, ..) = start(&mut core, now).unwrap();
    core.finished(&key(), g, failed(0, 0, None), now);
    let (pauses, retries) = pauses_and_retries(&effects(&mut core));
    assert_eq!(pauses, vec![(PauseReason::Retry, 100)]);
    assert_eq!(retries, vec![2], "attempt 2 follows");
    now = refetch(&mut core, now, 0, 1);
    let (g, ..) = start(&mut core, now).unwrap();
    core.finished(&key(), g, failed(0, 0, None), now);
    let (pauses, retries) = pauses_and_retries(&effects(&mut core));
    assert_eq!(pauses, vec![(PauseReason::DeadLetter, 0)], "no backoff");
    assert!(retries.is_empty(), "no attempt 3 follows: {retries:?}");

    // A failed write is tried again after the backoff, still announcing no attempt.
    now = refetch(&mut core, now, 0, 1);
    assert!(start(&mut core, now).is_none());
    assert!(core.dead_letter_written(&key(), g, 0, Err("broker away".into()), now));
    let (pauses, retries) = pauses_and_retries(&effects(&mut core));
    assert_eq!(pauses, vec![(PauseReason::DeadLetter, 400)]);
    assert!(retries.is_empty(), "{retries:?}");
    refetch(&mut core, now, 0, 1);
    assert!(start(&mut core, now).is_none());
    let errors: Vec<_> = effects(&mut core)
        .into_iter()
        .filter_map(|e| match e {
            Effect::WriteDeadLetter(letter) => Some(letter.error),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        vec!["boom".to_owned()],
        "the consumer's error, not the write's"
    );
}

#[test]
fn a_failure_is_reported_at_the_message_it_failed_at() {
    let failed_at = |mark, culprit| {
        Finished::Consumed {
            first: 10,
            last: 14,
            mark,
            result: Err(Failure {
                culprit,
                error: "boom".into(),
            }),
        }
        .failed_at()
    };
    assert_eq!(failed_at(None, None), Some(10), "nothing marked: the first");
    assert_eq!(failed_at(Some(12), None), Some(12), "the first unmarked");
    assert_eq!(
        failed_at(Some(11), Some(13)),
        Some(13),
        "the one the error names"
    );
    assert_eq!(failed_at(Some(15), None), Some(14), "all marked: the last");
    assert_eq!(
        failed_at(Some(99), Some(3)),
        Some(10),
        "neither is of the batch"
    );
    assert_eq!(ok(10, 14).failed_at(), None);
}

#[test]
fn a_held_partition_starts_no_job_and_resumes_where_fetching_stopped() {
    let mut core = core(rules(None, false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..3).map(Msg));
    let (g, first, last, _) = start(&mut core, now).unwrap();
    core.finished(&key(), g, ok(first, last), now);
    effects(&mut core);
    core.fetched(0, 0, core.epoch(), (3..5).map(Msg));

    assert!(core.hold(&key()));
    let paused = effects(&mut core);
    assert!(
        matches!(
            paused[..],
            [Effect::Pause {
                offset: 5,
                reason: PauseReason::Command,
                ..
            }]
        ),
        "fetching pauses after what was fetched"
    );
    assert!(start(&mut core, now).is_none(), "no job while held");
    assert!(!core.is_busy(), "held messages keep no fetch loop busy");
    core.resume_due(now + Duration::from_secs(60));
    assert!(effects(&mut core).is_empty(), "nothing resumes while held");

    assert!(core.release(&key()));
    let resumed = effects(&mut core);
    assert!(
        matches!(resumed[..], [Effect::SeekAndResume { offset: 5, .. }]),
        "fetching resumes where it stopped"
    );
    let (_, first, last, _) = start(&mut core, now).unwrap();
    assert_eq!((first, last), (3, 4), "the held messages are consumed");
    assert!(!core.hold(&PartitionKey::new("t", 9)), "not owned");
}

#[test]
fn a_partition_held_during_a_retry_pause_resumes_when_released_and_due() {
    let mut core = core(rules(None, false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..3).map(Msg));
    let (g, first, last, _) = start(&mut core, now).unwrap();
    core.finished(&key(), g, failed(first, last, None), now);
    effects(&mut core);
    core.hold(&key());
    assert!(effects(&mut core).is_empty(), "already paused by the retry");
    let later = now + Duration::from_secs(5);
    core.resume_due(later);
    assert!(
        effects(&mut core).is_empty(),
        "the retry waits for the release"
    );
    core.release(&key());
    assert!(effects(&mut core).is_empty(), "the retry step resumes it");
    core.resume_due(later);
    assert!(matches!(
        effects(&mut core)[..],
        [Effect::SeekAndResume { offset: 0, .. }]
    ));
}

#[test]
fn a_partition_held_right_after_a_retry_seek_resumes_at_the_retried_offset() {
    let mut core = core(rules(None, false));
    let now = Instant::now();
    core.assign(0, 0, (), now);
    core.fetched(0, 0, core.epoch(), (0..3).map(Msg));
    let (g, first, last, _) = start(&mut core, now).unwrap();
    core.finished(&key(), g, failed(first, last, None), now);
    effects(&mut core);
    core.resume_due(now + Duration::from_secs(5));
    effects(&mut core);
    // Sought back to 0, nothing fetched again yet.
    core.hold(&key());
    assert!(matches!(
        effects(&mut core)[..],
        [Effect::Pause { offset: 0, .. }]
    ));
    core.release(&key());
    assert!(
        matches!(
            effects(&mut core)[..],
            [Effect::SeekAndResume { offset: 0, .. }]
        ),
        "not past the messages the failure dropped"
    );
}
