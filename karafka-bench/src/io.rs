//! The IO scenario, after Karafka's published worker benchmark: 10 partitions,
//! 1 ms of simulated IO per message, worker pool at concurrency 1, 5 and 10.
//! The ideal is 1,000 msg/s per worker, 10,000 msg/s at concurrency 10.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use karafka::{App, Backend, Consumer, Context, Messages};

use crate::broker::Broker;
use crate::report::figure;

const TOPIC: &str = "bench_io";
const PARTITIONS: i32 = 10;
const MESSAGES: usize = 10_000;
const IO_PER_MESSAGE: Duration = Duration::from_millis(1);

/// First batch start, last batch end, messages done.
static PROGRESS: Mutex<(Option<Instant>, Option<Instant>, usize)> = Mutex::new((None, None, 0));

/// Deserializes each message, then waits 1 ms for it as if writing it
/// somewhere (the virtual partitions scenario uses it too).
#[derive(Default)]
pub(crate) struct IoConsumer;

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

/// Produces the messages once, then drains them at each concurrency with a fresh group.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    broker.create_topic(TOPIC, PARTITIONS).await?;
    eprintln!("producing {MESSAGES} messages over {PARTITIONS} partitions");
    karafka_tests::kafka::produce_sequence(broker.address(), TOPIC, PARTITIONS, MESSAGES).await;
    for concurrency in [1, 5, 10] {
        let rate = drain(broker, concurrency).await?;
        eprintln!(
            "concurrency {concurrency}: {rate:.0} msg/s (ideal {})",
            concurrency * 1000
        );
        figure(&format!("io_c{concurrency}"), rate, "msg/s");
    }
    Ok(())
}

async fn drain(broker: &Broker, concurrency: usize) -> anyhow::Result<f64> {
    let name = format!("io_c{concurrency}");
    let client_id = crate::apps::fresh_client_id(&name);
    let app = crate::apps::single_route::<IoConsumer>(
        broker.address(),
        &client_id,
        TOPIC,
        Backend::WorkerPool,
        |config| {
            config.concurrency = concurrency;
        },
    )?;
    measure(app, &name, MESSAGES).await
}

/// Runs `app` (its routes consume with [`IoConsumer`]) until `messages` are
/// done; returns the rate from the first batch's start to the last one's end.
pub(crate) async fn measure(app: App, name: &str, messages: usize) -> anyhow::Result<f64> {
    *PROGRESS
        .lock()
        .map_err(|_| anyhow::anyhow!("progress lock poisoned"))? = (None, None, 0);
    let server = app.spawn().await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = PROGRESS
            .lock()
            .map_err(|_| anyhow::anyhow!("progress lock poisoned"))?
            .2;
        if done >= messages {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{name}: only {done} of {messages} messages in 120 s"
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
