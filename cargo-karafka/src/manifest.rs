//! The app's `Cargo.toml` and `.cargo/config.toml`, edited with toml_edit so
//! the user's formatting and comments stay as they were.

use anyhow::{anyhow, Context as _};
use toml_edit::{value, Array, DocumentMut, InlineTable, Item, Table};

/// Where the karafka-rs dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// crates.io, at this version requirement (the default: the generator's own version).
    Registry(String),
    /// `--path <dir of karafka-rs>`, as it should appear in the app's Cargo.toml.
    Path(String),
    /// `--git <url>`.
    Git(String),
}

/// The dependencies an app needs besides karafka: name, version, features.
const DEPENDENCIES: &[(&str, &str, &[&str])] = &[
    ("tokio", "1", &["macros", "rt-multi-thread"]),
    ("serde", "1", &["derive"]),
    ("serde_json", "1", &[]),
    ("tracing", "0.1", &[]),
    ("anyhow", "1", &[]),
];

/// The package name of a manifest, or why it has none.
pub(crate) fn package_name(text: &str) -> anyhow::Result<String> {
    let document: DocumentMut = text.parse().context("Cargo.toml is not valid TOML")?;
    document
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(Item::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("Cargo.toml has no [package] name (a workspace manifest?)"))
}

/// What editing a TOML file came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Everything was there already.
    Identical,
    /// The new text, and what was added.
    Added(String, Vec<String>),
    /// The new text, and what was removed.
    Removed(String, Vec<String>),
    /// Entries that differ from what install would write, by name.
    Conflict(Vec<String>),
}

/// Adds the karafka dependency (from `source`) and the others the app code
/// uses; dependencies already there are kept as the user wrote them, except a
/// `karafka` one from elsewhere, which is a conflict unless `force`.
pub(crate) fn add_dependencies(text: &str, source: &Source, force: bool) -> anyhow::Result<Edit> {
    let mut document: DocumentMut = text.parse().context("Cargo.toml is not valid TOML")?;
    if document.get("dependencies").is_none() {
        document["dependencies"] = Item::Table(Table::new());
    }
    let dependencies = document["dependencies"]
        .as_table_like_mut()
        .ok_or_else(|| anyhow!("[dependencies] in Cargo.toml is not a table"))?;
    let mut added = Vec::new();
    let karafka = karafka_dependency(source);
    match dependencies.get("karafka") {
        None => {
            dependencies.insert("karafka", value(karafka));
            added.push("karafka".to_owned());
        }
        Some(existing) if same_dependency(existing, &karafka) => {}
        Some(_) if force => {
            dependencies.insert("karafka", value(karafka));
            added.push("karafka (replaced)".to_owned());
        }
        Some(_) => return Ok(Edit::Conflict(vec!["karafka".to_owned()])),
    }
    for (name, version, features) in DEPENDENCIES {
        if dependencies.contains_key(name) {
            continue;
        }
        let item = if features.is_empty() {
            value(*version)
        } else {
            let mut table = InlineTable::new();
            table.insert("version", (*version).into());
            table.insert(
                "features",
                Array::from_iter(features.iter().copied()).into(),
            );
            value(table)
        };
        dependencies.insert(name, item);
        added.push((*name).to_owned());
    }
    if added.is_empty() {
        Ok(Edit::Identical)
    } else {
        Ok(Edit::Added(document.to_string(), added))
    }
}

/// `{ package = "karafka-rs", version = "..." }`, or with `path` or `git` instead of `version`.
fn karafka_dependency(source: &Source) -> InlineTable {
    let mut table = InlineTable::new();
    table.insert("package", "karafka-rs".into());
    match source {
        Source::Registry(version) => table.insert("version", version.as_str().into()),
        Source::Path(path) => table.insert("path", path.as_str().into()),
        Source::Git(url) => table.insert("git", url.as_str().into()),
    };
    table
}

fn same_dependency(existing: &Item, wanted: &InlineTable) -> bool {
    let Some(existing) = existing.as_table_like() else {
        return false;
    };
    let field = |name: &str| existing.get(name).and_then(Item::as_str).map(str::to_owned);
    ["package", "version", "path", "git"]
        .iter()
        .all(|key| field(key).as_deref() == wanted.get(key).and_then(|v| v.as_str()))
}

/// The cargo alias earlier installs wrote. An alias named like the installed
/// `cargo-karafka` makes cargo warn that it shadows it (cargo#10049), and
/// `cargo-karafka` runs the app itself now.
const OLD_ALIAS: &str = "karafka";

/// Removes `alias.karafka` from `.cargo/config.toml` (and the `[alias]` table
/// if nothing else is left in it); identical when there is none.
pub(crate) fn remove_alias(text: &str) -> anyhow::Result<Edit> {
    let mut document: DocumentMut = text
        .parse()
        .context(".cargo/config.toml is not valid TOML")?;
    let Some(aliases) = document.get_mut("alias") else {
        return Ok(Edit::Identical);
    };
    let aliases = aliases
        .as_table_like_mut()
        .ok_or_else(|| anyhow!("[alias] in .cargo/config.toml is not a table"))?;
    if aliases.remove(OLD_ALIAS).is_none() {
        return Ok(Edit::Identical);
    }
    if aliases.is_empty() {
        document.remove("alias");
    }
    Ok(Edit::Removed(
        document.to_string(),
        vec![format!("alias.{OLD_ALIAS}")],
    ))
}
