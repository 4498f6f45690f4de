//! Building the document from an app's configuration, routes and responders.

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::SchemaGenerator;
use serde_json::{json, Map, Value};

use super::{ASYNCAPI_VERSION, KAFKA_BINDING_VERSION};
use crate::app::App;
use crate::config::{Config, KafkaValue};
use crate::messages::payload_type::{Format, PayloadType};
use crate::processing::dlq::headers;
use crate::responders::registry;
use crate::routing::definition::RouteSource;
use crate::routing::Topic;

/// The AsyncAPI 3.0 document of `app`: its routes, its responders (every one
/// linked into the binary), its dead letter queues and its brokers.
pub fn document(app: &App) -> Value {
    let mut builder = Builder::new();
    for group in app.routes().active_groups() {
        for topic in group.active_topics() {
            builder.route(&group.name, &group.id, topic, &app.config().client_id);
        }
    }
    for responder in registry::registered() {
        for spec in (responder.topics)() {
            builder.respond(responder.name, spec);
        }
    }
    builder.finish(app)
}

/// The channels, operations and schemas gathered so far.
struct Builder {
    schemas: SchemaGenerator,
    channels: BTreeMap<String, Channel>,
    operations: Map<String, Value>,
}

/// A channel: a topic and the messages seen on it, by key.
#[derive(Default)]
struct Channel {
    messages: Map<String, Value>,
    description: Vec<String>,
}

impl Builder {
    fn new() -> Builder {
        let mut settings = SchemaSettings::draft07();
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
        Builder {
            schemas: settings.into_generator(),
            channels: BTreeMap::new(),
            operations: Map::new(),
        }
    }

    /// A route: its topic's channel and message, a `receive` operation in its
    /// consumer group, and its dead letter queue.
    fn route(&mut self, group: &str, group_id: &str, topic: &Topic, client_id: &str) {
        let key = self.message(&topic.name, topic.payload, topic.format);
        let channel = self.channels.entry(topic.name.to_string()).or_default();
        channel.description.push(format!(
            "consumed by {} in consumer group `{group}`",
            topic.consumer_name
        ));
        let kafka = json!({
            "groupId": { "type": "string", "enum": [group_id] },
            "clientId": { "type": "string", "enum": [client_id] },
            "bindingVersion": KAFKA_BINDING_VERSION,
        });
        self.operations.insert(
            format!("receive_{group}_{}", topic.name),
            json!({
                "action": "receive",
                "channel": channel_ref(&topic.name),
                "messages": [message_ref(&topic.name, &key)],
                "summary": format!("{} consumes {} in consumer group `{group}`", topic.consumer_name, topic.name),
                "bindings": { "kafka": kafka },
            }),
        );
        if let Some(dlq) = topic.dead_letter_queue {
            self.dead_letter(group, topic, dlq.topic, dlq.max_retries);
        }
    }

    /// A dead letter queue: the failing messages of `topic`, as they were, with
    /// karafka's headers; the app sends them.
    fn dead_letter(&mut self, group: &str, topic: &Topic, dlq: &str, max_retries: u32) {
        let source = message_key(topic.payload, topic.format);
        let mut message = self.payload_message(topic.payload, topic.format);
        let key = format!("{}_{source}", topic.name).replace(['<', '>', '[', ']'], "_");
        message.insert(
            "summary".into(),
            format!(
                "a message of `{}` that failed {} retries in consumer group `{group}`, as it was, with headers saying where it came from and why",
                topic.name,
                max_retries
            )
            .into(),
        );
        message.insert("headers".into(), dead_letter_headers());
        let channel = self.channels.entry(dlq.to_owned()).or_default();
        channel.description.push(format!(
            "dead letter queue of `{}` in consumer group `{group}`",
            topic.name
        ));
        channel.messages.insert(key.clone(), Value::Object(message));
        self.operations.insert(
            format!("send_{group}_{}_dead_letters", topic.name),
            json!({
                "action": "send",
                "channel": channel_ref(dlq),
                "messages": [message_ref(dlq, &key)],
                "summary": format!("messages of `{}` that failed {max_retries} retries go to `{dlq}`", topic.name),
            }),
        );
    }

