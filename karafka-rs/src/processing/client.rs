//! What the processing asks of the consumer client: store an offset, pause a
//! partition, seek it and resume it. The server's rdkafka consumer implements
//! it; so does the in-memory client of [`crate::testing`].

/// The partition operations the processing needs from a consumer client.
pub(crate) trait PartitionClient {
    /// Stores `next` (the offset after the last processed message) for committing.
    fn store_offset(&self, topic: &str, partition: i32, next: i64) -> Result<(), String>;

    /// Stops fetching the partition.
    fn pause(&self, topic: &str, partition: i32) -> Result<(), String>;

    /// Fetches the partition again from `offset`.
    fn seek_and_resume(&self, topic: &str, partition: i32, offset: i64) -> Result<(), String>;
}
