//! Responders: typed producers, as in Karafka 1.x.
//!
//! A responder is a struct that declares the topics it may write to with
//! `#[derive(Responder)]` and one `#[responder(topic = "...")]` per topic, and
//! implements [`Respond`] to turn an input into messages on those topics.
//! Each respond call is validated before anything is sent: a topic the
//! responder did not declare, a required topic left out, or a topic used twice
//! without `multiple_usage` is an [`Error::ResponderUsage`](crate::Error::ResponderUsage) naming the responder
//! and the topic, and nothing of that call reaches Kafka.
//!
//! ```no_run
//! use karafka::{Outbox, Respond, RespondOptions, Responder};
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! pub struct UserEvent { pub event_name: String, pub id: u64 }
//!
//! #[derive(Default, Responder)]
//! #[responder(topic = "users")]
//! #[responder(topic = "audit", required = false, serializer = karafka::serializers::Utf8)]
//! pub struct UsersResponder;
//!
//! impl Respond for UsersResponder {
//!     type Input = UserEvent;
//!     fn respond(&self, event: &UserEvent, out: &mut Outbox) -> karafka::Result<()> {
//!         out.respond_to_with("users", event, RespondOptions::new().key(event.id.to_string()))?;
//!         if event.event_name == "user_deleted" {
//!             out.respond_to("audit", &format!("user {} deleted", event.id))?;
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # async fn app_code() -> karafka::Result<()> {
//! // Anywhere in app code, once the app is loaded (`karafka::App::load()`):
//! let event = UserEvent { event_name: "user_created".into(), id: 1 };
//! UsersResponder.call(&event).await?;   // waits for the broker's acknowledgements
//! UsersResponder.call_async(&event)?;   // returns at once; failures become events
//! # Ok(())
//! # }
//! ```
//!
//! The derive also registers the responder by name, so the app's CLI can call it:
//! `app respond UsersResponder '{"event_name":"user_created","id":1}'` (this needs
//! the responder to be `Default` and its `Input` to be `Deserialize`).

mod delivery;
mod outbox;
pub(crate) mod registry;
pub mod serializers;

use std::future::Future;

pub(crate) use delivery::deliver;
pub use outbox::{Outbox, RespondOptions, Response};
pub use registry::{registered, ResponderEntry};

use crate::current_app;
use crate::error::Result;
use crate::messages::payload_type::{Format, PayloadType};
use crate::producer::Producer;
use serializers::Serializer;

/// A struct that may write to a declared set of topics; implemented by
/// `#[derive(Responder)]`, which reads its `#[responder(topic = "...")]` attributes.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a responder",
    label = "not a responder",
    note = "add `#[derive(karafka::Responder)]` and a `#[responder(topic = \"...\")]` attribute per topic to `{Self}`"
)]
pub trait Responder: 'static {
    /// The responder's name in errors, events and the CLI (its type's name).
    const NAME: &'static str;

    /// The topics it declared, in declaration order.
    fn topics() -> &'static [TopicSpec];
}

/// What a responder does with its input: write messages to its declared topics.
#[diagnostic::on_unimplemented(
    message = "`{Self}` derives `Responder` but does not implement `karafka::Respond`",
    label = "no `impl Respond for {Self}`",
    note = "add `impl karafka::Respond for {Self} {{ type Input = ...; fn respond(&self, input: &Self::Input, out: &mut karafka::Outbox) -> karafka::Result<()> {{ ... }} }}`"
)]
pub trait Respond: Responder {
    /// What each call responds to (an event, a domain object, ...).
    type Input: ?Sized;

    /// Turns `input` into messages with `out.respond_to(topic, &payload)`; an
    /// `Err` (or a misuse of `out`) sends nothing.
    fn respond(&self, input: &Self::Input, out: &mut Outbox) -> Result<()>;
}

/// One topic a responder declared, with its options.
pub struct TopicSpec {
    name: &'static str,
    required: bool,
    multiple_usage: bool,
    serializer: Box<dyn Serializer>,
    format: Format,
    payload: Option<PayloadType>,
    key: Option<&'static str>,
    partition: Option<i32>,
}

