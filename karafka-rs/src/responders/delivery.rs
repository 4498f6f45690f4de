//! Sending a validated [`Response`]: waiting for every acknowledgement (`call`),
//! or queueing now and reporting failures as events later (`call_async`).

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use rdkafka::error::{KafkaError, RDKafkaErrorCode};

use super::{Delivered, Responded, Response};
use crate::error::{Error, Result};
use crate::instrumentation::{ErrorOccurred, ErrorType, Event, Monitor, ResponderResponded};
use crate::producer::{Pending, Producer, Record};

/// Queues every message of `response` in order and waits for all acknowledgements;
/// fails with the first failed message's error (naming its topic).
pub(crate) async fn deliver(
    producer: Producer,
    response: Response,
    monitor: Option<Monitor>,
) -> Result<Responded> {
    let started = Instant::now();
    let responder = response.responder();
    let records = response.into_records();
    let mut pending = Vec::with_capacity(records.len());
    let mut queue_error = None;
    for record in &records {
        match producer.enqueue(record).await {
            Ok(p) => pending.push(p),
            Err(error) => {
                // Stop here, but still wait for what is already queued.
                queue_error = Some(error);
                break;
            }
        }
    }
    let acknowledged = futures::future::join_all(pending.into_iter().map(Pending::delivered)).await;
    let mut deliveries = Vec::with_capacity(acknowledged.len());
    let mut first_error = None;
    for (record, result) in records.iter().zip(acknowledged) {
        match result {
            Ok(delivery) => deliveries.push(Delivered {
                topic: record.topic.clone(),
                partition: delivery.partition,
                offset: delivery.offset,
            }),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    if let Some(error) = first_error.or(queue_error) {
        return Err(error);
    }
    if let Some(monitor) = monitor {
        monitor.instrument(responded(responder, &records, started));
    }
    Ok(Responded {
        responder,
        deliveries,
    })
}

/// Queues the messages of `response` now, in order (so consecutive calls keep
/// their order), and reports their outcome from a background task.
pub(crate) fn deliver_in_background(
    producer: Producer,
    response: Response,
    monitor: Option<Monitor>,
) {
    let started = Instant::now();
    let responder = response.responder();
    let records = response.into_records();
    let mut queued = Vec::with_capacity(records.len());
    let mut waiting: Vec<&Record> = Vec::new();
    let mut failures = Vec::new();
    for record in &records {
        if !waiting.is_empty() {
            waiting.push(record);
            continue;
        }
        match producer.try_enqueue(record) {
            Ok(pending) => queued.push(pending),
            // The local queue is full: the task offers this one and the rest again.
            Err(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)) => waiting.push(record),
            Err(error) => failures.push(producer.delivery_error(&record.topic, error)),
        }
    }
    let waiting: Vec<Record> = waiting.into_iter().cloned().collect();
    let task = async move {
        for record in &waiting {
            match producer.enqueue(record).await {
                Ok(pending) => queued.push(pending),
                Err(error) => failures.push(error),
            }
        }
        let acknowledged =
            futures::future::join_all(queued.into_iter().map(Pending::delivered)).await;
        failures.extend(acknowledged.into_iter().filter_map(Result::err));
        report(monitor, responder, &records, started, failures);
    };
    spawn(task);
}

/// Emits `responder.responded`, or one `error.occurred` per failed message.
fn report(
    monitor: Option<Monitor>,
    responder: &'static str,
    records: &[Record],
    started: Instant,
    failures: Vec<Error>,
) {
    let Some(monitor) = monitor else {
        for error in failures {
            tracing::error!(target: "karafka", "{responder}: {error}");
        }
        return;
    };
    if failures.is_empty() {
        monitor.instrument(responded(responder, records, started));
    }
    for error in failures {
        let topic = match &error {
            Error::Delivery { topic, .. } => Some(Arc::from(topic.as_str())),
            _ => None,
        };
        monitor.instrument(Event::ErrorOccurred(ErrorOccurred {
            error_type: ErrorType::ProducerDelivery,
            consumer_group: None,
            topic,
            partition: None,
            offset: None,
            attempt: None,
            error: format!("{responder}: {error}"),
        }));
    }
}

fn responded(responder: &'static str, records: &[Record], started: Instant) -> Event {
    let mut topics: Vec<Arc<str>> = Vec::new();
    for record in records {
        if !topics.iter().any(|t| **t == *record.topic) {
            topics.push(Arc::from(record.topic.as_str()));
        }
    }
    Event::ResponderResponded(ResponderResponded {
        responder,
        topics,
        messages: records.len(),
        duration: started.elapsed(),
    })
}

/// Runs `task` on the current tokio runtime, or on a thread of its own outside one.
fn spawn(task: impl Future<Output = ()> + Send + 'static) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(task);
        return;
    }
    let started = std::thread::Builder::new()
        .name("karafka-respond".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
            {
                Ok(runtime) => runtime.block_on(task),
                Err(error) => tracing::error!(
                    target: "karafka",
                    "cannot watch deliveries of call_async: {error}"
                ),
            }
        });
    if let Err(error) = started {
        tracing::error!(target: "karafka", "cannot watch deliveries of call_async: {error}");
    }
}
