//! Consumer groups, any group on the cluster: list, describe, lag per
//! partition, seek, copy, rename and delete.
//!
//! Changing a group's offsets commits them as that group without joining it,
//! which is only safe while it has no members: every change first describes
//! the group and refuses while it has any.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use serde::Serialize;

use super::offsets::{self, Listed, Partition};
use super::{admin_error, assignment, time, Admin};
use crate::error::{Error, Result};

/// A consumer group as `groups list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    /// The group id.
    pub name: String,
    /// `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance` or `Dead`.
    pub state: String,
    /// `consumer` for Kafka consumers.
    pub protocol_type: String,
    /// How many members it has now.
    pub members: usize,
}

/// A consumer group with its members and their assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupDescription {
    /// The group id.
    pub name: String,
    /// `Stable`, `Empty`, `PreparingRebalance`, `CompletingRebalance` or `Dead`.
    pub state: String,
    /// `consumer` for Kafka consumers.
    pub protocol_type: String,
    /// The assignment strategy in use (`range`, `roundrobin`, ...).
    pub protocol: String,
    /// Its members now.
    pub members: Vec<GroupMember>,
}

/// One member of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupMember {
    /// The member id the coordinator gave it.
    pub id: String,
    /// The `client.id` of its client.
    pub client_id: String,
    /// The host it connects from.
    pub host: String,
    /// Topic to the partitions assigned to it.
    pub assignment: BTreeMap<String, Vec<i32>>,
}

/// How far a group is behind on one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionLag {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The group's committed offset (`None`: it committed none).
    pub committed: Option<i64>,
    /// The partition's end offset (the offset the next message will get).
    pub end: i64,
    /// `end - committed`, when there is a committed offset (negative only when
    /// the broker reports a wrong end, as Tansu does after batched produces).
    pub lag: Option<i64>,
}

/// Where [`Admin::seek_group`] moves a group's offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekTarget {
    /// The oldest message still on the broker.
    Earliest,
    /// After the last message: only new messages are consumed.
    Latest,
    /// This offset (within the partition's range).
    Offset(i64),
    /// The first message at or after this time, in ms since the Unix epoch
    /// (the end when there is none).
    Time(i64),
}

impl FromStr for SeekTarget {
    type Err = String;

    /// `earliest`, `latest`, an offset, or an RFC 3339 time (`2026-11-30T10:00:00Z`).
    fn from_str(text: &str) -> std::result::Result<SeekTarget, String> {
        match text {
            "earliest" => Ok(SeekTarget::Earliest),
            "latest" => Ok(SeekTarget::Latest),
            _ => {
                if let Ok(offset) = text.parse::<i64>() {
                    return if offset >= 0 {
                        Ok(SeekTarget::Offset(offset))
                    } else {
                        Err(format!("offset {offset} is negative"))
                    };
                }
                time::parse_millis(text).map(SeekTarget::Time).ok_or_else(|| {
                    format!("`{text}` is not earliest, latest, an offset or an RFC 3339 time such as 2026-11-30T10:00:00Z")
                })
            }
        }
    }
}

/// A group's offset on one partition before and after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OffsetChange {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset committed before (`None`: none).
    pub from: Option<i64>,
    /// The offset committed now.
    pub to: i64,
}

impl Admin {
    /// Every consumer group on the cluster, sorted by name.
    pub async fn groups(&self) -> Result<Vec<GroupSummary>> {
        let mut groups: Vec<GroupSummary> = self
            .describe(None)
            .await?
            .into_iter()
            .map(|g| GroupSummary {
                name: g.name,
                state: g.state,
                protocol_type: g.protocol_type,
                members: g.members.len(),
            })
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }

    /// `group`'s state, members and assignments (a group the cluster does not
    /// know is `Dead` with no members).
    pub async fn describe_group(&self, group: &str) -> Result<GroupDescription> {
        let mut found = self.describe(Some(group)).await?;
        Ok(match found.iter().position(|g| g.name == group) {
            Some(i) => found.swap_remove(i),
            None => GroupDescription {
                name: group.to_owned(),
                state: "Dead".to_owned(),
                protocol_type: String::new(),
                protocol: String::new(),
                members: Vec::new(),
            },
        })
    }

