//! The virtual partitions scenario: ONE partition, 1 ms of simulated IO per
//! message, worker pool at concurrency 10; once with `virtual_partitions:
//! { partitioner: key, max_partitions: 10 }` (`io_vp10`, ideal 10,000 msg/s)
//! and once without (`io_vp_off`, a single partition is consumed one batch at
//! a time: ideal 1,000 msg/s). Batches of 1,000 messages, so the lanes of a
//! batch (100 messages each) dwarf the turn between two batches.

use karafka::routing::definition::{ConsumerGroupDef, RouteOptions, TopicDef};
use karafka::routing::Routes;
use karafka::{App, Backend, Config, VirtualPartitioner, VirtualPartitions};

use crate::broker::Broker;
use crate::io::IoConsumer;
use crate::report::figure;

const TOPIC: &str = "bench_vp";
const MESSAGES: usize = 10_000;
const CONCURRENCY: usize = 10;
const MAX_MESSAGES: usize = 1_000;

/// Produces the messages once (unique keys), then drains them with and without virtual partitions.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    broker.create_topic(TOPIC, 1).await?;
    eprintln!("producing {MESSAGES} messages to one partition");
    karafka_tests::kafka::produce_sequence(broker.address(), TOPIC, 1, MESSAGES).await;
    let with = drain(broker, Some(CONCURRENCY)).await?;
    eprintln!("10 virtual partitions: {with:.0} msg/s (ideal 10000)");
    figure("io_vp10", with, "msg/s");
    let without = drain(broker, None).await?;
    eprintln!("no virtual partitions: {without:.0} msg/s (ideal 1000)");
    figure("io_vp_off", without, "msg/s");
    Ok(())
}

/// Drains the topic with a fresh group, with `max_partitions` virtual partitions if given.
async fn drain(broker: &Broker, max_partitions: Option<usize>) -> anyhow::Result<f64> {
    let name = match max_partitions {
        Some(n) => format!("io_vp{n}"),
        None => "io_vp_off".to_owned(),
    };
    let config = Config {
        client_id: crate::apps::fresh_client_id(&name),
        brokers: vec![broker.address().to_owned()],
        backend: Backend::WorkerPool,
        concurrency: CONCURRENCY,
        max_messages: MAX_MESSAGES,
        ..Config::default()
    };
    let options = RouteOptions {
        virtual_partitions: max_partitions.map(|max_partitions| VirtualPartitions {
            partitioner: VirtualPartitioner::Key,
            max_partitions,
        }),
        ..RouteOptions::default()
    };
    let route = TopicDef::new::<IoConsumer, _>(TOPIC, karafka::deserializers::Json, options);
    let group = ConsumerGroupDef::new("bench", RouteOptions::default(), vec![route]);
    let routes = Routes::from_definitions(vec![group], &config)?;
    let app = App::new(std::env::temp_dir(), config, routes);
    crate::io::measure(app, &name, MESSAGES).await
}
