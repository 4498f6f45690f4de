//! Seed 001's web side: the rating form and live averages page, `POST /ratings`
//! (through `RatingsResponder`), `GET /averages` and the averages' event stream;
//! and [`serve`], which runs it next to the consumers in one process.

mod handlers;
mod page;
pub mod serve;

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::watch;

use crate::db::Database;

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    db: Database,
    /// Turns `true` when the process stops: event streams end, so the HTTP
    /// server's graceful shutdown does not wait for them.
    stopping: watch::Receiver<bool>,
    /// The consumers' health, for `GET /live`.
    health: karafka::Health,
}

/// The HTTP routes: `/`, `POST /ratings`, `GET /averages`, `GET /averages/stream`,
/// and `GET /live` (200 `ok`, or 503 naming the consumer group that failed).
pub fn router(db: Database, stopping: watch::Receiver<bool>, health: karafka::Health) -> Router {
    Router::new()
        .route("/live", get(handlers::live))
        .route("/", get(page::index))
        .route("/ratings", post(handlers::post_rating))
        .route("/averages", get(handlers::averages))
        .route("/averages/stream", get(handlers::stream))
        .with_state(AppState {
            db,
            stopping,
            health,
        })
}
