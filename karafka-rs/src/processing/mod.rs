//! From fetched messages to user code: per-partition executors, jobs, the
//! worker pool, and dead letter queue records.

pub(crate) mod activity;
pub(crate) mod client;
pub(crate) mod clock;
pub mod dlq;
pub(crate) mod executor;
pub(crate) mod job;
pub(crate) mod worker_pool;
