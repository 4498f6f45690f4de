//! `/dlq`: the messages of each dead letter queue topic with the headers that
//! say where they came from, and replay: one or a selection sent back to
//! their source topic (same key, payload and headers, without the DLQ's).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::super::html::{esc, pretty, time, url};
use super::super::Ui;
use crate::admin::messages::{self, ReadMessage, Start};
use crate::error::{Error, Result};
use crate::processing::dlq::headers;
use crate::producer::Record;

/// Dead letters shown per partition (the newest).
const SHOWN: i64 = 50;

fn header<'a>(message: &'a ReadMessage, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    message
        .headers
        .iter()
        .rev()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.as_deref())
        .map(String::from_utf8_lossy)
}

/// The dead letters page.
pub(crate) async fn render(ui: &Ui, query: &BTreeMap<String, String>) -> String {
    let mut body = String::new();
    if let Some(count) = query.get("replayed") {
        let _ = write!(
            body,
            "<p class=\"flash\" id=\"replayed\">Replayed {} message(s) to their source topics.</p>",
            esc(count)
        );
    }
    let topics = ui.app.routes().dead_letter_topics();
    if topics.is_empty() {
        body.push_str("<p class=\"empty\">No route has a dead letter queue.</p>");
    }
    for topic in topics {
        let _ = write!(
            body,
            "<h2>{} <small><a href=\"{}\">explore</a></small></h2>",
            esc(topic),
            ui.frame.href(&format!("/explorer/{}", url(topic)))
        );
        let mut letters = Vec::new();
        match ui.admin.partition_offsets(topic).await {
            Ok(partitions) => {
                for p in partitions.iter().filter(|p| p.end > p.earliest) {
                    let from = (p.end - SHOWN).max(p.earliest);
                    match messages::read(
                        &ui.admin,
                        topic,
                        p.partition,
                        Start::Offset(from),
                        SHOWN as usize,
                    )
                    .await
                    {
                        Ok(found) => letters.extend(found),
                        Err(error) => {
                            let _ =
                                write!(body, "<p class=\"error\">{}</p>", esc(&error.to_string()));
                        }
                    }
                }
            }
            Err(error) => {
                let _ = write!(body, "<p class=\"error\">{}</p>", esc(&error.to_string()));
                continue;
            }
        }
        if letters.is_empty() {
            body.push_str("<p class=\"empty\">No dead letters.</p>");
            continue;
        }
        letters.sort_by_key(|m| std::cmp::Reverse(m.timestamp));
        let writable = !ui.frame.read_only;
        if writable {
            let _ = write!(
                body,
                "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">",
                ui.frame.href("/dlq/replay"),
                esc(&ui.frame.csrf)
            );
        }
        body.push_str("<table class=\"dlq\" id=\"dlq-");
        body.push_str(&esc(topic));
        body.push_str("\"><thead><tr><th></th><th>Dead letter</th><th>Source</th><th>Group</th><th>Attempts</th><th>Error</th><th>Payload</th><th></th></tr></thead><tbody>");
        for letter in &letters {
            let address = format!("{}/{}/{}", letter.topic, letter.partition, letter.offset);
            let source = match (
                header(letter, headers::SOURCE_TOPIC),
                header(letter, headers::SOURCE_PARTITION),
                header(letter, headers::SOURCE_OFFSET),
            ) {
                (Some(t), Some(p), Some(o)) => format!("{}/{}@{}", esc(&t), esc(&p), esc(&o)),
                _ => "<em>no source headers</em>".to_owned(),
            };
            let (check, replay) = if writable {
                (
                    format!("<input type=\"checkbox\" name=\"message\" value=\"{}\">", esc(&address)),
                    format!(
                        "<button type=\"submit\" name=\"one\" value=\"{}\" class=\"replay\">Replay</button>",
                        esc(&address)
                    ),
                )
            } else {
                (String::new(), String::new())
            };
            let payload = letter.payload.as_deref().map(pretty).unwrap_or_default();
            let _ = write!(
                body,
                "<tr class=\"letter\" data-address=\"{}\"><td>{check}</td><td>{}/{}@{}<br>{}</td><td class=\"source\">{source}</td><td>{}</td><td>{}</td><td><pre class=\"error\">{}</pre></td><td><pre class=\"payload\">{}</pre></td><td>{replay}</td></tr>",
                esc(&address),
                esc(&letter.topic),
                letter.partition,
                letter.offset,
                letter.timestamp.map_or(String::new(), time),
                header(letter, headers::SOURCE_CONSUMER_GROUP).map_or(String::new(), |g| esc(&g)),
                header(letter, headers::ATTEMPTS).map_or(String::new(), |a| esc(&a)),
                header(letter, headers::ERROR).map_or(String::new(), |e| esc(&e)),
                esc(&payload),
            );
        }
        body.push_str("</tbody></table>");
        if writable {
            body.push_str("<p><button type=\"submit\" id=\"replay-selected\">Replay selected</button></p></form>");
        }
    }
    ui.frame.page("/dlq", "Dead letters", &body)
}

/// Sends the dead letter at `address` (`topic/partition/offset`) back to its source topic.
pub(crate) async fn replay(ui: &Ui, address: &str) -> Result<()> {
    let bad = || Error::Admin(format!("`{address}` is not topic/partition/offset"));
    let mut parts = address.rsplitn(3, '/');
    let offset: i64 = parts.next().and_then(|o| o.parse().ok()).ok_or_else(bad)?;
    let partition: i32 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let topic = parts.next().ok_or_else(bad)?;
    if !ui.app.routes().dead_letter_topics().contains(&topic) {
        return Err(Error::Admin(format!(
            "`{topic}` is no dead letter queue of this app"
        )));
    }
    let letter = messages::read(&ui.admin, topic, partition, Start::Offset(offset), 1)
        .await?
        .into_iter()
        .find(|m| m.offset == offset)
        .ok_or_else(|| Error::Admin(format!("no message at {address}")))?;
    let source = header(&letter, headers::SOURCE_TOPIC)
        .ok_or_else(|| Error::Admin(format!("{address} has no {} header", headers::SOURCE_TOPIC)))?
        .into_owned();
    let ours = [
        headers::SOURCE_TOPIC,
        headers::SOURCE_PARTITION,
        headers::SOURCE_OFFSET,
        headers::SOURCE_CONSUMER_GROUP,
        headers::ATTEMPTS,
        headers::ERROR,
    ];
    let record = Record {
        topic: source,
        payload: letter.payload.clone(),
        key: letter.key.clone(),
        partition: None,
        headers: letter
            .headers
            .iter()
            .filter(|(name, _)| !ours.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value.clone().unwrap_or_default()))
            .collect(),
    };
    ui.app.producer()?.send(&record).await?;
    tracing::info!(target: "karafka", "Web UI replayed dead letter {address} to {}", record.topic);
    Ok(())
}
