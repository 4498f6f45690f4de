//! `virtual_partitions: { partitioner: key | header("<name>") | <Type>, max_partitions: <n> }`:
//! its syntax and the runtime value it expands to.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{braced, parenthesized, Error, Ident, LitInt, LitStr, Path, Result, Token};

use super::parse::{integer, option_key, set_once};

/// Keys of `virtual_partitions: { ... }`.
const OPTIONS: &[&str] = &["partitioner", "max_partitions"];

/// The `virtual_partitions` value.
pub(crate) struct VirtualPartitions {
    /// Which partitioner (the message key when not given).
    partitioner: Partitioner,
    /// `max_partitions: <n>`, as a `usize`-suffixed literal.
    max_partitions: LitInt,
}

/// `key`, `header("<name>")` or a type implementing `karafka::Partitioner`.
enum Partitioner {
    Key,
    Header(LitStr),
    Custom(Path),
}

impl Parse for Partitioner {
    fn parse(input: ParseStream) -> Result<Self> {
        if input.peek(Ident) && !input.peek2(Token![::]) {
            let fork = input.fork();
            let ident: Ident = fork.parse()?;
            if ident == "key" {
                input.parse::<Ident>()?;
                return Ok(Partitioner::Key);
            }
            if ident == "header" && fork.peek(syn::token::Paren) {
                input.parse::<Ident>()?;
                let args;
                parenthesized!(args in input);
                let name: LitStr = args.parse().map_err(|e| {
                    Error::new(e.span(), "expected the header's name: `header(\"<name>\")`")
                })?;
                if name.value().is_empty() {
                    return Err(Error::new(name.span(), "the header's name is empty"));
                }
                if !args.is_empty() {
                    return Err(args.error("expected one header name: `header(\"<name>\")`"));
                }
                return Ok(Partitioner::Header(name));
            }
        }
        let path = input.parse::<Path>().map_err(|e| {
            Error::new(
                e.span(),
                "expected a partitioner: `key`, `header(\"<name>\")` or a type implementing `karafka::Partitioner`",
            )
        })?;
        Ok(Partitioner::Custom(path))
    }
}

impl Parse for VirtualPartitions {
    fn parse(input: ParseStream) -> Result<Self> {
        let body;
        let brace = braced!(body in input);
        let mut partitioner = None;
        let mut max_partitions = None;
        while !body.is_empty() {
            let key = option_key(&body, "virtual_partitions", OPTIONS)?;
            match key.to_string().as_str() {
                "partitioner" => set_once(&mut partitioner, &key, || body.parse())?,
                _ => set_once(&mut max_partitions, &key, || {
                    integer(&body, "max_partitions", "usize", 1)
                })?,
            }
            if !body.is_empty() {
                body.parse::<Token![,]>()?;
            }
        }
        let max_partitions = max_partitions.ok_or_else(|| {
            Error::new(
                brace.span.join(),
                "`virtual_partitions` needs `max_partitions: <n>`",
            )
        })?;
        Ok(VirtualPartitions {
            partitioner: partitioner.unwrap_or(Partitioner::Key),
            max_partitions,
        })
    }
}

impl VirtualPartitions {
    /// The runtime `karafka::VirtualPartitions` value.
    pub(crate) fn tokens(&self) -> TokenStream {
        let partitioner = match &self.partitioner {
            Partitioner::Key => quote!(::karafka::VirtualPartitioner::Key),
            Partitioner::Header(name) => quote!(::karafka::VirtualPartitioner::Header(#name)),
            // Spanned on the type, so a type that is no `Partitioner + Default` is named there.
            Partitioner::Custom(path) => {
                quote_spanned!(path.span()=> ::karafka::VirtualPartitioner::custom::<#path>())
            }
        };
        let max_partitions = &self.max_partitions;
        quote! {
            ::karafka::VirtualPartitions {
                partitioner: #partitioner,
                max_partitions: #max_partitions,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn normalized(tokens: impl ToString) -> String {
        tokens.to_string().split_whitespace().collect()
    }

    fn expand(input: proc_macro2::TokenStream) -> String {
        normalized(super::super::expand(input).expect("input should be valid"))
    }

    fn expand_error(input: proc_macro2::TokenStream) -> String {
        match super::super::expand(input) {
            Ok(tokens) => panic!("input should be rejected, expanded to {tokens}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn key_header_and_custom_partitioners_expand_to_their_runtime_values() {
        let key = expand(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { partitioner: key, max_partitions: 4 } } }
        });
        assert!(key.contains(&normalized(quote!(virtual_partitions: ::core::option::Option::Some(::karafka::VirtualPartitions {
            partitioner: ::karafka::VirtualPartitioner::Key,
            max_partitions: 4usize,
        })))), "{key}");
        let header = expand(quote! {
            consumer_group g { virtual_partitions: { max_partitions: 2, partitioner: header("tenant") }, topic t { consumer: A } }
        });
        assert!(
            header.contains(&normalized(quote!(::karafka::VirtualPartitioner::Header(
                "tenant"
            )))),
            "{header}"
        );
        let custom = expand(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { partitioner: crate::ByTenant, max_partitions: 8 } } }
        });
        assert!(
            custom.contains(&normalized(quote!(
                ::karafka::VirtualPartitioner::custom::<crate::ByTenant>()
            ))),
            "{custom}"
        );
        let default = expand(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { max_partitions: 3 } } }
        });
        assert!(
            default.contains(&normalized(quote!(::karafka::VirtualPartitioner::Key))),
            "{default}"
        );
    }

    #[test]
    fn malformed_virtual_partitions_are_rejected_naming_what_is_wrong() {
        let zero = expand_error(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { max_partitions: 0 } } }
        });
        assert!(
            zero.contains("`max_partitions` must be at least 1"),
            "{zero}"
        );
        let missing = expand_error(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { partitioner: key } } }
        });
        assert!(missing.contains("needs `max_partitions: <n>`"), "{missing}");
        let unknown = expand_error(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { partitions: 3 } } }
        });
        assert!(
            unknown.starts_with("unknown virtual_partitions option `partitions`"),
            "{unknown}"
        );
        let header = expand_error(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { partitioner: header(tenant), max_partitions: 2 } } }
        });
        assert!(header.contains("expected the header's name"), "{header}");
        let literal = expand_error(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { partitioner: "key", max_partitions: 2 } } }
        });
        assert!(literal.contains("expected a partitioner"), "{literal}");
        let twice = expand_error(quote! {
            consumer_group g { topic t { consumer: A, virtual_partitions: { max_partitions: 2, max_partitions: 3 } } }
        });
        assert!(
            twice.contains("option `max_partitions` is given twice"),
            "{twice}"
        );
    }
}
