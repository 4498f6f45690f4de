//! The end of the pipe: log the user activity that `UsersConsumer` forwarded.

use karafka::{Consumer, Context, Messages};

use super::UserEvent;

/// Logs each piped user event with its key (the user id).
#[derive(Debug, Default)]
pub struct UserActivityConsumer;

impl Consumer for UserActivityConsumer {
    type Payload = UserEvent;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<UserEvent>,
    ) -> karafka::Result<()> {
        for message in &messages {
            tracing::info!(
                "User activity: {} (user {})",
                message.payload()?.event_name,
                message.key_str().unwrap_or("unknown")
            );
        }
        Ok(())
    }
}
