//! Procedural macros of karafka-rs: the `routes!` DSL and `#[derive(Responder)]`.
//!
//! Use them through the runtime crate as `karafka::routes!` and
//! `karafka::Responder`: the generated code refers to `::karafka`, so this crate
//! is not useful on its own.

use proc_macro::TokenStream;

/// Keeps the route options table as text, for the DSL and the runtime to read.
macro_rules! route_options {
    ($($table:tt)*) => {
        /// The route options table's tokens.
        pub(crate) const TABLE: &str = stringify!($($table)*);
    };
}

mod responder;
mod route_options;
mod routes;

/// Declares consumer groups and the topics they consume, and registers them with the karafka runtime.
///
/// ```ignore
/// karafka::routes! {
///     consumer_group example {
///         max_messages: 50,
///         topic users { consumer: UsersConsumer }
///         topic "rating-averages" {
///             consumer: AveragesConsumer,
///             deserializer: karafka::deserializers::Utf8,
///             initial_offset: earliest,
///         }
///     }
/// }
/// ```
#[proc_macro]
pub fn routes(input: TokenStream) -> TokenStream {
    routes::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a struct a responder: a typed producer writing to the topics it declares,
/// one `#[responder(...)]` attribute per topic.
///
/// ```ignore
/// #[derive(Default, karafka::Responder)]
/// #[responder(topic = "users")]
/// #[responder(topic = "audit", required = false, multiple_usage = true,
///             serializer = karafka::serializers::Utf8, key = "audit", partition = 0)]
/// pub struct UsersResponder;
/// ```
///
/// Options: `topic = "<name>"` (required), `required = <bool>` (default `true`: every
/// respond call must write to it), `multiple_usage = <bool>` (default `false`: at most
/// one message per call), `serializer = <expr>` (default `karafka::serializers::Json`),
/// `key = "<key>"` and `partition = <n>` (defaults of its messages), `payload = <Type>`
/// (the type written there, for the app's AsyncAPI document: with its JSON Schema when
/// it derives `schemars::JsonSchema`). The type then
/// implements `karafka::Respond` and gains `call(&input)` and `call_async(&input)`.
///
/// The type must not be generic (it is registered by name for the CLI's
/// `respond`, which can call it when it is `Default` and its `Input` is
/// `Deserialize`). An `Input` holding `&'static` borrowed data (`&'static str`)
/// does not compile with the derive; use owned types (`String`) instead.
#[proc_macro_derive(Responder, attributes(responder))]
pub fn derive_responder(input: TokenStream) -> TokenStream {
    responder::derive(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Hands the route options table (`src/route_options.rs`) to the macro
/// `callback`: `__route_options!(define)` expands to `define! { <table> }`.
/// How the runtime derives `RouteOptions`, the resolved `Topic` and the rest
/// from the same table as the DSL; not a public API.
#[doc(hidden)]
#[proc_macro]
pub fn __route_options(callback: TokenStream) -> TokenStream {
    let callback = proc_macro2::TokenStream::from(callback);
    let table = routes::table::tokens();
    quote::quote!(#callback! { #table }).into()
}