    /// A responder topic: its channel and a `send` operation. Its message is the
    /// declared `payload = Type`, else the route's of the same topic, else the
    /// format alone.
    fn respond(&mut self, responder: &str, spec: &crate::responders::TopicSpec) {
        let topic = spec.name();
        let messages = match spec.payload() {
            Some(payload) => vec![self.message(topic, payload, spec.format())],
            None => {
                let routed: Vec<String> = self
                    .channels
                    .get(topic)
                    .map(|c| c.messages.keys().cloned().collect())
                    .unwrap_or_default();
                if routed.is_empty() {
                    vec![self.undeclared(topic, spec.format())]
                } else {
                    routed
                }
            }
        };
        let channel = self.channels.entry(topic.to_owned()).or_default();
        channel
            .description
            .push(format!("written by responder {responder}"));
        let messages: Vec<Value> = messages.iter().map(|k| message_ref(topic, k)).collect();
        self.operations.insert(
            format!("send_{responder}_{topic}"),
            json!({
                "action": "send",
                "channel": channel_ref(topic),
                "messages": messages,
                "summary": format!("{responder} responds to {topic}"),
            }),
        );
    }

    /// Adds the message of `payload` to `topic`'s channel (once) and returns its key.
    fn message(&mut self, topic: &str, payload: PayloadType, format: Format) -> String {
        let key = message_key(payload, format);
        if !self
            .channels
            .get(topic)
            .is_some_and(|c| c.messages.contains_key(&key))
        {
            let message = self.payload_message(payload, format);
            self.channels
                .entry(topic.to_owned())
                .or_default()
                .messages
                .insert(key.clone(), Value::Object(message));
        }
        key
    }

    /// A message of a responder topic whose payload type is not declared.
    fn undeclared(&mut self, topic: &str, format: Format) -> String {
        let key = "undeclared".to_owned();
        let mut message = Map::new();
        message.insert("name".into(), key.clone().into());
        message.insert("contentType".into(), format.content_type().into());
        message.insert(
            "payload".into(),
            json!({ "description": format!("{} payload of an undeclared type (declare it with `payload = Type` on the responder's topic)", format_name(format)) }),
        );
        self.channels
            .entry(topic.to_owned())
            .or_default()
            .messages
            .insert(key.clone(), Value::Object(message));
        key
    }

    /// The message object for `payload` in `format`.
    fn payload_message(&mut self, payload: PayloadType, format: Format) -> Map<String, Value> {
        let mut message = Map::new();
        message.insert("name".into(), payload.name.into());
        message.insert("title".into(), payload.name.into());
        message.insert("contentType".into(), format.content_type().into());
        let schema = match (format, payload.schema) {
            (Format::Json, Some(schema)) => schema(&mut self.schemas).to_value(),
            (Format::Json, None) => json!({
                "description": format!("JSON of the Rust type `{}` (derive `schemars::JsonSchema` on it for a schema)", payload.name)
            }),
            (Format::Utf8, _) => json!({ "type": "string", "description": "UTF-8 text" }),
            (Format::Raw, _) => json!({
                "type": "string",
                "format": "binary",
                "description": "bytes, as they are"
            }),
            (Format::Custom(name), _) => json!({
                "type": "string",
                "format": "binary",
                "description": format!("bytes in the format of `{name}`, read as `{}`", payload.name)
            }),
        };
        message.insert("payload".into(), schema);
        message.insert(
            "bindings".into(),
            json!({ "kafka": { "key": { "type": "string" }, "bindingVersion": KAFKA_BINDING_VERSION } }),
        );
        message
    }

