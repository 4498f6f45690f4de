//! The app CLI's `info`, `routes`, `broker`, `consume` and `server` filters,
//! run as a user runs them (the `catalog` app's binary), and their errors.

use std::path::Path;
use std::time::Duration;

use karafka_tests::app_dir;
use karafka_tests::process::{run, AppProcess};

const CATALOG: &str = env!("CARGO_BIN_EXE_catalog");

/// Runs the catalog app's CLI with `dir` as its root; (exit code, stdout, stderr).
fn catalog(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let (status, stdout, stderr) = run(
        Path::new(CATALOG),
        args,
        &[
            ("KARAFKA_ROOT", dir.to_str().unwrap()),
            ("RUST_BACKTRACE", "0"),
        ],
    );
    assert!(!stderr.contains("panicked"), "no panic:\n{stderr}");
    (status.code(), stdout, stderr)
}

fn spawn(dir: &Path, args: &[&str]) -> AppProcess {
    AppProcess::spawn(
        Path::new(CATALOG),
        args,
        &[("KARAFKA_ROOT", dir.to_str().unwrap())],
    )
}

#[test]
fn info_shows_versions_settings_and_routes_with_secrets_filtered() {
    let dir = app_dir(
        "client_id = \"shop\"\nconcurrency = 7\nbackend = \"worker_pool\"\n\n[kafka]\n\"sasl.password\" = \"hunter2\"\n\"ssl.key.password\" = \"s3cret\"\n\"linger.ms\" = 5\n",
    );
    let (code, out, err) = catalog(dir.path(), &["info"]);
    assert_eq!(code, Some(0), "{out}{err}");
    let version = format!("karafka-rs version: {}\n", env!("CARGO_PKG_VERSION"));
    for expected in [
        version.as_str(),
        "rustc version: rustc 1.",
        "librdkafka version: 2.",
        "Application client id: shop\n",
        "Environment: development\n",
        "Kafka brokers: embedded development broker (not running; `server` or `broker` starts it)\n",
        "Backend: worker_pool\n",
        "Concurrency: 7\n",
        "Kafka settings: linger.ms=5, sasl.password=[FILTERED], ssl.key.password=[FILTERED]\n",
        "  catalog (group.id shop_catalog): products, prices\n",
        "  audit (group.id shop_audit): audit_log\n",
    ] {
        assert!(out.contains(expected), "info lacks {expected:?}:\n{out}");
    }
    assert!(
        !format!("{out}{err}").contains("hunter2") && !format!("{out}{err}").contains("s3cret"),
        "{out}{err}"
    );
}

