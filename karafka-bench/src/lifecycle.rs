//! Boot and stop times: from `App::spawn` to running (the group join, which
//! happens afterwards in librdkafka, is excluded), and from `stop` to stopped
//! (the group assigned and idle). Medians of `RUNS`.

use std::time::Instant;

use karafka::Backend;

use crate::apps::{fresh_client_id, single_route};
use crate::broker::Broker;
use crate::report::figure;
use crate::throughput::{median, Deserializing};

/// An empty topic: the server has nothing to do between boot and stop.
const TOPIC: &str = "bench_lifecycle";

const RUNS: usize = 3;

/// Measures and prints boot_ms and stop_ms.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    broker.create_topic(TOPIC, 1).await?;
    let (mut boots, mut stops) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (assigned, assigned_rx) = crate::apps::assignment_signal();
        let app = single_route::<Deserializing>(
            broker.address(),
            &fresh_client_id("lifecycle"),
            TOPIC,
            Backend::Inline,
            |_| {},
        )?
        .listener(assigned);
        let booting = Instant::now();
        let server = app.spawn().await?;
        boots.push(booting.elapsed().as_secs_f64() * 1000.0);
        crate::apps::wait_assigned(assigned_rx).await?;
        let stopping = Instant::now();
        server.stop().await?;
        stops.push(stopping.elapsed().as_secs_f64() * 1000.0);
    }
    eprintln!("boot {boots:?} ms, stop {stops:?} ms");
    figure("boot_ms", median(boots), "ms");
    figure("stop_ms", median(stops), "ms");
    Ok(())
}
