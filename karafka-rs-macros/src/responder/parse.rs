//! Reading `#[derive(Responder)]` input: the type and one `#[responder(...)]`
//! attribute per topic. Every problem is reported, each spanned on its token.

use syn::ext::IdentExt;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Data, DeriveInput, Error, Expr, Ident, LitBool, LitInt, LitStr, Result};

/// Options of a `#[responder(...)]` attribute.
const OPTIONS: &[&str] = &[
    "topic",
    "required",
    "multiple_usage",
    "serializer",
    "key",
    "partition",
    "payload",
];

/// A type deriving `Responder`.
pub(crate) struct Responder {
    /// The type's name.
    pub(crate) ident: Ident,
    /// Its visibility, given to the generated `call` and `call_async`.
    pub(crate) vis: syn::Visibility,
    /// Its topics, in declaration order.
    pub(crate) topics: Vec<Topic>,
}

/// `#[responder(topic = "...", ...)]`: one declared topic.
pub(crate) struct Topic {
    /// `topic = "<name>"`.
    pub(crate) name: LitStr,
    /// `required = <bool>` (default `true`).
    pub(crate) required: Option<LitBool>,
    /// `multiple_usage = <bool>` (default `false`).
    pub(crate) multiple_usage: Option<LitBool>,
    /// `serializer = <expr>` (default JSON).
    pub(crate) serializer: Option<Expr>,
    /// `key = "<key>"`.
    pub(crate) key: Option<LitStr>,
    /// `partition = <i32>`, normalized to an `i32`-suffixed literal.
    pub(crate) partition: Option<LitInt>,
    /// `payload = <Type>`: what is written there, for the AsyncAPI document.
    pub(crate) payload: Option<syn::Type>,
}

/// Reads the derive input, collecting every error before failing.
pub(crate) fn responder(input: &DeriveInput) -> Result<Responder> {
    let mut errors = Errors::default();
    if let Data::Union(data) = &input.data {
        errors.push(Error::new(
            data.union_token.span(),
            "#[derive(Responder)] supports structs and enums, not unions",
        ));
    }
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.push(Error::new(
            input.generics.span(),
            "a responder cannot be generic: it is registered by name, for the CLI's `respond` command",
        ));
    }
    let mut topics: Vec<Topic> = Vec::new();
    for attr in input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("responder"))
    {
        match topic(attr) {
            Ok(topic) => {
                if topics.iter().any(|t| t.name.value() == topic.name.value()) {
                    errors.push(Error::new(
                        topic.name.span(),
                        format!("topic `{}` is declared twice", topic.name.value()),
                    ));
                } else {
                    topics.push(topic);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if topics.is_empty() && errors.is_empty() {
        errors.push(Error::new(
            input.ident.span(),
            format!(
                "responder `{}` declares no topic; add `#[responder(topic = \"<name>\")]` for each topic it writes to",
                input.ident.unraw()
            ),
        ));
    }
    errors.finish()?;
    Ok(Responder {
        ident: input.ident.clone(),
        vis: input.vis.clone(),
        topics,
    })
}

/// Parses one `#[responder(...)]` attribute.
fn topic(attr: &Attribute) -> Result<Topic> {
    let mut name = None;
    let mut required = None;
    let mut multiple_usage = None;
    let mut serializer = None;
    let mut key = None;
    let mut partition = None;
    let mut payload = None;
    attr.parse_nested_meta(|meta| {
        let option = meta
            .path
            .get_ident()
            .map(|i| i.unraw().to_string())
            .unwrap_or_default();
        match option.as_str() {
            "topic" => set_once(&mut name, &meta, || topic_name(&meta)),
            "required" => set_once(&mut required, &meta, || boolean(&meta)),
            "multiple_usage" => set_once(&mut multiple_usage, &meta, || boolean(&meta)),
            "serializer" => set_once(&mut serializer, &meta, || meta.value()?.parse()),
            "key" => set_once(&mut key, &meta, || meta.value()?.parse()),
            "partition" => set_once(&mut partition, &meta, || partition_number(&meta)),
            "payload" => set_once(&mut payload, &meta, || meta.value()?.parse()),
            _ => Err(meta.error(format!(
                "unknown responder option `{}`; expected one of: {}",
                path_text(&meta),
                OPTIONS.join(", ")
            ))),
        }
    })?;
    let name = name.ok_or_else(|| {
        Error::new(
            attr.path().span(),
            "#[responder(...)] needs the topic's name: `topic = \"<name>\"`",
        )
    })?;
    Ok(Topic {
        name,
        required,
        multiple_usage,
        serializer,
        key,
        partition,
        payload,
    })
}

/// Stores what `parse` reads in `slot`, unless the option was already given.
fn set_once<T>(
    slot: &mut Option<T>,
    meta: &ParseNestedMeta<'_>,
    parse: impl FnOnce() -> Result<T>,
) -> Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("option `{}` is given twice", path_text(meta))));
    }
    *slot = Some(parse()?);
    Ok(())
}

/// `<option> = true` or `<option> = false`.
fn boolean(meta: &ParseNestedMeta<'_>) -> Result<LitBool> {
    let value = meta.value()?;
    if value.peek(LitBool) {
        return value.parse();
    }
    let token: proc_macro2::TokenTree = value.parse()?;
    Err(Error::new(
        token.span(),
        format!("`{}` takes `true` or `false`", path_text(meta)),
    ))
}

/// `topic = "<name>"`, a valid Kafka topic name.
fn topic_name(meta: &ParseNestedMeta<'_>) -> Result<LitStr> {
    let name: LitStr = meta.value()?.parse()?;
    let value = name.value();
    let valid = !value.is_empty()
        && value.len() <= 249
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(Error::new(
            name.span(),
            format!("topic name `{value}` must be 1-249 characters of ASCII letters, digits, '.', '_' or '-'"),
        ));
    }
    Ok(name)
}

/// `partition = <n>`: a non-negative `i32`, unsuffixed or `i32`.
fn partition_number(meta: &ParseNestedMeta<'_>) -> Result<LitInt> {
    let lit: LitInt = meta.value()?.parse()?;
    if !matches!(lit.suffix(), "" | "i32") {
        return Err(Error::new(
            lit.span(),
            format!(
                "`partition` is an i32; remove the `{}` suffix",
                lit.suffix()
            ),
        ));
    }
    let value = lit
        .base10_parse::<i32>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| {
            Error::new(
                lit.span(),
                "`partition` must be a partition number (0 to 2147483647)",
            )
        })?;
    Ok(LitInt::new(&format!("{value}i32"), lit.span()))
}

fn path_text(meta: &ParseNestedMeta<'_>) -> String {
    meta.path
        .segments
        .iter()
        .map(|s| s.ident.unraw().to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Errors collected so that one compile shows all of them.
#[derive(Default)]
struct Errors(Option<Error>);

impl Errors {
    fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn finish(self) -> Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}
