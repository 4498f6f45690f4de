//! Pipes user events on to `user_activity`, keyed by user id so that each
//! user's activity stays in order on one partition.

use karafka::{Outbox, Respond, RespondOptions, Responder};

use crate::consumers::UserEvent;

/// Writes a batch of user events to `user_activity`, one message each.
#[derive(Debug, Default, Responder)]
#[responder(topic = "user_activity", multiple_usage = true, payload = UserEvent)]
pub struct UserActivityResponder;

impl Respond for UserActivityResponder {
    type Input = [UserEvent];

    fn respond(&self, events: &[UserEvent], out: &mut Outbox) -> karafka::Result<()> {
        for event in events {
            let mut options = RespondOptions::new().header("event_name", event.event_name.as_str());
            if let Some(id) = event.payload.get("id") {
                options = options.key(id.to_string());
            }
            out.respond_to_with("user_activity", event, options)?;
        }
        Ok(())
    }
}
