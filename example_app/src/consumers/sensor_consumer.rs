//! Seed 003's sensor readings: the latest reading of each metric at each
//! location, and the cold-chain rule checked on every temperature.

use karafka::{Consumer, Context, Messages};

use crate::db;
use crate::kongo::SensorEvent;

/// Highest temperature goods in cold storage may see.
pub const MAX_TEMPERATURE: f64 = 8.0;

/// Records the latest readings and warns about temperatures over [`MAX_TEMPERATURE`].
#[derive(Debug, Default)]
pub struct SensorConsumer;

impl Consumer for SensorConsumer {
    type Payload = SensorEvent;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<SensorEvent>,
    ) -> karafka::Result<()> {
        let readings = messages.payloads()?;
        for reading in &readings {
            if reading.metric == "temp" && reading.value > MAX_TEMPERATURE {
                tracing::warn!(
                    "{} at {} reads {} °C, over {MAX_TEMPERATURE} °C",
                    reading.tag,
                    reading.doc,
                    reading.value
                );
            }
        }
        let database = db::database().map_err(|e| karafka::Error::User(Box::new(e)))?;
        database
            .record_readings(&readings)
            .map_err(|e| karafka::Error::User(Box::new(e)))
    }
}
