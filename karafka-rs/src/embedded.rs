//! The zero-install development broker: librdkafka's mock cluster, in-process,
//! speaking the real Kafka protocol on a localhost port.
//!
//! A server that starts it writes the address to a small file keyed by the
//! app's root directory and client id, so other commands of the same app
//! (such as `produce`) started from the same directory find it.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, DefaultProducerContext, Producer as _};
use rdkafka::ClientConfig;

use crate::config::Config;
use crate::error::{Error, Result};

/// A running mock cluster with one broker; it stops when dropped.
pub struct EmbeddedBroker {
    anchor: BaseProducer<DefaultProducerContext>,
    bootstrap_servers: String,
    advertised: Option<PathBuf>,
}

impl EmbeddedBroker {
    /// Starts a one-broker mock cluster that rebalances groups without delay.
    pub fn start() -> Result<EmbeddedBroker> {
        let anchor: BaseProducer<DefaultProducerContext> = ClientConfig::new()
            .set("test.mock.num.brokers", "1")
            .set("log_level", "3")
            .create()
            .map_err(|e| Error::Embedded(format!("cannot start the mock cluster: {e}")))?;
        let bootstrap_servers = anchor
            .client()
            .mock_cluster()
            .ok_or_else(|| Error::Embedded("librdkafka did not create a mock cluster".into()))?
            .bootstrap_servers();
        disable_initial_rebalance_delay(&anchor);
        Ok(EmbeddedBroker {
            anchor,
            bootstrap_servers,
            advertised: None,
        })
    }

    /// The `host:port` list clients connect to.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// Creates a topic (the mock cluster has no CreateTopics API of its own).
    pub fn create_topic(&self, topic: &str, partitions: i32) -> Result<()> {
        self.mock()
            .create_topic(topic, partitions, 1)
            .map_err(|e| Error::Embedded(format!("cannot create topic `{topic}`: {e}")))
    }

    /// The mock cluster's own API, for fault injection in tests.
    pub fn mock(&self) -> MockCluster<'_, DefaultProducerContext> {
        self.anchor
            .client()
            .mock_cluster()
            .expect("the anchor client was created with a mock cluster")
    }

    /// Writes the address where other commands of the app at `root` will look for it.
    pub fn advertise(&mut self, root: &Path, client_id: &str) -> Result<()> {
        let path = discovery_file(root, client_id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        std::fs::write(&path, format!("{}\n", self.bootstrap_servers))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        self.advertised = Some(path);
        Ok(())
    }

    /// The address of a running embedded broker of the app at `root`, if one answers.
    pub fn discover(root: &Path, client_id: &str) -> Option<String> {
        let text = std::fs::read_to_string(discovery_file(root, client_id)).ok()?;
        let address = text.trim().to_owned();
        let reachable = address
            .split(',')
            .filter_map(|a| a.parse::<SocketAddr>().ok())
            .any(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok());
        reachable.then_some(address)
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        if let Some(path) = self.advertised.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl std::fmt::Debug for EmbeddedBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedBroker")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .finish()
    }
}

/// The brokers of the app at `root` for clients other than its server: the
/// configured ones, or in development the app's running embedded broker.
pub(crate) fn app_brokers(root: &Path, config: &Config) -> Result<String> {
    if !config.brokers.is_empty() {
        return Ok(config.brokers.join(","));
    }
    if !config.is_development() {
        return Err(no_brokers(config));
    }
    EmbeddedBroker::discover(root, &config.client_id).ok_or_else(|| {
        Error::Embedded(format!(
            "no brokers configured and no embedded broker running for the app in {} (client_id `{}`): start `server` or `broker` first, or set KARAFKA_BROKERS",
            root.display(),
            config.client_id
        ))
    })
}

/// The error of an app without brokers outside development.
pub(crate) fn no_brokers(config: &Config) -> Error {
    Error::Config {
        file: config.origin(),
        key: "brokers".into(),
        reason: format!(
            "no brokers configured for environment `{}`; set `brokers` or KARAFKA_BROKERS (the embedded broker runs only in development and test)",
            config.environment
        ),
    }
}

/// The mock cluster waits 3 s before a group's first rebalance; a development
/// broker has no reason to.
#[allow(unsafe_code)]
fn disable_initial_rebalance_delay(anchor: &BaseProducer<DefaultProducerContext>) {
    // SAFETY: the handle is a live client created with `test.mock.num.brokers`, so
    // it owns a mock cluster, which stays alive as long as `anchor` does.
    unsafe {
        let cluster = rdkafka_sys::rd_kafka_handle_mock_cluster(anchor.client().native_ptr());
        if !cluster.is_null() {
            rdkafka_sys::rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        }
    }
}

/// `<temp>/karafka-rs/<client_id>-<hash of root>.broker`: one per app directory.
fn discovery_file(root: &Path, client_id: &str) -> PathBuf {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in root.to_string_lossy().bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    std::env::temp_dir()
        .join("karafka-rs")
        .join(format!("{client_id}-{hash:016x}.broker"))
}
