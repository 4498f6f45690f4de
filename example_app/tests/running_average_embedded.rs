//! Seed 001's running average on the embedded broker: the app's whole server
//! runs in-process against a mock cluster (`EmbeddedKafka`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use example_app::ratings::{Rating, RatingAverage};
use karafka::testing::{EmbeddedKafka, Record};
use karafka::Event;

/// The seed's LETHAL_WEAPON_RATING_8 and LETHAL_WEAPON_RATING_10.
const LETHAL_WEAPON: [Rating; 2] = [
    Rating {
        movie_id: 362,
        rating: 8.0,
    },
    Rating {
        movie_id: 362,
        rating: 10.0,
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_8_and_10_for_movie_362_average_9_on_the_embedded_broker() {
    let kafka = EmbeddedKafka::start().unwrap();
    let responded = Arc::new(Mutex::new(0usize));
    let counter = responded.clone();
    let app = kafka
        .app(example_app::load().unwrap())
        .unwrap()
        .listener(move |event: &Event| {
            if let Event::ResponderResponded(r) = event {
                if r.responder == "RatingAveragesResponder" {
                    *counter.lock().unwrap() += r.messages;
                }
            }
        });
    for rating in &LETHAL_WEAPON {
        let payload = serde_json::to_vec(rating).unwrap();
        kafka
            .produce_record(&Record::new("ratings", payload).key("362"))
            .await
            .unwrap();
    }

    kafka
        .run_until(&app, Duration::from_secs(60), || {
            *responded.lock().unwrap() >= 2
        })
        .await
        .unwrap();

    let published = kafka
        .messages("rating-averages", 2, Duration::from_secs(30))
        .await
        .unwrap();
    let averages: Vec<RatingAverage> = published
        .iter()
        .map(|m| serde_json::from_slice(m.payload().unwrap()).unwrap())
        .collect();
    assert_eq!(
        averages,
        vec![
            RatingAverage {
                movie_id: 362,
                average: 8.0,
                count: 1
            },
            RatingAverage {
                movie_id: 362,
                average: 9.0,
                count: 2
            },
        ]
    );
}
