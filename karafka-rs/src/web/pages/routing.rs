//! `/routing`: every consumer group and topic with its options.

use super::super::html::{esc, table};
use super::super::Ui;
use crate::routing::Topic;

/// The routing page.
pub(crate) fn render(ui: &Ui) -> String {
    let routes = ui.app.routes();
    let mut headers = vec!["Group", "Topic", "Consumer", "Deserializer"];
    headers.extend(Topic::COLUMNS.iter().map(|(header, _)| *header));
    headers.push("Every option");
    let rows: Vec<Vec<String>> = routes
        .groups()
        .iter()
        .flat_map(|group| {
            group.topics.iter().map(move |topic| {
                let name = if topic.active {
                    esc(&topic.name)
                } else {
                    format!("{} (inactive)", esc(&topic.name))
                };
                let mut row = vec![
                    format!("{}<br><small>{}</small>", esc(&group.name), esc(&group.id)),
                    name,
                    esc(topic.consumer_name),
                    esc(&topic.deserializer_name),
                ];
                row.extend(Topic::COLUMNS.iter().map(|(_, cell)| esc(&cell(topic))));
                row.push(format!(
                    "<details><summary>show</summary><pre>{}</pre></details>",
                    esc(&format!("{topic:#?}"))
                ));
                row
            })
        })
        .collect();
    ui.frame
        .page("/routing", "Routing", &table("routes", &headers, &rows))
}