#[test]
fn env_flag_switches_the_environment_for_every_command() {
    let dir = app_dir("client_id = \"shop\"\n");
    let (code, out, err) = catalog(dir.path(), &["info", "--env", "production"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("Environment: production\n"), "{out}");
    assert!(out.contains("Kafka brokers: none configured\n"), "{out}");

    let (code, out, err) = catalog(dir.path(), &["--env", "production", "server"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("key `brokers`"), "{err}");
    assert!(err.contains("environment `production`"), "{err}");
}

#[test]
fn routes_prints_group_topic_consumer_deserializer_backend_dlq_and_the_options_set() {
    let dir = app_dir("");
    let (code, out, err) = catalog(dir.path(), &["routes"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(
        out,
        "GROUP    TOPIC      CONSUMER         DESERIALIZER  BACKEND      DEAD LETTER QUEUE           THROTTLE\n\
         catalog  products   LoggingConsumer  Json          inline       -                           -\n\
         catalog  prices     LoggingConsumer  Json          worker_pool  prices_dlq after 2 retries  500 per 1000 ms\n\
         audit    audit_log  LoggingConsumer  Json          inline       -                           -\n"
    );
}

#[test]
fn a_broken_config_fails_info_naming_the_key_and_file() {
    let dir = app_dir("client_id = \"shop\"\nconcurency = 3\n");
    let (code, out, err) = catalog(dir.path(), &["info"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("key `concurency`"), "{err}");
    assert!(err.contains("karafka.toml"), "{err}");
}

#[test]
fn server_with_an_unknown_topic_or_group_fails_naming_the_routed_ones() {
    let dir = app_dir("");
    let (code, _, err) = catalog(dir.path(), &["server", "--topics", "product"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("no topic `product` is routed; routed topics: products, prices, audit_log"),
        "{err}"
    );
    let (code, _, err) = catalog(dir.path(), &["s", "--consumer-groups", "billing"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("no consumer group `billing`; routed groups: catalog, audit"),
        "{err}"
    );
}

#[test]
fn help_lists_every_command_with_its_alias_and_examples() {
    let dir = app_dir("");
    let (code, out, _) = catalog(dir.path(), &["--help"]);
    assert_eq!(code, Some(0), "{out}");
    for expected in [
        "[alias: s]",
        "info",
        "routes",
        "topics",
        "broker",
        "consume",
        "produce",
        "respond",
        "Examples:",
        "app topics migrate",
    ] {
        assert!(out.contains(expected), "{expected:?} in:\n{out}");
    }
}

#[test]
fn broker_runs_standalone_and_the_apps_other_commands_find_it() {
    let dir = app_dir(
        "client_id = \"shop\"\ndefault_partitions = 2\n[kafka]\n\"session.timeout.ms\" = 6000\n",
    );
    let mut broker = spawn(dir.path(), &["broker"]);
    assert!(
        broker.wait_for_line(
            "Embedded development broker running on",
            Duration::from_secs(30)
        ),
        "{}",
        broker.log()
    );
    let log = broker.log();
    let address = log
        .lines()
        .find_map(|l| l.strip_prefix("Embedded development broker running on "))
        .expect("the address line")
        .trim()
        .to_owned();

    let (code, out, err) = catalog(dir.path(), &["broker"]);
    assert_eq!(code, Some(1), "a second broker is refused: {out}{err}");
    assert!(err.contains(&format!("already runs at {address}")), "{err}");

    let (_, out, _) = catalog(dir.path(), &["info"]);
    assert!(
        out.contains(&format!(
            "Kafka brokers: {address} (embedded development broker, running)"
        )),
        "{out}"
    );
    let (code, out, err) = catalog(dir.path(), &["topics", "list"]);
    assert_eq!(code, Some(0), "{out}{err}");
    // Declared partitions where the route has `config`, default_partitions elsewhere.
    assert!(
        out.contains("products    3                    3\n"),
        "{out}"
    );
    assert!(
        out.contains("prices_dlq  2                    2\n"),
        "{out}"
    );
    assert!(
        out.contains("audit_log   2                    2\n"),
        "{out}"
    );

    let (code, out, err) = catalog(dir.path(), &["topics", "migrate"]);
    assert_eq!(
        code,
        Some(0),
        "the broker made every declared topic: {out}{err}"
    );
    assert!(out.ends_with("nothing to change\n"), "{out}");
    let (code, out, err) = catalog(dir.path(), &["topics", "delete"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("the embedded development broker cannot delete topics"),
        "{err}"
    );

    let (code, out, err) = catalog(dir.path(), &["produce", "products", r#"{"sku":1}"#]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, err) = catalog(
        dir.path(),
        &["consume", "products", "--from-beginning", "--count", "1"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("products/"), "{out}");
    assert!(out.ends_with("@0 - {\"sku\":1}\n"), "{out}");
    for sku in [2, 3] {
        let payload = format!("{{\"sku\":{sku}}}");
        let (code, out, err) = catalog(
            dir.path(),
            &["produce", "products", &payload, "--partition", "1"],
        );
        assert_eq!(code, Some(0), "{out}{err}");
    }
    let (code, out, err) = catalog(
        dir.path(),
        &["consume", "products", "--partition", "1", "--offset", "1"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    // The first message may have landed on partition 1 too.
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("products/1@1 - "), "{out}");
    assert!(lines.iter().all(|l| l.starts_with("products/1@")), "{out}");
    assert!(out.ends_with(" - {\"sku\":3}\n"), "read to the end: {out}");

    let mut server = spawn(dir.path(), &["server", "--topics", "products"]);
    assert!(
        server.wait_for_line("products got {\"sku\":1}", Duration::from_secs(60)),
        "the server consumes from the standalone broker:\n{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains(&format!("Kafka brokers: {address}")), "{log}");
    assert!(!log.contains("(embedded development broker)"), "{log}");
    assert!(log.contains("products -> LoggingConsumer"), "{log}");
    assert!(
        !log.contains("prices -> "),
        "only the filtered topic: {log}"
    );
    assert!(!log.contains("consumer group audit"), "{log}");
    server.signal(libc::SIGTERM);
    assert_eq!(
        server
            .wait_exit(Duration::from_secs(30))
            .and_then(|s| s.code()),
        Some(0),
        "{}",
        server.log()
    );

    broker.signal(libc::SIGTERM);
    assert_eq!(
        broker
            .wait_exit(Duration::from_secs(30))
            .and_then(|s| s.code()),
        Some(0),
        "{}",
        broker.log()
    );
    let (code, _, err) = catalog(dir.path(), &["produce", "products", "{}"]);
    assert_eq!(code, Some(1), "the stopped broker is gone: {err}");
    assert!(err.contains("no embedded broker running"), "{err}");
}

#[test]
fn the_generators_commands_in_an_app_point_to_cargo_karafka() {
    let dir = app_dir("");
    let (code, _, err) = catalog(dir.path(), &["install", "--path", "../karafka-rs"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("run `cargo-karafka install ...`"), "{err}");
}

#[test]
fn config_flag_and_karafka_config_choose_the_file_and_its_environment_table_applies() {
    let dir = app_dir("client_id = \"catalog\"\n");
    let production = dir.path().join("production.toml");
    std::fs::write(
        &production,
        "client_id = \"catalog_live\"\nconcurrency = 2\n[environments.production]\nconcurrency = 9\nbrokers = [\"${CATALOG_TEST_HOST:-127.0.0.1}:9092\"]\n",
    )
    .unwrap();
    let path = production.to_str().unwrap();

    let (code, out, err) = catalog(
        dir.path(),
        &["--config", path, "--env", "production", "info"],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    for expected in [
        "Application client id: catalog_live",
        "Environment: production",
        "Kafka brokers: 127.0.0.1:9092",
        &format!("  concurrency=9 ([environments.production] in {path})"),
        &format!("  brokers=127.0.0.1:9092 (variable CATALOG_TEST_HOST in [environments.production] in {path})"),
        "  environment=production (the --env flag)",
    ] {
        assert!(out.contains(expected), "info lacks {expected:?}:\n{out}");
    }

    let (status, out, err) = run(
        Path::new(CATALOG),
        &["info"],
        &[
            ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
            ("KARAFKA_CONFIG", path),
        ],
    );
    assert!(status.success(), "{out}{err}");
    assert!(out.contains("Application client id: catalog_live"), "{out}");
    assert!(out.contains(&format!("  concurrency=2 ({path})")), "{out}");

    let missing = dir.path().join("missing.toml");
    let (code, out, err) = catalog(dir.path(), &["--config", missing.to_str().unwrap(), "info"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains(&format!(
            "reading the configuration file {}",
            missing.display()
        )),
        "{err}"
    );
}
