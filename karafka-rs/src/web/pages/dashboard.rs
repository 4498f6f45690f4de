//! `/`: the processes, totals, and charts of messages/s, lag and errors/s.

use std::fmt::Write as _;

use super::super::board::State;
use super::super::chart;
use super::super::html::{ago, esc, table};
use super::super::Ui;

/// The dashboard.
pub(crate) fn render(ui: &Ui) -> String {
    let state = ui.board.lock();
    let live: Vec<_> = state
        .processes
        .values()
        .filter(|r| State::is_live(r))
        .collect();
    let total = |f: fn(&super::super::report::Counters) -> u64| -> u64 {
        state.processes.values().map(|r| f(&r.counters)).sum()
    };
    let rate = state.samples.back().map_or(0.0, |s| s.messages_per_second);
    let lag = state.lag.back().map(|l| l.1);
    let mut body = String::from("<section class=\"cards\">");
    for (id, label, value) in [
        ("processes-live", "Processes", live.len().to_string()),
        (
            "messages-total",
            "Messages consumed",
            total(|c| c.messages).to_string(),
        ),
        ("rate", "Messages/s", format!("{rate:.1}")),
        (
            "lag-total",
            "Lag",
            lag.map_or("–".into(), |l| l.to_string()),
        ),
        ("errors-total", "Errors", total(|c| c.errors).to_string()),
        ("dead-total", "Dead letters", total(|c| c.dead).to_string()),
    ] {
        let _ = write!(
            body,
            "<div class=\"card\"><div class=\"label\">{label}</div><div class=\"value\" id=\"{id}\">{}</div></div>",
            esc(&value)
        );
    }
    body.push_str("</section><section class=\"charts\">");
    let messages: Vec<(i64, f64)> = state
        .samples
        .iter()
        .map(|s| (s.at, s.messages_per_second))
        .collect();
    let errors: Vec<(i64, f64)> = state
        .samples
        .iter()
        .map(|s| (s.at, s.errors_per_second))
        .collect();
    let lags: Vec<(i64, f64)> = state.lag.iter().map(|(at, l)| (*at, *l as f64)).collect();
    body.push_str(&chart::line(
        "chart-messages",
        "Messages consumed per second",
        &messages,
    ));
    body.push_str(&chart::line(
        "chart-lag",
        "Lag (messages behind, all groups)",
        &lags,
    ));
    body.push_str(&chart::line("chart-errors", "Errors per second", &errors));
    body.push_str("</section><h2>Processes</h2>");
    let rows: Vec<Vec<String>> = state
        .processes
        .values()
        .map(|r| {
            let status = if State::is_live(r) {
                r.status.clone()
            } else {
                "gone".to_owned()
            };
            let partitions: usize = r.groups.values().map(Vec::len).sum();
            vec![
                format!("<code class=\"process\">{}</code>", esc(&r.process.id)),
                format!("<span class=\"status {0}\">{0}</span>", esc(&status)),
                esc(&ago(r.process.started_at)),
                format!("{} ago", esc(&ago(r.at))),
                partitions.to_string(),
                r.counters.messages.to_string(),
                r.counters.errors.to_string(),
            ]
        })
        .collect();
    body.push_str(&table(
        "processes",
        &[
            "Process",
            "Status",
            "Up",
            "Reported",
            "Partitions",
            "Messages",
            "Errors",
        ],
        &rows,
    ));
    drop(state);
    ui.frame.page(
        "/",
        "Dashboard",
        &format!("<div data-refresh=\"5\">{body}</div>"),
    )
}
