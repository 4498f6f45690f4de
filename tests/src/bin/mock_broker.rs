//! librdkafka's mock cluster as a process of its own, for tests whose broker
//! must outlive the server they kill. Arguments are `topic:partitions` pairs;
//! it creates them, prints `bootstrap <host:port>` on stdout and stays up
//! until its stdin closes (the test dropped it) or it is killed.
//!
//! Lines on stdin inject faults: `fence-heartbeat` answers the next group
//! heartbeat with FENCED_INSTANCE_ID, which is fatal to the consumer that sent
//! it (librdkafka gives up the client, as for a static member fenced by a newer
//! one with the same `group.instance.id`).

use std::io::{BufRead, Write};

use karafka::embedded::EmbeddedBroker;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

fn main() -> anyhow::Result<()> {
    let broker = EmbeddedBroker::start()?;
    for spec in std::env::args().skip(1) {
        let (topic, partitions) = spec
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("`{spec}` is not of the form topic:partitions"))?;
        let partitions: i32 = partitions
            .parse()
            .map_err(|e| anyhow::anyhow!("partitions of `{spec}`: {e}"))?;
        broker.create_topic(topic, partitions)?;
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "bootstrap {}", broker.bootstrap_servers())?;
    stdout.flush()?;
    drop(stdout);
    // Returns at end of input: the parent is gone or done with the broker.
    for line in std::io::stdin().lock().lines() {
        match line?.trim() {
            "fence-heartbeat" => broker.mock().request_errors(
                RDKafkaApiKey::Heartbeat,
                &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID],
            ),
            "" => {}
            other => eprintln!("mock_broker: unknown command `{other}`"),
        }
    }
    drop(broker);
    Ok(())
}