impl TopicSpec {
    /// A declared topic; `#[derive(Responder)]` builds these.
    pub fn new(
        name: &'static str,
        required: bool,
        multiple_usage: bool,
        serializer: impl Serializer,
        key: Option<&'static str>,
        partition: Option<i32>,
    ) -> TopicSpec {
        let format = serializers::format_of(&serializer);
        TopicSpec {
            name,
            required,
            multiple_usage,
            serializer: Box::new(serializer),
            format,
            payload: None,
            key,
            partition,
        }
    }

    /// The topic's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether every respond call must write to it (`required`, default `true`).
    pub fn required(&self) -> bool {
        self.required
    }

    /// Whether one respond call may write to it more than once (`multiple_usage`, default `false`).
    pub fn multiple_usage(&self) -> bool {
        self.multiple_usage
    }

    /// The serializer of its payloads (`serializer`, default JSON).
    pub fn serializer(&self) -> &dyn Serializer {
        &*self.serializer
    }

    /// Declares the payload type written to this topic (`payload = Type`), for
    /// the AsyncAPI document.
    pub fn with_payload(mut self, payload: PayloadType) -> TopicSpec {
        self.payload = Some(payload);
        self
    }

    /// The payload type declared with `payload = Type`, if any.
    pub fn payload(&self) -> Option<PayloadType> {
        self.payload
    }

    /// The payloads' wire format (from the serializer).
    pub fn format(&self) -> Format {
        self.format
    }

    /// The key of its messages unless a message sets one (`key`).
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }

    /// The partition of its messages unless a message sets one (`partition`).
    pub fn partition(&self) -> Option<i32> {
        self.partition
    }
}

impl std::fmt::Debug for TopicSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicSpec")
            .field("name", &self.name)
            .field("required", &self.required)
            .field("multiple_usage", &self.multiple_usage)
            .field("serializer", &self.serializer.name())
            .field("payload", &self.payload.map(|p| p.name))
            .field("key", &self.key)
            .field("partition", &self.partition)
            .finish()
    }
}

/// Where each message of a delivered respond call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Responded {
    responder: &'static str,
    deliveries: Vec<Delivered>,
}

impl Responded {
    /// The responder's name.
    pub fn responder(&self) -> &'static str {
        self.responder
    }

    /// One entry per message, in the order the responder wrote them.
    pub fn deliveries(&self) -> &[Delivered] {
        &self.deliveries
    }
}

/// Where the broker stored one message of a respond call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The offset in that partition.
    pub offset: i64,
}

/// Runs `responder` on `input` and validates and serializes what it wrote,
/// without sending anything: what [`call`] sends, and a way to test responders.
pub fn prepare<R: Respond>(responder: &R, input: &R::Input) -> Result<Response> {
    let mut out = Outbox::new(R::NAME, R::topics());
    responder.respond(input, &mut out)?;
    out.finish()
}

/// Responds to `input` through the shared producer and resolves once the broker
/// acknowledged every message; what the derive's `call` method runs.
///
/// The responder runs, and its usage is validated, before this returns; the
/// future owns what it sends, so it may be spawned.
pub fn call<R: Respond>(
    responder: &R,
    input: &R::Input,
) -> impl Future<Output = Result<Responded>> + Send + 'static {
    let ready =
        prepare(responder, input).and_then(|response| Ok((response, current_app::producer()?)));
    async move {
        let (response, producer) = ready?;
        deliver(producer, response, current_app::monitor()).await
    }
}

/// Responds to `input` through the shared producer without waiting: messages are
/// queued in order before this returns, and delivery failures are reported as
/// `error.occurred` events (`producer.delivery.error`). Fails at once, sending
/// nothing, on a usage or serialization error.
pub fn call_async<R: Respond>(responder: &R, input: &R::Input) -> Result<()> {
    let response = prepare(responder, input)?;
    let producer = current_app::producer()?;
    delivery::deliver_in_background(producer, response, current_app::monitor());
    Ok(())
}

impl Producer {
    /// Runs `responder` on `input` and sends what it produced through this producer,
    /// waiting for every acknowledgement (see [`call`]).
    pub async fn respond<R: Respond>(&self, responder: &R, input: &R::Input) -> Result<Responded> {
        let response = prepare(responder, input)?;
        deliver(self.clone(), response, current_app::monitor()).await
    }
}

#[cfg(test)]
mod tests;
