//! Reads the route options table (`src/route_options.rs`): what the DSL accepts
//! and how it parses each value. The runtime gets the same table through
//! [`tokens`] (the hidden `__route_options!` macro).

use std::sync::OnceLock;

use proc_macro2::TokenStream;
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, parenthesized, Attribute, Ident, LitInt, Result, Token, Type};

/// One route option as the DSL sees it.
#[derive(Debug)]
pub(crate) struct OptionSpec {
    /// The option's name (the `RouteOptions` field).
    pub(crate) name: String,
    /// Its runtime type's name, for `variant` values (`Backend`).
    pub(crate) type_name: String,
    /// What value the DSL takes.
    pub(crate) value: ValueKind,
    /// Whether `consumer_group <name> { ... }` accepts it.
    pub(crate) on_group: bool,
    /// Whether `topic <name> { ... }` accepts it.
    pub(crate) on_topic: bool,
}

/// The kinds of DSL values (each has a parser in `parse.rs`).
#[derive(Debug)]
pub(crate) enum ValueKind {
    /// `true` / `false`.
    Bool,
    /// An integer literal of at least `min`, given the type suffix `suffix`.
    Integer { suffix: String, min: u64 },
    /// An identifier from `values`: `(dsl name, runtime variant)`.
    Variant(Vec<(String, String)>),
    /// `{ topic: "<name>", max_retries: <n> }`.
    DeadLetterQueue,
    /// `{ partitions: <n>, replication_factor: <n>, "<setting>": <value> }`.
    TopicConfig,
    /// `[<FilterType>, ...]`.
    Filters,
    /// `{ limit: <n>, interval: <ms> }`.
    Throttle,
    /// `{ partitioner: <partitioner>, max_partitions: <n> }`.
    VirtualPartitions,
}

/// The table's tokens, as written in `src/route_options.rs`.
pub(crate) fn tokens() -> TokenStream {
    crate::route_options::TABLE
        .parse()
        .expect("the route options table is valid tokens")
}

/// Every route option, in the table's order.
pub(crate) fn options() -> &'static [OptionSpec] {
    static OPTIONS: OnceLock<Vec<OptionSpec>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        syn::parse2::<Table>(tokens())
            .unwrap_or_else(|e| panic!("the route options table does not parse: {e}"))
            .0
    })
}

/// The option named `name`, if there is one.
pub(crate) fn option(name: &str) -> Option<&'static OptionSpec> {
    options().iter().find(|o| o.name == name)
}

struct Table(Vec<OptionSpec>);

impl Parse for Table {
    fn parse(input: ParseStream) -> Result<Self> {
        let mut options = Vec::new();
        while !input.is_empty() {
            Attribute::parse_outer(input)?;
            let name: Ident = input.parse()?;
            input.parse::<Token![:]>()?;
            let ty: Type = input.parse()?;
            let body;
            braced!(body in input);
            key(&body, "dsl")?;
            let value = value_kind(&body)?;
            body.parse::<Token![,]>()?;
            key(&body, "on")?;
            let levels;
            bracketed!(levels in body);
            let levels = levels.parse_terminated(Ident::parse, Token![,])?;
            // The rest (resolved, column) is the runtime's.
            body.parse::<TokenStream>()?;
            let type_name = match ty {
                Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            }
            .unwrap_or_default();
            options.push(OptionSpec {
                name: name.to_string(),
                type_name,
                value,
                on_group: levels.iter().any(|l| l == "group"),
                on_topic: levels.iter().any(|l| l == "topic"),
            });
        }
        Ok(Table(options))
    }
}

/// `<name>:`.
fn key(input: ParseStream, name: &str) -> Result<()> {
    let key: Ident = input.parse()?;
    if key != name {
        return Err(syn::Error::new(key.span(), format!("expected `{name}`")));
    }
    input.parse::<Token![:]>()?;
    Ok(())
}

/// `bool`, `integer(<suffix>, <min>)`, `variant(<dsl> = <Variant>, ...)`,
/// `dead_letter_queue`, `topic_config`, `filters`, `throttle` or `virtual_partitions`.
fn value_kind(input: ParseStream) -> Result<ValueKind> {
    let kind: Ident = input.parse()?;
    match kind.to_string().as_str() {
        "bool" => Ok(ValueKind::Bool),
        "dead_letter_queue" => Ok(ValueKind::DeadLetterQueue),
        "topic_config" => Ok(ValueKind::TopicConfig),
        "filters" => Ok(ValueKind::Filters),
        "throttle" => Ok(ValueKind::Throttle),
        "virtual_partitions" => Ok(ValueKind::VirtualPartitions),
        "integer" => {
            let args;
            parenthesized!(args in input);
            let suffix: Ident = args.parse()?;
            args.parse::<Token![,]>()?;
            let min: LitInt = args.parse()?;
            Ok(ValueKind::Integer {
                suffix: suffix.to_string(),
                min: min.base10_parse()?,
            })
        }
        "variant" => {
            let args;
            parenthesized!(args in input);
            let mut values = Vec::new();
            while !args.is_empty() {
                let dsl: Ident = args.parse()?;
                args.parse::<Token![=]>()?;
                let runtime: Ident = args.parse()?;
                values.push((dsl.to_string(), runtime.to_string()));
                if !args.is_empty() {
                    args.parse::<Token![,]>()?;
                }
            }
            Ok(ValueKind::Variant(values))
        }
        _ => Err(syn::Error::new(kind.span(), "unknown kind of value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_into_every_option_in_order() {
        let names: Vec<&str> = options().iter().map(|o| o.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "backend",
                "batch_consuming",
                "max_messages",
                "initial_offset",
                "active",
                "manual_offset_management",
                "tick_interval",
                "dead_letter_queue",
                "virtual_partitions",
                "config",
                "filters",
                "throttle",
                "delay_by",
                "expire_in"
            ]
        );
        let backend = option("backend").unwrap();
        assert_eq!(backend.type_name, "Backend");
        assert!(backend.on_group && backend.on_topic);
        let config = option("config").unwrap();
        assert!(!config.on_group && config.on_topic);
    }
}
