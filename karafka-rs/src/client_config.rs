//! librdkafka settings (rdkafka's `ClientConfig`) of every client karafka creates:
//! consumer groups' consumers, the producer, admin clients and the CLI's reader.

use std::time::Duration;

use rdkafka::ClientConfig;

use crate::config::{Config, InitialOffset};

/// Settings karafka chooses; anything in `[kafka]` overrides them (except the reserved keys).
const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "true"),
    ("auto.commit.interval.ms", "5000"),
    ("enable.partition.eof", "false"),
    // librdkafka's default of 1000 ms idles a consumer that is a little slower than
    // the broker for most of each second once its fetch queue has filled.
    ("fetch.queue.backoff.ms", "10"),
    // A partition resumed after a pause (backpressure, retry) is fetched only once
    // the long poll in flight returns; librdkafka's 500 ms default starved a
    // 4-partition worker pool to half its speed.
    ("fetch.wait.max.ms", "50"),
];

/// The consumer settings of the consumer group `group_id`; `statistics` is the
/// interval the listeners asked for (`[kafka] statistics.interval.ms` overrides it).
pub(crate) fn consumer_config(
    config: &Config,
    brokers: &str,
    group_id: &str,
    initial_offset: InitialOffset,
    statistics: Option<Duration>,
) -> ClientConfig {
    let mut client = base_config(config, brokers);
    client
        .set("group.id", group_id)
        .set("auto.offset.reset", initial_offset.name());
    for (key, value) in CONSUMER_DEFAULTS {
        client.set(*key, *value);
    }
    if let Some(interval) = statistics {
        client.set(
            "statistics.interval.ms",
            interval.as_millis().max(1).to_string(),
        );
    }
    apply_user_settings(&mut client, config, Role::Consumer);
    // Set last: at-least-once depends on it and the config validation forbids overriding it.
    client.set("enable.auto.offset.store", "false");
    client
}

/// The settings of the process's producer.
pub(crate) fn producer_config(config: &Config, brokers: &str) -> ClientConfig {
    let mut client = base_config(config, brokers);
    client
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", "30000");
    apply_user_settings(&mut client, config, Role::Producer);
    client
}

/// The settings of a consumer outside any consumer group's work (the CLI's
/// `consume`): it reads assigned partitions and never commits.
pub(crate) fn reader_config(config: &Config, brokers: &str) -> ClientConfig {
    let mut client = base_config(config, brokers);
    client
        .set("group.id", format!("{}_cli_reader", config.client_id))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false");
    apply_user_settings(&mut client, config, Role::Consumer);
    client.set("enable.auto.offset.store", "false");
    client
}

fn base_config(config: &Config, brokers: &str) -> ClientConfig {
    let mut client = ClientConfig::new();
    client
        .set("bootstrap.servers", brokers)
        .set("client.id", &config.client_id)
        .set(
            "socket.connection.setup.timeout.ms",
            config.connect_timeout.to_string(),
        );
    client
}

/// Which kind of client a `[kafka]` setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Consumer,
    Producer,
}

/// Prefixes of librdkafka settings that only one kind of client understands; the
/// other kind would warn about each of them (CONFWARN) at every start.
const CONSUMER_ONLY: &[&str] = &[
    "group.",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "auto.offset.reset",
    "auto.commit.",
    "enable.auto.commit",
    "fetch.",
    "queued.",
    "enable.partition.eof",
    "check.crcs",
    "partition.assignment.strategy",
    "isolation.level",
    "consume.callback.max.messages",
    "coordinator.query.interval.ms",
];
const PRODUCER_ONLY: &[&str] = &[
    "acks",
    "request.required.acks",
    "linger.ms",
    "queue.buffering.",
    "batch.",
    "compression.",
    "enable.idempotence",
    "message.timeout.ms",
    "delivery.timeout.ms",
    "retries",
    "message.send.max.retries",
    "transactional.id",
    "transaction.timeout.ms",
    "partitioner",
    "sticky.partitioning.linger.ms",
    "request.timeout.ms",
    "enable.gapless.guarantee",
    "queuing.strategy",
    "produce.offset.report",
];

fn is_for(role: Role, key: &str) -> bool {
    let foreign = match role {
        Role::Consumer => PRODUCER_ONLY,
        Role::Producer => CONSUMER_ONLY,
    };
    !foreign.iter().any(|prefix| key.starts_with(prefix))
}

fn apply_user_settings(client: &mut ClientConfig, config: &Config, role: Role) {
    for (key, value) in config.kafka.iter().filter(|(k, _)| is_for(role, k)) {
        client.set(key, value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_settings_are_kept_from_producers_and_back() {
        assert!(!is_for(Role::Producer, "session.timeout.ms"));
        assert!(is_for(Role::Consumer, "session.timeout.ms"));
        assert!(!is_for(Role::Consumer, "linger.ms"));
        assert!(is_for(Role::Producer, "linger.ms"));
        assert!(is_for(Role::Producer, "statistics.interval.ms"));
        assert!(is_for(Role::Consumer, "statistics.interval.ms"));
    }
}
