//! Responders without a broker: declaration, validation, serialization, registry.

use serde::{Deserialize, Serialize};

use super::registry::find;
use super::*;
use crate::error::Error;
use crate::serializers::Utf8;

#[derive(Debug, Serialize, Deserialize)]
struct UserEvent {
    id: u32,
    name: String,
}

/// Writes the event to `users`, and a line of text to `audit` for each id it is told to.
#[derive(Default, crate::Responder)]
#[responder(topic = "users", key = "users-key")]
#[responder(topic = "audit", required = false, multiple_usage = true, serializer = Utf8, partition = 2)]
struct UsersResponder;

impl Respond for UsersResponder {
    type Input = (UserEvent, Vec<String>);

    fn respond(&self, (event, topics): &Self::Input, out: &mut Outbox) -> crate::Result<()> {
        for topic in topics {
            match topic.as_str() {
                "audit" => out.respond_to("audit", &format!("user {}", event.id))?,
                other => out.respond_to(other, event)?,
            }
        }
        Ok(())
    }
}

fn input(topics: &[&str]) -> (UserEvent, Vec<String>) {
    (event(), topics.iter().map(|t| t.to_string()).collect())
}

fn event() -> UserEvent {
    UserEvent {
        id: 7,
        name: "ada".into(),
    }
}

fn usage_error(topics: &[&str]) -> String {
    match prepare(&UsersResponder, &input(topics)) {
        Ok(response) => panic!("expected a usage error, got {response:?}"),
        Err(error @ Error::ResponderUsage { .. }) => error.to_string(),
        Err(other) => panic!("expected a usage error, got {other}"),
    }
}

#[test]
fn derive_declares_topics_with_their_options() {
    assert_eq!(UsersResponder::NAME, "UsersResponder");
    let topics = UsersResponder::topics();
    assert_eq!(topics.len(), 2);
    let (users, audit) = (&topics[0], &topics[1]);
    assert_eq!(users.name(), "users");
    assert!(users.required() && !users.multiple_usage());
    assert_eq!(users.serializer().name(), "Json");
    assert_eq!(users.key(), Some("users-key"));
    assert_eq!(audit.name(), "audit");
    assert!(!audit.required() && audit.multiple_usage());
    assert_eq!(audit.serializer().name(), "Utf8");
    assert_eq!(audit.partition(), Some(2));
}

#[test]
fn response_holds_each_message_serialized_for_its_topic() {
    let response = prepare(&UsersResponder, &input(&["users", "audit", "audit"])).unwrap();
    assert_eq!(response.responder(), "UsersResponder");
    let records = response.records();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].topic, "users");
    assert_eq!(
        records[0].payload.as_deref(),
        Some(&br#"{"id":7,"name":"ada"}"#[..])
    );
    assert_eq!(records[0].key.as_deref(), Some(&b"users-key"[..]));
    assert_eq!(records[0].partition, None);
    assert_eq!(records[1].payload.as_deref(), Some(&b"user 7"[..]));
    assert_eq!(records[1].partition, Some(2));
}

#[test]
fn undeclared_topic_is_an_error_naming_responder_and_topic() {
    let error = usage_error(&["users", "payments"]);
    assert!(error.contains("responder `UsersResponder`"), "{error}");
    assert!(
        error.contains("topic `payments` is not declared"),
        "{error}"
    );
    assert!(error.contains("it declares: users, audit"), "{error}");
    assert!(error.contains("nothing was sent"), "{error}");
}

#[test]
fn required_topic_left_unused_is_an_error_naming_it() {
    let error = usage_error(&["audit"]);
    assert!(error.contains("responder `UsersResponder`"), "{error}");
    assert!(
        error.contains("topic `users` is required but was not responded to"),
        "{error}"
    );
}

#[test]
fn topic_used_twice_without_multiple_usage_is_an_error() {
    let error = usage_error(&["users", "users"]);
    assert!(
        error.contains("topic `users` was responded to more than once"),
        "{error}"
    );
    assert!(error.contains("multiple_usage = true"), "{error}");
}

/// Ignores the error `respond_to` returns for an undeclared topic.
#[derive(Default, crate::Responder)]
#[responder(topic = "users")]
struct CarelessResponder;

