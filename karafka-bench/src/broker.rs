//! The broker a benchmark runs against, started for the run or given.

use karafka::embedded::EmbeddedBroker;
use karafka_tests::tansu::Tansu;

use crate::BrokerKind;

/// A broker for the run; whatever was started stops when this is dropped.
pub struct Broker {
    address: String,
    embedded: Option<EmbeddedBroker>,
    tansu: Option<Tansu>,
    kind: BrokerKind,
}

impl Broker {
    /// Starts the chosen broker, or uses `given` (host:port) as it is.
    pub fn start(kind: BrokerKind, given: Option<&str>) -> anyhow::Result<Broker> {
        if let Some(address) = given {
            return Ok(Broker {
                address: address.to_owned(),
                embedded: None,
                tansu: None,
                kind,
            });
        }
        Ok(match kind {
            BrokerKind::Embedded => {
                let broker = EmbeddedBroker::start()?;
                Broker {
                    address: broker.bootstrap_servers().to_owned(),
                    embedded: Some(broker),
                    tansu: None,
                    kind,
                }
            }
            BrokerKind::Tansu => {
                let tansu = Tansu::start();
                Broker {
                    address: tansu.address().to_owned(),
                    embedded: None,
                    tansu: Some(tansu),
                    kind,
                }
            }
        })
    }

    /// `host:port` of the broker.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Which broker it is (as given with `--broker`).
    pub fn kind(&self) -> BrokerKind {
        self.kind
    }

    /// The process id of a broker started for the run in a process of its own.
    pub fn pid(&self) -> Option<u32> {
        self.tansu.as_ref().map(Tansu::pid)
    }

    /// Creates a topic, through the mock cluster's API or CreateTopics.
    pub async fn create_topic(&self, topic: &str, partitions: i32) -> anyhow::Result<()> {
        match &self.embedded {
            Some(broker) => broker.create_topic(topic, partitions)?,
            None => karafka_tests::kafka::create_topic(&self.address, topic, partitions).await,
        }
        Ok(())
    }
}
