//! The [`Outbox`] a responder writes to, and the validated [`Response`] it becomes.

use serde::Serialize;

use super::serializers::with_payload;
use super::TopicSpec;
use crate::error::{Error, Result};
use crate::producer::Record;

/// Per-message options of `Outbox::respond_to_with`: key, partition, headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RespondOptions {
    key: Option<Vec<u8>>,
    partition: Option<i32>,
    headers: Vec<(String, Vec<u8>)>,
}

impl RespondOptions {
    /// No key, partition or headers (the topic's declared ones apply).
    pub fn new() -> Self {
        RespondOptions::default()
    }

    /// Sets the message key, which chooses the partition unless one is given.
    pub fn key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sends the message to this partition.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Adds a header (headers keep their order; names may repeat).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A misuse seen while responding, kept even if the responder ignores the `Err`.
#[derive(Debug, Clone)]
enum Misuse {
    Undeclared(String),
    Repeated(&'static str),
    Unserializable {
        topic: &'static str,
        serializer: &'static str,
        reason: String,
    },
}

/// Collects the messages of one respond call, checking each against the
/// responder's declared topics and serializing it with the topic's serializer.
#[derive(Debug)]
pub struct Outbox {
    responder: &'static str,
    topics: &'static [TopicSpec],
    uses: Vec<usize>,
    records: Vec<Record>,
    misuse: Option<Misuse>,
}

impl Outbox {
    /// An empty outbox for the responder `responder` declaring `topics`.
    pub(crate) fn new(responder: &'static str, topics: &'static [TopicSpec]) -> Outbox {
        Outbox {
            responder,
            topics,
            uses: vec![0; topics.len()],
            records: Vec::new(),
            misuse: None,
        }
    }

    /// Writes `payload` to the declared `topic`, serialized with the topic's serializer.
    pub fn respond_to<T: Serialize + ?Sized>(&mut self, topic: &str, payload: &T) -> Result<()> {
        self.respond_to_with(topic, payload, RespondOptions::default())
    }

    /// Writes `payload` to the declared `topic` with a key, partition or headers.
    pub fn respond_to_with<T: Serialize + ?Sized>(
        &mut self,
        topic: &str,
        payload: &T,
        options: RespondOptions,
    ) -> Result<()> {
        let topics = self.topics;
        let Some(index) = topics.iter().position(|t| t.name() == topic) else {
            return Err(self.misuse(Misuse::Undeclared(topic.to_owned())));
        };
        let spec = &topics[index];
        self.uses[index] += 1;
        if self.uses[index] > 1 && !spec.multiple_usage() {
            return Err(self.misuse(Misuse::Repeated(spec.name())));
        }
        let bytes = match with_payload(payload, |p| spec.serializer().serialize(p)) {
            Ok(bytes) => bytes,
            Err(error) => {
                return Err(self.misuse(Misuse::Unserializable {
                    topic: spec.name(),
                    serializer: spec.serializer().name(),
                    reason: error.to_string(),
                }));
            }
        };
        self.records.push(Record {
            topic: spec.name().to_owned(),
            payload: Some(bytes),
            key: options
                .key
                .or_else(|| spec.key().map(|k| k.as_bytes().to_vec())),
            partition: options.partition.or(spec.partition()),
            headers: options.headers,
        });
        Ok(())
    }

    /// Messages written so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Checks the whole call (the first misuse, then required topics left out).
    pub(crate) fn finish(self) -> Result<Response> {
        if let Some(misuse) = &self.misuse {
            return Err(self.error(misuse));
        }
        if let Some(unused) = self
            .topics
            .iter()
            .zip(&self.uses)
            .find(|(spec, uses)| spec.required() && **uses == 0)
        {
            return Err(Error::ResponderUsage {
                responder: self.responder.to_owned(),
                topic: unused.0.name().to_owned(),
                reason: "is required but was not responded to (declare it with `required = false` to make it optional)".to_owned(),
            });
        }
        Ok(Response {
            responder: self.responder,
            records: self.records,
        })
    }

    /// Remembers the first misuse and returns its error.
    fn misuse(&mut self, misuse: Misuse) -> Error {
        let error = self.error(&misuse);
        self.misuse.get_or_insert(misuse);
        error
    }

    fn error(&self, misuse: &Misuse) -> Error {
        let responder = self.responder.to_owned();
        match misuse {
            Misuse::Undeclared(topic) => {
                let declared: Vec<&str> = self.topics.iter().map(|t| t.name()).collect();
                Error::ResponderUsage {
                    responder,
                    topic: topic.clone(),
                    reason: format!(
                        "is not declared by this responder (it declares: {})",
                        declared.join(", ")
                    ),
                }
            }
            Misuse::Repeated(topic) => Error::ResponderUsage {
                responder,
                topic: (*topic).to_owned(),
                reason: "was responded to more than once in one call (declare it with `multiple_usage = true` to allow that)".to_owned(),
            },
            Misuse::Unserializable {
                topic,
                serializer,
                reason,
            } => Error::Serialization {
                responder,
                topic: (*topic).to_owned(),
                serializer,
                reason: reason.clone(),
            },
        }
    }
}

/// The validated, serialized messages of one respond call, ready to send.
#[derive(Debug, Clone)]
pub struct Response {
    responder: &'static str,
    records: Vec<Record>,
}

impl Response {
    /// The responder's name.
    pub fn responder(&self) -> &'static str {
        self.responder
    }

    /// The messages, in the order the responder wrote them.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Sets the key and partition of every message and adds headers (the CLI's
    /// `--key`, `--partition` and `--header`, which win over the responder's).
    pub(crate) fn override_with(
        &mut self,
        key: Option<&[u8]>,
        partition: Option<i32>,
        headers: &[(String, Vec<u8>)],
    ) {
        for record in &mut self.records {
            if let Some(key) = key {
                record.key = Some(key.to_vec());
            }
            if partition.is_some() {
                record.partition = partition;
            }
            record.headers.extend(headers.iter().cloned());
        }
    }

    pub(crate) fn into_records(self) -> Vec<Record> {
        self.records
    }
}