impl Respond for CarelessResponder {
    type Input = str;

    fn respond(&self, input: &str, out: &mut Outbox) -> crate::Result<()> {
        let _ignored = out.respond_to("elsewhere", input);
        out.respond_to("users", input)
    }
}

#[test]
fn misuse_fails_the_call_even_when_the_responder_ignores_the_error() {
    let error = prepare(&CarelessResponder, "x").unwrap_err().to_string();
    assert!(
        error.contains("topic `elsewhere` is not declared"),
        "{error}"
    );
}

#[test]
fn payload_the_serializer_cannot_encode_fails_naming_topic_and_serializer() {
    /// Sends a struct to a Utf8 topic.
    #[derive(crate::Responder)]
    #[responder(topic = "text", serializer = Utf8)]
    struct Mismatched;

    impl Respond for Mismatched {
        type Input = UserEvent;

        fn respond(&self, event: &UserEvent, out: &mut Outbox) -> crate::Result<()> {
            out.respond_to("text", event)
        }
    }

    let error = prepare(&Mismatched, &event()).unwrap_err().to_string();
    assert!(error.contains("responder `Mismatched`"), "{error}");
    assert!(error.contains("topic `text` with Utf8"), "{error}");
    assert!(error.contains("not a struct"), "{error}");
}

#[test]
fn options_of_a_message_win_over_the_declared_key_and_partition() {
    /// Writes with explicit options.
    #[derive(crate::Responder)]
    #[responder(topic = "users", key = "declared", partition = 1)]
    struct Explicit;

    impl Respond for Explicit {
        type Input = str;

        fn respond(&self, input: &str, out: &mut Outbox) -> crate::Result<()> {
            let options = RespondOptions::new()
                .key("given")
                .partition(0)
                .header("trace", "abc")
                .header("trace", "def");
            out.respond_to_with("users", input, options)
        }
    }

    let response = prepare(&Explicit, "hi").unwrap();
    let record = &response.records()[0];
    assert_eq!(record.key.as_deref(), Some(&b"given"[..]));
    assert_eq!(record.partition, Some(0));
    assert_eq!(
        record.headers,
        [
            ("trace".to_owned(), b"abc".to_vec()),
            ("trace".to_owned(), b"def".to_vec())
        ]
    );
}

/// Takes JSON input; callable from the CLI.
#[derive(Default, crate::Responder)]
#[responder(topic = "users")]
struct JsonInput;

impl Respond for JsonInput {
    type Input = UserEvent;

    fn respond(&self, event: &UserEvent, out: &mut Outbox) -> crate::Result<()> {
        out.respond_to("users", event)
    }
}

#[test]
fn registered_responder_is_called_by_name_with_json_input() {
    let entry = find("JsonInput").unwrap();
    assert!(entry.path().ends_with("responders::tests::JsonInput"));
    let response = entry.respond_json(r#"{"id":1,"name":"b"}"#).unwrap();
    assert_eq!(response.records().len(), 1);
    let error = entry.respond_json("{").unwrap_err().to_string();
    assert!(
        error.contains("invalid input for responder `JsonInput`"),
        "{error}"
    );
}

/// Not `Default`, so the CLI cannot make one.
#[derive(crate::Responder)]
#[responder(topic = "users")]
struct NotDefault(#[allow(dead_code)] u8);

impl Respond for NotDefault {
    type Input = UserEvent;

    fn respond(&self, event: &UserEvent, out: &mut Outbox) -> crate::Result<()> {
        out.respond_to("users", event)
    }
}

#[test]
fn responder_the_cli_cannot_make_says_why() {
    let error = find("NotDefault")
        .unwrap()
        .respond_json("[]")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("cannot be called from the command line"),
        "{error}"
    );
}

#[test]
fn unknown_responder_name_lists_the_registered_ones() {
    let error = find("UserResponder").unwrap_err().to_string();
    assert!(
        error.contains("no responder named `UserResponder`"),
        "{error}"
    );
    assert!(error.contains("JsonInput"), "{error}");
    assert!(error.contains("UsersResponder"), "{error}");
}
