//! The Kafka side: client settings, the consumer context that turns rebalances
//! and client errors into events, and the fetch loop of each consumer group.

pub(crate) mod client;
pub(crate) mod context;
pub(crate) mod listener;
mod partitions;
pub(crate) mod supervisor;
