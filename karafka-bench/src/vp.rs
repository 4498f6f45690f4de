//! The virtual partitions scenario: ONE partition, 1 ms of simulated IO per
//! message, worker pool at concurrency 10; once with `virtual_partitions:
//! { partitioner: key, max_partitions: 10 }` (`io_vp10`, ideal 10,000 msg/s)
//! and once without (`io_vp_off`, a single partition is consumed one batch at
//! a time: ideal 1,000 msg/s). Batches of 1,000 messages, so the lanes of a
//! batch (100 messages each) dwarf the turn between two batches.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::routing::definition::{ConsumerGroupDef, RouteOptions, TopicDef};
use karafka::routing::Routes;
use karafka::{
    App, Backend, Config, Consumer, Context, Messages, VirtualPartitioner, VirtualPartitions,
};

use crate::broker::Broker;
use crate::report::figure;

const TOPIC: &str = "bench_vp";
const MESSAGES: usize = 10_000;
const CONCURRENCY: usize = 10;
const MAX_MESSAGES: usize = 1_000;
const IO_PER_MESSAGE: Duration = Duration::from_millis(1);

/// First batch start, last batch end, messages done.
static PROGRESS: Mutex<(Option<Instant>, Option<Instant>, usize)> = Mutex::new((None, None, 0));

/// Deserializes each message, then waits 1 ms for it as if writing it somewhere.
#[derive(Default)]
struct IoConsumer;

impl Consumer for IoConsumer {
    type Payload = serde_json::Value;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<serde_json::Value>,
    ) -> karafka::Result<()> {
        let started = tokio::time::Instant::now();
        {
            let mut progress = PROGRESS.lock().map_err(|_| "progress lock poisoned")?;
            progress.0.get_or_insert_with(Instant::now);
        }
        // Deadlines from the batch start, so timer granularity does not add up per message.
        for (index, message) in messages.iter().enumerate() {
            message.payload()?;
            tokio::time::sleep_until(started + IO_PER_MESSAGE * (index as u32 + 1)).await;
        }
        let mut progress = PROGRESS.lock().map_err(|_| "progress lock poisoned")?;
        progress.1 = Some(Instant::now());
        progress.2 += messages.len();
        Ok(())
    }
}

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
    *PROGRESS
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))? = (None, None, 0);
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
    let server = app.spawn().await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = PROGRESS
            .lock()
            .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?
            .2;
        if done >= MESSAGES {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name}: only {done} of {MESSAGES} messages in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.stop().await?;
    let (first, last, done) = *PROGRESS
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?;
    let (Some(first), Some(last)) = (first, last) else {
        anyhow::bail!("no batch was timed");
    };
    Ok(done as f64 / (last - first).as_secs_f64())
}
