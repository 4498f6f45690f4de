//! Code generation for `#[derive(Responder)]`.
//!
//! The output implements `::karafka::Responder`, adds inherent `call` and
//! `call_async` methods (so app code needs no trait import), and registers the
//! responder with inventory for the CLI. It names items only through
//! `::karafka`, `::core` and `::std`.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::LitStr;

use super::parse::{Responder, Topic};

/// Expands a parsed responder.
pub(crate) fn responder(responder: &Responder) -> TokenStream {
    let ident = &responder.ident;
    let vis = &responder.vis;
    let name = LitStr::new(&ident.unraw().to_string(), ident.span());
    let topics = responder.topics.iter().map(topic);
    quote! {
        impl #ident {
            /// Responds to `input` through this responder and resolves once the broker
            /// acknowledged every message it wrote; usage errors send nothing.
            #vis fn call(
                &self,
                input: &<Self as ::karafka::Respond>::Input,
            ) -> impl ::core::future::Future<
                Output = ::karafka::Result<::karafka::Responded>,
            > + ::core::marker::Send + 'static {
                ::karafka::__private::responders::call(self, input)
            }

            /// Responds to `input` through this responder without waiting for delivery;
            /// delivery failures are reported as `error.occurred` events.
            #vis fn call_async(
                &self,
                input: &<Self as ::karafka::Respond>::Input,
            ) -> ::karafka::Result<()> {
                ::karafka::__private::responders::call_async(self, input)
            }
        }

        const _: () = {
            impl ::karafka::Responder for #ident {
                const NAME: &'static str = #name;

                fn topics() -> &'static [::karafka::__private::responders::TopicSpec] {
                    static TOPICS: ::karafka::__private::OnceLock<
                        ::std::vec::Vec<::karafka::__private::responders::TopicSpec>,
                    > = ::karafka::__private::OnceLock::new();
                    TOPICS.get_or_init(|| ::std::vec![#(#topics,)*])
                }
            }

            fn __karafka_cli() -> ::core::option::Option<::karafka::__private::responders::CliFn> {
                #[allow(unused_imports)]
                use ::karafka::__private::responders::{NoCli as _, ViaCli as _};
                (&::karafka::__private::responders::Probe::<#ident>::new()).cli()
            }

            ::karafka::__private::inventory::submit! {
                ::karafka::__private::responders::ResponderEntry {
                    name: #name,
                    module_path: ::core::module_path!(),
                    topics: <#ident as ::karafka::Responder>::topics,
                    cli: __karafka_cli,
                }
            }
        };
    }
}

/// `TopicSpec::new(name, required, multiple_usage, serializer, key, partition)`.
fn topic(topic: &Topic) -> TokenStream {
    let name = &topic.name;
    let required = topic
        .required
        .as_ref()
        .map_or_else(|| quote!(true), ToTokens::to_token_stream);
    let multiple_usage = topic
        .multiple_usage
        .as_ref()
        .map_or_else(|| quote!(false), ToTokens::to_token_stream);
    let serializer = topic.serializer.as_ref().map_or_else(
        || quote!(::karafka::serializers::Json),
        ToTokens::to_token_stream,
    );
    let key = option(topic.key.as_ref());
    let partition = option(topic.partition.as_ref());
    let payload = topic.payload.as_ref().map(|payload| {
        quote! {
            .with_payload({
                #[allow(unused_imports)]
                use ::karafka::__private::asyncapi::{ViaJsonSchema as _, WithoutJsonSchema as _};
                (&::karafka::__private::asyncapi::Probe::<#payload>::new()).payload_type()
            })
        }
    });
    quote! {
        ::karafka::__private::responders::TopicSpec::new(
            #name,
            #required,
            #multiple_usage,
            #serializer,
            #key,
            #partition,
        )
        #payload
    }
}

fn option(value: Option<&impl ToTokens>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}
