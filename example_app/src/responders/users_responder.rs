//! The producer side of the Karafka 1.x walkthrough: publish user events to `users`.
//!
//! From app code: `UsersResponder.call(&event).await?`; from the command line:
//! `cargo run -p example_app -- respond UsersResponder '{"event_name":"user_created","payload":{"id":1}}'`.

use karafka::{Outbox, Respond, Responder};

use crate::consumers::UserEvent;

/// Publishes a user event to the `users` topic, as JSON.
#[derive(Debug, Default, Responder)]
#[responder(topic = "users", payload = UserEvent)]
pub struct UsersResponder;

impl Respond for UsersResponder {
    type Input = UserEvent;

    fn respond(&self, event: &UserEvent, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to("users", event)
    }
}
