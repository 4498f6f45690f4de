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
