//! The users scenario of the Karafka 1.x walkthrough: log every user event.

use karafka::{Consumer, Context, Messages};
use serde::{Deserialize, Serialize};

/// An event about a user, as the producer side publishes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct UserEvent {
    /// What happened, e.g. `user_created`.
    pub event_name: String,
    /// The event's data.
    pub payload: serde_json::Value,
}

/// Logs each user event it receives.
#[derive(Debug, Default)]
pub struct UsersConsumer;

impl Consumer for UsersConsumer {
    type Payload = UserEvent;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<UserEvent>,
    ) -> karafka::Result<()> {
        for message in &messages {
            tracing::info!("New [User] event: {:?}", message.payload()?);
        }
        Ok(())
    }
}
