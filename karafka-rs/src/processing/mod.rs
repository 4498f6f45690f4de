//! From fetched messages to user code.
//!
//! - [`core`]: the pure per-partition state machine and its pipeline of steps
//!   (offsets, retry with backoff, dead letter queue, backpressure, ticks).
//! - `processor`: its driver: consumer instances, jobs (inline or on the
//!   worker pool), effects carried out with the partition client, events.
//! - `turn`: one fetch-loop turn, shared by the server's listener and `TestApp`.
//! - [`dlq`]: dead letter queue records.
//! - `commands`: pause and resume requests (the Web UI's) for the fetch loops.

pub(crate) mod activity;
pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod commands;
mod completions;
pub mod core;
mod dead_letter_writer;
pub mod dlq;
mod filtered;
mod hooks;
pub(crate) mod job;
mod lanes;
pub(crate) mod processor;
pub(crate) mod turn;
pub(crate) mod worker_pool;
