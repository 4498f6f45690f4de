//! Consumes the `example` topic.

use karafka::{Consumer, Context, Messages};
use serde::{Deserialize, Serialize};

/// What the `example` topic carries, as JSON.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ExampleEvent {
    /// What happened, e.g. `user_created`.
    pub event_name: String,
    /// The event's data.
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// Logs every event of the `example` topic.
#[derive(Debug, Default)]
pub struct ExampleConsumer;

impl Consumer for ExampleConsumer {
    type Payload = ExampleEvent;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<ExampleEvent>,
    ) -> karafka::Result<()> {
        for message in &messages {
            tracing::info!("New example event: {:?}", message.payload()?);
        }
        // Success: the batch's offsets are stored and committed.
        Ok(())
    }
}