    async fn describe(&self, group: Option<&str>) -> Result<Vec<GroupDescription>> {
        let group = group.map(str::to_owned);
        self.blocking(move |admin| {
            let what = match &group {
                Some(g) => format!("describing group `{g}`"),
                None => "listing consumer groups".to_owned(),
            };
            let list = admin
                .client()?
                .inner()
                .fetch_group_list(group.as_deref(), admin.timeout())
                .map_err(|e| match e {
                    KafkaError::GroupListFetch(RDKafkaErrorCode::OperationTimedOut) => {
                        admin.unreachable(format!("{what}: {e}"))
                    }
                    _ => Error::Admin(format!(
                        "{what} on {}: {e} (the brokers need the ListGroups and DescribeGroups APIs, which the embedded development broker lacks)",
                        admin.brokers()
                    )),
                })?;
            Ok(list
                .groups()
                .iter()
                .map(|g| GroupDescription {
                    name: g.name().to_owned(),
                    state: g.state().to_owned(),
                    protocol_type: g.protocol_type().to_owned(),
                    protocol: g.protocol().to_owned(),
                    members: g
                        .members()
                        .iter()
                        .map(|m| GroupMember {
                            id: m.id().to_owned(),
                            client_id: m.client_id().to_owned(),
                            host: m.client_host().to_owned(),
                            assignment: m
                                .assignment()
                                .and_then(assignment::parse)
                                .unwrap_or_default(),
                        })
                        .collect(),
                })
                .collect())
        })
        .await
    }

    /// Per partition, `group`'s committed offset, the end offset and the lag:
    /// every partition it committed an offset for, and every partition of the
    /// topics the app routes to it.
    pub async fn group_lag(&self, group: &str) -> Result<Vec<PartitionLag>> {
        let group = group.to_owned();
        self.blocking(move |admin| {
            let reader = admin.reader(Some(&group))?;
            let committed = admin.group_offsets(&reader, &group, None)?;
            let partitions: Vec<Partition> = committed.keys().cloned().collect();
            let ends = offsets::listed(&admin, &reader, &partitions, Listed::Latest)?;
            Ok(committed
                .into_iter()
                .map(|((topic, partition), committed)| {
                    let end = ends.get(&(topic.clone(), partition)).copied().unwrap_or(0);
                    PartitionLag {
                        topic,
                        partition,
                        committed,
                        end,
                        lag: committed.map(|c| end - c),
                    }
                })
                .collect())
        })
        .await
    }

