//! What travels through the Web UI's topics, as JSON: each server process's
//! state report, its errors, and the commands the UI sends with their
//! acknowledgements.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One server process's state, published every `web.report_interval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Which process.
    pub process: ProcessInfo,
    /// `running`, `quieting`, `stopping` or `stopped`.
    pub status: String,
    /// When the report was made, in ms since the Unix epoch.
    pub at: i64,
    /// Totals since the process started.
    pub counters: Counters,
    /// Its consumer groups by name, with the partitions it owns.
    pub groups: BTreeMap<String, Vec<PartitionReport>>,
}

/// Identifies a server process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessInfo {
    /// `host:pid:client_id`: what commands address.
    pub id: String,
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The app's `client_id`.
    pub client_id: String,
    /// When it started, in ms since the Unix epoch.
    pub started_at: i64,
    /// How often it reports, in ms.
    pub interval: u64,
}

/// Totals of one process since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Batches consumed successfully.
    pub batches: u64,
    /// Messages consumed successfully.
    pub messages: u64,
    /// `error.occurred` events.
    pub errors: u64,
    /// Retries scheduled.
    pub retries: u64,
    /// Messages written to dead letter queues.
    pub dead: u64,
}

/// One owned partition of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionReport {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// `running`, `paused` (backpressure or a command) or `retrying`.
    pub state: String,
    /// The last offset consumed successfully.
    pub last_offset: Option<i64>,
    /// The job running now, if any.
    pub job: Option<JobReport>,
}

/// A batch being consumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobReport {
    /// The consumer's type name.
    pub consumer: String,
    /// First offset of the batch.
    pub first_offset: i64,
    /// Last offset of the batch.
    pub last_offset: i64,
    /// Which attempt.
    pub attempt: u32,
    /// When it started, in ms since the Unix epoch.
    pub started_at: i64,
}

/// One `error.occurred` of a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// The process's id.
    pub process_id: String,
    /// The error type (`consumer.consume.error`, ...).
    pub error_type: String,
    /// Its consumer group, if any.
    pub consumer_group: Option<String>,
    /// Its topic, if any.
    pub topic: Option<String>,
    /// Its partition, if any.
    pub partition: Option<i32>,
    /// The first offset of the failed batch, if any.
    pub offset: Option<i64>,
    /// Which attempt failed, for consumer errors.
    pub attempt: Option<u32>,
    /// The error and its causes, as text.
    pub error: String,
    /// When, in ms since the Unix epoch.
    pub at: i64,
}

/// What a command asks of a process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Stop fetching a partition until resumed.
    Pause {
        /// The consumer group.
        consumer_group: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// Fetch a paused partition again.
    Resume {
        /// The consumer group.
        consumer_group: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
    },
    /// Quiet mode: finish running work, start none.
    Quiet,
    /// Stop gracefully.
    Stop,
}

impl Action {
    /// What the action does, in words.
    pub fn describe(&self) -> String {
        match self {
            Action::Pause {
                consumer_group,
                topic,
                partition,
            } => format!("pause {topic}/{partition} of {consumer_group}"),
            Action::Resume {
                consumer_group,
                topic,
                partition,
            } => format!("resume {topic}/{partition} of {consumer_group}"),
            Action::Quiet => "quiet".to_owned(),
            Action::Stop => "stop".to_owned(),
        }
    }
}

/// A message of the commands topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommandMessage {
    /// The UI asks `process_id` to do something.
    Command {
        /// Identifies the command.
        id: String,
        /// The process it is for.
        process_id: String,
        /// What to do.
        #[serde(flatten)]
        action: Action,
        /// When it was sent, in ms since the Unix epoch.
        at: i64,
    },
    /// A process says what it did.
    Ack {
        /// The command's id.
        id: String,
        /// The process that acknowledges.
        process_id: String,
        /// `Ok`, or why it could not.
        result: Result<(), String>,
        /// When, in ms since the Unix epoch.
        at: i64,
    },
}

/// Now, in ms since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_acknowledgements_read_back_as_written() {
        let command = CommandMessage::Command {
            id: "c1".into(),
            process_id: "h:1:app".into(),
            action: Action::Pause {
                consumer_group: "example".into(),
                topic: "users".into(),
                partition: 2,
            },
            at: 5,
        };
        let ack = CommandMessage::Ack {
            id: "c1".into(),
            process_id: "h:1:app".into(),
            result: Err("not owned".into()),
            at: 6,
        };
        for message in [command, ack] {
            let json = serde_json::to_string(&message).unwrap();
            assert_eq!(
                serde_json::from_str::<CommandMessage>(&json).unwrap(),
                message
            );
        }
    }
}
