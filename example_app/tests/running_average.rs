//! Seed 001's running average, tested as the seed tests its topology with
//! TopologyTestDriver — but through the app's real consumers, responders and
//! routes: first without a broker (`TestApp`), then on the embedded broker.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use example_app::ratings::{Rating, RatingAverage};
use example_app::responders::RatingsResponder;
use karafka::testing::{EmbeddedKafka, Record, TestApp};
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

#[tokio::test]
async fn ratings_8_and_10_for_movie_362_average_9_without_a_broker() {
    let app = TestApp::new(example_app::load().unwrap());
    for rating in &LETHAL_WEAPON {
        app.respond(&RatingsResponder, rating).await.unwrap();
    }

    app.consume("ratings").await.unwrap();

    let averages: Vec<RatingAverage> = app.produced_payloads("rating-averages").unwrap();
    // Two ratings in, two updates out; the second holds the average of both.
    assert_eq!(averages.len(), 2, "{averages:?}");
    assert_eq!(
        averages[1],
        RatingAverage {
            movie_id: 362,
            average: 9.0,
            count: 2
        }
    );
    let keys: Vec<_> = app
        .produced_messages("rating-averages")
        .iter()
        .map(|m| m.key().map(<[u8]>::to_vec))
        .collect();
    assert_eq!(
        keys,
        vec![Some(b"362".to_vec()); 2],
        "averages are keyed by movie"
    );
    // The averages are consumed in turn by their own route.
    app.consume("rating-averages").await.unwrap();
    assert_eq!(
        app.committed_offset("rating-averages", partition_of(&app, 362)),
        Some(2)
    );
}

#[tokio::test]
async fn rating_out_of_range_goes_to_the_dead_letter_queue_and_the_average_ignores_it() {
    let app = TestApp::new(example_app::load().unwrap());
    app.create_topic("ratings", 1);
    for (movie, rating) in [(7, "6"), (7, "11"), (7, "8")] {
        let payload = format!(r#"{{"movieId":{movie},"rating":{rating}}}"#);
        app.produce_record(Record::new("ratings", payload).key(movie.to_string()))
            .unwrap();
    }

    app.consume("ratings").await.unwrap();

    let dead = app.produced_messages("ratings_dlq");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        dead[0].payload(),
        Some(&br#"{"movieId":7,"rating":11}"#[..])
    );
    let error = String::from_utf8_lossy(dead[0].header("source_error").unwrap()).into_owned();
    assert!(
        error.contains("rating 11 of movie 7 is not between 1 and 10"),
        "{error}"
    );
    let averages: Vec<RatingAverage> = app.produced_payloads("rating-averages").unwrap();
    assert_eq!(
        averages.last(),
        Some(&RatingAverage {
            movie_id: 7,
            average: 7.0,
            count: 2
        }),
        "6 and 8 count, 11 does not: {averages:?}"
    );
}

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

/// The partition key `362` lands on in the app's in-memory topics.
fn partition_of(app: &TestApp, movie: i64) -> i32 {
    app.produced_messages("rating-averages")
        .iter()
        .find(|m| m.key() == Some(movie.to_string().as_bytes()))
        .map(|m| m.partition())
        .expect("an average of the movie")
}
