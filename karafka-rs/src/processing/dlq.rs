//! Dead letter queue records: the failing message as it was, plus headers that
//! say where it came from and why it is here.

use crate::messages::RawMessage;
use crate::producer::Record;
use crate::routing::ConsumerGroup;

/// Header names karafka adds to a dead-lettered message.
pub mod headers {
    /// Topic the message was consumed from.
    pub const SOURCE_TOPIC: &str = "source_topic";
    /// Its partition.
    pub const SOURCE_PARTITION: &str = "source_partition";
    /// Its offset.
    pub const SOURCE_OFFSET: &str = "source_offset";
    /// The Kafka `group.id` of the consumer group that gave up on it (`<client_id>_<name>`).
    pub const SOURCE_CONSUMER_GROUP: &str = "source_consumer_group";
    /// That consumer group's name in the routes.
    pub const SOURCE_ROUTE_GROUP: &str = "source_route_group";
    /// How many times it was attempted.
    pub const ATTEMPTS: &str = "source_attempts";
    /// The last error.
    pub const ERROR: &str = "source_error";
}

/// The record sent to `dlq_topic` for `message`: same key, payload and headers, plus ours.
pub(crate) fn record(
    message: &RawMessage,
    dlq_topic: &str,
    group: &ConsumerGroup,
    attempts: u32,
    error: &str,
) -> Record {
    let mut record = Record {
        topic: dlq_topic.to_owned(),
        payload: message.payload().map(<[u8]>::to_vec),
        key: message.key().map(<[u8]>::to_vec),
        partition: None,
        headers: message
            .headers()
            .iter()
            .map(|(name, value)| (name.clone(), value.clone().unwrap_or_default()))
            .collect(),
    };
    for (name, value) in [
        (headers::SOURCE_TOPIC, message.topic().to_owned()),
        (headers::SOURCE_PARTITION, message.partition().to_string()),
        (headers::SOURCE_OFFSET, message.offset().to_string()),
        (headers::SOURCE_CONSUMER_GROUP, group.id.clone()),
        (headers::SOURCE_ROUTE_GROUP, group.name.to_string()),
        (headers::ATTEMPTS, attempts.to_string()),
        (headers::ERROR, error.to_owned()),
    ] {
        record.headers.push((name.to_owned(), value.into_bytes()));
    }
    record
}
