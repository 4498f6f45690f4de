//! Route options, derived from the one table that declares them
//! (`karafka-rs-macros/src/route_options.rs`, which the `routes!` DSL reads
//! too): [`RouteOptions`] as declared on a group or topic, their merge, and the
//! resolved fields of a [`Topic`] with its `Debug` and its `routes` columns.

use std::sync::Arc;
use std::time::Duration;

use super::definition::{DeadLetterQueue, TopicConfig};
use super::flow::{millis, Filters, Throttling};
use super::virtual_partitions::VirtualPartitions;
use crate::config::{Backend, Config, InitialOffset};
use crate::consumer::erased::ConsumerFactory;
use crate::messages::payload_type::{Format, PayloadType};

/// Turns the route options table into the runtime's types.
macro_rules! define_route_options {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident : $ty:ty {
            dsl: $dsl:ident $(($($dsl_args:tt)*))?,
            on: [$($level:ident),*],
            resolved: $resolved:ty = |$option:ident, $config:ident| $resolve:expr,
            $(column: $header:literal = |$shown:ident| $show:expr,)?
        }
    )*) => {
        /// Options settable on a consumer group (as defaults) or on a topic; unset means inherit.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct RouteOptions {
            $(
                $(#[doc = $doc])*
                pub $name: Option<$ty>,
            )*
        }

        impl RouteOptions {
            /// Each option of `self`, or `fallback`'s where `self` leaves it unset.
            pub fn or(self, fallback: RouteOptions) -> RouteOptions {
                RouteOptions {
                    $($name: self.$name.or(fallback.$name),)*
                }
            }
        }

        /// A routed topic with every option resolved.
        #[derive(Clone)]
        pub struct Topic {
            /// Topic name.
            pub name: Arc<str>,
            /// Type name of the consumer handling it.
            pub consumer_name: &'static str,
            /// Name of the payload deserializer.
            pub deserializer_name: String,
            /// The payload's wire format (from the deserializer).
            pub format: Format,
            /// The consumer's payload type, with its JSON Schema if it has one.
            pub payload: PayloadType,
            $(
                $(#[doc = $doc])*
                pub $name: $resolved,
            )*
            /// Where the route was declared.
            pub location: &'static str,
            pub(crate) factory: ConsumerFactory,
        }

        impl Topic {
            /// The route of `declared`, its options (merged with its group's)
            /// resolved against `config`'s defaults.
            pub(crate) fn resolve(
                declared: super::definition::TopicDef,
                options: RouteOptions,
                config: &Config,
                location: &'static str,
            ) -> Topic {
                Topic {
                    name: Arc::from(declared.name.as_str()),
                    consumer_name: declared.consumer_name,
                    deserializer_name: declared.deserializer_name,
                    format: declared.format,
                    payload: declared.payload,
                    $($name: resolve::$name(options.$name, config),)*
                    location,
                    factory: declared.factory,
                }
            }

            /// The option columns of the CLI's `routes` table: each header and
            /// how a topic's cell reads.
            pub(crate) const COLUMNS: &'static [(&'static str, fn(&Topic) -> String)] = &[$($(
                ($header, |topic: &Topic| {
                    let $shown = &topic.$name;
                    $show
                }),
            )?)*];
        }

        /// How each option resolves, from its merged value and the configuration.
        mod resolve {
            use super::*;

            $(
                pub(super) fn $name($option: Option<$ty>, $config: &Config) -> $resolved {
                    $resolve
                }
            )*
        }

        impl std::fmt::Debug for Topic {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Topic")
                    .field("name", &self.name)
                    .field("consumer", &self.consumer_name)
                    .field("deserializer", &self.deserializer_name)
                    .field("payload", &self.payload.name)
                    $(.field(stringify!($name), &self.$name))*
                    .finish()
            }
        }
    };
}

karafka_rs_macros::__route_options!(define_route_options);
