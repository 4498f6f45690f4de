//! Parse + expand valid and invalid `#[derive(Responder)]` inputs, comparing token text.

use proc_macro2::TokenStream;
use quote::quote;

/// Token text without whitespace, so expansions compare independently of formatting.
fn normalized(tokens: impl ToString) -> String {
    tokens.to_string().split_whitespace().collect()
}

fn expand(input: TokenStream) -> String {
    normalized(super::derive(input).expect("input should be valid"))
}

fn expand_error(input: TokenStream) -> String {
    match super::derive(input) {
        Ok(tokens) => panic!("input should be rejected, expanded to {tokens}"),
        Err(error) => error
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[track_caller]
fn assert_contains(expansion: &str, piece: impl ToString) {
    let piece = normalized(piece);
    assert!(
        expansion.contains(&piece),
        "expected\n{piece}\nin\n{expansion}"
    );
}

#[test]
fn a_topic_without_options_is_required_single_use_json() {
    let expansion = expand(quote! {
        #[responder(topic = "users")]
        pub struct UsersResponder;
    });
    assert_contains(
        &expansion,
        quote! {
            ::karafka::__private::responders::TopicSpec::new(
                "users",
                true,
                false,
                ::karafka::serializers::Json,
                ::core::option::Option::None,
                ::core::option::Option::None,
            )
        },
    );
    assert_contains(
        &expansion,
        quote!(
            const NAME: &'static str = "UsersResponder";
        ),
    );
    assert_contains(&expansion, "pub fn call(&self,");
    assert_contains(&expansion, "pub fn call_async(&self,");
    assert_contains(
        &expansion,
        quote!(name: "UsersResponder", module_path: ::core::module_path!(),),
    );
}

#[test]
fn every_option_reaches_the_topic_spec() {
    let expansion = expand(quote! {
        #[responder(topic = "users")]
        #[responder(
            topic = "audit",
            required = false,
            multiple_usage = true,
            serializer = karafka::serializers::Utf8,
            key = "audit-key",
            partition = 3,
        )]
        pub(crate) struct UsersResponder;
    });
    assert_contains(
        &expansion,
        quote! {
            ::karafka::__private::responders::TopicSpec::new(
                "audit",
                false,
                true,
                karafka::serializers::Utf8,
                ::core::option::Option::Some("audit-key"),
                ::core::option::Option::Some(3i32),
            )
        },
    );
    assert_contains(&expansion, "pub(crate) fn call(&self,");
}

#[test]
fn raw_identifiers_are_named_without_the_prefix() {
    let expansion = expand(quote! {
        #[responder(topic = "users")]
        struct r#Responder;
    });
    assert_contains(
        &expansion,
        quote!(
            const NAME: &'static str = "Responder";
        ),
    );
}

#[test]
fn missing_topic_attribute_names_the_responder() {
    let error = expand_error(quote!(
        struct UsersResponder;
    ));
    assert!(
        error.contains("responder `UsersResponder` declares no topic"),
        "{error}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let error = expand_error(quote! {
        #[responder(topic = "users", requird = true)]
        #[responder(topic = "bad topic")]
        #[responder(required = false)]
        struct UsersResponder<T>(T);
    });
    assert!(error.contains("cannot be generic"), "{error}");
    assert!(
        error.contains("unknown responder option `requird`"),
        "{error}"
    );
    assert!(error.contains("topic name `bad topic` must be"), "{error}");
    assert!(error.contains("needs the topic's name"), "{error}");
}

#[test]
fn the_same_topic_twice_is_rejected() {
    let error = expand_error(quote! {
        #[responder(topic = "users")]
        #[responder(topic = "users", required = false)]
        struct UsersResponder;
    });
    assert!(error.contains("topic `users` is declared twice"), "{error}");
}

#[test]
fn option_given_twice_and_bad_partition_are_rejected() {
    let error = expand_error(quote! {
        #[responder(topic = "users", required = true, required = false)]
        struct A;
    });
    assert!(
        error.contains("option `required` is given twice"),
        "{error}"
    );
    let error = expand_error(quote! {
        #[responder(topic = "users", partition = -1)]
        struct B;
    });
    assert!(error.contains("must be a partition number"), "{error}");
    let error = expand_error(quote! {
        #[responder(topic = "users", partition = 1u8)]
        struct C;
    });
    assert!(error.contains("remove the `u8` suffix"), "{error}");
}

#[test]
fn a_declared_payload_type_is_probed_for_its_json_schema() {
    let expansion = expand(quote! {
        #[responder(topic = "users", payload = Vec<UserEvent>)]
        struct UsersResponder;
    });
    assert_contains(
        &expansion,
        quote! {
            .with_payload({
                #[allow(unused_imports)]
                use ::karafka::__private::asyncapi::{ViaJsonSchema as _, WithoutJsonSchema as _};
                (&::karafka::__private::asyncapi::Probe::<Vec<UserEvent> >::new()).payload_type()
            })
        },
    );
}
