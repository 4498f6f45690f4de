//! The UI's routes: one GET handler per page, the two POST actions (a command,
//! a dead letter replay), the embedded assets, and the lag sampler.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use super::pages;
use super::report::{now_ms, Action, CommandMessage};
use super::{guard, Ui};
use crate::config::WebSettings;
use crate::producer::Record;

const STYLE: &str = include_str!("assets/style.css");
const REFRESH: &str = include_str!("assets/refresh.js");

/// Every route of the UI.
pub(crate) fn router(ui: Ui) -> Router {
    Router::new()
        .route("/", get(dashboard))
        .route("/consumers", get(consumers))
        .route("/jobs", get(jobs))
        .route("/routing", get(routing))
        .route("/errors", get(errors))
        .route("/topics", get(topics))
        .route("/topics/{topic}", get(topic))
        .route("/explorer", get(explorer))
        .route("/explorer/{topic}", get(explorer_topic))
        .route("/explorer/{topic}/{partition}", get(explorer_partition))
        .route("/dlq", get(dlq))
        .route("/dlq/replay", post(replay))
        .route("/commands", get(commands).post(command))
        .route("/assets/style.css", get(|| asset(STYLE, "text/css")))
        .route(
            "/assets/refresh.js",
            get(|| asset(REFRESH, "text/javascript")),
        )
        .layer(axum::middleware::from_fn_with_state(
            ui.clone(),
            guard::authenticate,
        ))
        .with_state(ui)
}

async fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [(CONTENT_TYPE, kind), (CACHE_CONTROL, "max-age=3600")],
        body,
    )
        .into_response()
}

/// Samples the total lag of the app's consumer groups every `interval` while the UI lives.
pub(crate) fn sample_lag(ui: Ui, interval: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let board = ui.board.clone();
    let weak = std::sync::Arc::downgrade(&ui._following);
    let (app, admin) = (ui.app.clone(), ui.admin.clone());
    drop(ui);
    runtime.spawn(async move {
        loop {
            if weak.upgrade().is_none() {
                return;
            }
            let mut total = 0;
            let mut known = false;
            for group in app.routes().active_groups() {
                if let Ok(lags) = admin.group_lag(&group.id).await {
                    total += lags
                        .iter()
                        .filter_map(|l| l.lag)
                        .map(|l| l.max(0))
                        .sum::<i64>();
                    known = true;
                }
            }
            if known {
                board.lag_sampled(total);
            }
            tokio::time::sleep(interval).await;
        }
    });
}

fn page(html: String) -> Response {
    Html(html).into_response()
}

async fn dashboard(State(ui): State<Ui>) -> Response {
    page(pages::dashboard::render(&ui))
}

async fn consumers(State(ui): State<Ui>) -> Response {
    page(pages::consumers::render(&ui).await)
}

async fn jobs(State(ui): State<Ui>) -> Response {
    page(pages::consumers::jobs(&ui))
}

async fn routing(State(ui): State<Ui>) -> Response {
    page(pages::routing::render(&ui))
}

async fn errors(State(ui): State<Ui>) -> Response {
    page(pages::errors::render(&ui))
}

async fn topics(State(ui): State<Ui>) -> Response {
    page(pages::topics::list(&ui, "/topics").await)
}

async fn topic(State(ui): State<Ui>, Path(topic): Path<String>) -> Response {
    page(pages::topics::topic(&ui, &topic).await)
}

async fn explorer(State(ui): State<Ui>) -> Response {
    page(pages::topics::list(&ui, "/explorer").await)
}

async fn explorer_topic(State(ui): State<Ui>, Path(topic): Path<String>) -> Response {
    page(pages::explorer::partitions(&ui, &topic).await)
}

async fn explorer_partition(
    State(ui): State<Ui>,
    Path((topic, partition)): Path<(String, i32)>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    page(pages::explorer::messages(&ui, &topic, partition, &query).await)
}

async fn dlq(State(ui): State<Ui>, Query(query): Query<BTreeMap<String, String>>) -> Response {
    page(pages::dlq::render(&ui, &query).await)
}

async fn commands(State(ui): State<Ui>) -> Response {
    page(pages::commands::render(&ui))
}

fn redirect(ui: &Ui, to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(LOCATION, format!("{}{to}", ui.frame.base))],
    )
        .into_response()
}

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn bad_request(text: String) -> Response {
    (StatusCode::BAD_REQUEST, text).into_response()
}

/// Sends a command to a process through the commands topic.
async fn command(State(ui): State<Ui>, Form(form): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = guard::check_post(&ui, field(&form, "csrf")) {
        return refused.into_response();
    }
    let Some(process_id) = field(&form, "process_id") else {
        return bad_request("the command names no process_id".into());
    };
    let partition = || {
        let group = field(&form, "consumer_group")
            .unwrap_or_default()
            .to_owned();
        let topic = field(&form, "topic").unwrap_or_default().to_owned();
        let partition = field(&form, "partition").and_then(|p| p.parse::<i32>().ok());
        match partition {
            Some(partition) if !group.is_empty() && !topic.is_empty() => {
                Ok((group, topic, partition))
            }
            _ => Err("pause and resume need consumer_group, topic and partition".to_owned()),
        }
    };
    let action = match field(&form, "action") {
        Some("quiet") => Action::Quiet,
        Some("stop") => Action::Stop,
        Some("pause") => match partition() {
            Ok((consumer_group, topic, partition)) => Action::Pause {
                consumer_group,
                topic,
                partition,
            },
            Err(text) => return bad_request(text),
        },
        Some("resume") => match partition() {
            Ok((consumer_group, topic, partition)) => Action::Resume {
                consumer_group,
                topic,
                partition,
            },
            Err(text) => return bad_request(text),
        },
        other => {
            return bad_request(format!(
                "unknown action {:?}: pause, resume, quiet or stop",
                other.unwrap_or("")
            ))
        }
    };
    let message = CommandMessage::Command {
        id: guard::csrf_token()[..12].to_owned(),
        process_id: process_id.to_owned(),
        action,
        at: now_ms(),
    };
    let sent = match (serde_json::to_vec(&message), ui.app.producer()) {
        (Ok(json), Ok(producer)) => producer
            .send(&Record::new(WebSettings::COMMANDS_TOPIC, json).key(process_id))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        (Err(e), _) => Err(e.to_string()),
        (_, Err(e)) => Err(e.to_string()),
    };
    match sent {
        Ok(()) => redirect(&ui, "/commands"),
        Err(error) => (
            StatusCode::BAD_GATEWAY,
            format!("the command was not sent: {error}"),
        )
            .into_response(),
    }
}

/// Sends dead letters back to their source topics: the one named `one`, else every `message`.
async fn replay(State(ui): State<Ui>, Form(form): Form<Vec<(String, String)>>) -> Response {
    if let Err(refused) = guard::check_post(&ui, field(&form, "csrf")) {
        return refused.into_response();
    }
    let chosen: Vec<&str> = match field(&form, "one") {
        Some(one) => vec![one],
        None => form
            .iter()
            .filter(|(k, _)| k == "message")
            .map(|(_, v)| v.as_str())
            .collect(),
    };
    if chosen.is_empty() {
        return redirect(&ui, "/dlq?replayed=0");
    }
    let mut replayed = 0;
    for address in chosen {
        match pages::dlq::replay(&ui, address).await {
            Ok(()) => replayed += 1,
            Err(error) => {
                return bad_request(format!("replayed {replayed}; {address} was not: {error}"))
            }
        }
    }
    redirect(&ui, &format!("/dlq?replayed={replayed}"))
}
