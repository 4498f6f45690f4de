//! Deterministic simulation of the processing core: for each seed, a random
//! consumer group (members, partitions, route options, both backends, with or
//! without a dead letter queue and `max_retries` 0..3, manual offsets, virtual
//! partitions with 2..4 lanes over 1..6 keys) runs a
//! random sequence of fetch-loop turns, passing time, rebalances (also in the
//! middle of a poll round, also back to the same member), crashes that restart
//! from the committed offsets, commits that fail, jobs that fail, panic, hang
//! past the shutdown timeout or mark mid-batch (each lane of a batch split
//! into virtual partitions on its own, finishing in any order), poison messages, and dead
//! letter writes that fail or are acknowledged late. The invariants of
//! `simulation_support::checker` are checked after every step.
//!
//! `KARAFKA_SIM_SEEDS` (how many seeds) and `KARAFKA_SIM_SEED_BASE` (the first
//! seed, any u64) choose the runs. A failure prints the seed, the command that
//! replays it, and the shortest failing trace found by dropping steps.

mod simulation_support;

use std::io::Write;
use std::time::Instant;

use simulation_support::rng::Rng;
use simulation_support::world::{Action, Setup, World};

/// Seeds run by default: sized so a debug build (CI) spends well under a minute.
const DEFAULT_SEEDS: u64 = 2_000;
/// The first seed by default.
const DEFAULT_SEED_BASE: u64 = 0x6b61_6661_6b61;
/// Steps per seed.
const STEPS: u64 = 300;
/// Longest time spent shrinking a failure.
const SHRINK_SECONDS: u64 = 60;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be an unsigned 64-bit integer, got {value:?}")),
        Err(_) => default,
    }
}

/// The setup and actions of a seed.
fn plan(seed: u64) -> (Setup, Vec<Action>) {
    let mut rng = Rng::new(seed);
    let setup = Setup::random(&mut rng);
    let actions = (0..STEPS)
        .map(|_| Action::random(&mut rng, &setup))
        .collect();
    (setup, actions)
}

/// Runs `actions`; returns the first violation, the steps taken, and the trace when asked.
fn run(
    seed: u64,
    setup: &Setup,
    actions: &[Action],
    trace: bool,
) -> (Option<String>, u64, Vec<String>) {
    let mut world = World::new(setup.clone(), seed, trace);
    let mut steps = 0;
    for action in actions {
        world.step(action);
        steps += 1;
        if world.checker.violation.is_some() {
            break;
        }
    }
    (
        world.checker.violation.take(),
        steps,
        world.trace.take().unwrap_or_default(),
    )
}

/// Drops steps while the run still fails: halves, quarters, ... single steps.
fn shrink(seed: u64, setup: &Setup, mut actions: Vec<Action>) -> Vec<Action> {
    let started = Instant::now();
    let mut chunk = actions.len() / 2;
    while chunk > 0 && started.elapsed().as_secs() < SHRINK_SECONDS {
        let mut start = 0;
        while start < actions.len() {
            let mut candidate = actions.clone();
            candidate.drain(start..(start + chunk).min(actions.len()));
            if run(seed, setup, &candidate, false).0.is_some() {
                actions = candidate;
            } else {
                start += chunk;
            }
        }
        chunk /= 2;
    }
    actions
}

#[test]
fn processing_core_keeps_its_invariants_under_random_faults() {
    let seeds = env_u64("KARAFKA_SIM_SEEDS", DEFAULT_SEEDS);
    let base = env_u64("KARAFKA_SIM_SEED_BASE", DEFAULT_SEED_BASE);
    let mut steps = 0;
    for i in 0..seeds {
        let seed = base.wrapping_add(i);
        let (setup, actions) = plan(seed);
        let (violation, taken, _) = run(seed, &setup, &actions, false);
        steps += taken;
        let Some(violation) = violation else { continue };
        let failing = actions[..taken as usize].to_vec();
        let shortest = shrink(seed, &setup, failing);
        let (last, _, trace) = run(seed, &setup, &shortest, true);
        eprintln!("simulation: seed {seed} breaks an invariant: {violation}");
        eprintln!(
            "replay: KARAFKA_SIM_SEEDS=1 KARAFKA_SIM_SEED_BASE={seed} cargo test --release -p karafka-tests --test simulation"
        );
        eprintln!("setup: {setup:?}");
        eprintln!(
            "shortest failing trace ({} of {taken} steps): {}",
            shortest.len(),
            last.unwrap_or_default()
        );
        for line in trace {
            eprintln!("  {line}");
        }
        println!("simulation seeds={} steps={steps} violations=1", i + 1);
        panic!("seed {seed}: {violation}");
    }
    // Written to stderr itself, past the test harness's capture, so that the
    // line shows in every run's log, CI's included.
    let _ = writeln!(
        std::io::stderr(),
        "simulation seeds={seeds} steps={steps} violations=0"
    );
}
