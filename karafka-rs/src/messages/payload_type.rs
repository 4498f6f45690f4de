//! What a route or a responder topic says about its payloads, for documents
//! such as the app's AsyncAPI one: the wire format, the Rust type, and that
//! type's JSON Schema when the type derives `schemars::JsonSchema`.

use std::any::TypeId;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};

use super::deserializers;

/// Adds a type's schema to a generator and returns it (or a `$ref` to it).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// How a payload is encoded on the wire, from the route's deserializer or the
/// responder topic's serializer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON through serde.
    Json,
    /// UTF-8 text.
    Utf8,
    /// Bytes as they are.
    Raw,
    /// A custom (de)serializer, by name.
    Custom(&'static str),
}

impl Format {
    /// The format a route's deserializer `D` reads.
    pub fn of_deserializer<D: 'static>(name: &'static str) -> Format {
        Format::known::<D, deserializers::Json, deserializers::Utf8, deserializers::Raw>(name)
    }

    /// `Json`, `Utf8` or `Raw` when `T` is `J`, `U` or `R` (the (de)serializers
    /// of those formats), else `Custom(name)`.
    pub fn known<T: 'static, J: 'static, U: 'static, R: 'static>(name: &'static str) -> Format {
        let id = TypeId::of::<T>();
        if id == TypeId::of::<J>() {
            Format::Json
        } else if id == TypeId::of::<U>() {
            Format::Utf8
        } else if id == TypeId::of::<R>() {
            Format::Raw
        } else {
            Format::Custom(name)
        }
    }

    /// The message's `contentType`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Utf8 => "text/plain",
            Format::Raw | Format::Custom(_) => "application/octet-stream",
        }
    }
}

/// A payload's Rust type as a route or a responder topic declares it.
#[derive(Clone, Copy)]
pub struct PayloadType {
    /// The type's name without module paths (`UserEvent`, `Vec<u8>`).
    pub name: &'static str,
    /// Its schema, when the type implements `JsonSchema`.
    pub schema: Option<SchemaFn>,
}

impl PayloadType {
    /// `T`, described by name only.
    pub fn named<T: ?Sized>() -> PayloadType {
        PayloadType {
            name: short_type_name(std::any::type_name::<T>()),
            schema: None,
        }
    }

    /// `T` with its JSON Schema.
    pub fn with_schema<T: ?Sized + JsonSchema>() -> PayloadType {
        PayloadType {
            schema: Some(|generator| generator.subschema_for::<T>()),
            ..PayloadType::named::<T>()
        }
    }
}

impl std::fmt::Debug for PayloadType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayloadType")
            .field("name", &self.name)
            .field("schema", &self.schema.is_some())
            .finish()
    }
}

/// `alloc::vec::Vec<my_app::User>` → `Vec<User>`: each path cut to its last segment.
fn short_type_name(full: &'static str) -> &'static str {
    let mut short = String::with_capacity(full.len());
    let mut segment_start = 0;
    let mut rest = full;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("::") {
            short.truncate(segment_start);
            rest = &rest[2..];
            continue;
        }
        short.push(c);
        if !(c.is_alphanumeric() || c == '_') {
            segment_start = short.len();
        }
        rest = &rest[c.len_utf8()..];
    }
    // Once per declared route or responder topic, for the life of the process.
    Box::leak(short.into_boxed_str())
}

/// Picks [`PayloadType::with_schema`] for types implementing `JsonSchema` and
/// [`PayloadType::named`] for the others (autoref specialization: the macros call
/// `(&Probe::<T>::new()).payload_type()` with both traits in scope, and the
/// by-value impl wins where it applies).
pub struct Probe<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    /// A probe for payload type `T`.
    pub fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T: ?Sized> Default for Probe<T> {
    fn default() -> Self {
        Probe::new()
    }
}

/// The probe's answer for types with a JSON Schema.
pub trait ViaJsonSchema {
    /// The type with its schema.
    fn payload_type(&self) -> PayloadType;
}

impl<T: ?Sized + JsonSchema> ViaJsonSchema for Probe<T> {
    fn payload_type(&self) -> PayloadType {
        PayloadType::with_schema::<T>()
    }
}

/// The probe's answer for every other type.
pub trait WithoutJsonSchema {
    /// The type by name only.
    fn payload_type(&self) -> PayloadType;
}

impl<T: ?Sized> WithoutJsonSchema for &Probe<T> {
    fn payload_type(&self) -> PayloadType {
        PayloadType::named::<T>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_lose_their_module_paths_but_keep_generics() {
        assert_eq!(
            short_type_name("alloc::vec::Vec<my_app::events::User>"),
            "Vec<User>"
        );
        assert_eq!(short_type_name("[my_app::Rating]"), "[Rating]");
        assert_eq!(
            short_type_name("core::option::Option<(u8, a::B)>"),
            "Option<(u8, B)>"
        );
    }

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct WithSchema {
        id: u64,
    }

    struct WithoutSchema;

    #[test]
    // The borrow is what the macros write: it lets the fallback apply.
    #[allow(clippy::needless_borrow)]
    fn the_probe_finds_a_schema_only_where_the_type_has_one() {
        #[allow(unused_imports)]
        use super::{ViaJsonSchema as _, WithoutJsonSchema as _};
        let with = (&Probe::<WithSchema>::new()).payload_type();
        let without = (&Probe::<WithoutSchema>::new()).payload_type();
        assert_eq!(with.name, "WithSchema");
        assert!(with.schema.is_some());
        assert_eq!(without.name, "WithoutSchema");
        assert!(without.schema.is_none());
    }

    #[test]
    fn formats_are_told_apart_by_type_not_by_name() {
        struct Json;
        assert_eq!(
            Format::of_deserializer::<deserializers::Json>("Json"),
            Format::Json
        );
        assert_eq!(
            Format::of_deserializer::<Json>("Json"),
            Format::Custom("Json")
        );
    }
}
