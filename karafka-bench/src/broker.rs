//! The broker a benchmark runs against, started for the run or given.

use karafka::embedded::EmbeddedBroker;
use karafka_tests::tansu::Tansu;

use crate::BrokerKind;

/// A broker for the run; whatever was started stops when this is dropped.
pub struct Broker {
    address: String,
    embedded: Option<EmbeddedBroker>,
    _tansu: Option<Tansu>,
}

impl Broker {
    /// Starts the chosen broker, or uses `given` (host:port) as it is.
    pub fn start(kind: BrokerKind, given: Option<&str>) -> anyhow::Result<Broker> {
        if let Some(address) = given {
            return Ok(Broker {
                address: address.to_owned(),
                embedded: None,
                _tansu: None,
            });
        }
        Ok(match kind {
            BrokerKind::Embedded => {
                let broker = EmbeddedBroker::start()?;
                Broker {
                    address: broker.bootstrap_servers().to_owned(),
                    embedded: Some(broker),
                    _tansu: None,
                }
            }
            BrokerKind::Tansu => {
                let tansu = Tansu::start();
                Broker {
                    address: tansu.address().to_owned(),
                    embedded: None,
                    _tansu: Some(tansu),
                }
            }
        })
    }

    /// `host:port` of the broker.
    pub fn address(&self) -> &str {
        &self.address
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
