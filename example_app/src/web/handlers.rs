//! The JSON and event-stream endpoints.

use std::convert::Infallible;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::Stream;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use crate::live;
use crate::ratings::Rating;
use crate::responders::RatingsResponder;

/// `GET /live`: 200 `ok` while every consumer group runs, 503 naming the one that failed.
pub(super) async fn live(State(state): State<AppState>) -> Response {
    let status = if state.health.is_alive() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, format!("{}\n", state.health)).into_response()
}

/// `POST /ratings` with `{"movieId": 362, "rating": 8}`: validates it and sends
/// it to `ratings` through `RatingsResponder`; 202 once the broker has it.
pub(super) async fn post_rating(body: Result<Json<Rating>, JsonRejection>) -> Response {
    let rating = match body {
        Ok(Json(rating)) => rating,
        Err(rejection) => return error(rejection.status(), rejection.body_text()),
    };
    if let Err(reason) = rating.validate() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, reason);
    }
    match RatingsResponder.call(&rating).await {
        Ok(responded) => {
            let delivered = &responded.deliveries()[0];
            let body = json!({
                "status": "accepted",
                "topic": delivered.topic,
                "partition": delivered.partition,
                "offset": delivered.offset,
            });
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

/// `GET /averages`: every movie's latest average, by movie id.
pub(super) async fn averages(State(state): State<AppState>) -> Response {
    match state.db.averages() {
        Ok(averages) => Json(averages).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// `GET /averages/stream`: server-sent `average` events, one per new average.
pub(super) async fn stream(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let averages = live::subscribe();
    let events = futures::stream::unfold(
        (averages, state.stopping),
        |(mut averages, mut stopping)| async move {
            loop {
                if *stopping.borrow() {
                    return None;
                }
                tokio::select! {
                    changed = stopping.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                    received = averages.recv() => match received {
                        Ok(average) => {
                            let data = serde_json::to_string(&average).unwrap_or_default();
                            let event = Event::default().event("average").data(data);
                            return Some((Ok(event), (averages, stopping)));
                        }
                        // A page that fell behind skips to the newest averages.
                        Err(RecvError::Lagged(_)) => {}
                        Err(RecvError::Closed) => return None,
                    },
                }
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}

fn error(status: StatusCode, reason: impl Into<String>) -> Response {
    (status, Json(json!({ "error": reason.into() }))).into_response()
}
