//! Publishes RFID events as comma-separated lines to `rfid-events`, keyed by
//! goods id: one topic for loads and unloads, so a goods' events keep their order.

use karafka::{Outbox, Respond, RespondOptions, Responder};

use crate::kongo::RfidEvent;

/// Writes an RFID load or unload to `rfid-events`, keyed by goods id.
#[derive(Debug, Default, Responder)]
#[responder(topic = "rfid-events", serializer = crate::kongo::CommaLines)]
pub struct RfidResponder;

impl Respond for RfidResponder {
    type Input = RfidEvent;

    fn respond(&self, event: &RfidEvent, out: &mut Outbox) -> karafka::Result<()> {
        let options = RespondOptions::new().key(event.goods_id.clone());
        out.respond_to_with("rfid-events", event, options)
    }
}
