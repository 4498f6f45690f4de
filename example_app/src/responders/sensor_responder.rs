//! Publishes sensor readings as comma-separated lines to `sensor-events`, keyed
//! by location.

use karafka::{Outbox, Respond, RespondOptions, Responder};

use crate::kongo::SensorEvent;

/// Writes a sensor reading to `sensor-events`, keyed by its location.
#[derive(Debug, Default, Responder)]
#[responder(topic = "sensor-events", serializer = crate::kongo::CommaLines)]
pub struct SensorResponder;

impl Respond for SensorResponder {
    type Input = SensorEvent;

    fn respond(&self, reading: &SensorEvent, out: &mut Outbox) -> karafka::Result<()> {
        let options = RespondOptions::new().key(reading.doc.clone());
        out.respond_to_with("sensor-events", reading, options)
    }
}
