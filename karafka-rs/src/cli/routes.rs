//! `routes`: the routing table.

use super::style::table;
use crate::routing::Routes;

/// One row per routed topic: group, topic, consumer, deserializer, backend, DLQ.
pub(super) fn render(routes: &Routes) -> String {
    let rows: Vec<Vec<String>> = routes
        .groups()
        .iter()
        .flat_map(|group| {
            group.topics.iter().map(move |topic| {
                let name = if topic.active {
                    topic.name.to_string()
                } else {
                    format!("{} (inactive)", topic.name)
                };
                let dlq = match topic.dead_letter_queue {
                    Some(dlq) => format!("{} after {} retries", dlq.topic, dlq.max_retries),
                    None => "-".to_owned(),
                };
                vec![
                    group.name.to_string(),
                    name,
                    topic.consumer_name.to_owned(),
                    topic.deserializer_name.clone(),
                    topic.backend.name().to_owned(),
                    dlq,
                ]
            })
        })
        .collect();
    table(
        &[
            "GROUP",
            "TOPIC",
            "CONSUMER",
            "DESERIALIZER",
            "BACKEND",
            "DEAD LETTER QUEUE",
        ],
        &rows,
    )
}
