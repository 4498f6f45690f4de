//! [`RawMessage`]: a message's bytes before deserialization. A message from the
//! fetch loop keeps librdkafka's own copy (no copy of key or payload, headers
//! parsed on first use); one built by hand owns its bytes.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use rdkafka::message::{BorrowedMessage, Message as _};

/// A header: its name and, unless it was sent without one, its value.
pub type Header = (String, Option<Vec<u8>>);

/// A message as fetched: bytes only, nothing deserialized yet.
pub struct RawMessage {
    topic: Arc<str>,
    partition: i32,
    offset: i64,
    body: Body,
}

/// Boxed, so a fetched message (the common case) stays small to move around.
enum Body {
    Owned(Box<Owned>),
    Fetched(Fetched),
}

#[derive(Clone, Default)]
struct Owned {
    key: Option<Bytes>,
    payload: Option<Bytes>,
    headers: Vec<Header>,
    timestamp: Option<i64>,
}

/// librdkafka's message, held until the batch is dropped. Field order matters:
/// the message is freed before the lease is returned.
struct Fetched {
    message: BorrowedMessage<'static>,
    headers: OnceLock<Vec<Header>>,
    _lease: FetchLease,
}

/// Held by every fetched message; the consumer that fetched them is destroyed
/// only once no message holds one any more (see `GroupListener`'s drop).
#[derive(Clone, Default)]
pub(crate) struct FetchLease(Arc<()>);

impl FetchLease {
    /// Whether fetched messages still hold this lease.
    pub(crate) fn is_held(&self) -> bool {
        Arc::strong_count(&self.0) > 1
    }
}

impl RawMessage {
    /// Builds a raw message; used by the fetch loop and by tests of deserializers.
    pub fn new(topic: impl Into<Arc<str>>, partition: i32, offset: i64) -> Self {
        RawMessage {
            topic: topic.into(),
            partition,
            offset,
            body: Body::Owned(Box::default()),
        }
    }

    /// Wraps a message the fetch loop polled, without copying it.
    ///
    /// # Safety
    /// The consumer that returned `message` must not be destroyed while `lease`
    /// (which the returned value holds a clone of) is held.
    #[allow(unsafe_code)] // the one place a fetched message outlives its borrow
    pub(crate) unsafe fn fetched(
        topic: Arc<str>,
        message: BorrowedMessage<'_>,
        lease: &FetchLease,
    ) -> Self {
        let partition = message.partition();
        let offset = message.offset();
        // SAFETY: the lifetime only ties the message to its consumer, which the
        // caller keeps alive for as long as the lease is held.
        let message = unsafe {
            std::mem::transmute::<BorrowedMessage<'_>, BorrowedMessage<'static>>(message)
        };
        RawMessage {
            topic,
            partition,
            offset,
            body: Body::Fetched(Fetched {
                message,
                headers: OnceLock::new(),
                _lease: lease.clone(),
            }),
        }
    }

    fn owned(&mut self) -> &mut Owned {
        if let Body::Fetched(_) = self.body {
            self.body = Body::Owned(Box::new(self.to_owned_body()));
        }
        match &mut self.body {
            Body::Owned(owned) => owned,
            Body::Fetched(_) => unreachable!("converted above"),
        }
    }

    fn to_owned_body(&self) -> Owned {
        Owned {
            key: self.key().map(Bytes::copy_from_slice),
            payload: self.payload().map(Bytes::copy_from_slice),
            headers: self.headers().to_vec(),
            timestamp: self.timestamp(),
        }
    }

    /// Sets the payload.
    pub fn with_payload(mut self, payload: impl Into<Vec<u8>>) -> Self {
        self.owned().payload = Some(Bytes::from(payload.into()));
        self
    }

