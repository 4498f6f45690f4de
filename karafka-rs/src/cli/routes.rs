//! `routes`: the routing table.

use super::style::table;
use crate::routing::{Routes, Topic};

/// An option column of the table: its header and how a topic's cell reads.
type Column = (&'static str, fn(&Topic) -> String);

/// One row per routed topic: group, topic, consumer, deserializer, then the
/// route options that have a column (backend, dead letter queue, filters,
/// throttle, delay, expiry), leaving out an option no route sets (all `-`).
pub(super) fn render(routes: &Routes) -> String {
    let topics = || routes.groups().iter().flat_map(|group| group.topics.iter());
    let columns: Vec<&Column> = Topic::COLUMNS
        .iter()
        .filter(|(_, cell)| topics().any(|topic| cell(topic) != "-"))
        .collect();
    let rows: Vec<Vec<String>> = routes
        .groups()
        .iter()
        .flat_map(|group| {
            let columns = &columns;
            group.topics.iter().map(move |topic| {
                let name = if topic.active {
                    topic.name.to_string()
                } else {
                    format!("{} (inactive)", topic.name)
                };
                let fixed = [
                    group.name.to_string(),
                    name,
                    topic.consumer_name.to_owned(),
                    topic.deserializer_name.clone(),
                ];
                let options = columns.iter().map(|(_, cell)| cell(topic));
                fixed.into_iter().chain(options).collect()
            })
        })
        .collect();
    let headers: Vec<&str> = ["GROUP", "TOPIC", "CONSUMER", "DESERIALIZER"]
        .into_iter()
        .chain(columns.iter().map(|(header, _)| *header))
        .collect();
    table(&headers, &rows)
}
