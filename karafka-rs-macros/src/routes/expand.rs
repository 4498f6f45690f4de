//! Code generation for `routes!`.
//!
//! The output builds the route definitions in a function and registers it with
//! `inventory`; it only names items through `::karafka`, `::core` and `::std`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, LitStr};

use super::parse::{ConsumerGroup, Name, RouteOptions, Routes, Topic, Value};
use super::table::{self, OptionSpec};

/// Expands validated `routes` into a `const _: () = { ... };` registering them.
pub(crate) fn routes(routes: &Routes) -> TokenStream {
    let groups = routes.groups.iter().map(group);
    quote! {
        const _: () = {
            // A topic setting every option would otherwise trip this lint in the user's crate.
            #[allow(clippy::needless_update)]
            fn __karafka_routes() -> ::std::vec::Vec<::karafka::__private::ConsumerGroupDef> {
                ::std::vec![#(#groups,)*]
            }
            ::karafka::__private::inventory::submit! {
                ::karafka::__private::RouteSource {
                    manifest_dir: ::core::env!("CARGO_MANIFEST_DIR"),
                    package: ::core::env!("CARGO_PKG_NAME"),
                    version: ::core::env!("CARGO_PKG_VERSION"),
                    location: ::core::concat!(::core::file!(), ":", ::core::line!()),
                    build: __karafka_routes,
                }
            }
        };
    }
}

/// `::karafka::__private::consumer_group(name, options, topics)`.
fn group(group: &ConsumerGroup) -> TokenStream {
    let name = name_literal(&group.name);
    let options = options(&group.options);
    let topics = group.topics.iter().map(topic);
    quote! {
        ::karafka::__private::consumer_group(#name, #options, ::std::vec![#(#topics,)*],)
    }
}

/// `::karafka::__private::topic::<Consumer, _>(name, consumer name, deserializer, options)`,
/// spanned on the consumer type's name so a type that is not a consumer errors there.
fn topic(topic: &Topic) -> TokenStream {
    let name = name_literal(&topic.name);
    let consumer = &topic.consumer;
    // The type's own name: on stable a path's span is only its first token (`crate`).
    let type_name = consumer.segments.last().map(|segment| &segment.ident);
    let span = type_name.map_or_else(|| consumer.span(), Ident::span);
    let consumer_name = type_name
        .map(|ident| ident.unraw().to_string())
        .unwrap_or_default();
    let (deserializer, deserializer_span) = match &topic.deserializer {
        Some(expr) => (expr.to_token_stream(), expr.span()),
        None => (quote!(::karafka::deserializers::Json), span),
    };
    // The deserializer type `_`, spanned so a deserializer of the wrong payload errors on it.
    let infer = quote_spanned!(deserializer_span=> _);
    let options = options(&topic.options);
    let payload = quote_spanned! {span=>
        <#consumer as ::karafka::Consumer>::Payload
    };
    quote_spanned! {span=>
        ::karafka::__private::topic::<#consumer, #infer>(
            #name,
            #consumer_name,
            #deserializer,
            #options,
        )
        .payload_type({
            #[allow(unused_imports)]
            use ::karafka::__private::asyncapi::{ViaJsonSchema as _, WithoutJsonSchema as _};
            (&::karafka::__private::asyncapi::Probe::<#payload>::new()).payload_type()
        })
    }
}

/// `::karafka::__private::RouteOptions { <given fields>, ..Default::default() }`,
/// the fields in the order of the route options table.
fn options(options: &RouteOptions) -> TokenStream {
    let fields = table::options().iter().filter_map(|spec| {
        let value = options.get(spec)?;
        let field = Ident::new(&spec.name, Span::call_site());
        let value = value_tokens(spec, value);
        Some(quote!(#field: ::core::option::Option::Some(#value)))
    });
    quote! {
        ::karafka::__private::RouteOptions {
            #(#fields,)*
            ..::core::default::Default::default()
        }
    }
}

/// The runtime value of a route option.
fn value_tokens(spec: &OptionSpec, value: &Value) -> TokenStream {
    let some = |value: TokenStream| quote!(::core::option::Option::Some(#value));
    match value {
        Value::Bool(value) => value.to_token_stream(),
        Value::Integer(value) => value.to_token_stream(),
        Value::Variant(variant) => {
            let ty = Ident::new(&spec.type_name, Span::call_site());
            quote!(::karafka::#ty::#variant)
        }
        Value::DeadLetterQueue(dlq) => {
            let (topic, max_retries) = (&dlq.topic, &dlq.max_retries);
            quote! {
                ::karafka::__private::DeadLetterQueue { topic: #topic, max_retries: #max_retries }
            }
        }
        Value::Filters(types) => filters_tokens(types),
        Value::Throttle(throttle) => {
            let (limit, interval) = (&throttle.limit, &throttle.interval);
            quote! {
                ::karafka::__private::Throttling { limit: #limit, interval_ms: #interval }
            }
        }
        Value::VirtualPartitions(virtual_partitions) => virtual_partitions.tokens(),
        Value::TopicConfig(config) => {
            let optional = |value: &Option<syn::LitInt>| match value {
                Some(value) => some(value.to_token_stream()),
                None => quote!(::core::option::Option::None),
            };
            let partitions = optional(&config.partitions);
            let replication_factor = optional(&config.replication_factor);
            let settings = config.settings.iter().map(|(k, v)| quote!((#k, #v)));
            quote! {
                ::karafka::__private::TopicConfig {
                    partitions: #partitions,
                    replication_factor: #replication_factor,
                    settings: &[#(#settings),*],
                }
            }
        }
    }
}

/// `Filters(&[FilterSpec::of::<A>("A"), ...])`, each spanned on its type so a
/// type that is not a filter errors there.
fn filters_tokens(types: &[syn::Path]) -> TokenStream {
    let specs = types.iter().map(|path| {
        let ident = path.segments.last().map(|segment| &segment.ident);
        let span = ident.map_or_else(|| path.span(), Ident::span);
        let name = ident.map(|i| i.unraw().to_string()).unwrap_or_default();
        quote_spanned! {span=>
            ::karafka::__private::FilterSpec::of::<#path>(#name)
        }
    });
    quote! {{
        const FILTERS: &[::karafka::__private::FilterSpec] = &[#(#specs),*];
        ::karafka::__private::Filters(FILTERS)
    }}
}

/// The name as a string literal spanned on where it is written.
fn name_literal(name: &Name) -> LitStr {
    LitStr::new(&name.value, name.span)
}
