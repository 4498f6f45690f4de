//! `topics list | create | migrate | delete` of the `catalog` app against
//! Tansu: the plan printed, the topics really created with their declared
//! partitions and settings, exit 2 when something changed, 0 when nothing did,
//! 1 on an error.

use std::path::Path;

use karafka_tests::process::run;
use karafka_tests::tansu::Tansu;
use karafka_tests::{app_dir, free_port};

const CATALOG: &str = env!("CARGO_BIN_EXE_catalog");

/// Runs the catalog app's CLI in `dir` against `brokers`; (exit code, stdout, stderr).
fn catalog(dir: &Path, brokers: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let (status, stdout, stderr) = run(
        Path::new(CATALOG),
        args,
        &[
            ("KARAFKA_ROOT", dir.to_str().unwrap()),
            ("KARAFKA_BROKERS", brokers),
            ("RUST_BACKTRACE", "0"),
        ],
    );
    assert!(!stderr.contains("panicked"), "no panic:\n{stderr}");
    (status.code(), stdout, stderr)
}

/// Topic name to partition count, as the cluster reports them.
fn cluster_topics(brokers: &str) -> std::collections::BTreeMap<String, usize> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(None, std::time::Duration::from_secs(10))
        .unwrap();
    metadata
        .topics()
        .iter()
        .map(|t| (t.name().to_owned(), t.partitions().len()))
        .collect()
}

#[test]
fn migrate_creates_the_declared_topics_exits_2_then_finds_nothing_to_change_and_exits_0() {
    let tansu = Tansu::start();
    let dir = app_dir("client_id = \"catalog\"\n");
    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "migrate"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert_eq!(
        out,
        "create audit_log (3 partitions, replication factor 1)\n\
         create prices (3 partitions, replication factor 1)\n\
         create prices_dlq (3 partitions, replication factor 1)\n\
         create products (3 partitions, replication factor 1, retention.ms=3600000)\n\
         4 changes applied\n"
    );
    let topics = cluster_topics(tansu.address());
    for name in ["audit_log", "prices", "prices_dlq", "products"] {
        assert_eq!(
            topics.get(name),
            Some(&3),
            "{name} on the cluster: {topics:?}"
        );
    }

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "migrate"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("keep products (3 partitions, up to date)"),
        "{out}"
    );
    assert!(out.ends_with("nothing to change\n"), "{out}");
}

#[tokio::test]
async fn migrate_aligns_a_changed_retention_exits_2_then_finds_nothing_to_change_and_exits_0() {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    let tansu = Tansu::start();
    let admin: AdminClient<rdkafka::client::DefaultClientContext> = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", tansu.address())
        .create()
        .unwrap();
    let products =
        NewTopic::new("products", 3, TopicReplication::Fixed(1)).set("retention.ms", "86400000");
    for result in admin
        .create_topics(&[products], &AdminOptions::new())
        .await
        .unwrap()
    {
        result.unwrap();
    }
    let dir = app_dir("client_id = \"catalog\"\n");

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "plan"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("keep products (3 partitions, up to date)\nalter products retention.ms 86400000 -> 3600000\n"),
        "{out}"
    );
    assert!(
        out.ends_with("4 changes planned (dry run: nothing changed)\n"),
        "{out}"
    );

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "migrate"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        out.contains("alter products retention.ms 86400000 -> 3600000\n"),
        "{out}"
    );
    let (code, out, err) = catalog(
        dir.path(),
        tansu.address(),
        &["topics", "settings", "products"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("retention.ms") && l.contains("3600000")),
        "{out}"
    );

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "migrate"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!out.contains("alter "), "{out}");
    assert!(out.ends_with("nothing to change\n"), "{out}");
}

#[test]
fn list_create_and_delete_show_and_change_the_declared_topics() {
    let tansu = Tansu::start();
    let dir = app_dir("client_id = \"catalog\"\n");
    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "list"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.starts_with("TOPIC       DECLARED PARTITIONS  ON CLUSTER\n"),
        "{out}"
    );
    assert!(
        out.contains("products    3                    missing\n"),
        "{out}"
    );

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "create"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("create ")).count(),
        4,
        "{out}"
    );
    let (_, out, _) = catalog(dir.path(), tansu.address(), &["t", "ls"]);
    assert!(
        out.contains("products    3                    3\n"),
        "{out}"
    );

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "delete"]);
    assert_eq!(
        code,
        Some(1),
        "without a terminal, --yes is required: {out}{err}"
    );
    assert!(err.contains("pass --yes"), "{err}");
    assert!(cluster_topics(tansu.address()).contains_key("products"));
    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "delete", "--yes"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("delete products\n"), "{out}");
    let topics = cluster_topics(tansu.address());
    assert!(!topics.contains_key("products"), "{topics:?}");
}

#[test]
fn migrate_that_cannot_add_partitions_prints_the_plan_and_exits_1_naming_the_topic() {
    // Tansu has no CreatePartitions: the step fails, and says so.
    let tansu = Tansu::start();
    let small = app_dir("client_id = \"catalog\"\ndefault_partitions = 1\n");
    let (code, out, err) = catalog(small.path(), tansu.address(), &["topics", "create"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("create audit_log (1 partition, replication factor 1)"),
        "{out}"
    );

    let dir = app_dir("client_id = \"catalog\"\n");
    let (code, out, err) = catalog(
        dir.path(),
        tansu.address(),
        &["topics", "migrate", "--dry-run"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("repartition audit_log (from 1 to 3 partitions)"),
        "{out}"
    );
    assert!(
        out.contains("2 changes planned (dry run: nothing changed)"),
        "{out}"
    );

    let (code, out, err) = catalog(dir.path(), tansu.address(), &["topics", "migrate"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("repartition audit_log (from 1 to 3 partitions)"),
        "{out}"
    );
    assert!(err.contains("adding partitions to `audit_log`"), "{err}");
}

#[test]
fn migrate_against_an_unreachable_broker_exits_1_naming_the_brokers() {
    let dir = app_dir("client_id = \"catalog\"\nconnect_timeout = 1500\n");
    let brokers = format!("127.0.0.1:{}", free_port());
    let (code, out, err) = catalog(dir.path(), &brokers, &["topics", "migrate"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!(
            "cannot reach the brokers {brokers} within 1500 ms"
        )),
        "{err}"
    );
}

#[test]
fn server_boot_creates_missing_topics_with_their_declared_partitions() {
    let tansu = Tansu::start();
    let dir = app_dir(
        "client_id = \"catalog\"\ndefault_partitions = 1\n[kafka]\n\"session.timeout.ms\" = 6000\n",
    );
    let mut server = karafka_tests::process::AppProcess::spawn(
        Path::new(CATALOG),
        &["server"],
        &[
            ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
            ("KARAFKA_BROKERS", tansu.address()),
        ],
    );
    assert!(
        server.wait_for_line("Running Karafka server", std::time::Duration::from_secs(60)),
        "{}",
        server.log()
    );
    assert!(
        server.log().contains(
            "Created missing topics audit_log (1 partition), prices (3 partitions), prices_dlq (1 partition), products (3 partitions)"
        ),
        "{}",
        server.log()
    );
    let topics = cluster_topics(tansu.address());
    assert_eq!(topics.get("products"), Some(&3), "{topics:?}");
    assert_eq!(topics.get("audit_log"), Some(&1), "{topics:?}");
    server.signal(libc::SIGTERM);
    assert_eq!(
        server
            .wait_exit(std::time::Duration::from_secs(30))
            .and_then(|s| s.code()),
        Some(0),
        "{}",
        server.log()
    );
}
