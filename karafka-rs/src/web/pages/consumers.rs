//! `/consumers` (each process, group and partition: lag, state, running job)
//! and `/jobs` (the batches running now).

use std::collections::BTreeMap;

use super::super::board::State;
use super::super::html::{ago, esc, table};
use super::super::Ui;

/// A partition's committed offset, end offset and lag.
type Lag = (Option<i64>, i64, Option<i64>);

/// The consumers page.
pub(crate) async fn render(ui: &Ui) -> String {
    let groups: Vec<(String, String)> = ui
        .app
        .routes()
        .active_groups()
        .map(|g| (g.name.to_string(), g.id.clone()))
        .collect();
    let mut lags: BTreeMap<(String, String, i32), Lag> = BTreeMap::new();
    let mut lag_errors = Vec::new();
    for (name, id) in &groups {
        match ui.admin.group_lag(id).await {
            Ok(partitions) => {
                for p in partitions {
                    lags.insert(
                        (name.clone(), p.topic, p.partition),
                        (p.committed, p.end, p.lag),
                    );
                }
            }
            Err(error) => lag_errors.push(format!("{name}: {error}")),
        }
    }
    let state = ui.board.lock();
    let mut rows = Vec::new();
    for report in state.processes.values().filter(|r| State::is_live(r)) {
        for (group, partitions) in &report.groups {
            for p in partitions {
                let lag = lags
                    .get(&(group.clone(), p.topic.clone(), p.partition))
                    .and_then(|l| l.2)
                    .map_or("–".to_owned(), |l| l.to_string());
                let job = p.job.as_ref().map_or("idle".to_owned(), |j| {
                    format!(
                        "{} {}–{} (attempt {}) for {}",
                        esc(&j.consumer),
                        j.first_offset,
                        j.last_offset,
                        j.attempt,
                        esc(&ago(j.started_at))
                    )
                });
                rows.push(vec![
                    format!("<code>{}</code>", esc(&report.process.id)),
                    esc(group),
                    format!("{}/{}", esc(&p.topic), p.partition),
                    format!("<span class=\"state\">{}</span>", esc(&p.state)),
                    p.last_offset.map_or("–".into(), |o| o.to_string()),
                    lag,
                    job,
                ]);
            }
        }
    }
    drop(state);
    let mut body = String::from("<h2>Assigned partitions</h2>");
    body.push_str(&table(
        "assignments",
        &[
            "Process",
            "Group",
            "Partition",
            "State",
            "Last offset",
            "Lag",
            "Job",
        ],
        &rows,
    ));
    body.push_str("<h2>Lag by consumer group</h2>");
    let lag_rows: Vec<Vec<String>> = lags
        .iter()
        .map(|((group, topic, partition), (committed, end, lag))| {
            vec![
                esc(group),
                format!("{}/{partition}", esc(topic)),
                committed.map_or("–".into(), |c| c.to_string()),
                end.to_string(),
                format!(
                    "<span id=\"lag-{}-{}-{partition}\">{}</span>",
                    esc(group),
                    esc(topic),
                    lag.map_or("–".into(), |l| l.to_string())
                ),
            ]
        })
        .collect();
    body.push_str(&table(
        "lags",
        &["Group", "Partition", "Committed", "End", "Lag"],
        &lag_rows,
    ));
    for error in lag_errors {
        body.push_str(&format!("<p class=\"error\">{}</p>", esc(&error)));
    }
    ui.frame.page(
        "/consumers",
        "Consumers",
        &format!("<div data-refresh=\"5\">{body}</div>"),
    )
}

/// The jobs page.
pub(crate) fn jobs(ui: &Ui) -> String {
    let state = ui.board.lock();
    let mut rows = Vec::new();
    for report in state.processes.values().filter(|r| State::is_live(r)) {
        for (group, partitions) in &report.groups {
            for p in partitions {
                if let Some(job) = &p.job {
                    rows.push(vec![
                        format!("<code>{}</code>", esc(&report.process.id)),
                        esc(group),
                        format!("{}/{}", esc(&p.topic), p.partition),
                        esc(&job.consumer),
                        format!("{}–{}", job.first_offset, job.last_offset),
                        job.attempt.to_string(),
                        esc(&ago(job.started_at)),
                    ]);
                }
            }
        }
    }
    drop(state);
    let body = table(
        "jobs",
        &[
            "Process",
            "Group",
            "Partition",
            "Consumer",
            "Offsets",
            "Attempt",
            "Running for",
        ],
        &rows,
    );
    ui.frame.page(
        "/jobs",
        "Running jobs",
        &format!("<div data-refresh=\"5\">{body}</div>"),
    )
}
