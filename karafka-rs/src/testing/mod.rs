//! Testing karafka apps (cargo feature `testing`): the real pipeline runs,
//! only the broker is replaced.
//!
//! [`TestApp`] runs the app's routed consumers over in-memory topics through
//! the server's own processing (deserializers, route options, retries, dead
//! letter queues, offset marks, instrumentation), with responders captured, so
//! no broker is needed. [`EmbeddedKafka`] starts a mock cluster and runs the
//! app's whole server against it.
//!
//! ```no_run
//! # use karafka::testing::TestApp;
//! # async fn test() -> karafka::Result<()> {
//! let app = TestApp::load()?;
//! app.produce("ratings", r#"{"movieId":362,"rating":8}"#)?;
//! app.produce("ratings", r#"{"movieId":362,"rating":10}"#)?;
//! app.consume("ratings").await?;
//! let averages: Vec<serde_json::Value> = app.produced_payloads("rating-averages")?;
//! # Ok(()) }
//! ```

mod app;
mod client;
mod embedded;
pub(crate) mod topics;

pub use crate::producer::{Delivery, Record};
pub use app::TestApp;
pub use embedded::EmbeddedKafka;
