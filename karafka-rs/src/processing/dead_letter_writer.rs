//! Writes dead letter records off the fetch thread: the write runs on the
//! runtime and its acknowledgement comes back as [`Done::DeadLetter`], so a slow
//! write holds only its own partition (whose offset is stored only after the
//! acknowledgement), never the fetch loop.

use std::sync::Arc;

use super::core::{DeadLetter, PartitionKey};
use super::processor::{activity_label, Done, Processor};
use crate::error::{Error, Result};
use crate::messages::RawMessage;
use crate::producer::Delivery;

/// The outcome of one dead letter write.
pub(crate) struct Written {
    pub(crate) key: PartitionKey,
    pub(crate) generation: u64,
    /// The source offset.
    pub(crate) offset: i64,
    pub(crate) dead_letter_topic: Arc<str>,
    pub(crate) attempts: u32,
    pub(crate) result: Result<Delivery>,
}

impl Processor {
    /// Starts writing `letter` to its route's dead letter queue.
    pub(crate) fn write_dead_letter(&self, letter: DeadLetter<RawMessage>) {
        let DeadLetter {
            key,
            generation,
            message,
            attempts,
            error,
        } = letter;
        let offset = message.offset();
        let Some(dlq) = self
            .topics()
            .iter()
            .find(|t| t.name == key.topic)
            .and_then(|t| t.dead_letter_queue)
        else {
            return;
        };
        let record = super::dlq::record(&message, dlq.topic, &self.shared.group, attempts, &error);
        drop(message);
        self.shared.activity.started(
            activity_label(&self.shared.group.name, &key),
            format!(
                "writing {}/{}@{offset} to dead letter queue {}",
                key.topic, key.partition, dlq.topic
            ),
        );
        let producer = self.shared.dlq_producer.clone();
        let done = self.done_tx.clone();
        self.shared.runtime.spawn(async move {
            let result = match producer {
                Some(producer) => producer.send(&record).await,
                None => Err(Error::Internal(
                    "no producer for the dead letter queue".into(),
                )),
            };
            // The fetch loop outlives its writes; a send can only fail after a forced stop.
            let _ = done.send(Done::DeadLetter(Written {
                key,
                generation,
                offset,
                dead_letter_topic: Arc::from(dlq.topic),
                attempts,
                result,
            }));
        });
    }
}
