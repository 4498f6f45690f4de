//! Seed 003's RFID events: goods loaded onto and unloaded from trucks, one topic
//! keyed by goods id so that a goods' events are consumed in the order sent.

use std::collections::HashMap;

use karafka::{Consumer, Context, Messages};

use crate::db;
use crate::kongo::{RfidAction, RfidEvent};

/// Keeps which truck each goods is on.
///
/// An unload of goods not on that truck (its load is late: another reader,
/// another network) waits until the load comes later in the batch. If the
/// batch ends first, the batch fails with [`EarlyUnload`]: karafka pauses the
/// partition and retries from the first unprocessed message after a backoff,
/// by when the load has usually arrived. The moves of a batch and the offset
/// after it are saved in one transaction, and messages below that offset are
/// skipped, so a retried or redelivered batch moves nothing twice.
#[derive(Debug, Default)]
pub struct RfidConsumer;

/// An unload whose goods were not loaded onto that truck yet.
#[derive(Debug, thiserror::Error)]
#[error("unload of goods {goods_id} from {truck_id} (offset {offset}) came before its load; retrying later")]
pub struct EarlyUnload {
    /// The goods.
    pub goods_id: String,
    /// The truck it should come off.
    pub truck_id: String,
    /// The offset of the unload.
    pub offset: i64,
}

impl Consumer for RfidConsumer {
    type Payload = RfidEvent;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<RfidEvent>,
    ) -> karafka::Result<()> {
        let db = db::database().map_err(user)?;
        let done = db
            .counted_offset(ctx.topic(), ctx.partition())
            .map_err(user)?
            .unwrap_or(0);
        let mut events = Vec::with_capacity(messages.len());
        for message in messages.iter().filter(|m| m.offset() >= done) {
            events.push((message.offset(), message.payload()?));
        }
        let Some(&(last, _)) = events.last() else {
            return Ok(());
        };
        let mut trucks = db
            .trucks_of(events.iter().map(|(_, e)| e.goods_id.as_str()))
            .map_err(user)?;
        let mut waiting: Vec<(i64, &RfidEvent)> = Vec::new();
        for (offset, event) in events {
            match event.action {
                RfidAction::Load => {
                    trucks.insert(event.goods_id.clone(), Some(event.truck_id.clone()));
                    tracing::info!("goods {} loaded onto {}", event.goods_id, event.truck_id);
                    waiting.retain(|(_, early)| !unload(&mut trucks, early));
                }
                RfidAction::Unload => {
                    if !unload(&mut trucks, event) {
                        waiting.push((offset, event));
                    }
                }
            }
        }
        if let Some((offset, early)) = waiting.first() {
            return Err(user(EarlyUnload {
                goods_id: early.goods_id.clone(),
                truck_id: early.truck_id.clone(),
                offset: *offset,
            }));
        }
        db.move_goods(ctx.topic(), ctx.partition(), last + 1, &trucks)
            .map_err(user)
    }
}

/// Takes the goods off the truck if it is on it; whether it was.
fn unload(trucks: &mut HashMap<String, Option<String>>, event: &RfidEvent) -> bool {
    let on = trucks.get(&event.goods_id).cloned().flatten();
    if on.as_deref() != Some(event.truck_id.as_str()) {
        return false;
    }
    trucks.insert(event.goods_id.clone(), None);
    tracing::info!("goods {} unloaded from {}", event.goods_id, event.truck_id);
    true
}

fn user(error: impl std::error::Error + Send + Sync + 'static) -> karafka::Error {
    karafka::Error::User(Box::new(error))
}
