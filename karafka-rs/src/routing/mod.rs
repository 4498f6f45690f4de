//! Routes: which consumer handles which topic, in which consumer group.
//!
//! `karafka::routes!` expands to [`definition`] values registered with
//! inventory; at boot they are collected, merged, given the configuration's
//! defaults and validated into [`Routes`].

pub mod definition;
mod registry;

pub use definition::{RouteOptions, TopicConfig};
pub use registry::{ConsumerGroup, DeclaredTopic, Routes, Topic};
