//! A consumer that remembers which messages it consumed, for the flow tests.
//! Each test binary links this crate once, so each has its own record.

use std::sync::Mutex;

use karafka::{Consumer, Context, Messages};

static SEEN: Mutex<Vec<(i32, i64)>> = Mutex::new(Vec::new());

/// Deserializes each message (JSON) and records its (partition, offset).
#[derive(Debug, Default)]
pub struct Recording;

impl Consumer for Recording {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let mut seen = SEEN.lock().map_err(|_| "the record lock is poisoned")?;
        for message in &messages {
            message.payload()?;
            seen.push((message.partition(), message.offset()));
        }
        Ok(())
    }
}

/// Every (partition, offset) consumed so far, in consumption order.
pub fn seen() -> Vec<(i32, i64)> {
    SEEN.lock().map(|s| s.clone()).unwrap_or_default()
}
