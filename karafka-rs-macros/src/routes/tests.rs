//! Parse + validate + expand valid and invalid inputs, comparing token text.

use proc_macro2::TokenStream;
use quote::quote;

/// Token text without whitespace, so expansions compare independently of formatting.
fn normalized(tokens: impl ToString) -> String {
    tokens.to_string().split_whitespace().collect()
}

/// The normalized expansion of `input`, which must be valid.
fn expand(input: TokenStream) -> String {
    normalized(super::expand(input).expect("input should be valid"))
}

/// The error message(s) `input` is rejected with.
fn expand_error(input: TokenStream) -> String {
    match super::expand(input) {
        Ok(tokens) => panic!("input should be rejected, expanded to {tokens}"),
        Err(error) => error
            .into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Asserts `expansion` contains `piece` (tokens, or text for unbalanced pieces), normalized.
#[track_caller]
fn assert_contains(expansion: &str, piece: impl ToString) {
    let piece = normalized(piece);
    assert!(
        expansion.contains(&piece),
        "expected\n{piece}\nin\n{expansion}"
    );
}

#[test]
fn a_minimal_route_expands_to_the_documented_shape() {
    let expansion = expand(quote! {
        consumer_group example { topic users { consumer: UsersConsumer } }
    });
    let expected = quote! {
        const _: () = {
            #[allow(clippy::needless_update)]
            fn __karafka_routes() -> ::std::vec::Vec<::karafka::__private::ConsumerGroupDef> {
                ::std::vec![
                    ::karafka::__private::consumer_group(
                        "example",
                        ::karafka::__private::RouteOptions { ..::core::default::Default::default() },
                        ::std::vec![
                            ::karafka::__private::topic::<UsersConsumer, _>(
                                "users",
                                "UsersConsumer",
                                ::karafka::deserializers::Json,
                                ::karafka::__private::RouteOptions { ..::core::default::Default::default() },
                            )
                            .payload_type({
                                #[allow(unused_imports)]
                                use ::karafka::__private::asyncapi::{ViaJsonSchema as _, WithoutJsonSchema as _};
                                (&::karafka::__private::asyncapi::Probe::<<UsersConsumer as ::karafka::Consumer>::Payload>::new()).payload_type()
                            }),
                        ],
                    ),
                ]
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
    };
    assert_eq!(expansion, normalized(expected));
}

#[test]
fn group_level_options_are_emitted_on_the_consumer_group() {
    let expansion = expand(quote! {
        consumer_group example {
            batch_consuming: true,
            max_messages: 50,
            topic users { consumer: UsersConsumer }
        }
    });
    assert_contains(
        &expansion,
        quote! {
            ::karafka::__private::consumer_group(
                "example",
                ::karafka::__private::RouteOptions {
                    batch_consuming: ::core::option::Option::Some(true),
                    max_messages: ::core::option::Option::Some(50usize),
                    ..::core::default::Default::default()
                },
                ::std::vec![
                    ::karafka::__private::topic::<UsersConsumer, _>(
                        "users",
                        "UsersConsumer",
                        ::karafka::deserializers::Json,
                        ::karafka::__private::RouteOptions { ..::core::default::Default::default() },
                    )
                    .payload_type({
                        #[allow(unused_imports)]
                        use ::karafka::__private::asyncapi::{ViaJsonSchema as _, WithoutJsonSchema as _};
                        (&::karafka::__private::asyncapi::Probe::<<UsersConsumer as ::karafka::Consumer>::Payload>::new()).payload_type()
                    }),
                ],
            )
        },
    );
}

#[test]
fn topic_level_options_are_emitted_on_the_topic_in_field_order() {
    let expansion = expand(quote! {
        consumer_group example {
            topic users {
                consumer: UsersConsumer,
                active: false,
                initial_offset: earliest,
                max_messages: 10,
                batch_consuming: false,
                backend: inline,
            }
        }
    });
    assert_contains(
        &expansion,
        quote! {
            "example",
            ::karafka::__private::RouteOptions { ..::core::default::Default::default() },
        },
    );
    assert_contains(
        &expansion,
        quote! {
            ::karafka::deserializers::Json,
            ::karafka::__private::RouteOptions {
                backend: ::core::option::Option::Some(::karafka::Backend::Inline),
                batch_consuming: ::core::option::Option::Some(false),
                max_messages: ::core::option::Option::Some(10usize),
                initial_offset: ::core::option::Option::Some(::karafka::InitialOffset::Earliest),
                active: ::core::option::Option::Some(false),
                ..::core::default::Default::default()
            },
        },
    );
}

#[test]
fn group_options_may_come_between_and_after_topics() {
    let expansion = expand(quote! {
        consumer_group example {
            topic a { consumer: A },
            initial_offset: latest,
            topic b { consumer: B }
            backend: inline
        }
    });
    assert_contains(
        &expansion,
        quote! {
            "example",
            ::karafka::__private::RouteOptions {
                backend: ::core::option::Option::Some(::karafka::Backend::Inline),
                initial_offset: ::core::option::Option::Some(::karafka::InitialOffset::Latest),
                ..::core::default::Default::default()
            },
        },
    );
}

#[test]
fn a_custom_deserializer_is_passed_through_as_written() {
    let expansion = expand(quote! {
        consumer_group example {
            topic "rating-averages" {
                consumer: crate::consumers::AveragesConsumer,
                deserializer: karafka::deserializers::Utf8,
            }
        }
    });
    assert_contains(
        &expansion,
        r#"::karafka::__private::topic::<crate::consumers::AveragesConsumer, _>(
            "rating-averages",
            "AveragesConsumer",
            karafka::deserializers::Utf8,
            ::karafka::__private::RouteOptions"#,
    );
}

#[test]
fn string_and_raw_identifier_names_become_plain_string_literals() {
    let expansion = expand(quote! {
        consumer_group "other-group" { topic r#type { consumer: Events } }
    });
    assert_contains(&expansion, r#"consumer_group("other-group","#);
    assert_contains(&expansion, r#"topic::<Events, _>("type","#);
}

#[test]
fn several_consumer_groups_expand_in_source_order() {
    let expansion = expand(quote! {
        consumer_group first { topic a { consumer: A } },
        consumer_group second { topic a { consumer: A } }
    });
    let first = expansion.find("\"first\"").expect("first group");
    let second = expansion.find("\"second\"").expect("second group");
    assert!(first < second, "{expansion}");
}

#[test]
fn every_validation_problem_is_reported_at_once() {
    let error = expand_error(quote! {
        consumer_group "bad group" {
            topic users { consumer: A }
            topic users { consumer: B }
        }
        consumer_group empty {}
    });
    assert!(
        error.contains("invalid consumer group name \"bad group\""),
        "{error}"
    );
    assert!(
        error.contains("topic `users` is routed twice in consumer group `bad group`"),
        "{error}"
    );
    assert!(
        error.contains("consumer group `empty` has no topics"),
        "{error}"
    );
}

#[test]
fn the_same_topic_may_be_routed_in_two_consumer_groups() {
    expand(quote! {
        consumer_group a { topic users { consumer: A } }
        consumer_group b { topic users { consumer: B } }
    });
}

#[test]
fn max_messages_rejects_a_non_usize_suffix() {
    let error = expand_error(quote! {
        consumer_group g { topic t { consumer: A, max_messages: 5u8 } }
    });
    assert!(error.contains("remove the `u8` suffix"), "{error}");
}

#[test]
fn an_option_of_the_other_level_is_unknown() {
    let error = expand_error(quote! {
        consumer_group g { active: true, topic t { consumer: A } }
    });
    assert!(
        error.starts_with("unknown consumer group option `active`"),
        "{error}"
    );
}

#[test]
fn topic_config_is_emitted_with_partitions_replication_and_settings_as_text() {
    let expansion = expand(quote! {
        consumer_group g {
            topic t {
                consumer: A,
                config: { partitions: 6, "retention.ms": 86400000, "cleanup.policy": "compact" },
            }
        }
    });
    assert_contains(
        &expansion,
        quote! {
            config: ::core::option::Option::Some(::karafka::__private::TopicConfig {
                partitions: ::core::option::Option::Some(6i32),
                replication_factor: ::core::option::Option::None,
                settings: &[("retention.ms", "86400000"), ("cleanup.policy", "compact")],
            }),
        },
    );
}

#[test]
fn topic_config_rejects_unknown_options_zero_partitions_and_repeated_settings() {
    let unknown = expand_error(quote! {
        consumer_group g { topic t { consumer: A, config: { partition: 3 } } }
    });
    assert!(
        unknown.starts_with("unknown config option `partition`"),
        "{unknown}"
    );
    let zero = expand_error(quote! {
        consumer_group g { topic t { consumer: A, config: { partitions: 0 } } }
    });
    assert!(zero.contains("`partitions` must be at least 1"), "{zero}");
    let twice = expand_error(quote! {
        consumer_group g { topic t { consumer: A, config: { "retention.ms": 1, "retention.ms": 2 } } }
    });
    assert!(
        twice.contains("setting \"retention.ms\" is given twice"),
        "{twice}"
    );
}

#[test]
fn config_is_a_topic_option_only() {
    let error = expand_error(quote! {
        consumer_group g { config: { partitions: 3 }, topic t { consumer: A } }
    });
    assert!(
        error.starts_with("unknown consumer group option `config`"),
        "{error}"
    );
}

#[test]
fn flow_options_are_emitted_as_filter_specs_throttling_and_milliseconds() {
    let expansion = expand(quote! {
        consumer_group g {
            delay_by: 2000,
            topic t {
                consumer: A,
                filters: [SpamFilter, app::filters::Dedup],
                throttle: { limit: 100, interval: 1000 },
                expire_in: 60000,
            }
        }
    });
    assert_contains(
        &expansion,
        quote! {
            filters: ::core::option::Option::Some({
                const FILTERS: &[::karafka::__private::FilterSpec] = &[
                    ::karafka::__private::FilterSpec::of::<SpamFilter>("SpamFilter"),
                    ::karafka::__private::FilterSpec::of::<app::filters::Dedup>("Dedup")
                ];
                ::karafka::__private::Filters(FILTERS)
            }),
            throttle: ::core::option::Option::Some(
                ::karafka::__private::Throttling { limit: 100u32, interval_ms: 1000u64 }
            ),
            expire_in: ::core::option::Option::Some(60000u64),
        },
    );
    assert_contains(
        &expansion,
        quote! { delay_by: ::core::option::Option::Some(2000u64) },
    );
}
