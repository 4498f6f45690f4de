//! Seed 003 (Kongo) on the embedded broker: loads and unloads of many goods on
//! one topic keyed by goods id keep each goods' order across partitions, and an
//! unload that arrives before its load waits (pause and retry) for it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use example_app::db;
use example_app::kongo::{CommaLines, RfidAction, RfidEvent};
use karafka::instrumentation::ErrorType;
use karafka::serializers::{Payload, Serializer};
use karafka::testing::{EmbeddedKafka, Record};
use karafka::Event;

const GOODS: usize = 30;

fn line(time: i64, action: RfidAction, goods: &str, truck: &str) -> Record {
    let event = RfidEvent {
        time,
        action,
        goods_id: goods.into(),
        truck_id: truck.into(),
    };
    let payload = CommaLines.serialize(&Payload::new(&event)).unwrap();
    Record::new("rfid-events", payload).key(goods)
}

fn on_trucks(goods: &[String]) -> usize {
    let trucks = db::database()
        .unwrap()
        .trucks_of(goods.iter().map(String::as_str))
        .unwrap();
    trucks.values().filter(|t| t.is_some()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goods_events_keep_their_order_and_an_early_unload_waits_for_its_load() {
    let kafka = EmbeddedKafka::start().unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = errors.clone();
    let app = kafka
        .app(example_app::load().unwrap())
        .unwrap()
        .listener(move |event: &Event| {
            if let Event::ErrorOccurred(error) = event {
                if error.error_type == ErrorType::ConsumerConsume {
                    sink.lock().unwrap().push(error.error.clone());
                }
            }
        });
    // Routed topics are created with the app's default partition count.
    let partitions = example_app::load().unwrap().config().default_partitions;
    let goods: Vec<String> = (0..GOODS).map(|i| format!("g-{i}")).collect();
    // Every goods is loaded, then unloaded, interleaved with the others.
    for (i, id) in goods.iter().enumerate() {
        let truck = format!("truck-{}", i % 4);
        kafka
            .produce_record(&line(i as i64, RfidAction::Load, id, &truck))
            .await
            .unwrap();
    }
    for (i, id) in goods.iter().enumerate() {
        let truck = format!("truck-{}", i % 4);
        kafka
            .produce_record(&line(100 + i as i64, RfidAction::Unload, id, &truck))
            .await
            .unwrap();
    }
    // One goods whose unload reaches Kafka before its load.
    kafka
        .produce_record(&line(300, RfidAction::Unload, "g-late", "truck-9"))
        .await
        .unwrap();

    let waited = errors.clone();
    let late_load = async {
        // The load arrives once the unload was refused at least once.
        while waited.lock().unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        kafka
            .produce_record(&line(200, RfidAction::Load, "g-late", "truck-9"))
            .await
            .unwrap();
    };
    let mut all = goods.clone();
    all.push("g-late".into());
    let run = kafka.run_until(&app, Duration::from_secs(60), || {
        let trucks = db::database()
            .unwrap()
            .trucks_of(all.iter().map(String::as_str))
            .unwrap();
        // Every goods, g-late included, was seen and is off its truck.
        trucks.len() == all.len()
            && trucks.values().all(Option::is_none)
            && processed(partitions) == 2 * GOODS as i64 + 2
    });
    let (ran, ()) = tokio::join!(run, late_load);
    ran.unwrap();

    assert_eq!(
        on_trucks(&goods),
        0,
        "every goods was unloaded after its load"
    );
    let errors = errors.lock().unwrap();
    assert!(!errors.is_empty());
    assert!(
        errors
            .iter()
            .all(|e| e.contains("unload of goods g-late from truck-9")),
        "only the early unload waited; keyed events kept their order: {errors:?}"
    );
}

/// Offsets of `rfid-events` processed into the database, over all partitions.
fn processed(partitions: i32) -> i64 {
    let database = db::database().unwrap();
    (0..partitions)
        .map(|p| {
            database
                .counted_offset("rfid-events", p)
                .unwrap()
                .unwrap_or(0)
        })
        .sum()
}
