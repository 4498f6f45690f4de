//! [`TopicPartition`]: one partition of one topic, the unit Kafka assigns.

use std::fmt;
use std::sync::Arc;

/// One partition of one topic: what Kafka assigns, pauses, seeks and commits,
/// and what karafka processes in order. Shown as `topic/partition`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    /// The topic's name.
    pub topic: Arc<str>,
    /// The partition's number.
    pub partition: i32,
}

impl TopicPartition {
    /// Partition `partition` of `topic`.
    pub fn new(topic: impl Into<Arc<str>>, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.topic, self.partition)
    }
}

#[cfg(test)]
mod tests {
    use super::TopicPartition;

    #[test]
    fn a_topic_partition_shows_as_topic_slash_partition() {
        assert_eq!(TopicPartition::new("users", 3).to_string(), "users/3");
    }
}
