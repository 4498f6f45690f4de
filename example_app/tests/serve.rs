//! Seed 000 and 001 together: `serve` runs the HTTP server and the consumers in
//! one process on one runtime. A rating posted over HTTP goes through
//! `RatingsResponder` to `ratings`, is counted by `RatingsConsumer` in SQLite,
//! its average goes to `rating-averages` and `RatingAveragesConsumer` saves it
//! for `GET /averages`. SIGTERM stops HTTP and consumers, gracefully.

mod serving;

use std::time::Duration;

use karafka_tests::http::{get, post_json};
use karafka_tests::wait_until;
use serving::Serving;

#[test]
fn posted_ratings_8_and_10_show_as_average_9_and_sigterm_stops_http_and_consumers() {
    let mut serving = Serving::start();
    let address = serving.address.clone();

    for rating in [8, 10] {
        let body = format!(r#"{{"movieId": 362, "rating": {rating}}}"#);
        let (status, response) = post_json(&address, "/ratings", &body).unwrap();
        assert_eq!(status, 202, "{response}");
        assert!(response.contains(r#""topic":"ratings""#), "{response}");
    }
    let mut averages = String::new();
    let shown = wait_until(Duration::from_secs(30), || {
        averages = get(&address, "/averages")
            .map(|(_, body)| body)
            .unwrap_or_default();
        averages.contains(r#"{"movieId":362,"average":9.0,"count":2}"#)
    });
    assert!(
        shown,
        "GET /averages shows movie 362 at 9.0: {averages}\n{}",
        serving.process.log()
    );
    assert!(
        serving.database().exists(),
        "the database is a file in the app's directory"
    );

    serving.process.signal(libc::SIGTERM);
    let status = serving.process.wait_exit(Duration::from_secs(30));
    let log = serving.process.log();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "SIGTERM stops it cleanly:\n{log}"
    );
    for line in [
        "HTTP server stopped",
        "Stopped Karafka server",
        "Consumers stopped",
    ] {
        assert!(log.contains(line), "the log says {line:?}:\n{log}");
    }
    assert!(
        std::net::TcpStream::connect(&address).is_err(),
        "nothing listens on {address} any more"
    );
}

#[test]
fn bad_ratings_are_refused_naming_what_is_wrong_and_nothing_is_counted() {
    let serving = Serving::start();
    let address = &serving.address;

    let (status, body) =
        post_json(address, "/ratings", r#"{"movieId": 552, "rating": 11}"#).unwrap();
    assert_eq!(status, 422);
    assert!(
        body.contains("rating 11 of movie 552 is not between 1 and 10"),
        "{body}"
    );

    let (status, body) = post_json(address, "/ratings", r#"{"movie": 552}"#).unwrap();
    assert_eq!(status, 422);
    assert!(body.contains("missing field `movieId`"), "{body}");

    let (status, body) = post_json(address, "/ratings", "{not json").unwrap();
    assert_eq!(status, 400, "{body}");

    let (status, body) =
        post_json(address, "/ratings", r#"{"movieId": 552, "rating": 4}"#).unwrap();
    assert_eq!(status, 202, "{body}");
    let mut averages = String::new();
    let shown = wait_until(Duration::from_secs(30), || {
        averages = get(address, "/averages")
            .map(|(_, body)| body)
            .unwrap_or_default();
        averages.contains(r#"{"movieId":552,"average":4.0,"count":1}"#)
    });
    assert!(shown, "only the valid rating counts: {averages}");
}
