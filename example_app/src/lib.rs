//! The karafka-rs example app: the seed scenarios as a library (consumers,
//! responders, routes) that its binary runs and its tests load.
//!
//! `cargo run -p example_app -- serve` runs the HTTP server (the rating form
//! and live averages on http://127.0.0.1:3000) and the consumers in one process,
//! on the embedded broker. `cargo run -p example_app -- server` runs the
//! consumers alone; then, from a second terminal,
//! `cargo run -p example_app -- respond UsersResponder '{"event_name":"user_created","payload":{"id":1}}'`
//! (or `produce users '<json>'` to send the payload as it is).

pub mod consumers;
pub mod db;
pub mod karafka_boot;
pub mod kongo;
pub mod live;
pub mod ratings;
pub mod responders;
pub mod web;

/// Loads the app: its karafka.toml and the routes of [`karafka_boot`].
pub fn load() -> karafka::Result<karafka::App> {
    karafka::App::load()
}
