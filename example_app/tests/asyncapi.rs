//! `asyncapi` as a user runs it: the example app's AsyncAPI document, validated
//! against the AsyncAPI 3.0 JSON Schema (vendored in tests/asyncapi/), with a
//! channel and a payload schema for every topic the app consumes or produces.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

const APP: &str = env!("CARGO_BIN_EXE_example_app");
const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Runs the app's CLI in `root` and returns its stdout, failing on a non-zero exit.
fn app(root: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(APP)
        .current_dir(root)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("KARAFKA_ENV")
        .env_remove("KARAFKA_BROKERS")
        .env_remove("KARAFKA_CLIENT_ID")
        .env_remove("KARAFKA_ROOT")
        .output()
        .expect("the example app runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(
        output.status.success(),
        "{args:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn document(root: &Path, env: &[(&str, &str)]) -> Value {
    let json = app(root, &["asyncapi", "--format", "json"], env);
    serde_json::from_str(&json).expect("asyncapi prints JSON")
}

/// Why `document` breaks the AsyncAPI 3.0 schema, one line per error.
fn schema_errors(document: &Value) -> Vec<String> {
    let schema_path = Path::new(MANIFEST_DIR).join("tests/asyncapi/asyncapi-3.0.0.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("the AsyncAPI schema compiles");
    validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn validate(document: &Value) {
    let errors = schema_errors(document);
    assert!(
        errors.is_empty(),
        "the document breaks the AsyncAPI 3.0 schema:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(document).unwrap()
    );
}

/// (topic, deserializer) of every route, read from the `routes` table.
fn routed_topics(root: &Path) -> Vec<(String, String)> {
    app(root, &["routes"], &[])
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            (columns.len() >= 4).then(|| (columns[1].to_owned(), columns[3].to_owned()))
        })
        .collect()
}

/// Every `#[responder(topic = "...")]` of the example app's responders.
fn responded_topics() -> BTreeSet<String> {
    let dir = Path::new(MANIFEST_DIR).join("src/responders");
    let mut topics = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for part in text.split("#[responder(topic = \"").skip(1) {
            topics.insert(part.split('"').next().unwrap().to_owned());
        }
    }
    topics
}

/// Follows a local `$ref` (`#/a/b`) from the document's root.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => document
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{pointer} resolves")),
        None => value,
    }
}

#[test]
fn asyncapi_document_validates_and_describes_every_consumed_and_responded_topic() {
    let root = Path::new(MANIFEST_DIR);
    let document = document(root, &[]);
    validate(&document);
    // The validation bites: an operation without its action is refused.
    let mut broken = document.clone();
    broken["operations"]["receive_example_users"]
        .as_object_mut()
        .unwrap()
        .remove("action");
    assert!(!schema_errors(&broken).is_empty());

    let routed = routed_topics(root);
    assert!(routed.len() >= 6, "{routed:?}");
    let responded = responded_topics();
    assert!(responded.len() >= 6, "{responded:?}");
    let channels = document["channels"].as_object().unwrap();
    for topic in routed
        .iter()
        .map(|(t, _)| t.clone())
        .chain(responded.iter().cloned())
    {
        let channel = channels
            .get(&topic)
            .unwrap_or_else(|| panic!("a channel for `{topic}`"));
        assert_eq!(channel["address"], topic.as_str());
        assert!(
            !channel["messages"].as_object().unwrap().is_empty(),
            "{topic}"
        );
    }
    // JSON topics carry the schema of their Rust type.
    for (topic, deserializer) in routed.iter().filter(|(_, d)| d == "Json") {
        for message in channels[topic]["messages"].as_object().unwrap().values() {
            assert_eq!(message["contentType"], "application/json", "{topic}");
            let schema = resolve(&document, &message["payload"]);
            assert_eq!(
                schema["type"], "object",
                "{topic} ({deserializer}): {schema}"
            );
            assert!(
                schema["properties"]
                    .as_object()
                    .is_some_and(|p| !p.is_empty()),
                "{topic}: {schema}"
            );
        }
    }
    let rating = resolve(
        &document,
        &channels["ratings"]["messages"]["Rating"]["payload"],
    );
    assert_eq!(rating["properties"]["movieId"]["type"], "integer");
    assert_eq!(rating["properties"]["rating"]["type"], "number");
    // Custom wire formats are described as bytes in that format.
    let sensor = &channels["sensor-events"]["messages"];
    let sensor = sensor.as_object().unwrap().values().next().unwrap();
    assert_eq!(sensor["payload"]["format"], "binary");
    assert!(sensor["payload"]["description"]
        .as_str()
        .unwrap()
        .contains("CommaLines"));

    let operations = document["operations"].as_object().unwrap();
    let receive = &operations["receive_example_users"];
    assert_eq!(receive["action"], "receive");
    assert_eq!(receive["channel"]["$ref"], "#/channels/users");
    assert_eq!(
        receive["bindings"]["kafka"]["groupId"]["enum"][0],
        "karafka_example_example"
    );
    let send = &operations["send_UsersResponder_users"];
    assert_eq!(send["action"], "send");
    assert_eq!(
        send["messages"][0]["$ref"],
        "#/channels/users/messages/UserEvent"
    );
    // The dead letter queue: its own channel, written by the app.
    let dlq = &channels["ratings_dlq"]["messages"];
    let dlq = dlq.as_object().unwrap().values().next().unwrap();
    assert!(dlq["headers"]["properties"]["source_topic"].is_object());
    assert_eq!(
        operations["send_example_ratings_dead_letters"]["action"],
        "send"
    );
    // No brokers in development: the embedded broker has no fixed address.
    assert!(document.get("servers").is_none());
}

#[test]
fn asyncapi_lists_configured_brokers_as_servers_and_no_secret() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("karafka.toml"),
        r#"client_id = "shop"
environment = "production"
brokers = ["kafka-1.internal:9093", "kafka-2.internal:9093"]

[kafka]
"security.protocol" = "SASL_SSL"
"sasl.mechanism" = "SCRAM-SHA-512"
"sasl.username" = "shop"
"sasl.password" = "hunter2-secret"
"ssl.key.password" = "another-secret"
"#,
    )
    .unwrap();
    let document = document(root.path(), &[]);
    validate(&document);
    let servers = document["servers"].as_object().unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(servers["production-1"]["host"], "kafka-1.internal:9093");
    assert_eq!(servers["production-2"]["protocol"], "kafka-secure");
    let text = document.to_string();
    for secret in ["hunter2-secret", "another-secret", "sasl.", "ssl."] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert_eq!(document["info"]["title"], "example_app");
}

#[test]
fn asyncapi_yaml_is_the_same_document() {
    let root = Path::new(MANIFEST_DIR);
    let json = document(root, &[]);
    let yaml = app(root, &["asyncapi", "--format", "yaml"], &[]);
    assert!(yaml.starts_with("asyncapi: \"3.0.0\"\n"), "{yaml}");
    let parsed: Value = serde_norway::from_str(&yaml).expect("asyncapi prints valid YAML");
    assert_eq!(parsed, json);
}
