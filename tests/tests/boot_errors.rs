//! Bad configuration and unreachable brokers fail the boot with a clear,
//! non-zero error that names what was wrong — never a hang or a panic.

use std::path::Path;
use std::time::{Duration, Instant};

use karafka_tests::app_dir;
use karafka_tests::free_port;
use karafka_tests::process::run;

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");

fn run_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let (status, stdout, stderr) = run(
        Path::new(RECORDER),
        args,
        &[("KARAFKA_ROOT", dir.to_str().unwrap())],
    );
    assert!(!stderr.contains("panicked"), "no panic:\n{stderr}");
    (status.code(), format!("{stdout}{stderr}"))
}

#[test]
fn unknown_config_key_fails_boot_naming_key_and_file() {
    let dir = app_dir("client_id = \"app\"\nconcurency = 4\n");
    let (code, output) = run_in(dir.path(), &["server"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("key `concurency`"), "{output}");
    assert!(
        output.contains(&dir.path().join("karafka.toml").display().to_string()),
        "{output}"
    );
}

#[test]
fn invalid_config_value_fails_boot_naming_key() {
    let dir = app_dir("max_messages = 0\n");
    let (code, output) = run_in(dir.path(), &["server"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("key `max_messages`: must be greater than 0"),
        "{output}"
    );
}

#[test]
fn wrong_config_type_fails_boot_naming_key() {
    let dir = app_dir("[kafka]\n\"session.timeout.ms\" = [1, 2]\n");
    let (code, output) = run_in(dir.path(), &["server"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains("key `kafka.session.timeout.ms`"),
        "{output}"
    );
}

#[test]
fn unreachable_broker_fails_boot_within_the_connect_timeout() {
    let port = free_port();
    let dir = app_dir(&format!(
        "brokers = [\"127.0.0.1:{port}\"]\nconnect_timeout = 2000\n"
    ));
    let started = Instant::now();
    let (code, output) = run_in(dir.path(), &["server"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(
        output.contains(&format!(
            "cannot reach the brokers 127.0.0.1:{port} within 2000 ms"
        )),
        "{output}"
    );
    // Bounded, not a hang: far above the 2 s timeout so a slow machine cannot fail it.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn produce_without_brokers_or_a_running_server_says_what_to_do() {
    let dir = app_dir("client_id = \"lonely\"\n");
    let (code, output) = run_in(dir.path(), &["produce", "events", "{}"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("no embedded broker running"), "{output}");
    assert!(output.contains("KARAFKA_BROKERS"), "{output}");
}

#[test]
fn production_without_brokers_refuses_the_embedded_broker() {
    let dir = app_dir("environment = \"production\"\n");
    let (code, output) = run_in(dir.path(), &["server"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("key `brokers`"), "{output}");
    assert!(output.contains("production"), "{output}");
}

#[test]
fn unknown_command_is_a_usage_error() {
    let dir = app_dir("");
    let (code, output) = run_in(dir.path(), &["serve-all"]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("unrecognized subcommand 'serve-all'"),
        "{output}"
    );
}

#[test]
fn a_toml_syntax_error_names_the_line_and_shows_it() {
    let dir = app_dir("client_id = \"app\"\nbrokers = [\"a:1\" \"b:2\"]\n");
    let (code, output) = run_in(dir.path(), &["info"]);
    assert_eq!(code, Some(1), "{output}");
    assert!(output.contains("karafka.toml, line 2, column"), "{output}");
    assert!(
        output.contains("2 | brokers = [\"a:1\" \"b:2\"]"),
        "{output}"
    );
}
