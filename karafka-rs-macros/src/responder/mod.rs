//! `#[derive(Responder)]`: [`parse`] the struct and its `#[responder(...)]`
//! attributes, then [`expand`] them into the `Responder` impl, the inherent
//! `call` / `call_async` methods and the registration for the CLI.

use proc_macro2::TokenStream;

mod expand;
mod parse;

#[cfg(test)]
mod tests;

/// Turns a `#[derive(Responder)]` input into its expansion, or spanned errors.
pub(crate) fn derive(input: TokenStream) -> syn::Result<TokenStream> {
    let input: syn::DeriveInput = syn::parse2(input)?;
    let responder = parse::responder(&input)?;
    Ok(expand::responder(&responder))
}
