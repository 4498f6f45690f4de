//! [`Offset`]: what the processing core (and the filters) read of a message.

/// A message as the processing core sees it: its offset (and, for the time
/// filters, its timestamp). [`crate::RawMessage`] implements it; so can a test's own type.
pub trait Offset {
    /// The message's offset in its partition.
    fn offset(&self) -> i64;

    /// When the message was created, in milliseconds since the Unix epoch, if
    /// known (the time filters `delay_by` and `expire_in` read it).
    fn timestamp(&self) -> Option<i64> {
        None
    }
}

impl Offset for super::RawMessage {
    fn offset(&self) -> i64 {
        super::RawMessage::offset(self)
    }

    fn timestamp(&self) -> Option<i64> {
        super::RawMessage::timestamp(self)
    }
}
