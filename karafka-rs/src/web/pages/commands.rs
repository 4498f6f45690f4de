//! `/commands`: pause or resume a partition, quiet or stop a process; and the
//! commands sent, with each process's acknowledgement.

use std::fmt::Write as _;

use super::super::board::State;
use super::super::html::{esc, table, time};
use super::super::report::CommandMessage;
use super::super::Ui;

/// The commands page.
pub(crate) fn render(ui: &Ui) -> String {
    let frame = &ui.frame;
    let state = ui.board.lock();
    let mut body = String::new();
    if frame.read_only {
        body.push_str("<p class=\"note\">This Web UI is read-only: it sends no commands.</p>");
    }
    let live: Vec<_> = state
        .processes
        .values()
        .filter(|r| State::is_live(r))
        .collect();
    if live.is_empty() {
        body.push_str("<p class=\"empty\">No process reports.</p>");
    }
    for report in live {
        let id = report.process.id.as_str();
        let _ = write!(
            body,
            "<section class=\"process\"><h2><code>{}</code> <span class=\"status\">{}</span></h2><p>{}{}</p>",
            esc(id),
            esc(&report.status),
            frame.button("/commands", &[("process_id", id), ("action", "quiet")], "Quiet", "quiet"),
            frame.button("/commands", &[("process_id", id), ("action", "stop")], "Stop", "stop danger"),
        );
        let mut rows = Vec::new();
        for (group, partitions) in &report.groups {
            for p in partitions {
                let partition = p.partition.to_string();
                let fields = [
                    ("process_id", id),
                    ("consumer_group", group.as_str()),
                    ("topic", p.topic.as_str()),
                    ("partition", partition.as_str()),
                ];
                let with = |action: &'static str| {
                    let mut all = fields.to_vec();
                    all.push(("action", action));
                    all
                };
                let target = format!("{}-{}", p.topic, p.partition);
                let actions = if p.state == "paused by command" {
                    frame.button(
                        "/commands",
                        &with("resume"),
                        "Resume",
                        &format!("resume resume-{target}"),
                    )
                } else {
                    frame.button(
                        "/commands",
                        &with("pause"),
                        "Pause",
                        &format!("pause pause-{target}"),
                    )
                };
                rows.push(vec![
                    esc(group),
                    format!(
                        "<span class=\"partition\" id=\"partition-{}-{}\">{}/{}</span>",
                        esc(&p.topic),
                        p.partition,
                        esc(&p.topic),
                        p.partition
                    ),
                    format!("<span class=\"state\">{}</span>", esc(&p.state)),
                    actions,
                ]);
            }
        }
        body.push_str(&table(
            &format!("partitions-{}", report.process.pid),
            &["Group", "Partition", "State", ""],
            &rows,
        ));
        body.push_str("</section>");
    }
    body.push_str("<h2>Sent</h2>");
    let rows: Vec<Vec<String>> = state
        .commands
        .iter()
        .rev()
        .filter_map(|entry| match &entry.message {
            CommandMessage::Command {
                id,
                process_id,
                action,
                at,
            } => Some(vec![
                time(*at),
                format!("<code>{}</code>", esc(process_id)),
                esc(&action.describe()),
                match &entry.ack {
                    None => "<span class=\"pending\">waiting</span>".to_owned(),
                    Some(Ok(())) => {
                        format!("<span class=\"ack ok\" data-id=\"{}\">done</span>", esc(id))
                    }
                    Some(Err(error)) => format!("<span class=\"ack failed\">{}</span>", esc(error)),
                },
            ]),
            CommandMessage::Ack { .. } => None,
        })
        .collect();
    drop(state);
    body.push_str(&table(
        "sent",
        &["When", "Process", "Command", "Acknowledged"],
        &rows,
    ));
    frame.page(
        "/commands",
        "Commands",
        &format!("<div data-refresh=\"5\">{body}</div>"),
    )
}
