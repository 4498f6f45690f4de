//! Routes: which consumer handles which topic, in which consumer group.
//!
//! `karafka::routes!` expands to [`definition`] values registered with
//! inventory; at boot they are collected, merged, given the configuration's
//! defaults and validated into [`Routes`]. The route options themselves are
//! declared once, in the table the DSL reads too (see `options`).

pub mod definition;
pub(crate) mod flow;
mod options;
mod registry;
mod virtual_partitions;

pub use definition::{RouteOptions, TopicConfig};
pub use flow::{FilterSpec, Filters, Throttling};
pub use options::Topic;
pub use registry::{ConsumerGroup, DeclaredTopic, Routes};
pub use virtual_partitions::{hash_key, Partitioner, VirtualPartitioner, VirtualPartitions};
