//! The Kongo event types and their line format: fields in declaration order,
//! separated by `", "`, as the seed's `SensorSerializer` writes them.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A sensor reading at a location (the seed's `Sensor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensorEvent {
    /// When it was read, in seconds of the simulation.
    pub time: i64,
    /// Where the sensor is (a warehouse or a truck).
    pub doc: String,
    /// The sensor's tag.
    pub tag: String,
    /// What it measures, e.g. `temp`.
    pub metric: String,
    /// The reading.
    pub value: f64,
}

/// Whether goods went onto a truck or off it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RfidAction {
    /// Goods loaded onto the truck.
    Load,
    /// Goods unloaded from the truck.
    Unload,
}

/// An RFID reader saw goods loaded onto or unloaded from a truck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfidEvent {
    /// When it happened, in seconds of the simulation.
    pub time: i64,
    /// Load or unload.
    pub action: RfidAction,
    /// The goods (the message key, so a goods' events keep their order).
    pub goods_id: String,
    /// The truck.
    pub truck_id: String,
}

/// A line that is not the expected event, naming the field and why.
#[derive(Debug, thiserror::Error)]
#[error("{event} line {line:?}: {reason}")]
pub struct LineError {
    event: &'static str,
    line: String,
    reason: String,
}

/// Splits a line into exactly the named fields.
fn fields<'a>(
    event: &'static str,
    line: &'a str,
    names: &[&str],
) -> Result<Vec<&'a str>, LineError> {
    let parts: Vec<&str> = line.split(", ").collect();
    if parts.len() != names.len() {
        return Err(LineError {
            event,
            line: line.to_owned(),
            reason: format!(
                "expected {} fields ({}), found {}",
                names.len(),
                names.join(", "),
                parts.len()
            ),
        });
    }
    Ok(parts)
}

fn parse<T: FromStr>(
    event: &'static str,
    line: &str,
    name: &str,
    text: &str,
) -> Result<T, LineError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| LineError {
        event,
        line: line.to_owned(),
        reason: format!("field `{name}` ({text:?}): {e}"),
    })
}

impl FromStr for SensorEvent {
    type Err = LineError;

    fn from_str(line: &str) -> Result<Self, LineError> {
        const NAMES: [&str; 5] = ["time", "doc", "tag", "metric", "value"];
        let f = fields("sensor", line, &NAMES)?;
        Ok(SensorEvent {
            time: parse("sensor", line, "time", f[0])?,
            doc: f[1].to_owned(),
            tag: f[2].to_owned(),
            metric: f[3].to_owned(),
            value: parse("sensor", line, "value", f[4])?,
        })
    }
}

impl FromStr for RfidAction {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "load" => Ok(RfidAction::Load),
            "unload" => Ok(RfidAction::Unload),
            other => Err(format!("`{other}` is neither load nor unload")),
        }
    }
}

impl FromStr for RfidEvent {
    type Err = LineError;

    fn from_str(line: &str) -> Result<Self, LineError> {
        const NAMES: [&str; 4] = ["time", "action", "goods_id", "truck_id"];
        let f = fields("rfid", line, &NAMES)?;
        Ok(RfidEvent {
            time: parse("rfid", line, "time", f[0])?,
            action: parse("rfid", line, "action", f[1])?,
            goods_id: f[2].to_owned(),
            truck_id: f[3].to_owned(),
        })
    }
}
