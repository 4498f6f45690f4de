//! The MetricsListener's liveness endpoint, served over HTTP in a real run on
//! the embedded broker: 200 while the fetch loop iterates, 503 naming the group
//! while it is stuck (here: an inline batch that blocks it), 200 again after.

use std::time::Duration;

use karafka::embedded::EmbeddedBroker;
use karafka::producer::{Producer, Record};
use karafka::{Config, Consumer, Context, Messages, MetricsListener};
use karafka_tests::http::{get_async, sample};
use karafka_tests::{app_on, eventually, EventLog};

/// Blocks its fetch loop (inline backend) for 6 s on a `stall` message.
#[derive(Default)]
struct Staller;

impl Consumer for Staller {
    type Payload = String;

    async fn consume(
        &mut self,
        _: &mut Context,
        messages: Messages<String>,
    ) -> karafka::Result<()> {
        for message in &messages {
            if message.payload()? == "stall" {
                tokio::time::sleep(Duration::from_secs(6)).await;
            }
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group stuck {
        backend: inline,
        topic stalls { consumer: Staller, deserializer: karafka::deserializers::Utf8 }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_fails_while_a_fetch_loop_is_stuck_and_recovers_after() {
    let broker = EmbeddedBroker::start().unwrap();
    broker.create_topic("stalls", 1).unwrap();
    let brokers = broker.bootstrap_servers().to_owned();
    // max_wait_time 100 ms: an idle loop iterates far more often than the 1.5 s limit.
    let metrics = MetricsListener::new().liveness_timeout(Duration::from_millis(1500));
    let endpoint = metrics.serve("127.0.0.1:0").await.unwrap();
    let address = endpoint.local_addr().to_string();
    let events = EventLog::default();
    let server = app_on(&brokers, "liveness", |config| config.max_wait_time = 100)
        .listener(metrics)
        .listener(events.listener())
        .spawn()
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(60), || events
            .count("rebalance.partitions_assigned")
            == 1)
        .await
    );
    let (status, body) = get_async(&address, "/live").await.unwrap();
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    Producer::new(&Config::default(), &brokers)
        .unwrap()
        .send(&Record::new("stalls", "stall"))
        .await
        .unwrap();
    let mut stalled = None;
    for _ in 0..600 {
        let (status, body) = get_async(&address, "/live").await.unwrap();
        if status == 503 {
            stalled = Some(body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let body = stalled.expect("/live turns 503 while the loop is stuck");
    assert!(
        body.contains("consumer group stuck: no fetch loop iteration for"),
        "{body}"
    );
    assert!(body.contains("(limit 1500 ms)"), "{body}");
    let (_, metrics_text) = get_async(&address, "/metrics").await.unwrap();
    let idle = sample(
        &metrics_text,
        "karafka_fetch_loop_idle_seconds{consumer_group=\"stuck\"}",
    );
    assert!(idle.is_some_and(|s| s > 1.5), "{metrics_text}");

    let mut recovered = false;
    for _ in 0..300 {
        if get_async(&address, "/live").await.unwrap().0 == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await.unwrap();
    assert!(recovered, "/live is 200 again once the loop iterates");
    assert_eq!(events.count("consumer.consumed"), 1);
}
