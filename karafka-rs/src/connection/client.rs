//! The settings of a consumer group's Kafka consumer.

use std::time::Duration;

use rdkafka::ClientConfig;

use crate::config::Config;
use crate::routing::ConsumerGroup;

/// The consumer settings of `group`; `statistics` is the interval the listeners
/// asked for (`[kafka] statistics.interval.ms` overrides it).
pub(crate) fn consumer_config(
    config: &Config,
    brokers: &str,
    group: &ConsumerGroup,
    statistics: Option<Duration>,
) -> ClientConfig {
    crate::client_config::consumer_config(
        config,
        brokers,
        &group.id,
        group.initial_offset(),
        statistics,
    )
}
