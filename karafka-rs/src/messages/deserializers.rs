//! Turning payload bytes into the route's payload type: JSON (the default),
//! UTF-8 text, raw bytes, or any type implementing [`Deserializer`].

use serde::de::DeserializeOwned;

use super::RawMessage;
use crate::error::BoxError;

/// Turns a fetched message into a `T`; implement it for custom wire formats.
pub trait Deserializer<T>: Send + Sync + 'static {
    /// Reads the message (usually its payload) into a `T`.
    fn deserialize(&self, message: &RawMessage) -> Result<T, BoxError>;

    /// The name shown in routes, banners and errors.
    fn name(&self) -> &'static str {
        std::any::type_name::<Self>()
            .rsplit("::")
            .next()
            .unwrap_or("custom")
    }
}

/// JSON through serde; a tombstone (no payload) reads as JSON `null`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl<T: DeserializeOwned> Deserializer<T> for Json {
    fn deserialize(&self, message: &RawMessage) -> Result<T, BoxError> {
        let bytes = message.payload().unwrap_or(b"null");
        Ok(serde_json::from_slice(bytes)?)
    }

    fn name(&self) -> &'static str {
        "Json"
    }
}

/// The payload as UTF-8 text; invalid UTF-8 or a tombstone is an error.
#[derive(Debug, Clone, Copy, Default)]
pub struct Utf8;

impl Deserializer<String> for Utf8 {
    fn deserialize(&self, message: &RawMessage) -> Result<String, BoxError> {
        let bytes = message
            .payload()
            .ok_or("message has no payload (tombstone)")?;
        Ok(std::str::from_utf8(bytes)?.to_owned())
    }

    fn name(&self) -> &'static str {
        "Utf8"
    }
}

/// The payload bytes as they are; a tombstone reads as no bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Raw;

impl Deserializer<Vec<u8>> for Raw {
    fn deserialize(&self, message: &RawMessage) -> Result<Vec<u8>, BoxError> {
        Ok(message.payload().unwrap_or_default().to_vec())
    }

    fn name(&self) -> &'static str {
        "Raw"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::messages::Message;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct User {
        id: u32,
    }

    fn message<T: 'static>(payload: &[u8], deserializer: impl Deserializer<T>) -> Message<T> {
        Message::new(
            RawMessage::new("users", 2, 41).with_payload(payload),
            Arc::new(deserializer),
        )
    }

    #[test]
    fn json_payload_is_deserialized_lazily_and_once() {
        let m = message::<User>(br#"{"id":7}"#, Json);
        assert_eq!(m.payload().unwrap(), &User { id: 7 });
        assert!(std::ptr::eq(m.payload().unwrap(), m.payload().unwrap()));
    }

    #[test]
    fn non_json_payload_is_an_error_naming_the_message() {
        let m = message::<User>(b"not json", Json);
        let error = m.payload().unwrap_err().to_string();
        assert!(error.contains("users/2@41"), "{error}");
        assert!(error.contains("Json"), "{error}");
        assert!(
            m.payload().is_err(),
            "the error is kept, not retried silently"
        );
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        let m = message::<String>(&[0xff, 0xfe], Utf8);
        assert!(m.payload().unwrap_err().to_string().contains("Utf8"));
    }

    #[test]
    fn raw_returns_bytes_unchanged() {
        let m = message::<Vec<u8>>(&[0, 1, 2], Raw);
        assert_eq!(m.payload().unwrap(), &vec![0, 1, 2]);
    }
}
