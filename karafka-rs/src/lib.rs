//! karafka-rs: a Rails-style framework for Kafka applications, after Ruby's Karafka.
//!
//! Declare consumer groups and topic routes with [`routes!`], implement
//! [`Consumer`] for each topic, and run the app's binary as `server`: it
//! subscribes, fetches, hands each partition's batches to its consumer in order,
//! and stores offsets only after success (at-least-once). Produce through
//! [responders]: structs that declare the topics they write to.
//!
//! # Quick start
//!
//! ```sh
//! cargo install cargo-karafka
//! cargo karafka new shop && cd shop   # karafka.toml, routes, a consumer, a responder
//! cargo karafka server                # on the embedded development broker: no Kafka needed
//! ```
//!
//! Or by hand: add `karafka = { package = "karafka-rs", version = "0.2.0" }`,
//! `tokio`, `serde`, `tracing` and `anyhow` to a binary project, and write:
//!
//! ```no_run
//! use karafka::{Consumer, Context, Messages};
//!
//! #[derive(Debug, serde::Deserialize)]
//! pub struct UserEvent { pub event_name: String }
//!
//! #[derive(Default)]
//! pub struct UsersConsumer;
//!
//! impl Consumer for UsersConsumer {
//!     type Payload = UserEvent;
//!     async fn consume(&mut self, _ctx: &mut Context, messages: Messages<UserEvent>) -> karafka::Result<()> {
//!         for message in &messages {
//!             tracing::info!("New [User] event: {:?}", message.payload()?);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! karafka::routes! {
//!     consumer_group example {
//!         topic users { consumer: UsersConsumer }
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<()> {
//!     karafka::App::load()?.listener(karafka::StdoutListener).run_cli().await
//! }
//! ```
//!
//! `cargo run -- server` runs it (with no `brokers` configured in development,
//! on an embedded broker it starts itself); `cargo run -- produce users
//! '{"event_name":"user_created"}'` from a second terminal sends it a message;
//! `cargo run -- --help` lists the other commands. The same program is
//! `examples/minimal_consumer.rs` (`cargo run -p karafka-rs --example
//! minimal_consumer -- server` in a checkout).
//!
//! # Where things live
//!
//! | concern | where |
//! |---|---|
//! | the app: configuration, routes, listeners; `run`, `spawn`, `run_cli` | [`App`], [`ServerHandle`] |
//! | settings from `karafka.toml` and `KARAFKA_*` | [`config`] ([`Config`]) |
//! | routing: the DSL's output, resolved and validated | [`routes!`], [`routing`] |
//! | consumers and what they get | [`Consumer`], [`Context`], [`messages`] ([`Message`], [`Messages`], [`deserializers`]) |
//! | processing: per-partition executors, backends, retries, dead letter queues | [`processing`] |
//! | connection: the fetch loop and the rebalance context (internal) | driven by [`App::run`] and [`App::spawn`] |
//! | producing | [`responders`] ([`Responder`], [`Respond`], [`Outbox`], [`serializers`]), [`producer`] |
//! | instrumentation: events, listeners, metrics | [`instrumentation`] ([`Event`], [`Listener`], [`StdoutListener`], [`MetricsListener`]) |
//! | the command line (`server`, `info`, `routes`, `topics`, `asyncapi`, ...) | [`App::run_cli`] |
//! | topics on the cluster | [`admin`] |
//! | several server processes under one supervisor (`server --swarm`) | [`swarm`] |
//! | the embedded development broker | [`embedded`] |
//! | the app as an AsyncAPI 3.0 document | [`asyncapi`] |
//! | logging to stderr with `RUST_LOG` | [`logging`] |
//! | testing apps without a broker, or on a mock cluster | `testing` (feature `testing`) |
//! | the Web UI: consumers, topics, messages, dead letters and commands in the browser | `web` (feature `web`) |
//!
//! # Feature flags
//!
//! - `testing` (off by default): the `testing` module, with `TestApp` (the app's
//!   real pipeline over in-memory topics, responders captured) and
//!   `EmbeddedKafka` (the whole server on a mock cluster). Enable it for
//!   dev-dependencies: `karafka = { package = "karafka-rs", version = "0.2.0",
//!   features = ["testing"] }`.
//!
//! - `web` (off by default): the `web` module, the Web UI (`app web`,
//!   `server --web ADDR`, or a router to nest in the app's axum service) and
//!   the reports server processes send it. It brings in axum.
//!
//! Payload types get a JSON Schema in the app's AsyncAPI document by deriving
//! [`schemars::JsonSchema`] (re-exported as [`karafka::schemars`](schemars)); no
//! feature is needed.
//!
//! # Examples
//!
//! `karafka-rs/examples/` in the repository, each runnable with `cargo run -p
//! karafka-rs --example <name>`: `minimal_consumer`, `worker_pool_dlq`,
//! `responders`, `axum` (the server embedded in an HTTP service) and `testing`.
//!
//! # Layers
//!
//! The crate reads bottom-up: each module imports only from the layers below
//! its own, never from its own layer or above (`tests/layering.rs` checks every
//! `crate::` path against this list, so no import cycle can form).
//!
//! 0. `client_log`: librdkafka's words, translated and collapsed by cause
//! 1. `redaction`: which settings are secret, and keeping their values out of sight
//! 2. `error`: the one error type
//! 3. `config`, `logging`: `karafka.toml` and the tracing setup
//! 4. `client_config`, `embedded`, `messages`: librdkafka settings, the development broker, fetched messages
//! 5. `instrumentation`: events, the monitor and listeners
//! 6. `producer`: one idempotent librdkafka producer
//! 7. `current_app`: the process's current app and its shared producer
//! 8. `responders`: typed producers
//! 9. `consumer`, `filtering`: the `Consumer` trait and the `Context` of each call; the `Filter` trait and the built-in filters
//! 10. `routing`: routes, their options, and the registry they resolve to
//! 11. `app`: `App`, configuration, routes and listeners as plain data
//! 12. `processing`: per-partition executors, jobs, the worker pool
//! 13. `connection`: each consumer group's Kafka consumer and fetch loop
//! 14. `admin`: the cluster's topics (declared and their settings), consumer groups and messages
//! 15. `server`, `testing`, `asyncapi`: running an app; the test harness beside it; the app as an AsyncAPI document
//! 16. `swarm`, `web`: `server --swarm N`, supervised server processes; the Web UI and its reports
//! 17. `cli`: the app's command line

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod admin;
mod app;
pub mod asyncapi;
mod cli;
mod client_config;
mod client_log;
pub mod config;
mod connection;
mod consumer;
mod current_app;
pub mod embedded;
mod error;
pub mod filtering;
pub mod instrumentation;
pub mod logging;
pub mod messages;
pub mod processing;
pub mod producer;
pub mod redaction;
pub mod responders;
pub mod routing;
mod server;
pub mod swarm;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
#[cfg(feature = "web")]
#[cfg_attr(docsrs, doc(cfg(feature = "web")))]
pub mod web;

// Lets this crate's own tests use the derive, whose output names `::karafka`.
#[cfg(test)]
extern crate self as karafka;

pub use app::App;
pub use cli::EXIT_TOPICS_CHANGED;
pub use config::{Backend, Config, InitialOffset};
pub use consumer::{Consumer, Context};
pub use error::{BoxError, Error, Result};
pub use filtering::{Filter, FilterBatch};
pub use instrumentation::{
    Event, EventKind, Listener, MetricsListener, Monitor, ProctitleListener, StdoutListener,
};
pub use karafka_rs_macros::{routes, Responder};
pub use messages::deserializers;
pub use messages::{Message, Messages, RawMessage};
pub use producer::Producer;
pub use responders::serializers;
pub use responders::{Outbox, Respond, RespondOptions, Responded, Responder};
pub use routing::{Partitioner, VirtualPartitioner, VirtualPartitions};
/// The JSON Schema crate whose `JsonSchema` derive gives payload types a schema
/// in the app's AsyncAPI document (see [`asyncapi`]).
pub use schemars;
pub use server::{GroupHealth, GroupState, Health, ServerHandle, StopReason, EXIT_FORCED_SHUTDOWN};

/// What the macros' generated code refers to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::routing::definition::{
        ConsumerGroupDef, DeadLetterQueue, RouteOptions, RouteSource, TopicConfig, TopicDef,
    };
    pub use crate::routing::{FilterSpec, Filters, Throttling};
    pub use inventory;
    pub use std::sync::OnceLock;

    /// What the macros use to describe payload types in AsyncAPI documents.
    pub mod asyncapi {
        pub use crate::messages::payload_type::{
            PayloadType, Probe, ViaJsonSchema, WithoutJsonSchema,
        };
    }

    /// What `#[derive(Responder)]` expands to.
    pub mod responders {
        pub use crate::responders::registry::{CliFn, NoCli, Probe, ViaCli};
        pub use crate::responders::{call, call_async, ResponderEntry, TopicSpec};
    }

    use crate::consumer::Consumer;
    use crate::messages::deserializers::Deserializer;

    /// A consumer group declared with `routes!`.
    pub fn consumer_group(
        name: &str,
        options: RouteOptions,
        topics: Vec<TopicDef>,
    ) -> ConsumerGroupDef {
        ConsumerGroupDef::new(name, options, topics)
    }

    /// A topic declared with `routes!`.
    pub fn topic<C, D>(
        name: &str,
        consumer_name: &'static str,
        deserializer: D,
        options: RouteOptions,
    ) -> TopicDef
    where
        C: Consumer + Default,
        D: Deserializer<C::Payload>,
    {
        TopicDef::new::<C, D>(name, deserializer, options).consumer_name(consumer_name)
    }
}
