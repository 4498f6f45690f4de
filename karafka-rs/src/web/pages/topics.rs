//! `/topics` (the cluster's topics), `/topics/<topic>` (its partitions'
//! offsets and its settings), and `/explorer`'s list of topics.

use super::super::html::{esc, table, url};
use super::super::Ui;

/// How long the page waits for a topic's settings.
const SETTINGS_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The topics of the cluster, each linking to `prefix/<topic>`.
pub(crate) async fn list(ui: &Ui, prefix: &str) -> String {
    let (title, active) = if prefix == "/explorer" {
        ("Explorer", "/explorer")
    } else {
        ("Topics", "/topics")
    };
    let body = match ui.admin.topics().await {
        Ok(topics) => {
            let rows: Vec<Vec<String>> = topics
                .iter()
                .map(|(name, partitions)| {
                    vec![
                        format!(
                            "<a href=\"{}\">{}</a>",
                            ui.frame.href(&format!("{prefix}/{}", url(name))),
                            esc(name)
                        ),
                        partitions.to_string(),
                    ]
                })
                .collect();
            table("topics", &["Topic", "Partitions"], &rows)
        }
        Err(error) => format!("<p class=\"error\">{}</p>", esc(&error.to_string())),
    };
    ui.frame.page(active, title, &body)
}

/// One topic: partitions with their offsets, and its settings.
pub(crate) async fn topic(ui: &Ui, topic: &str) -> String {
    let mut body = String::new();
    match ui.admin.partition_offsets(topic).await {
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
                        (p.end - p.earliest).max(0).to_string(),
                    ]
                })
                .collect();
            body.push_str("<h2>Partitions</h2>");
            body.push_str(&table(
                "partitions",
                &["Partition", "Earliest", "End", "Messages"],
                &rows,
            ));
        }
        Err(error) => body.push_str(&format!(
            "<p class=\"error\">{}</p>",
            esc(&error.to_string())
        )),
    }
    body.push_str("<h2>Settings</h2>");
    // A cluster without the config API (the embedded broker) would hold the
    // page for the whole admin timeout.
    let settings = tokio::time::timeout(SETTINGS_WAIT, ui.admin.topic_settings(topic))
        .await
        .unwrap_or_else(|_| {
            Err(crate::Error::Admin(format!(
                "no answer within {} s",
                SETTINGS_WAIT.as_secs()
            )))
        });
    match settings {
        Ok(settings) => {
            let rows: Vec<Vec<String>> = settings
                .iter()
                .map(|s| {
                    let value = if crate::redaction::is_secret_key(&s.name) {
                        crate::redaction::FILTERED.to_owned()
                    } else {
                        s.value.clone().unwrap_or_default()
                    };
                    vec![
                        esc(&s.name),
                        esc(&value),
                        if s.is_default {
                            "default".into()
                        } else {
                            "set".into()
                        },
                    ]
                })
                .collect();
            body.push_str(&table("settings", &["Setting", "Value", "Source"], &rows));
        }
        Err(error) => body.push_str(&format!(
            "<p class=\"note\">Settings are not available from this cluster: {}</p>",
            esc(&error.to_string())
        )),
    }
    ui.frame.page("/topics", &format!("Topic {topic}"), &body)
}
