//! `/errors`: the processes' errors, newest first.

use super::super::html::{esc, table, time};
use super::super::Ui;

/// The errors page.
pub(crate) fn render(ui: &Ui) -> String {
    let state = ui.board.lock();
    let rows: Vec<Vec<String>> = state
        .errors
        .iter()
        .rev()
        .map(|e| {
            let place = match (&e.topic, e.partition) {
                (Some(topic), Some(partition)) => format!("{}/{partition}", esc(topic)),
                _ => "–".to_owned(),
            };
            vec![
                time(e.at),
                format!("<code>{}</code>", esc(&e.process_id)),
                esc(&e.error_type),
                e.consumer_group.as_deref().map_or("–".into(), esc),
                place,
                e.offset.map_or("–".into(), |o| o.to_string()),
                e.attempt.map_or("–".into(), |a| a.to_string()),
                format!("<pre class=\"error\">{}</pre>", esc(&e.error)),
            ]
        })
        .collect();
    drop(state);
    let body = table(
        "errors",
        &[
            "When",
            "Process",
            "Type",
            "Group",
            "Partition",
            "Offset",
            "Attempt",
            "Error and causes",
        ],
        &rows,
    );
    ui.frame.page(
        "/errors",
        "Errors",
        &format!("<div data-refresh=\"10\">{body}</div>"),
    )
}
