//! A rating the consumer refuses (out of range) is retried, then goes to the
//! dead letter queue with the reason, and the running average ignores it.

use example_app::ratings::RatingAverage;
use karafka::testing::{Record, TestApp};

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