    /// Sets the key.
    pub fn with_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.owned().key = Some(Bytes::from(key.into()));
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.owned().headers.push((name.into(), Some(value.into())));
        self
    }

    /// Sets the timestamp (milliseconds since the Unix epoch).
    pub fn with_timestamp(mut self, timestamp: i64) -> Self {
        self.owned().timestamp = Some(timestamp);
        self
    }

    /// Adds a header that may have no value.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn push_header(&mut self, name: &str, value: Option<&[u8]>) {
        self.owned()
            .headers
            .push((name.to_owned(), value.map(<[u8]>::to_vec)));
    }

    /// Sets or clears the timestamp.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn set_timestamp(&mut self, timestamp: Option<i64>) {
        self.owned().timestamp = timestamp;
    }

    /// Topic the message came from.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub(crate) fn topic_arc(&self) -> &Arc<str> {
        &self.topic
    }

    /// Partition the message came from.
    pub fn partition(&self) -> i32 {
        self.partition
    }

    /// Offset of the message in its partition.
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The key's bytes, if the message has one.
    pub fn key(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Owned(owned) => owned.key.as_deref(),
            Body::Fetched(fetched) => fetched.message.key(),
        }
    }

    /// The payload's bytes; `None` for a tombstone.
    pub fn payload(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Owned(owned) => owned.payload.as_deref(),
            Body::Fetched(fetched) => fetched.message.payload(),
        }
    }

    /// Headers in the order they were sent; a header may have no value.
    pub fn headers(&self) -> &[Header] {
        match &self.body {
            Body::Owned(owned) => &owned.headers,
            Body::Fetched(fetched) => fetched
                .headers
                .get_or_init(|| read_headers(&fetched.message)),
        }
    }

    /// The value of the first header called `name`.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers()
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Create or log-append time in milliseconds since the Unix epoch.
    pub fn timestamp(&self) -> Option<i64> {
        match &self.body {
            Body::Owned(owned) => owned.timestamp,
            Body::Fetched(fetched) => fetched.message.timestamp().to_millis(),
        }
    }
}

impl Clone for RawMessage {
    /// A clone owns its bytes, so it may outlive the batch it came from.
    fn clone(&self) -> Self {
        let body = match &self.body {
            Body::Owned(owned) => owned.as_ref().clone(),
            Body::Fetched(_) => self.to_owned_body(),
        };
        RawMessage {
            topic: self.topic.clone(),
            partition: self.partition,
            offset: self.offset,
            body: Body::Owned(Box::new(body)),
        }
    }
}

impl std::fmt::Debug for RawMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawMessage")
            .field("topic", &self.topic())
            .field("partition", &self.partition)
            .field("offset", &self.offset)
            .field("key", &self.key().map(String::from_utf8_lossy))
            .field("payload_len", &self.payload().map(<[u8]>::len))
            .field("headers", &self.headers().len())
            .field("timestamp", &self.timestamp())
            .finish()
    }
}

/// The headers of a fetched message, through librdkafka's own API: rust-rdkafka
/// panics on a header name that is not UTF-8 (any client may send one), so
/// such a name is read with its invalid bytes replaced instead.
#[allow(unsafe_code)] // librdkafka's C API, on a message the caller keeps alive
fn read_headers(message: &BorrowedMessage<'_>) -> Vec<Header> {
    use rdkafka_sys::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR;
    let mut headers = std::ptr::null_mut();
    // SAFETY: the message is alive for this call; librdkafka keeps owning the headers.
    let found = unsafe { rdkafka_sys::rd_kafka_message_headers(message.ptr(), &mut headers) };
    if found != RD_KAFKA_RESP_ERR_NO_ERROR || headers.is_null() {
        return Vec::new();
    }
    // SAFETY: `headers` belongs to the live message.
    let count = unsafe { rdkafka_sys::rd_kafka_header_cnt(headers) };
    (0..count)
        .filter_map(|index| {
            let mut name = std::ptr::null();
            let mut value = std::ptr::null();
            let mut size = 0;
            // SAFETY: `index` is below the count; the out-pointers are valid locals.
            let read = unsafe {
                rdkafka_sys::rd_kafka_header_get_all(
                    headers, index, &mut name, &mut value, &mut size,
                )
            };
            if read != RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
                return None;
            }
            // SAFETY: librdkafka hands out a NUL-terminated name and `size` value
            // bytes, valid while the message is.
            let name = unsafe { std::ffi::CStr::from_ptr(name) }
                .to_string_lossy()
                .into_owned();
            let value = (!value.is_null())
                .then(|| unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) }.to_vec());
            Some((name, value))
        })
        .collect()
}
