//! Turning a responder's payloads into message bytes: JSON (the default), UTF-8
//! text, raw bytes, or any type implementing [`Serializer`].
//!
//! A serializer receives the payload as a [`Payload`], which implements
//! `serde::Serialize`: any serde data format is a serializer in a few lines.
//!
//! ```
//! use karafka::serializers::{Payload, Serializer};
//!
//! /// Pretty-printed JSON.
//! struct PrettyJson;
//!
//! impl Serializer for PrettyJson {
//!     fn serialize(&self, payload: &Payload<'_>) -> Result<Vec<u8>, karafka::BoxError> {
//!         Ok(serde_json::to_vec_pretty(payload)?)
//!     }
//! }
//! ```

use serde::ser::{self, Impossible, Serialize};

use crate::error::BoxError;
use crate::messages::payload_type::Format;

/// Turns a payload into the bytes of a message; one per declared responder topic.
pub trait Serializer: Send + Sync + 'static {
    /// Encodes `payload`; an error names why, and nothing of that respond call is sent.
    fn serialize(&self, payload: &Payload<'_>) -> Result<Vec<u8>, BoxError>;

    /// The name shown in errors.
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or("custom")
    }
}

/// A payload handed to `Outbox::respond_to`, of any `Serialize` type.
pub struct Payload<'a>(&'a dyn erased_serde::Serialize);

impl<'a> Payload<'a> {
    /// Wraps a serializable value.
    pub fn new<T: Serialize>(value: &'a T) -> Self {
        Payload(value)
    }
}

/// Runs `f` on `value` as a [`Payload`]; unlike [`Payload::new`], `value` may be unsized (`str`, `[u8]`).
pub(crate) fn with_payload<T, R>(value: &T, f: impl FnOnce(&Payload<'_>) -> R) -> R
where
    T: Serialize + ?Sized,
{
    // `&T` is sized and serializable even when `T` is not.
    let reference = &value;
    f(&Payload(reference))
}

impl Serialize for Payload<'_> {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        erased_serde::serialize(self.0, serializer)
    }
}

impl std::fmt::Debug for Payload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Payload")
    }
}

/// The wire format `serializer` writes, for documents (AsyncAPI).
pub fn format_of<S: Serializer>(serializer: &S) -> Format {
    Format::known::<S, Json, Utf8, Raw>(serializer.name())
}

/// JSON through serde (the default of every responder topic).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Serializer for Json {
    fn serialize(&self, payload: &Payload<'_>) -> Result<Vec<u8>, BoxError> {
        Ok(serde_json::to_vec(payload)?)
    }

    fn name(&self) -> &'static str {
        "Json"
    }
}

/// Text sent as its UTF-8 bytes: the payload must be a `String`, `&str` or `char`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Utf8;

impl Serializer for Utf8 {
    fn serialize(&self, payload: &Payload<'_>) -> Result<Vec<u8>, BoxError> {
        Ok(payload.serialize(TextOnly)?)
    }

    fn name(&self) -> &'static str {
        "Utf8"
    }
}

/// Bytes sent as they are: the payload must be `Vec<u8>`, `&[u8]`, `[u8; N]`,
/// serde bytes (`bytes::Bytes`, `serde_bytes`), or text (sent as UTF-8).
#[derive(Debug, Clone, Copy, Default)]
pub struct Raw;

impl Serializer for Raw {
    fn serialize(&self, payload: &Payload<'_>) -> Result<Vec<u8>, BoxError> {
        Ok(payload.serialize(BytesOnly)?)
    }

    fn name(&self) -> &'static str {
        "Raw"
    }
}

/// Why a payload does not fit the Utf8 or Raw serializer.
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

/// Rejects every kind of value not listed, saying what the serializer wanted and what it got.
macro_rules! reject {
    ($($method:ident($($arg:ty),*) -> $ok:ty = $kind:literal;)*) => {
        $(
            fn $method(self, $(_: $arg),*) -> Result<$ok, Unfit> {
                Err(self.unfit($kind))
            }
        )*
    };
}

