//! The users scenario of the Karafka 1.x walkthrough: log every user event, and
//! pipe the batch on to `user_activity` through a responder.

use karafka::{Consumer, Context, Messages};
use serde::{Deserialize, Serialize};

use crate::responders::UserActivityResponder;

/// An event about a user, as the producer side publishes it.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
pub struct UserEvent {
    /// What happened, e.g. `user_created`.
    pub event_name: String,
    /// The event's data.
    pub payload: serde_json::Value,
}

/// Logs each user event it receives and forwards the batch to `user_activity`.
#[derive(Debug, Default)]
pub struct UsersConsumer;

impl Consumer for UsersConsumer {
    type Payload = UserEvent;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<UserEvent>,
    ) -> karafka::Result<()> {
        let mut events = Vec::with_capacity(messages.len());
        for message in &messages {
            let event = message.payload()?;
            tracing::info!("New [User] event: {event:?}");
            events.push(event.clone());
        }
        // Awaited before returning: the batch counts as consumed only once the
        // piped messages are acknowledged (at-least-once end to end).
        ctx.respond_with::<UserActivityResponder>(&events).await?;
        Ok(())
    }
}
