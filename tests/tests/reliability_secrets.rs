//! Reliability: sentinel values in `sasl.*` and `ssl.*` settings never appear
//! in the banner, the logs (karafka's and librdkafka's, which quotes setting
//! values in its warnings) or error messages (librdkafka's configuration
//! errors quote the value too).

use std::path::Path;
use std::time::Duration;

use karafka_tests::app_dir;
use karafka_tests::process::{run, AppProcess};
use karafka_tests::reliability::Summary;

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const SENTINEL: &str = "sentinel-0451";

/// Every line of `output` that contains the sentinel.
fn leaks(output: &str) -> Vec<&str> {
    output.lines().filter(|l| l.contains(SENTINEL)).collect()
}

#[test]
fn sasl_and_ssl_sentinels_never_reach_the_banner_logs_or_error_messages() {
    let mut outputs = Vec::new();

    // SASL settings: the server boots; librdkafka warns about the mechanism.
    let sasl = app_dir(&format!(
        "client_id = \"secretive\"\n[kafka]\n\"sasl.username\" = \"user-{SENTINEL}\"\n\"sasl.password\" = \"pass-{SENTINEL}\"\n\"sasl.mechanism\" = \"mech-{SENTINEL}\"\n"
    ));
    let env = [("KARAFKA_ROOT", sasl.path().to_str().unwrap())];
    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        server.wait_for_line("Running Karafka server", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    let (status, out, err) = run(Path::new(RECORDER), &["produce", "events", "{}"], &env);
    assert!(status.success(), "{out}{err}");
    outputs.push(("produce with sasl settings", format!("{out}{err}")));
    let (status, out, err) = run(Path::new(RECORDER), &["info"], &env);
    assert!(status.success(), "{out}{err}");
    assert!(
        out.contains("[FILTERED]"),
        "info shows the settings, filtered:\n{out}"
    );
    outputs.push(("info with sasl settings", format!("{out}{err}")));
    let (status, out, err) = run(
        Path::new(RECORDER),
        &["consume", "events", "--from-beginning", "--count", "1"],
        &env,
    );
    assert!(status.success(), "{out}{err}");
    outputs.push(("consume with sasl settings", format!("{out}{err}")));
    server.signal(libc::SIGTERM);
    assert_eq!(
        server
            .wait_exit(Duration::from_secs(30))
            .and_then(|s| s.code()),
        Some(0),
        "{}",
        server.log()
    );
    let log = server.log();
    assert!(log.contains("sasl.password=[FILTERED]"), "{log}");
    assert!(log.contains("sasl.mechanism=[FILTERED]"), "{log}");
    assert!(
        log.contains("`sasl.mechanism` set to `[FILTERED]`"),
        "librdkafka's own warning is kept, without the value:\n{log}"
    );
    outputs.push(("server with sasl settings", log));

    // SSL settings: librdkafka without OpenSSL refuses them, quoting the value.
    let ssl = app_dir(&format!(
        "client_id = \"secretive_ssl\"\n[kafka]\n\"ssl.key.password\" = \"key-{SENTINEL}\"\n\"ssl.keystore.password\" = \"store-{SENTINEL}\"\n"
    ));
    let env = [("KARAFKA_ROOT", ssl.path().to_str().unwrap())];
    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    let exited = server.wait_exit(Duration::from_secs(30));
    if exited.is_none() {
        // A librdkafka built with OpenSSL accepts them: the server runs instead.
        server.signal(libc::SIGTERM);
        server.wait_exit(Duration::from_secs(30));
    } else {
        let log = server.log();
        assert!(
            log.contains("ssl.key") && log.contains("[FILTERED]"),
            "the boot error names the setting and filters its value:\n{log}"
        );
    }
    outputs.push(("server with ssl settings", server.log()));
    let (_, out, err) = run(Path::new(RECORDER), &["produce", "events", "{}"], &env);
    outputs.push(("produce with ssl settings", format!("{out}{err}")));
    let (_, out, err) = run(
        Path::new(RECORDER),
        &["produce", "events", "{}"],
        &[
            ("KARAFKA_ROOT", ssl.path().to_str().unwrap()),
            ("KARAFKA_BROKERS", "127.0.0.1:1"),
        ],
    );
    outputs.push((
        "produce to a given broker with ssl settings",
        format!("{out}{err}"),
    ));

    let leaked: Vec<String> = outputs
        .iter()
        .flat_map(|(what, output)| {
            leaks(output)
                .into_iter()
                .map(move |l| format!("{what}: {l}"))
        })
        .collect();
    Summary::new("secrets", 0, 7, 0, 0)
        .with("outputs_checked", outputs.len())
        .with("leaks", leaked.len())
        .print();
    assert!(leaked.is_empty(), "secrets leaked:\n{}", leaked.join("\n"));
}

const VARIABLE_SENTINEL: &str = "varsentinel-7731";

/// A config whose secrets come from `${VAR}` references, in the top level and
/// in the production table.
const SECRETS_FROM_VARIABLES: &str = r#"
client_id = "secret_vars"
connect_timeout = 2000
delivery_timeout = 2000
[kafka]
"sasl.username" = "${KARAFKA_TEST_SASL_USER}"
"sasl.password" = "${KARAFKA_TEST_SASL_PASSWORD}"
[environments.production]
brokers = ["127.0.0.1:1"]
[environments.production.kafka]
"security.protocol" = "sasl_plaintext"
"sasl.mechanism" = "PLAIN"
"sasl.password" = "prod-${KARAFKA_TEST_SASL_PASSWORD}"
"#;

#[test]
fn a_secret_given_through_a_variable_never_reaches_info_logs_errors_debug_or_connection_failures() {
    let dir = app_dir(SECRETS_FROM_VARIABLES);
    let user = format!("user-{VARIABLE_SENTINEL}");
    let password = format!("pass-{VARIABLE_SENTINEL}");
    let root = dir.path().to_str().unwrap();
    let env = [
        ("KARAFKA_ROOT", root),
        ("KARAFKA_TEST_SASL_USER", user.as_str()),
        ("KARAFKA_TEST_SASL_PASSWORD", password.as_str()),
    ];
    let mut outputs = Vec::new();

    let (status, out, err) = run(Path::new(RECORDER), &["info"], &env);
    assert!(status.success(), "{out}{err}");
    assert!(
        out.contains("kafka.sasl.password=[FILTERED] (variable KARAFKA_TEST_SASL_PASSWORD in "),
        "info says where the secret came from, filtered:\n{out}"
    );
    outputs.push(("info", format!("{out}{err}")));
    let (status, out, err) = run(Path::new(RECORDER), &["--env", "production", "info"], &env);
    assert!(status.success(), "{out}{err}");
    assert!(
        out.contains("kafka.sasl.password=[FILTERED] (variable KARAFKA_TEST_SASL_PASSWORD in [environments.production]"),
        "{out}"
    );
    outputs.push(("info in production", format!("{out}{err}")));

    let mut server = AppProcess::spawn(Path::new(RECORDER), &["server"], &env);
    assert!(
        server.wait_for_line("Running Karafka server", Duration::from_secs(60)),
        "{}",
        server.log()
    );
    server.signal(libc::SIGTERM);
    assert_eq!(
        server
            .wait_exit(Duration::from_secs(30))
            .and_then(|s| s.code()),
        Some(0),
        "{}",
        server.log()
    );
    outputs.push(("server", server.log()));

    // Failed connections: an unreachable broker, with SASL in production.
    for args in [
        &["--env", "production", "groups", "list"][..],
        &["--env", "production", "topics", "migrate"],
        &["--env", "production", "produce", "events", "{}"],
        &["groups", "lag", "secret_vars_x"],
    ] {
        let mut env = env.to_vec();
        if args[0] != "--env" {
            env.push(("KARAFKA_BROKERS", "127.0.0.1:1"));
        }
        let (status, out, err) = run(Path::new(RECORDER), args, &env);
        assert!(!status.success(), "{args:?} cannot connect:\n{out}{err}");
        outputs.push(("a failed connection", format!("{args:?}: {out}{err}")));
    }

    // An unset variable: the error names the key and the variable, not the other secrets.
    let (status, out, err) = run(
        Path::new(RECORDER),
        &["info"],
        &[
            ("KARAFKA_ROOT", root),
            ("KARAFKA_TEST_SASL_PASSWORD", password.as_str()),
        ],
    );
    assert!(!status.success());
    assert!(
        err.contains("key `kafka.sasl.username`")
            && err.contains("KARAFKA_TEST_SASL_USER is not set"),
        "{err}"
    );
    outputs.push(("an unset variable", format!("{out}{err}")));

    // Debug of the configuration and the app.
    let lookup = |name: &str| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    };
    for environment in [None, Some("production")] {
        let options = karafka::config::LoadOptions {
            file: None,
            environment: environment.map(str::to_owned),
        };
        let config = karafka::Config::load_with(dir.path(), &options, lookup).unwrap();
        assert_eq!(
            config.kafka["sasl.username"].to_string(),
            user,
            "the variable is expanded"
        );
        outputs.push(("{:?} of Config", format!("{config:?}")));
        let app = karafka::App::new(dir.path(), config, karafka::routing::Routes::default());
        outputs.push(("{:?} of App", format!("{app:?}")));
    }

    let leaked: Vec<String> = outputs
        .iter()
        .flat_map(|(what, output)| {
            output
                .lines()
                .filter(|l| l.contains(VARIABLE_SENTINEL))
                .map(move |l| format!("{what}: {l}"))
        })
        .collect();
    Summary::new("secrets_from_variables", 0, 4, 0, 0)
        .with("outputs_checked", outputs.len())
        .with("leaks", leaked.len())
        .print();
    assert!(leaked.is_empty(), "secrets leaked:\n{}", leaked.join("\n"));
}
