//! The flow steps on their own: filters (drop, hold, seek), throttling, and
//! what a consumer asks for (pause, seek, resume).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::filtering::FilterBatch;

struct Msg(i64);

impl Offset for Msg {
    fn offset(&self) -> i64 {
        self.0
    }
}

fn core(max_messages: usize, tick_interval: Option<Duration>) -> Core<Msg> {
    let rules = Rules {
        batch_consuming: true,
        max_messages,
        manual_offsets: false,
        tick_interval,
        dead_letter_retries: None,
        buffer_limit: 1_000,
        virtual_partitions: None,
    };
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

/// Dispatches; the started batch's generation and offsets.
fn start(core: &mut Core<Msg>, now: Instant) -> Option<(u64, Vec<i64>)> {
    let mut started = None;
    core.dispatch(now, |_, start, _| {
        if let Work::Consume(batch) = start.work {
            started = Some((start.generation, batch.iter().map(|m| m.0).collect()));
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

fn seeks(effects: &[Effect<Msg>]) -> Vec<i64> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::SeekAndResume { offset, .. } => Some(*offset),
            _ => None,
        })
        .collect()
}

fn ok(first: i64, last: i64) -> Finished {
    Finished::Consumed {
        first,
        last,
        mark: None,
        result: Ok(()),
    }
}

fn fetch(core: &mut Core<Msg>, offsets: std::ops::Range<i64>) {
    core.fetched(0, 0, core.epoch(), offsets.map(Msg));
}

/// Drops offsets divisible by three.
struct ThirdsOut;

impl Filter<Msg> for ThirdsOut {
    fn apply(&mut self, batch: &mut FilterBatch<'_, Msg>) {
        batch.drop_where(|m| m.0 % 3 == 0);
    }
}

#[test]
fn dropped_messages_are_reported_and_stored_with_the_batch() {
    let now = Instant::now();
    let mut core = core(100, None);
    core.assign(0, 0, (), now);
    core.set_filters(&key(), vec![Box::new(ThirdsOut)]);
    fetch(&mut core, 0..7);
    let (generation, offsets) = start(&mut core, now).unwrap();
    assert_eq!(offsets, vec![1, 2, 4, 5]);
    let out = effects(&mut core);
    assert_eq!(stored(&out), vec![1], "the dropped head is stored at once");
    let dropped: Vec<i64> = out
        .iter()
        .filter_map(|e| match e {
            Effect::Filtered(f) => Some(f.dropped.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(dropped, vec![0, 3, 6]);
    core.finished(&key(), generation, ok(1, 5), now);
    assert_eq!(stored(&effects(&mut core)), vec![7], "past the dropped 6");
}

#[test]
fn throttle_holds_what_is_over_the_limit_until_the_window_opens() {
    let now = Instant::now();
    let mut core = core(100, None);
    core.assign(0, 0, (), now);
    let throttle = Throttle::new(3, Duration::from_millis(1_000));
    core.set_filters(&key(), vec![Box::new(throttle)]);
    fetch(&mut core, 0..10);
    let (generation, offsets) = start(&mut core, now).unwrap();
    assert_eq!(offsets, vec![0, 1, 2]);
    let out = effects(&mut core);
    assert!(out.iter().any(|e| matches!(
        e,
        Effect::Pause { offset: 3, reason: PauseReason::Filter, timeout: Some(t), .. }
            if *t == Duration::from_millis(1_000)
    )));
    core.finished(&key(), generation, ok(0, 2), now);
    fetch(&mut core, 3..10);
    assert!(
        start(&mut core, now).is_none(),
        "held: fetched messages wait"
    );
    let later = now + Duration::from_millis(999);
    assert_eq!(core.resume_due(later), Some(Duration::from_millis(1)));
    let opened = now + Duration::from_millis(1_000);
    core.resume_due(opened);
    assert_eq!(seeks(&effects(&mut core)), vec![3]);
    fetch(&mut core, 3..10);
    assert_eq!(start(&mut core, opened).unwrap().1, vec![3, 4, 5]);
}

#[test]
fn a_consumer_seek_back_consumes_again_and_stores_nothing_past_it() {
    let now = Instant::now();
    let mut core = core(100, None);
    core.assign(0, 0, (), now);
    fetch(&mut core, 0..5);
    let (generation, _) = start(&mut core, now).unwrap();
    let requests = Requests {
        seek: Some(2),
        ..Requests::default()
    };
    core.requested(&key(), generation, requests);
    core.finished(&key(), generation, ok(0, 4), now);
    assert_eq!(stored(&effects(&mut core)), vec![2]);
    fetch(&mut core, 5..8);
    assert!(start(&mut core, now).is_none(), "old position dropped");
    core.resume_due(now);
    assert_eq!(seeks(&effects(&mut core)), vec![2]);
    fetch(&mut core, 2..8);
    assert_eq!(start(&mut core, now).unwrap().1, vec![2, 3, 4, 5, 6, 7]);
}

#[test]
fn a_pause_until_resumed_ends_when_a_tick_resumes() {
    let now = Instant::now();
    let tick = Duration::from_millis(100);
    let mut core = core(100, Some(tick));
    core.assign(0, 0, (), now);
    fetch(&mut core, 0..3);
    let (generation, _) = start(&mut core, now).unwrap();
    let requests = Requests {
        pause: Some(PauseFor::UntilResumed),
        ..Requests::default()
    };
    core.requested(&key(), generation, requests);
    core.finished(&key(), generation, ok(0, 2), now);
    assert!(core.is_held(&key()));
    core.resume_due(now + Duration::from_secs(60));
    assert!(seeks(&effects(&mut core)).is_empty(), "no timeout");
    let at = now + tick;
    let mut ticked = None;
    core.dispatch(at, |_, start, _| {
        assert!(matches!(start.work, Work::Tick));
        ticked = Some(start.generation);
    });
    let generation = ticked.expect("ticks run while paused");
    let resume = Requests {
        resume: true,
        ..Requests::default()
    };
    core.requested(&key(), generation, resume);
    core.finished(&key(), generation, Finished::Ticked, at);
    assert!(!core.is_held(&key()));
    assert_eq!(seeks(&effects(&mut core)), vec![3]);
}

#[test]
fn a_failure_cancels_the_hold_and_the_retry_resumes_at_the_failed_offset() {
    let now = Instant::now();
    let mut core = core(100, None);
    core.assign(0, 0, (), now);
    let throttle = Throttle::new(2, Duration::from_secs(10));
    core.set_filters(&key(), vec![Box::new(throttle)]);
    fetch(&mut core, 0..5);
    let (generation, offsets) = start(&mut core, now).unwrap();
    assert_eq!(offsets, vec![0, 1]);
    let failed = Finished::Consumed {
        first: 0,
        last: 1,
        mark: None,
        result: Err(Failure {
            culprit: None,
            error: "boom".into(),
        }),
    };
    core.finished(&key(), generation, failed, now);
    assert!(!core.is_held(&key()));
    effects(&mut core);
    core.resume_due(now + Duration::from_millis(100));
    assert_eq!(seeks(&effects(&mut core)), vec![0]);
}
