//! From fetched messages to user code: type-erased consumers and per-partition executors.

pub(crate) mod erased;
pub(crate) mod executor;
