//! Procedural macros of karafka-rs: the `routes!` DSL.
//!
//! Use them through the runtime crate as `karafka::routes!`: the generated code
//! refers to `::karafka`, so this crate is not useful on its own.

use proc_macro::TokenStream;

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
