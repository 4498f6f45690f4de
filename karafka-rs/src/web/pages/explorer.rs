//! `/explorer/<topic>` (its partitions) and `/explorer/<topic>/<partition>`:
//! messages from an offset or a time, the payload pretty-printed with a raw
//! view, the key and the headers. Everything shown is escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::super::html::{esc, pretty, table, time, url};
use super::super::Ui;
use crate::admin::messages::{self, ReadMessage, Start};

/// Messages per page.
const PAGE: i64 = 20;

/// A topic's partitions, each linking to its messages.
pub(crate) async fn partitions(ui: &Ui, topic: &str) -> String {
    let body = match ui.admin.partition_offsets(topic).await {
        Ok(partitions) => {
            let rows: Vec<Vec<String>> = partitions
                .iter()
                .map(|p| {
                    vec![
                        format!(
                            "<a href=\"{}\">{}</a>",
                            ui.frame
                                .href(&format!("/explorer/{}/{}", url(topic), p.partition)),
                            p.partition
                        ),
                        p.earliest.to_string(),
                        p.end.to_string(),
                    ]
                })
                .collect();
            table("partitions", &["Partition", "Earliest", "End"], &rows)
        }
        Err(error) => format!("<p class=\"error\">{}</p>", esc(&error.to_string())),
    };
    ui.frame
        .page("/explorer", &format!("Explorer: {topic}"), &body)
}

/// Up to [`PAGE`] messages of a partition: from `?offset=`, from `?at=` (an
/// RFC 3339 time), or the last ones.
pub(crate) async fn messages(
    ui: &Ui,
    topic: &str,
    partition: i32,
    query: &BTreeMap<String, String>,
) -> String {
    let title = format!("Explorer: {topic}/{partition}");
    let range = match ui.admin.partition_offsets(topic).await {
        Ok(partitions) => partitions.into_iter().find(|p| p.partition == partition),
        Err(error) => {
            let body = format!("<p class=\"error\">{}</p>", esc(&error.to_string()));
            return ui.frame.page("/explorer", &title, &body);
        }
    };
    let Some(range) = range else {
        let body = format!(
            "<p class=\"error\">{}</p>",
            esc(&format!("{topic} has no partition {partition}"))
        );
        return ui.frame.page("/explorer", &title, &body);
    };
    let start = if let Some(at) = query.get("at").filter(|t| !t.is_empty()) {
        match crate::admin::time::parse_millis(at) {
            Some(ms) => Start::Time(ms),
            None => {
                let body = format!("`{at}` is not an RFC 3339 time such as 2026-11-30T10:00:00Z");
                return ui.frame.page(
                    "/explorer",
                    &title,
                    &format!("<p class=\"error\">{}</p>", esc(&body)),
                );
            }
        }
    } else {
        let from = query
            .get("offset")
            .and_then(|o| o.parse::<i64>().ok())
            .unwrap_or(range.end - PAGE);
        Start::Offset(from.clamp(range.earliest, range.end.max(range.earliest)))
    };
    let read = if range.end > range.earliest {
        messages::read(&ui.admin, topic, partition, start, PAGE as usize).await
    } else {
        Ok(Vec::new())
    };
    let here = ui
        .frame
        .href(&format!("/explorer/{}/{partition}", url(topic)));
    let mut body = format!(
        "<p>Offsets {} to {} · <form method=\"get\" action=\"{here}\" class=\"inline\">\
         <label>offset <input name=\"offset\" size=\"8\"></label> \
         <label>or time <input name=\"at\" size=\"22\" placeholder=\"2026-11-30T10:00:00Z\"></label> \
         <button type=\"submit\">Go</button></form></p>",
        range.earliest,
        range.end.saturating_sub(1)
    );
    match read {
        Ok(found) => {
            if let (Some(first), Some(last)) = (found.first(), found.last()) {
                let _ = write!(
                    body,
                    "<p class=\"pager\"><a href=\"{here}?offset={}\">← older</a> \
                     <a href=\"{here}?offset={}\">newer →</a></p>",
                    (first.offset - PAGE).max(range.earliest),
                    last.offset + 1
                );
            }
            if found.is_empty() {
                body.push_str("<p class=\"empty\" id=\"messages\">No messages here.</p>");
            } else {
                body.push_str("<div id=\"messages\">");
                for message in &found {
                    body.push_str(&message_card(message));
                }
                body.push_str("</div>");
            }
        }
        Err(error) => {
            let _ = write!(body, "<p class=\"error\">{}</p>", esc(&error.to_string()));
        }
    }
    ui.frame.page("/explorer", &title, &body)
}

/// One message: offset, time, key, headers, the payload pretty and raw.
pub(crate) fn message_card(message: &ReadMessage) -> String {
    let key = message
        .key_text()
        .map_or("<em>none</em>".to_owned(), |k| esc(&k));
    let headers: Vec<String> = message
        .headers
        .iter()
        .map(|(name, value)| {
            let value = value
                .as_deref()
                .map_or(String::new(), |v| String::from_utf8_lossy(v).into_owned());
            format!("<li><b>{}</b>: {}</li>", esc(name), esc(&value))
        })
        .collect();
    let (payload, raw) = match &message.payload {
        Some(bytes) => (pretty(bytes), String::from_utf8_lossy(bytes).into_owned()),
        None => ("(tombstone: no payload)".to_owned(), String::new()),
    };
    format!(
        "<article class=\"message\" id=\"message-{offset}\"><header>offset <b>{offset}</b> · {when} · key {key}</header>\
         {headers}<pre class=\"payload\">{payload}</pre>\
         <details><summary>raw</summary><pre class=\"raw\">{raw}</pre></details></article>",
        offset = message.offset,
        when = message.timestamp.map_or("no time".to_owned(), time),
        headers = if headers.is_empty() {
            String::new()
        } else {
            format!("<ul class=\"headers\">{}</ul>", headers.join(""))
        },
        payload = esc(&payload),
        raw = esc(&raw),
    )
}
