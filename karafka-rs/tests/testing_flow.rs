//! `TestApp` follows pauses, throttling and delays on its own clock: a topic
//! throttled to 2 messages a minute, or delayed by an hour, is consumed in
//! full at once, in order, with the holds reported as they would be.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::testing::TestApp;
use karafka::{Consumer, Context, Event, Messages};

static SEEN: Mutex<Vec<(&'static str, i64)>> = Mutex::new(Vec::new());

fn seen(consumer: &str) -> Vec<i64> {
    let seen = SEEN.lock().unwrap();
    seen.iter()
        .filter(|s| s.0 == consumer)
        .map(|s| s.1)
        .collect()
}

/// Records the offsets it consumes under `$name`.
macro_rules! recording_consumer {
    ($type:ident, $name:literal) => {
        #[derive(Default)]
        struct $type;

        impl Consumer for $type {
            type Payload = String;

            async fn consume(
                &mut self,
                _ctx: &mut Context,
                messages: Messages<String>,
            ) -> karafka::Result<()> {
                for message in &messages {
                    SEEN.lock().unwrap().push(($name, message.offset()));
                }
                Ok(())
            }
        }
    };
}

recording_consumer!(Paced, "paced");
recording_consumer!(Later, "later");

karafka::routes! {
    consumer_group flows {
        topic paced_alerts {
            consumer: Paced,
            deserializer: karafka::deserializers::Utf8,
            throttle: { limit: 2, interval: 60000 },
        }
        topic reminders {
            consumer: Later,
            deserializer: karafka::deserializers::Utf8,
            delay_by: 3600000,
        }
    }
}

/// The `filtering.paused` events seen: (filter, offset it resumes from).
type Pauses = std::sync::Arc<Mutex<Vec<(&'static str, i64)>>>;

fn filter_pauses(app: TestApp) -> (TestApp, Pauses) {
    let pauses = std::sync::Arc::new(Mutex::new(Vec::new()));
    let sink = pauses.clone();
    let app = app.listener(move |event: &Event| {
        if let Event::FilteringPaused(paused) = event {
            sink.lock().unwrap().push((paused.filter, paused.offset));
        }
    });
    (app, pauses)
}

#[tokio::test]
async fn test_app_consumes_a_throttled_topic_without_waiting_out_its_windows() {
    let (app, pauses) = filter_pauses(TestApp::load().unwrap());
    app.create_topic("paced_alerts", 1);
    for i in 0..6 {
        app.produce("paced_alerts", format!("alert {i}")).unwrap();
    }
    let started = Instant::now();
    app.consume("paced_alerts").await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(seen("paced"), vec![0, 1, 2, 3, 4, 5]);
    let pauses = pauses.lock().unwrap().clone();
    assert_eq!(pauses, vec![("throttle", 2), ("throttle", 4)]);
    assert_eq!(app.committed_offset("paced_alerts", 0), Some(6));
}

#[tokio::test]
async fn test_app_consumes_delayed_messages_once_its_clock_passes_the_delay() {
    let (app, pauses) = filter_pauses(TestApp::load().unwrap());
    app.create_topic("reminders", 1);
    app.produce("reminders", "call back").unwrap();
    let started = Instant::now();
    app.consume("reminders").await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(seen("later"), vec![0]);
    let pauses = pauses.lock().unwrap().clone();
    assert_eq!(pauses, vec![("delay_by", 0)]);
}
