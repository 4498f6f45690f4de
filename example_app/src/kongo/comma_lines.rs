//! `CommaLines`: the wire format of the Kongo topics, as a karafka deserializer
//! (lines into [`SensorEvent`] / [`RfidEvent`]) and a responder serializer (any
//! flat struct of scalars and unit enum variants into one line).

use std::str::FromStr;

use karafka::serializers::{Payload, Serializer};
use karafka::{BoxError, RawMessage};
use serde::ser::{self, Impossible, Serialize};

use super::events::{RfidEvent, SensorEvent};

/// Comma-separated lines: `time, doc, tag, metric, value` for sensors,
/// `time, action, goods_id, truck_id` for RFID events.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommaLines;

impl CommaLines {
    fn read<T>(message: &RawMessage) -> Result<T, BoxError>
    where
        T: FromStr,
        T::Err: std::error::Error + Send + Sync + 'static,
    {
        let bytes = message.payload().ok_or("a tombstone is not a line")?;
        let line = std::str::from_utf8(bytes)?;
        Ok(line.trim_end_matches('\n').parse()?)
    }
}

impl karafka::deserializers::Deserializer<SensorEvent> for CommaLines {
    fn deserialize(&self, message: &RawMessage) -> Result<SensorEvent, BoxError> {
        CommaLines::read(message)
    }

    fn name(&self) -> &'static str {
        "CommaLines"
    }
}

impl karafka::deserializers::Deserializer<RfidEvent> for CommaLines {
    fn deserialize(&self, message: &RawMessage) -> Result<RfidEvent, BoxError> {
        CommaLines::read(message)
    }

    fn name(&self) -> &'static str {
        "CommaLines"
    }
}

impl Serializer for CommaLines {
    fn serialize(&self, payload: &Payload<'_>) -> Result<Vec<u8>, BoxError> {
        let mut line = Line::default();
        payload.serialize(&mut line)?;
        Ok(line.fields.join(", ").into_bytes())
    }

    fn name(&self) -> &'static str {
        "CommaLines"
    }
}

/// The fields written so far.
#[derive(Default)]
struct Line {
    fields: Vec<String>,
    /// The struct field being written, for errors.
    field: &'static str,
}

/// Why a value does not fit on a line.
#[derive(Debug)]
struct Unfit(String);

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unfit {}

impl ser::Error for Unfit {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        Unfit(message.to_string())
    }
}

impl Line {
    fn push(&mut self, text: String) -> Result<(), Unfit> {
        if text.contains(", ") || text.contains('\n') {
            return Err(Unfit(format!(
                "field `{}` ({text:?}) contains the separator \", \" or a newline",
                self.field
            )));
        }
        self.fields.push(text);
        Ok(())
    }

    fn unfit(&self, kind: &str) -> Unfit {
        Unfit(format!(
            "comma lines hold a flat struct of scalars; field `{}` is {kind}",
            self.field
        ))
    }
}

/// Writes a scalar as its text.
macro_rules! scalar {
    ($($method:ident($ty:ty);)*) => {
        $(
            fn $method(self, value: $ty) -> Result<(), Unfit> {
                self.push(value.to_string())
            }
        )*
    };
}

impl ser::Serializer for &mut Line {
    type Ok = ();
    type Error = Unfit;
    type SerializeSeq = Impossible<(), Unfit>;
    type SerializeTuple = Impossible<(), Unfit>;
    type SerializeTupleStruct = Impossible<(), Unfit>;
    type SerializeTupleVariant = Impossible<(), Unfit>;
    type SerializeMap = Impossible<(), Unfit>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Unfit>;

    scalar! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unfit> {
        Err(self.unfit("bytes"))
    }

    fn serialize_none(self) -> Result<(), Unfit> {
        self.push(String::new())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unfit> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Unfit> {
        Err(self.unfit("()"))
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unfit> {
        Err(self.unfit("a unit struct"))
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unfit> {
        self.push(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unfit> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unfit> {
        Err(self.unfit("an enum with data"))
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unfit> {
        Err(self.unfit("a sequence"))
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unfit> {
        Err(self.unfit("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unfit> {
        Err(self.unfit("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unfit> {
        Err(self.unfit("an enum with data"))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unfit> {
        Err(self.unfit("a map"))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Unfit> {
        if !self.field.is_empty() {
            return Err(self.unfit("a nested struct"));
        }
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unfit> {
        Err(self.unfit("an enum with data"))
    }
}

impl ser::SerializeStruct for &mut Line {
    type Ok = ();
    type Error = Unfit;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unfit> {
        self.field = key;
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), Unfit> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kongo::{RfidAction, RfidEvent, SensorEvent};
    use karafka::deserializers::Deserializer;

    fn line(value: &impl Serialize) -> Result<String, BoxError> {
        let bytes = CommaLines.serialize(&Payload::new(value))?;
        Ok(String::from_utf8(bytes)?)
    }

    #[test]
    fn sensor_event_is_written_as_the_seeds_comma_separated_line_and_read_back() {
        let event = SensorEvent {
            time: 1520,
            doc: "warehouse-3".into(),
            tag: "t-17".into(),
            metric: "temp".into(),
            value: 4.5,
        };
        let text = line(&event).unwrap();
        assert_eq!(text, "1520, warehouse-3, t-17, temp, 4.5");
        let message = RawMessage::new("sensor-events", 0, 0).with_payload(text);
        let read: SensorEvent = CommaLines.deserialize(&message).unwrap();
        assert_eq!(read, event);
    }

    #[test]
    fn rfid_event_writes_its_action_as_a_word() {
        let event = RfidEvent {
            time: 7,
            action: RfidAction::Unload,
            goods_id: "g-1".into(),
            truck_id: "truck-2".into(),
        };
        assert_eq!(line(&event).unwrap(), "7, unload, g-1, truck-2");
    }

    #[test]
    fn malformed_lines_are_refused_naming_the_field() {
        let read = |payload: &str| -> String {
            let message = RawMessage::new("rfid-events", 0, 3).with_payload(payload);
            let result: Result<RfidEvent, _> = CommaLines.deserialize(&message);
            result.unwrap_err().to_string()
        };
        let error = read("7, unload, g-1");
        assert!(
            error.contains("expected 4 fields (time, action, goods_id, truck_id), found 3"),
            "{error}"
        );
        let error = read("soon, load, g-1, truck-2");
        assert!(error.contains("field `time` (\"soon\")"), "{error}");
        let error = read("7, lift, g-1, truck-2");
        assert!(
            error.contains("`lift` is neither load nor unload"),
            "{error}"
        );
    }

    #[test]
    fn a_field_holding_the_separator_cannot_be_written() {
        let event = RfidEvent {
            time: 7,
            action: RfidAction::Load,
            goods_id: "g-1, g-2".into(),
            truck_id: "truck-2".into(),
        };
        let error = line(&event).unwrap_err().to_string();
        assert!(error.contains("field `goods_id`"), "{error}");
    }
}
