//! The simulated world and the invariants of `tests/simulation.rs`.

pub mod checker;
pub mod flow;
pub mod rng;
pub mod world;
