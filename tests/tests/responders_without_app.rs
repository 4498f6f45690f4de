//! A responder called before any app is loaded in the process says what to do.

use karafka::{Error, Outbox, Respond, Responder};

/// Writes its input to `events`.
#[derive(Default, Responder)]
#[responder(topic = "events")]
struct EventsResponder;

impl Respond for EventsResponder {
    type Input = str;

    fn respond(&self, input: &str, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to("events", input)
    }
}

#[tokio::test]
async fn responder_called_before_any_app_is_loaded_says_to_load_one() {
    let error = EventsResponder.call("hello").await.unwrap_err();
    assert!(matches!(error, Error::NoApp), "{error:?}");
    assert!(
        error.to_string().contains("karafka::App::load()"),
        "{error}"
    );
    let error = EventsResponder.call_async("hello").unwrap_err();
    assert!(matches!(error, Error::NoApp), "{error:?}");
}

#[test]
fn usage_errors_come_before_the_missing_app() {
    /// Declares `events` but writes nothing.
    #[derive(Responder)]
    #[responder(topic = "events")]
    struct Silent;

    impl Respond for Silent {
        type Input = ();

        fn respond(&self, _: &(), _: &mut Outbox) -> karafka::Result<()> {
            Ok(())
        }
    }

    let error = Silent.call_async(&()).unwrap_err().to_string();
    assert!(
        error.contains("responder `Silent` cannot respond: topic `events` is required"),
        "{error}"
    );
}
