//! Seed 000 and 001 together: `serve` runs the HTTP server and the consumers in
//! one process on one runtime. A rating posted over HTTP goes through
//! `RatingsResponder` to `ratings`, is counted by `RatingsConsumer` in SQLite,
//! its average goes to `rating-averages` and `RatingAveragesConsumer` saves it
//! for `GET /averages`. SIGTERM stops HTTP and consumers, gracefully; a
//! consumer group that fails stops both too, and the process exits non-zero.

mod serving;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
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

    // A page watching the averages keeps its event stream open; the stop must not wait for it.
    let mut watcher = TcpStream::connect(&address).unwrap();
    watcher
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        watcher,
        "GET /averages/stream HTTP/1.1\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    watcher.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "the event stream is open");

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
        TcpStream::connect(&address).is_err(),
        "nothing listens on {address} any more"
    );
    let mut rest = Vec::new();
    assert!(
        watcher.read_to_end(&mut rest).is_ok(),
        "the event stream was ended"
    );
}

#[test]
fn page_offers_the_rating_form_and_the_live_averages() {
    let serving = Serving::start();
    let (status, page) = get(&serving.address, "/").unwrap();
    assert_eq!(status, 200);
    for expected in [
        r#"<form id="rating-form""#,
        r#"<option value="362">Lethal Weapon</option>"#,
        r#"<option value="10">10</option>"#,
        "new EventSource('/averages/stream')",
    ] {
        assert!(page.contains(expected), "the page has {expected:?}");
    }
}

#[test]
fn bad_ratings_are_refused_naming_what_is_wrong_and_sigint_stops_it_too() {
    let mut serving = Serving::start();
    let address = &serving.address.clone();

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

    serving.process.signal(libc::SIGINT);
    let status = serving.process.wait_exit(Duration::from_secs(30));
    let log = serving.process.log();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "SIGINT stops it cleanly:\n{log}"
    );
    assert!(log.contains("Received SIGINT"), "{log}");
    assert!(log.contains("Consumers stopped"), "{log}");
}

#[test]
fn serve_stops_http_and_exits_non_zero_when_a_consumer_group_fails() {
    // A broker of the test's own, so that it can fence a consumer: a fatal
    // Kafka client error, after which that consumer group cannot go on.
    let broker = EmbeddedBroker::start().unwrap();
    broker
        .create_declared_topics(&example_app::load().unwrap())
        .unwrap();
    let mut serving = Serving::start_on(Some(broker.bootstrap_servers()));
    let address = serving.address.clone();
    assert_eq!(get(&address, "/live").unwrap(), (200, "ok\n".to_owned()));

    broker.mock().request_errors(
        rdkafka::types::RDKafkaApiKey::Heartbeat,
        &[rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID],
    );
    let status = serving.process.wait_exit(Duration::from_secs(60));
    let log = serving.process.log();
    let code = status.and_then(|s| s.code());
    assert!(
        code.is_some_and(|c| c != 0),
        "a failed consumer group ends serve with a non-zero code, got {code:?}:\n{log}"
    );
    for line in [
        "The consumers stopped (consumer group ",
        "fatal Kafka client error",
        "HTTP server stopped",
        "Error: the server stopped: consumer group ",
    ] {
        assert!(log.contains(line), "the log says {line:?}:\n{log}");
    }
    assert!(
        TcpStream::connect(&address).is_err(),
        "nothing listens on {address} any more"
    );
}
