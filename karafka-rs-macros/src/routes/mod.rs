//! The `routes!` macro: [`parse`] the input, [`validate`] it, then [`expand`] it.

use proc_macro2::TokenStream;

mod expand;
mod parse;
pub(crate) mod table;
mod validate;
mod virtual_partitions;

#[cfg(test)]
mod tests;

/// Turns the input of `routes!` into the code registering those routes, or a spanned error.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let routes: parse::Routes = syn::parse2(input)?;
    validate::routes(&routes)?;
    Ok(expand::routes(&routes))
}
