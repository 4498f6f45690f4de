//! librdkafka statistics (`statistics.interval.ms`) decoded into the payload of
//! `statistics.emitted`: the raw JSON, plus offsets and lag per partition.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

/// Payload of `statistics.emitted`: one librdkafka statistics report of a consumer group's client.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Statistics {
    /// Group name as routed.
    pub consumer_group: Arc<str>,
    /// librdkafka's name of the client (`rdkafka#consumer-1`).
    pub client_name: String,
    /// The partitions this client fetches, sorted by topic and partition.
    pub partitions: Vec<PartitionStatistics>,
    /// The whole report as librdkafka emitted it (JSON; see librdkafka's STATISTICS.md).
    pub raw: Arc<str>,
}

/// Offsets and lag of one partition, from a statistics report; `None` where librdkafka reports -1 (unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartitionStatistics {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition number.
    pub partition: i32,
    /// librdkafka's fetch state (`active`, `offset-query`, ...).
    pub fetch_state: String,
    /// The partition's high watermark (end offset) as last fetched.
    pub high_watermark: Option<i64>,
    /// The last committed offset.
    pub committed_offset: Option<i64>,
    /// The last stored offset: the next message to process, stored once its predecessors succeeded.
    pub stored_offset: Option<i64>,
    /// Messages between the committed offset and the high watermark.
    pub consumer_lag: Option<i64>,
    /// Messages between the stored offset and the high watermark: what is left to process.
    pub consumer_lag_stored: Option<i64>,
}

impl PartitionStatistics {
    /// Messages left to process: the stored lag, or the committed lag before anything was stored.
    pub fn lag(&self) -> Option<i64> {
        self.consumer_lag_stored.or(self.consumer_lag)
    }
}

#[derive(Deserialize)]
struct RawReport {
    #[serde(default)]
    name: String,
    #[serde(default)]
    topics: BTreeMap<String, RawTopic>,
}

#[derive(Deserialize)]
struct RawTopic {
    #[serde(default)]
    partitions: BTreeMap<String, RawPartition>,
}

#[derive(Deserialize)]
struct RawPartition {
    partition: i32,
    #[serde(default)]
    fetch_state: String,
    #[serde(default = "unknown")]
    hi_offset: i64,
    #[serde(default = "unknown")]
    committed_offset: i64,
    #[serde(default = "unknown")]
    stored_offset: i64,
    #[serde(default = "unknown")]
    consumer_lag: i64,
    #[serde(default = "unknown")]
    consumer_lag_stored: i64,
}

fn unknown() -> i64 {
    -1
}

fn known(value: i64) -> Option<i64> {
    (value >= 0).then_some(value)
}

impl Statistics {
    /// Decodes a librdkafka statistics report; keeps the partitions the client fetches
    /// (not the internal `-1` partition, nor partitions in fetch state `none`).
    pub fn decode(consumer_group: Arc<str>, raw: &[u8]) -> Result<Statistics, String> {
        let text = std::str::from_utf8(raw).map_err(|e| format!("not UTF-8: {e}"))?;
        let report: RawReport = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut partitions = Vec::new();
        for (topic_name, topic) in report.topics {
            let topic_name: Arc<str> = Arc::from(topic_name);
            for partition in topic.partitions.into_values() {
                if partition.partition < 0 || partition.fetch_state == "none" {
                    continue;
                }
                partitions.push(PartitionStatistics {
                    topic: topic_name.clone(),
                    partition: partition.partition,
                    fetch_state: partition.fetch_state,
                    high_watermark: known(partition.hi_offset),
                    committed_offset: known(partition.committed_offset),
                    stored_offset: known(partition.stored_offset),
                    consumer_lag: known(partition.consumer_lag),
                    consumer_lag_stored: known(partition.consumer_lag_stored),
                });
            }
        }
        partitions.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(Statistics {
            consumer_group,
            client_name: report.name,
            partitions,
            raw: Arc::from(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = r#"{
        "name": "rdkafka#consumer-3", "type": "consumer",
        "topics": { "events": { "topic": "events", "partitions": {
            "0": { "partition": 0, "fetch_state": "active", "hi_offset": 120,
                   "committed_offset": 100, "stored_offset": 110,
                   "consumer_lag": 20, "consumer_lag_stored": 10 },
            "1": { "partition": 1, "fetch_state": "none", "hi_offset": -1,
                   "committed_offset": -1, "stored_offset": -1,
                   "consumer_lag": -1, "consumer_lag_stored": -1 },
            "2": { "partition": 2, "fetch_state": "active", "hi_offset": 5,
                   "committed_offset": 3, "stored_offset": -1,
                   "consumer_lag": 2, "consumer_lag_stored": -1 },
            "-1": { "partition": -1, "fetch_state": "none" } } } }
    }"#;

    #[test]
    fn fetched_partitions_are_decoded_with_their_lag() {
        let stats = Statistics::decode(Arc::from("g"), REPORT.as_bytes()).unwrap();
        assert_eq!(stats.client_name, "rdkafka#consumer-3");
        let found: Vec<(i32, Option<i64>, Option<i64>)> = stats
            .partitions
            .iter()
            .map(|p| (p.partition, p.high_watermark, p.lag()))
            .collect();
        assert_eq!(found, [(0, Some(120), Some(10)), (2, Some(5), Some(2))]);
        assert!(stats.raw.contains("rdkafka#consumer-3"));
    }

    #[test]
    fn a_report_that_is_not_json_is_an_error() {
        assert!(Statistics::decode(Arc::from("g"), b"{oops").is_err());
    }
}
