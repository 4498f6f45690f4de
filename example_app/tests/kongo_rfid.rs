//! Seed 003 (Kongo) without a broker: RFID loads and unloads in comma-separated
//! lines, through the app's real routes, responders and consumers (`TestApp`).
//! Its own process, so its own in-memory database.

use example_app::db;
use example_app::kongo::{RfidAction, RfidEvent};
use example_app::responders::RfidResponder;
use karafka::instrumentation::ErrorType;
use karafka::testing::TestApp;
use karafka::Event;
use std::sync::{Arc, Mutex};

fn rfid(time: i64, action: RfidAction, goods: &str, truck: &str) -> RfidEvent {
    RfidEvent {
        time,
        action,
        goods_id: goods.into(),
        truck_id: truck.into(),
    }
}

fn truck_of(goods: &str) -> Option<String> {
    let trucks = db::database().unwrap().trucks_of([goods]).unwrap();
    trucks[goods].clone()
}

/// Both scenarios share one app: the database is the process's, and so is the
/// offset after which `RfidConsumer` counts a partition as processed.
#[tokio::test]
async fn rfid_events_travel_as_lines_and_an_early_unload_waits_for_its_load() {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = errors.clone();
    let app = TestApp::new(example_app::load().unwrap()).listener(move |event: &Event| {
        if let Event::ErrorOccurred(error) = event {
            if error.error_type == ErrorType::ConsumerConsume {
                sink.lock().unwrap().push(error.error.clone());
            }
        }
    });
    lines_keyed_by_goods(&app).await;
    assert!(errors.lock().unwrap().is_empty());
    early_unload_is_retried_later_and_applied_once_the_load_arrives(&app, &errors).await;
}

async fn lines_keyed_by_goods(app: &TestApp) {
    app.respond(
        &RfidResponder,
        &rfid(1, RfidAction::Load, "g-lines", "truck-1"),
    )
    .await
    .unwrap();

    let sent = app.produced_messages("rfid-events");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].payload(), Some(&b"1, load, g-lines, truck-1"[..]));
    assert_eq!(sent[0].key(), Some(&b"g-lines"[..]));

    app.consume("rfid-events").await.unwrap();
    assert_eq!(truck_of("g-lines").as_deref(), Some("truck-1"));
}

async fn early_unload_is_retried_later_and_applied_once_the_load_arrives(
    app: &TestApp,
    errors: &Mutex<Vec<String>>,
) {
    // The truck's reader reports the unload before the dock's reader reports the load.
    app.respond(
        &RfidResponder,
        &rfid(9, RfidAction::Unload, "g-early", "truck-2"),
    )
    .await
    .unwrap();

    let failed = app.consume("rfid-events").await.unwrap_err().to_string();
    assert!(
        failed.contains("unload of goods g-early from truck-2"),
        "{failed}"
    );
    {
        let errors = errors.lock().unwrap();
        assert!(errors.len() >= 2, "the unload is retried: {errors:?}");
        assert!(errors
            .iter()
            .all(|e| e.contains("came before its load; retrying later")));
    }
    assert_eq!(truck_of("g-early"), None);

    app.respond(
        &RfidResponder,
        &rfid(5, RfidAction::Load, "g-early", "truck-2"),
    )
    .await
    .unwrap();
    app.consume("rfid-events").await.unwrap();

    assert_eq!(truck_of("g-early"), None, "loaded, then unloaded");
    let partition = app
        .produced_messages("rfid-events")
        .iter()
        .find(|m| m.key() == Some(b"g-early"))
        .map(|m| m.partition())
        .unwrap();
    let sent = app
        .produced_messages("rfid-events")
        .iter()
        .filter(|m| m.partition() == partition)
        .count() as i64;
    assert_eq!(
        app.committed_offset("rfid-events", partition),
        Some(sent),
        "both events are consumed, none skipped"
    );
}