/// Everything but text and bytes, rejected by both serializers below.
macro_rules! reject_structured {
    () => {
        reject! {
            serialize_bool(bool) -> Vec<u8> = "a bool";
            serialize_i8(i8) -> Vec<u8> = "an integer";
            serialize_i16(i16) -> Vec<u8> = "an integer";
            serialize_i32(i32) -> Vec<u8> = "an integer";
            serialize_i64(i64) -> Vec<u8> = "an integer";
            serialize_u16(u16) -> Vec<u8> = "an integer";
            serialize_u32(u32) -> Vec<u8> = "an integer";
            serialize_u64(u64) -> Vec<u8> = "an integer";
            serialize_f32(f32) -> Vec<u8> = "a float";
            serialize_f64(f64) -> Vec<u8> = "a float";
            serialize_none() -> Vec<u8> = "None";
            serialize_unit() -> Vec<u8> = "()";
            serialize_unit_struct(&'static str) -> Vec<u8> = "a unit struct";
            serialize_unit_variant(&'static str, u32, &'static str) -> Vec<u8> = "an enum";
            serialize_tuple_struct(&'static str, usize) -> Impossible<Vec<u8>, Unfit> = "a tuple struct";
            serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Impossible<Vec<u8>, Unfit> = "an enum";
            serialize_map(Option<usize>) -> Impossible<Vec<u8>, Unfit> = "a map";
            serialize_struct(&'static str, usize) -> Impossible<Vec<u8>, Unfit> = "a struct";
            serialize_struct_variant(&'static str, u32, &'static str, usize) -> Impossible<Vec<u8>, Unfit> = "an enum";
        }

        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Vec<u8>, Unfit> {
            value.serialize(self)
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Result<Vec<u8>, Unfit> {
            value.serialize(self)
        }

        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Vec<u8>, Unfit> {
            Err(self.unfit("an enum"))
        }
    };
}

/// serde serializer accepting text only (the Utf8 serializer).
#[derive(Clone, Copy)]
struct TextOnly;

impl TextOnly {
    fn unfit(self, kind: &str) -> Unfit {
        Unfit(format!(
            "the Utf8 serializer takes text (String, &str or char), not {kind}"
        ))
    }
}

impl ser::Serializer for TextOnly {
    type Ok = Vec<u8>;
    type Error = Unfit;
    type SerializeSeq = Impossible<Vec<u8>, Unfit>;
    type SerializeTuple = Impossible<Vec<u8>, Unfit>;
    type SerializeTupleStruct = Impossible<Vec<u8>, Unfit>;
    type SerializeTupleVariant = Impossible<Vec<u8>, Unfit>;
    type SerializeMap = Impossible<Vec<u8>, Unfit>;
    type SerializeStruct = Impossible<Vec<u8>, Unfit>;
    type SerializeStructVariant = Impossible<Vec<u8>, Unfit>;

    fn serialize_str(self, value: &str) -> Result<Vec<u8>, Unfit> {
        Ok(value.as_bytes().to_vec())
    }

    fn serialize_char(self, value: char) -> Result<Vec<u8>, Unfit> {
        Ok(value.to_string().into_bytes())
    }

    reject! {
        serialize_u8(u8) -> Vec<u8> = "an integer";
        serialize_bytes(&[u8]) -> Vec<u8> = "bytes (use the Raw serializer)";
        serialize_seq(Option<usize>) -> Impossible<Vec<u8>, Unfit> = "a sequence";
        serialize_tuple(usize) -> Impossible<Vec<u8>, Unfit> = "a tuple";
    }

    reject_structured!();
}

/// serde serializer accepting bytes, sequences of `u8` and text (the Raw serializer).
#[derive(Clone, Copy)]
struct BytesOnly;

impl BytesOnly {
    fn unfit(self, kind: &str) -> Unfit {
        Unfit(format!(
            "the Raw serializer takes bytes (Vec<u8>, &[u8], [u8; N]) or text, not {kind}"
        ))
    }
}

impl ser::Serializer for BytesOnly {
    type Ok = Vec<u8>;
    type Error = Unfit;
    type SerializeSeq = ByteSeq;
    type SerializeTuple = ByteSeq;
    type SerializeTupleStruct = Impossible<Vec<u8>, Unfit>;
    type SerializeTupleVariant = Impossible<Vec<u8>, Unfit>;
    type SerializeMap = Impossible<Vec<u8>, Unfit>;
    type SerializeStruct = Impossible<Vec<u8>, Unfit>;
    type SerializeStructVariant = Impossible<Vec<u8>, Unfit>;

    fn serialize_bytes(self, value: &[u8]) -> Result<Vec<u8>, Unfit> {
        Ok(value.to_vec())
    }

    fn serialize_str(self, value: &str) -> Result<Vec<u8>, Unfit> {
        Ok(value.as_bytes().to_vec())
    }

    fn serialize_char(self, value: char) -> Result<Vec<u8>, Unfit> {
        Ok(value.to_string().into_bytes())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<ByteSeq, Unfit> {
        Ok(ByteSeq(Vec::with_capacity(len.unwrap_or(0))))
    }

    fn serialize_tuple(self, len: usize) -> Result<ByteSeq, Unfit> {
        Ok(ByteSeq(Vec::with_capacity(len)))
    }

    reject! {
        serialize_u8(u8) -> Vec<u8> = "a single integer";
    }

    reject_structured!();
}

/// Collects the elements of a byte sequence, rejecting any element that is not a `u8`.
struct ByteSeq(Vec<u8>);

impl ByteSeq {
    fn push<T: Serialize + ?Sized>(&mut self, element: &T) -> Result<(), Unfit> {
        let byte = element.serialize(OneByte)?;
        self.0.push(byte);
        Ok(())
    }
}

impl ser::SerializeSeq for ByteSeq {
    type Ok = Vec<u8>;
    type Error = Unfit;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, element: &T) -> Result<(), Unfit> {
        self.push(element)
    }

    fn end(self) -> Result<Vec<u8>, Unfit> {
        Ok(self.0)
    }
}

impl ser::SerializeTuple for ByteSeq {
    type Ok = Vec<u8>;
    type Error = Unfit;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, element: &T) -> Result<(), Unfit> {
        self.push(element)
    }

    fn end(self) -> Result<Vec<u8>, Unfit> {
        Ok(self.0)
    }
}

/// One element of a byte sequence: a `u8` and nothing else.
#[derive(Clone, Copy)]
struct OneByte;

impl OneByte {
    fn unfit(self, kind: &str) -> Unfit {
        Unfit(format!(
            "the Raw serializer takes a sequence of u8, but an element is {kind}"
        ))
    }
}

impl ser::Serializer for OneByte {
    type Ok = u8;
    type Error = Unfit;
    type SerializeSeq = Impossible<u8, Unfit>;
    type SerializeTuple = Impossible<u8, Unfit>;
    type SerializeTupleStruct = Impossible<u8, Unfit>;
    type SerializeTupleVariant = Impossible<u8, Unfit>;
    type SerializeMap = Impossible<u8, Unfit>;
    type SerializeStruct = Impossible<u8, Unfit>;
    type SerializeStructVariant = Impossible<u8, Unfit>;

    fn serialize_u8(self, value: u8) -> Result<u8, Unfit> {
        Ok(value)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<u8, Unfit> {
        Err(self.unfit("an Option"))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<u8, Unfit> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<u8, Unfit> {
        Err(self.unfit("an enum"))
    }

    reject! {
        serialize_bool(bool) -> u8 = "a bool";
        serialize_i8(i8) -> u8 = "a signed integer";
        serialize_i16(i16) -> u8 = "a signed integer";
        serialize_i32(i32) -> u8 = "a signed integer";
        serialize_i64(i64) -> u8 = "a signed integer";
        serialize_u16(u16) -> u8 = "a u16";
        serialize_u32(u32) -> u8 = "a u32";
        serialize_u64(u64) -> u8 = "a u64";
        serialize_f32(f32) -> u8 = "a float";
        serialize_f64(f64) -> u8 = "a float";
        serialize_char(char) -> u8 = "a char";
        serialize_str(&str) -> u8 = "a string";
        serialize_bytes(&[u8]) -> u8 = "bytes";
        serialize_none() -> u8 = "None";
        serialize_unit() -> u8 = "()";
        serialize_unit_struct(&'static str) -> u8 = "a unit struct";
        serialize_unit_variant(&'static str, u32, &'static str) -> u8 = "an enum";
        serialize_seq(Option<usize>) -> Impossible<u8, Unfit> = "a sequence";
        serialize_tuple(usize) -> Impossible<u8, Unfit> = "a tuple";
        serialize_tuple_struct(&'static str, usize) -> Impossible<u8, Unfit> = "a tuple struct";
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Impossible<u8, Unfit> = "an enum";
        serialize_map(Option<usize>) -> Impossible<u8, Unfit> = "a map";
        serialize_struct(&'static str, usize) -> Impossible<u8, Unfit> = "a struct";
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Impossible<u8, Unfit> = "an enum";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serialize<T: Serialize + ?Sized>(
        serializer: &dyn Serializer,
        value: &T,
    ) -> Result<Vec<u8>, String> {
        with_payload(value, |payload| serializer.serialize(payload)).map_err(|e| e.to_string())
    }

    #[derive(serde::Serialize)]
    struct User {
        id: u32,
    }

    #[test]
    fn json_encodes_any_serializable_payload() {
        assert_eq!(serialize(&Json, &User { id: 7 }).unwrap(), br#"{"id":7}"#);
        assert_eq!(serialize(&Json, "text").unwrap(), br#""text""#);
    }

    #[test]
    fn utf8_sends_text_as_its_bytes() {
        assert_eq!(serialize(&Utf8, "héllo").unwrap(), "héllo".as_bytes());
        assert_eq!(serialize(&Utf8, &String::from("a")).unwrap(), b"a");
        assert_eq!(serialize(&Utf8, &Some("b")).unwrap(), b"b");
    }

    #[test]
    fn utf8_rejects_structured_payloads_saying_what_it_got() {
        let error = serialize(&Utf8, &User { id: 1 }).unwrap_err();
        assert!(error.contains("Utf8 serializer takes text"), "{error}");
        assert!(error.contains("not a struct"), "{error}");
        let error = serialize(&Utf8, &42).unwrap_err();
        assert!(error.contains("not an integer"), "{error}");
    }

    #[test]
    fn raw_sends_bytes_unchanged() {
        assert_eq!(serialize(&Raw, &vec![0u8, 1, 255]).unwrap(), [0, 1, 255]);
        assert_eq!(serialize(&Raw, &[9u8, 8][..]).unwrap(), [9, 8]);
        assert_eq!(serialize(&Raw, &[7u8; 3]).unwrap(), [7, 7, 7]);
        assert_eq!(serialize(&Raw, "text").unwrap(), b"text");
    }

    #[test]
    fn raw_rejects_sequences_of_anything_but_bytes() {
        let error = serialize(&Raw, &vec![1u32, 2]).unwrap_err();
        assert!(error.contains("an element is a u32"), "{error}");
        let error = serialize(&Raw, &User { id: 1 }).unwrap_err();
        assert!(error.contains("Raw serializer takes bytes"), "{error}");
    }
}
