//! Every responder linked into the binary, registered by `#[derive(Responder)]`
//! with inventory, so the CLI's `respond <Name> <json>` can find and call it.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use super::{prepare, Respond, Response, TopicSpec};
use crate::error::{Error, Result};

/// Runs a registered responder on input given as JSON text.
pub type CliFn = fn(&str) -> Result<Response>;

/// One responder declared with `#[derive(Responder)]`.
#[derive(Debug)]
pub struct ResponderEntry {
    /// Its type's name.
    pub name: &'static str,
    /// The module declaring it, for telling apart responders of the same name.
    pub module_path: &'static str,
    /// Its declared topics.
    pub topics: fn() -> &'static [TopicSpec],
    /// How to call it with JSON input: `None` unless it is `Default` and its
    /// `Input` is `Deserialize`.
    pub cli: fn() -> Option<CliFn>,
}

inventory::collect!(ResponderEntry);

impl ResponderEntry {
    /// `module::path::Name`.
    pub fn path(&self) -> String {
        format!("{}::{}", self.module_path, self.name)
    }

    /// Runs the responder on `json`, the JSON form of its `Input`.
    pub fn respond_json(&self, json: &str) -> Result<Response> {
        let call = (self.cli)().ok_or_else(|| {
            Error::from(format!(
                "responder `{}` cannot be called from the command line: it needs to implement `Default`, and its `Input` `serde::Deserialize`",
                self.name
            ))
        })?;
        call(json)
    }
}

/// Every registered responder, sorted by name.
pub fn registered() -> Vec<&'static ResponderEntry> {
    let mut entries: Vec<&'static ResponderEntry> =
        inventory::iter::<ResponderEntry>.into_iter().collect();
    entries.sort_by_key(|e| (e.name, e.module_path));
    entries
}

/// The responder called `name` (its type's name, or its full path when two share one).
pub(crate) fn find(name: &str) -> Result<&'static ResponderEntry> {
    let all = registered();
    let matching: Vec<&'static ResponderEntry> = all
        .iter()
        .copied()
        .filter(|e| e.name == name || e.path() == name)
        .collect();
    match matching.as_slice() {
        [entry] => Ok(entry),
        [] => {
            let names: Vec<&str> = all.iter().map(|e| e.name).collect();
            let known = if names.is_empty() {
                "none is registered (declare one with #[derive(Responder)])".to_owned()
            } else {
                format!("registered: {}", names.join(", "))
            };
            Err(Error::from(format!("no responder named `{name}`; {known}")))
        }
        several => {
            let paths: Vec<String> = several.iter().map(|e| e.path()).collect();
            Err(Error::from(format!(
                "responder name `{name}` is ambiguous; use one of: {}",
                paths.join(", ")
            )))
        }
    }
}

/// Runs `R::default()` on `json` parsed as its input.
fn from_json<R>(json: &str) -> Result<Response>
where
    R: Respond + Default,
    R::Input: DeserializeOwned,
{
    let input: R::Input = serde_json::from_str(json)
        .map_err(|e| Error::from(format!("invalid input for responder `{}`: {e}", R::NAME)))?;
    prepare(&R::default(), &input)
}

/// Picks [`CliFn`] for responders that can be called with JSON, `None` for the
/// others (autoref specialization: the derive calls `(&Probe::<R>::new()).cli()`
/// with both traits in scope, and the by-value impl wins where it applies).
pub struct Probe<R>(PhantomData<R>);

impl<R> Probe<R> {
    /// A probe for responder type `R`.
    pub fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<R> Default for Probe<R> {
    fn default() -> Self {
        Probe::new()
    }
}

/// The probe's answer for responders callable with JSON input.
pub trait ViaCli {
    /// `Some` entry point.
    fn cli(&self) -> Option<CliFn>;
}

impl<R> ViaCli for Probe<R>
where
    R: Respond + Default,
    R::Input: DeserializeOwned,
{
    fn cli(&self) -> Option<CliFn> {
        Some(from_json::<R>)
    }
}

/// The probe's answer for every other responder.
pub trait NoCli {
    /// No entry point.
    fn cli(&self) -> Option<CliFn>;
}

impl<R> NoCli for &Probe<R> {
    fn cli(&self) -> Option<CliFn> {
        None
    }
}
