//! Syntax of `routes!`: `syn` parsers turning the macro input into a small AST.
//!
//! Checks that need a single option are done here (known option, value type,
//! option given twice, `max_messages: 0`, backend / initial_offset values, a
//! topic without `consumer`); checks across the tree live in [`super::validate`].
//! Which options exist, where, and what value each takes comes from the route
//! options table (`src/route_options.rs`).

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{braced, Error, Expr, Ident, LitBool, LitInt, LitStr, Path, Result, Token};

use super::table::{self, OptionSpec, ValueKind};

/// Options of `topic <name> { ... }` that are not route options.
const TOPIC_KEYS: &[&str] = &["consumer", "deserializer"];

/// Keys of `dead_letter_queue: { ... }`.
const DLQ_OPTIONS: &[&str] = &["topic", "max_retries"];

/// Keys of `throttle: { ... }`.
const THROTTLE_OPTIONS: &[&str] = &["limit", "interval"];

/// Keywords of the DSL.
mod kw {
    syn::custom_keyword!(consumer_group);
    syn::custom_keyword!(topic);
}

/// The whole macro input: consumer groups, optionally separated by commas.
pub(crate) struct Routes {
    /// The groups, in source order.
    pub(crate) groups: Vec<ConsumerGroup>,
}

/// `consumer_group <name> { <options and topics> }`.
pub(crate) struct ConsumerGroup {
    /// The group name.
    pub(crate) name: Name,
    /// Defaults for every topic of the group.
    pub(crate) options: RouteOptions,
    /// The topics, in source order.
    pub(crate) topics: Vec<Topic>,
}

/// `topic <name> { consumer: <Type>, <options> }`.
pub(crate) struct Topic {
    /// The topic name.
    pub(crate) name: Name,
    /// The consumer type.
    pub(crate) consumer: Path,
    /// The deserializer expression, if one is given.
    pub(crate) deserializer: Option<Expr>,
    /// Options overriding the group's.
    pub(crate) options: RouteOptions,
}

/// A consumer group or topic name, written as an identifier or a string literal.
pub(crate) struct Name {
    /// The name as Kafka sees it.
    pub(crate) value: String,
    /// Where the name is written.
    pub(crate) span: Span,
}

