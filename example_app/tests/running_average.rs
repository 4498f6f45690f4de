//! Seed 001's running average, tested as the seed tests its topology with
//! TopologyTestDriver, but through the app's real consumers, responders and
//! routes, without a broker (`TestApp`). Each test file is its own process,
//! so each has its own (in-memory) database.

use example_app::ratings::{Rating, RatingAverage};
use example_app::responders::RatingsResponder;
use karafka::testing::TestApp;

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

/// The partition key `362` lands on in the app's in-memory topics.
fn partition_of(app: &TestApp, movie: i64) -> i32 {
    app.produced_messages("rating-averages")
        .iter()
        .find(|m| m.key() == Some(movie.to_string().as_bytes()))
        .map(|m| m.partition())
        .expect("an average of the movie")
}
