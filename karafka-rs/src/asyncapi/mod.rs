//! The app described as an [AsyncAPI 3.0](https://www.asyncapi.com/docs/reference/specification/v3.0.0)
//! document: what `app asyncapi` prints, for the teams that produce to the app's
//! topics or consume what it responds.
//!
//! The document has a channel per routed topic, per responder topic and per
//! dead letter queue topic; a `receive` operation per route (with its consumer
//! group as the Kafka `groupId`) and a `send` operation per responder topic and
//! per dead letter queue; and the configured brokers as servers (only their
//! addresses: no other setting reaches the document).
//!
//! Payloads are described from the Rust types. A JSON payload whose type derives
//! [`schemars::JsonSchema`] gets its schema (under `components.schemas`); other
//! JSON payloads are named but carry no schema; UTF-8 and raw payloads are
//! described as text and bytes. A responder topic says what it writes with
//! `#[responder(topic = "...", payload = Type)]`; a responder topic that the app
//! also consumes takes the route's payload type.
//!
//! ```
//! #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
//! pub struct UserEvent { pub event_name: String }
//!
//! #[derive(Default)]
//! pub struct UsersConsumer;
//! impl karafka::Consumer for UsersConsumer {
//!     type Payload = UserEvent;
//!     async fn consume(&mut self, _: &mut karafka::Context, _: karafka::Messages<UserEvent>) -> karafka::Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! karafka::routes! {
//!     consumer_group example { topic users { consumer: UsersConsumer } }
//! }
//!
//! # fn main() -> karafka::Result<()> {
//! let config = karafka::Config::default();
//! let routes = karafka::routing::Routes::collect(&config)?;
//! let app = karafka::App::new(".", config, routes);
//! let document = karafka::asyncapi::document(&app);
//! assert_eq!(document["asyncapi"], "3.0.0");
//! assert_eq!(
//!     document["channels"]["users"]["messages"]["UserEvent"]["payload"]["$ref"],
//!     "#/components/schemas/UserEvent"
//! );
//! print!("{}", karafka::asyncapi::to_yaml(&document));
//! # Ok(()) }
//! ```

mod document;
mod yaml;

pub use crate::messages::payload_type::{
    Format, PayloadType, Probe, SchemaFn, ViaJsonSchema, WithoutJsonSchema,
};
pub use document::document;
pub use yaml::to_yaml;

/// The AsyncAPI version of the documents.
pub const ASYNCAPI_VERSION: &str = "3.0.0";

/// The version of the Kafka bindings used in the documents.
pub const KAFKA_BINDING_VERSION: &str = "0.5.0";