    fn finish(mut self, app: &App) -> Value {
        let config = app.config();
        let routes = app.routes();
        let declared = routes.declared_topics();
        let mut channels = Map::new();
        for (name, channel) in std::mem::take(&mut self.channels) {
            let mut kafka = Map::new();
            kafka.insert("topic".into(), name.clone().into());
            if let Some(topic) = declared.iter().find(|t| t.name == name) {
                kafka.insert("partitions".into(), topic.partitions(config).into());
                kafka.insert("replicas".into(), topic.replication_factor().into());
            }
            kafka.insert("bindingVersion".into(), KAFKA_BINDING_VERSION.into());
            channels.insert(
                name.clone(),
                json!({
                    "address": name,
                    "description": channel.description.join("; "),
                    "messages": channel.messages,
                    "bindings": { "kafka": kafka },
                }),
            );
        }
        let (title, version) = package();
        let mut document = json!({
            "asyncapi": ASYNCAPI_VERSION,
            "info": {
                "title": title.unwrap_or(&config.client_id),
                "version": version.unwrap_or("0.0.0"),
                "description": format!(
                    "Kafka topics of the karafka-rs app `{}` (environment `{}`): what its routes consume, its responders write, and its dead letter queues receive.",
                    config.client_id, config.environment
                ),
            },
            "defaultContentType": "application/json",
            "channels": channels,
            "operations": self.operations,
            "components": { "schemas": self.schemas.take_definitions(true) },
        });
        let servers = servers(config);
        if !servers.is_empty() {
            document["servers"] = Value::Object(servers);
        }
        document
    }
}

/// The package name and version of the crate that declared the routes.
fn package() -> (Option<&'static str>, Option<&'static str>) {
    let mut sources: Vec<&RouteSource> = inventory::iter::<RouteSource>.into_iter().collect();
    sources.sort_by_key(|s| s.location);
    sources
        .first()
        .map_or((None, None), |s| (Some(s.package), Some(s.version)))
}

/// One server per configured broker: its address and the protocol (`kafka`, or
/// `kafka-secure` over TLS). The embedded development broker has no fixed
/// address, so an app without brokers lists none.
fn servers(config: &Config) -> Map<String, Value> {
    let secure = matches!(
        config.kafka.get("security.protocol"),
        Some(KafkaValue::String(p)) if p.eq_ignore_ascii_case("ssl") || p.eq_ignore_ascii_case("sasl_ssl")
    );
    let protocol = if secure { "kafka-secure" } else { "kafka" };
    let name = |i: usize| {
        if config.brokers.len() == 1 {
            config.environment.clone()
        } else {
            format!("{}-{}", config.environment, i + 1)
        }
    };
    config
        .brokers
        .iter()
        .enumerate()
        .map(|(i, broker)| {
            (
                name(i),
                json!({
                    "host": broker,
                    "protocol": protocol,
                    "description": format!("a bootstrap broker of environment `{}`", config.environment),
                }),
            )
        })
        .collect()
}

/// The headers karafka adds to a dead-lettered message.
fn dead_letter_headers() -> Value {
    let described = [
        (headers::SOURCE_TOPIC, "topic the message was consumed from"),
        (headers::SOURCE_PARTITION, "its partition"),
        (headers::SOURCE_OFFSET, "its offset"),
        (
            headers::SOURCE_CONSUMER_GROUP,
            "the Kafka group.id of the consumer group that gave up on it",
        ),
        (
            headers::SOURCE_ROUTE_GROUP,
            "that consumer group's name in the routes",
        ),
        (headers::ATTEMPTS, "how many times it was attempted"),
        (headers::ERROR, "the last error"),
    ];
    let properties: Map<String, Value> = described
        .iter()
        .map(|(name, description)| {
            (
                (*name).to_owned(),
                json!({ "type": "string", "description": description }),
            )
        })
        .collect();
    let required: Vec<&str> = described.iter().map(|(name, _)| *name).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

/// The key of `payload`'s message in a channel: its type's name, made safe.
fn message_key(payload: PayloadType, format: Format) -> String {
    let name = match format {
        Format::Custom(name) => format!("{}_{name}", payload.name),
        _ => payload.name.to_owned(),
    };
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('_')
        .to_owned()
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Json => "a JSON",
        Format::Utf8 => "a UTF-8 text",
        Format::Raw => "a bytes",
        Format::Custom(name) => name,
    }
}

fn channel_ref(topic: &str) -> Value {
    json!({ "$ref": format!("#/channels/{topic}") })
}

fn message_ref(topic: &str, key: &str) -> Value {
    json!({ "$ref": format!("#/channels/{topic}/messages/{key}") })
}
