//! Publishes example events to the `example` topic.

use karafka::{Outbox, Respond, Responder};

use crate::consumers::ExampleEvent;

/// Writes an example event to `example`, as JSON.
#[derive(Debug, Default, Responder)]
#[responder(topic = "example")]
pub struct ExampleResponder;

impl Respond for ExampleResponder {
    type Input = ExampleEvent;

    fn respond(&self, event: &ExampleEvent, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to("example", event)
    }
}
