//! Seed 003 (Kongo) without a broker: what a malformed line does, and sensor
//! readings. Its own process (so its own database and processed offsets).

use example_app::db;
use example_app::kongo::SensorEvent;
use example_app::responders::SensorResponder;
use karafka::testing::TestApp;

#[tokio::test]
async fn malformed_rfid_line_is_reported_naming_the_field_and_not_skipped() {
    let app = TestApp::new(example_app::load().unwrap()).max_attempts(2);
    let partition = app
        .produce_record(
            karafka::testing::Record::new("rfid-events", "12, lift, g-bad, truck-3").key("g-bad"),
        )
        .unwrap()
        .partition;

    let error = app.consume("rfid-events").await.unwrap_err().to_string();
    assert!(
        error.contains("`lift` is neither load nor unload"),
        "{error}"
    );
    assert_eq!(app.committed_offset("rfid-events", partition), None);
}

#[tokio::test]
async fn sensor_readings_keep_the_latest_value_per_location_and_metric() {
    let app = TestApp::new(example_app::load().unwrap());
    for (time, value) in [(10, 4.0), (30, 9.5), (20, 5.0)] {
        let reading = SensorEvent {
            time,
            doc: "warehouse-7".into(),
            tag: "t-1".into(),
            metric: "temp".into(),
            value,
        };
        app.respond(&SensorResponder, &reading).await.unwrap();
    }
    assert_eq!(
        app.produced_messages("sensor-events")[0].payload(),
        Some(&b"10, warehouse-7, t-1, temp, 4"[..])
    );

    app.consume("sensor-events").await.unwrap();

    let latest = db::database()
        .unwrap()
        .latest_reading("warehouse-7", "temp")
        .unwrap();
    assert_eq!(
        latest,
        Some((9.5, 30)),
        "the reading at time 30 is the latest"
    );
}