    /// The partitions of `group` (those it committed offsets for, plus every
    /// partition of its routed topics; only `topic`'s when given) with its
    /// committed offsets.
    fn group_offsets(
        &self,
        reader: &rdkafka::consumer::BaseConsumer<crate::redaction::Redactor>,
        group: &str,
        topic: Option<&str>,
    ) -> Result<BTreeMap<Partition, Option<i64>>> {
        let cluster = offsets::topic_partitions(self, reader, topic)?;
        if let Some(topic) = topic {
            if !cluster.contains_key(topic) {
                return Err(Error::Admin(format!(
                    "topic `{topic}` does not exist on {}",
                    self.brokers()
                )));
            }
        }
        let routed: BTreeSet<&str> = self
            .routed
            .get(group)
            .map(|topics| topics.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let committed = offsets::committed(self, reader, &offsets::all_partitions(&cluster))?;
        Ok(committed
            .into_iter()
            .filter(|((t, _), offset)| {
                topic.is_some() || offset.is_some() || routed.contains(t.as_str())
            })
            .collect())
    }

    /// Moves `group`'s offsets to `to`: on every partition it has (see
    /// [`Admin::group_lag`]), on `topic`'s partitions, or on one partition.
    /// Refused while the group has members.
    pub async fn seek_group(
        &self,
        group: &str,
        to: SeekTarget,
        topic: Option<&str>,
        partition: Option<i32>,
    ) -> Result<Vec<OffsetChange>> {
        if partition.is_some() && topic.is_none() {
            return Err(Error::Admin(
                "a partition needs its topic: give --topic too".to_owned(),
            ));
        }
        self.ensure_inactive(group, "seek").await?;
        let (group, topic) = (group.to_owned(), topic.map(str::to_owned));
        self.blocking(move |admin| {
            let reader = admin.reader(Some(&group))?;
            let mut current = admin.group_offsets(&reader, &group, topic.as_deref())?;
            if let (Some(topic), Some(partition)) = (&topic, partition) {
                let key = (topic.clone(), partition);
                let Some(offset) = current.remove(&key) else {
                    return Err(Error::Admin(format!(
                        "topic `{topic}` has no partition {partition}"
                    )));
                };
                current = BTreeMap::from([(key, offset)]);
            }
            if current.is_empty() {
                return Err(Error::Admin(format!(
                    "group `{group}` has no committed offsets and the app routes no topic to it: name one with --topic"
                )));
            }
            let partitions: Vec<Partition> = current.keys().cloned().collect();
            let targets = match to {
                SeekTarget::Earliest => offsets::listed(&admin, &reader, &partitions, Listed::Earliest)?,
                SeekTarget::Latest => offsets::listed(&admin, &reader, &partitions, Listed::Latest)?,
                SeekTarget::Time(ms) => offsets::listed(&admin, &reader, &partitions, Listed::At(ms))?,
                SeekTarget::Offset(offset) => {
                    let low = offsets::listed(&admin, &reader, &partitions, Listed::Earliest)?;
                    let high = offsets::listed(&admin, &reader, &partitions, Listed::Latest)?;
                    for key in &partitions {
                        let (low, high) = (low.get(key).copied().unwrap_or(0), high.get(key).copied().unwrap_or(0));
                        if offset < low || offset > high {
                            return Err(Error::Admin(format!(
                                "offset {offset} is outside {}/{}'s range {low}..={high}",
                                key.0, key.1
                            )));
                        }
                    }
                    partitions.iter().map(|key| (key.clone(), offset)).collect()
                }
            };
            offsets::commit(&reader, &group, &targets)?;
            Ok(changes(&current, &targets))
        })
        .await
    }

    /// Gives group `to` the committed offsets of group `from` (`to` keeps its
    /// offsets on other partitions). Refused while `to` has members.
    pub async fn copy_group(&self, from: &str, to: &str) -> Result<Vec<OffsetChange>> {
        if from == to {
            return Err(Error::Admin(format!(
                "cannot copy group `{from}` onto itself"
            )));
        }
        self.ensure_inactive(to, "copy onto").await?;
        let (from, to) = (from.to_owned(), to.to_owned());
        self.blocking(move |admin| {
            let source = admin.reader(Some(&from))?;
            let offsets: BTreeMap<Partition, i64> = admin
                .group_offsets(&source, &from, None)?
                .into_iter()
                .filter_map(|(key, offset)| offset.map(|o| (key, o)))
                .collect();
            if offsets.is_empty() {
                return Err(Error::Admin(format!(
                    "group `{from}` has no committed offsets to copy"
                )));
            }
            let target = admin.reader(Some(&to))?;
            let partitions: Vec<Partition> = offsets.keys().cloned().collect();
            let before = offsets::committed(&admin, &target, &partitions)?;
            offsets::commit(&target, &to, &offsets)?;
            Ok(changes(&before, &offsets))
        })
        .await
    }

    /// Copies `from`'s offsets to `to`, then deletes `from`. Refused while either has members.
    pub async fn rename_group(&self, from: &str, to: &str) -> Result<Vec<OffsetChange>> {
        self.ensure_inactive(from, "rename").await?;
        let changes = self.copy_group(from, to).await?;
        self.delete_group(from).await?;
        Ok(changes)
    }

    /// Deletes `group` and its committed offsets. Refused while it has members.
    pub async fn delete_group(&self, group: &str) -> Result<()> {
        self.ensure_inactive(group, "delete").await?;
        let results = self
            .client()?
            .delete_groups(&[group], &self.options())
            .await
            .map_err(|e| Error::kafka(format!("deleting group `{group}`"), e))?;
        for result in results {
            match result {
                Ok(_) => {}
                Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {
                    return Err(Error::Admin(format!(
                        "no group `{group}` on {}",
                        self.brokers()
                    )))
                }
                Err((_, RDKafkaErrorCode::NonEmptyGroup)) => {
                    return Err(Error::GroupActive {
                        group: group.to_owned(),
                        action: "delete".to_owned(),
                        state: "not empty".to_owned(),
                        members: 0,
                    })
                }
                Err((_, code)) => {
                    return Err(admin_error(format!("deleting group `{group}`"), code))
                }
            }
        }
        Ok(())
    }

    /// Fails while `group` has members: committing offsets from outside would
    /// race with theirs.
    async fn ensure_inactive(&self, group: &str, action: &str) -> Result<()> {
        let description = self.describe_group(group).await?;
        if description.members.is_empty() {
            return Ok(());
        }
        Err(Error::GroupActive {
            group: group.to_owned(),
            action: action.to_owned(),
            state: description.state,
            members: description.members.len(),
        })
    }
}

fn changes(
    before: &BTreeMap<Partition, Option<i64>>,
    after: &BTreeMap<Partition, i64>,
) -> Vec<OffsetChange> {
    after
        .iter()
        .map(|((topic, partition), to)| OffsetChange {
            topic: topic.clone(),
            partition: *partition,
            from: before.get(&(topic.clone(), *partition)).copied().flatten(),
            to: *to,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::SeekTarget;

    #[test]
    fn seek_targets_are_named_offsets_or_times() {
        assert_eq!("earliest".parse(), Ok(SeekTarget::Earliest));
        assert_eq!("latest".parse(), Ok(SeekTarget::Latest));
        assert_eq!("42".parse(), Ok(SeekTarget::Offset(42)));
        assert_eq!("1970-01-01T00:00:01Z".parse(), Ok(SeekTarget::Time(1_000)));
        let error = "soon".parse::<SeekTarget>().unwrap_err();
        assert!(error.contains("RFC 3339"), "{error}");
        assert!("-1".parse::<SeekTarget>().is_err());
    }
}
