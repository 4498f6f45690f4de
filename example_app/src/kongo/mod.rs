//! Seed 003 (Kongo): sensor readings and RFID load/unload events of goods on
//! trucks, written as the seed's hand-written comma-separated lines rather than
//! JSON. RFID loads and unloads share one topic keyed by goods id, so each
//! goods' events keep their order; an unload met before its load is retried
//! later instead of failing.

pub mod comma_lines;
pub mod events;

pub use comma_lines::CommaLines;
pub use events::{RfidAction, RfidEvent, SensorEvent};