/// The route options written on a group or topic (see `src/route_options.rs`).
#[derive(Default)]
pub(crate) struct RouteOptions {
    /// Each option given, with its value, in the order written.
    pub(crate) values: Vec<(&'static OptionSpec, Value)>,
}

/// The value of a route option, spanned where the user wrote it.
pub(crate) enum Value {
    /// `true` / `false`.
    Bool(LitBool),
    /// An integer, normalized to a literal with the option's type suffix.
    Integer(LitInt),
    /// The runtime variant (`Inline`), spanned on the user's value.
    Variant(Ident),
    /// `dead_letter_queue: { ... }`.
    DeadLetterQueue(DeadLetterQueue),
    /// `config: { ... }`.
    TopicConfig(TopicConfig),
    /// `filters: [A, B]`.
    Filters(Vec<Path>),
    /// `throttle: { ... }`.
    Throttle(Throttle),
    /// `virtual_partitions: { ... }`.
    VirtualPartitions(super::virtual_partitions::VirtualPartitions),
}

/// `throttle: { limit: <n>, interval: <ms> }`.
pub(crate) struct Throttle {
    /// Most messages per interval, as a `u32`-suffixed literal.
    pub(crate) limit: LitInt,
    /// The interval in milliseconds, as a `u64`-suffixed literal.
    pub(crate) interval: LitInt,
}

impl Parse for Throttle {
    fn parse(input: ParseStream) -> Result<Self> {
        if !input.peek(syn::token::Brace) {
            return Err(input.error("expected `throttle: { limit: <n>, interval: <ms> }`"));
        }
        let body;
        let brace = braced!(body in input);
        let mut limit = None;
        let mut interval = None;
        while !body.is_empty() {
            let key = option_key(&body, "throttle", THROTTLE_OPTIONS)?;
            match key.to_string().as_str() {
                "limit" => set_once(&mut limit, &key, || integer(&body, "limit", "u32", 1))?,
                _ => set_once(&mut interval, &key, || integer(&body, "interval", "u64", 1))?,
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        let missing = |what: &str| {
            Error::new(
                brace.span.join(),
                format!("`throttle` needs `{what}`: `throttle: {{ limit: <n>, interval: <ms> }}`"),
            )
        };
        Ok(Throttle {
            limit: limit.ok_or_else(|| missing("limit"))?,
            interval: interval.ok_or_else(|| missing("interval"))?,
        })
    }
}

/// `filters: [A, B]`: at least one filter type.
fn filter_types(input: ParseStream) -> Result<Vec<Path>> {
    if !input.peek(syn::token::Bracket) {
        return Err(input.error("expected a list of filter types: `filters: [MyFilter, ...]`"));
    }
    let body;
    let bracket = syn::bracketed!(body in input);
    let types = body.parse_terminated(Path::parse_mod_style, Token![,])?;
    if types.is_empty() {
        return Err(Error::new(
            bracket.span.join(),
            "`filters` needs at least one filter type: `filters: [MyFilter, ...]`",
        ));
    }
    Ok(types.into_iter().collect())
}

impl RouteOptions {
    /// The value of `option`, if it was given.
    pub(crate) fn get(&self, option: &OptionSpec) -> Option<&Value> {
        self.values
            .iter()
            .find(|(spec, _)| spec.name == option.name)
            .map(|(_, value)| value)
    }
}

/// `config: { partitions: <n>, replication_factor: <n>, "retention.ms": "86400000", ... }`.
pub(crate) struct TopicConfig {
    /// `partitions: <n>`, as an `i32`-suffixed literal.
    pub(crate) partitions: Option<LitInt>,
    /// `replication_factor: <n>`, as an `i32`-suffixed literal.
    pub(crate) replication_factor: Option<LitInt>,
    /// Topic-level Kafka settings: the key and its value as string literals.
    pub(crate) settings: Vec<(LitStr, LitStr)>,
}

impl Parse for TopicConfig {
    fn parse(input: ParseStream) -> Result<Self> {
        let body;
        braced!(body in input);
        let mut config = TopicConfig {
            partitions: None,
            replication_factor: None,
            settings: Vec::new(),
        };
        while !body.is_empty() {
            if body.peek(LitStr) {
                let key: LitStr = body.parse()?;
                if config
                    .settings
                    .iter()
                    .any(|(k, _)| k.value() == key.value())
                {
                    let message = format!("setting {:?} is given twice", key.value());
                    return Err(Error::new(key.span(), message));
                }
                body.parse::<Token![:]>()?;
                let value = setting_value(&body, &key)?;
                config.settings.push((key, value));
            } else {
                let expected = "`partitions`, `replication_factor` or a Kafka topic setting as a string (\"retention.ms\")";
                if !body.peek(Ident::peek_any) {
                    return Err(body.error(format!("expected {expected}")));
                }
                let key = body.call(Ident::parse_any)?;
                let slot = match key.to_string().as_str() {
                    "partitions" => &mut config.partitions,
                    "replication_factor" => &mut config.replication_factor,
                    _ => {
                        let message = format!("unknown config option `{key}`; expected {expected}");
                        return Err(Error::new(key.span(), message));
                    }
                };
                body.parse::<Token![:]>()?;
                let option = key.to_string();
                set_once(slot, &key, || integer(&body, &option, "i32", 1))?;
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        Ok(config)
    }
}

/// A Kafka setting's value: a string, integer or boolean literal, kept as text.
fn setting_value(input: ParseStream, key: &LitStr) -> Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        return Ok(LitStr::new(lit.base10_digits(), lit.span()));
    }
    if input.peek(LitBool) {
        let lit: LitBool = input.parse()?;
        return Ok(LitStr::new(&lit.value.to_string(), lit.span));
    }
    Err(input.error(format!(
        "expected the value of {:?}: a string, integer or boolean literal",
        key.value()
    )))
}

/// `dead_letter_queue: { topic: "<name>", max_retries: <n> }`.
pub(crate) struct DeadLetterQueue {
    /// Where failing messages go.
    pub(crate) topic: LitStr,
    /// Retries before a message goes there, as a `u32`-suffixed literal.
    pub(crate) max_retries: LitInt,
}

impl Parse for DeadLetterQueue {
    fn parse(input: ParseStream) -> Result<Self> {
        let body;
        let brace = braced!(body in input);
        let mut topic: Option<LitStr> = None;
        let mut max_retries = None;
        while !body.is_empty() {
            let key = option_key(&body, "dead_letter_queue", DLQ_OPTIONS)?;
            match key.to_string().as_str() {
                "topic" => set_once(&mut topic, &key, || body.parse())?,
                _ => set_once(&mut max_retries, &key, || {
                    integer(&body, "max_retries", "u32", 0)
                })?,
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        let topic = topic.ok_or_else(|| {
            Error::new(
                brace.span.join(),
                "`dead_letter_queue` needs `topic: \"<name>\"`",
            )
        })?;
        let max_retries = max_retries.ok_or_else(|| {
            Error::new(
                brace.span.join(),
                "`dead_letter_queue` needs `max_retries: <n>`",
            )
        })?;
        Ok(DeadLetterQueue { topic, max_retries })
    }
}

impl Parse for Routes {
    fn parse(input: ParseStream) -> Result<Self> {
        let mut groups = Vec::new();
        while !input.is_empty() {
            if !input.peek(kw::consumer_group) {
                return Err(input.error("expected `consumer_group <name> { ... }`"));
            }
            groups.push(input.parse()?);
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(Routes { groups })
    }
}

impl Parse for ConsumerGroup {
    fn parse(input: ParseStream) -> Result<Self> {
        input.parse::<kw::consumer_group>()?;
        let name = input.parse()?;
        let body;
        braced!(body in input);
        let mut options = RouteOptions::default();
        let mut topics = Vec::new();
        while !body.is_empty() {
            if body.peek(kw::topic) {
                topics.push(body.parse()?);
                if body.peek(Token![,]) {
                    body.parse::<Token![,]>()?;
                }
                continue;
            }
            let key = option_key(&body, "consumer group", &group_options())?;
            options.parse_value(&key, &body)?;
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        Ok(ConsumerGroup {
            name,
            options,
            topics,
        })
    }
}

impl Parse for Topic {
    fn parse(input: ParseStream) -> Result<Self> {
        input.parse::<kw::topic>()?;
        let name: Name = input.parse()?;
        let body;
        braced!(body in input);
        let mut consumer = None;
        let mut deserializer = None;
        let mut options = RouteOptions::default();
        while !body.is_empty() {
            let key = option_key(&body, "topic", &topic_options())?;
            match key.to_string().as_str() {
                "consumer" => set_once(&mut consumer, &key, || body.parse())?,
                "deserializer" => set_once(&mut deserializer, &key, || body.parse())?,
                _ => options.parse_value(&key, &body)?,
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        let consumer = consumer.ok_or_else(|| {
            let message = format!("topic `{}` has no `consumer: <Type>`", name.value);
            Error::new(name.span, message)
        })?;
        Ok(Topic {
            name,
            consumer,
            deserializer,
            options,
        })
    }
}

impl Parse for Name {
    fn parse(input: ParseStream) -> Result<Self> {
        if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            Ok(Name {
                value: lit.value(),
                span: lit.span(),
            })
        } else if input.peek(Ident::peek_any) {
            let ident = input.call(Ident::parse_any)?;
            Ok(Name {
                value: ident.unraw().to_string(),
                span: ident.span(),
            })
        } else {
            Err(input.error("expected a name: an identifier or a string literal"))
        }
    }
}

/// Options accepted directly inside `consumer_group <name> { ... }`.
fn group_options() -> Vec<&'static str> {
    let options = table::options().iter().filter(|o| o.on_group);
    options.map(|o| o.name.as_str()).collect()
}

/// Options accepted inside `topic <name> { ... }`.
fn topic_options() -> Vec<&'static str> {
    let options = table::options().iter().filter(|o| o.on_topic);
    TOPIC_KEYS
        .iter()
        .copied()
        .chain(options.map(|o| o.name.as_str()))
        .collect()
}

impl RouteOptions {
    /// Parses the value of the already-checked option `key` (the `:` is consumed).
    fn parse_value(&mut self, key: &Ident, input: ParseStream) -> Result<()> {
        let name = key.to_string();
        let Some(spec) = table::option(&name) else {
            return Err(Error::new(key.span(), format!("unknown option `{key}`")));
        };
        if self.get(spec).is_some() {
            return Err(Error::new(
                key.span(),
                format!("option `{key}` is given twice"),
            ));
        }
        let value = match &spec.value {
            ValueKind::Bool => Value::Bool(input.parse()?),
            ValueKind::Integer { suffix, min } => {
                Value::Integer(integer(input, &name, suffix, *min)?)
            }
            ValueKind::Variant(values) => Value::Variant(variant(input, &name, values)?),
            ValueKind::DeadLetterQueue => Value::DeadLetterQueue(input.parse()?),
            ValueKind::TopicConfig => Value::TopicConfig(input.parse()?),
            ValueKind::Filters => Value::Filters(filter_types(input)?),
            ValueKind::Throttle => Value::Throttle(input.parse()?),
            ValueKind::VirtualPartitions => Value::VirtualPartitions(input.parse()?),
        };
        self.values.push((spec, value));
        Ok(())
    }
}

/// Parses `<key>:` where `key` must be one of `valid`, the options of `level` (`"topic"` or `"consumer group"`).
pub(super) fn option_key(input: ParseStream, level: &str, valid: &[&str]) -> Result<Ident> {
    let topic = if level == "consumer group" {
        "`topic` or "
    } else {
        ""
    };
    let expected = format!("{topic}one of: {}", valid.join(", "));
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected {expected}")));
    }
    let key = input.call(Ident::parse_any)?;
    if !valid.contains(&key.to_string().as_str()) {
        let message = format!("unknown {level} option `{key}`; expected {expected}");
        return Err(Error::new(key.span(), message));
    }
    input.parse::<Token![:]>()?;
    Ok(key)
}

/// Stores the value parsed by `parse` in `slot`, unless option `key` was already given.
pub(super) fn set_once<T>(
    slot: &mut Option<T>,
    key: &Ident,
    parse: impl FnOnce() -> Result<T>,
) -> Result<()> {
    if slot.is_some() {
        return Err(Error::new(
            key.span(),
            format!("option `{key}` is given twice"),
        ));
    }
    *slot = Some(parse()?);
    Ok(())
}

/// Parses an identifier listed in `values`, returning the runtime variant it maps to.
fn variant(input: ParseStream, option: &str, values: &[(String, String)]) -> Result<Ident> {
    let expected = values
        .iter()
        .map(|(dsl, _)| dsl.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a {option}: one of {expected}")));
    }
    let value = input.call(Ident::parse_any)?;
    match values.iter().find(|(dsl, _)| value == dsl) {
        Some((_, runtime)) => Ok(Ident::new(runtime, value.span())),
        None => {
            let message = format!("unknown {option} `{value}`; expected one of: {expected}");
            Err(Error::new(value.span(), message))
        }
    }
}

/// Parses an integer literal of at least `min` for `option`, unsuffixed or with
/// `suffix`, into a `suffix`-suffixed literal.
pub(super) fn integer(input: ParseStream, option: &str, suffix: &str, min: u64) -> Result<LitInt> {
    if !input.peek(LitInt) {
        return Err(input.error(format!("`{option}` takes an integer literal")));
    }
    let lit: LitInt = input.parse()?;
    if !lit.suffix().is_empty() && lit.suffix() != suffix {
        let message = format!(
            "`{option}` is a {suffix}; remove the `{}` suffix",
            lit.suffix()
        );
        return Err(Error::new(lit.span(), message));
    }
    let value = lit.base10_parse::<u64>()?;
    if value < min {
        return Err(Error::new(
            lit.span(),
            format!("`{option}` must be at least {min}"),
        ));
    }
    let fits = match suffix {
        "u32" => u32::try_from(value).is_ok(),
        "i32" => i32::try_from(value).is_ok(),
        _ => true,
    };
    if !fits {
        return Err(Error::new(
            lit.span(),
            format!("`{option}` must fit in a {suffix}"),
        ));
    }
    Ok(LitInt::new(
        &format!("{}{suffix}", lit.base10_digits()),
        lit.span(),
    ))
}
