//! What `install` does to each file (create / identical / update / skip /
//! conflict / force), decided before anything is written.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context as _;

use crate::manifest::{self, Edit, Source};
use crate::templates::{self, CARGO_NEW_MAIN};

/// Where earlier installs put the cargo alias.
const CARGO_CONFIG: &str = ".cargo/config.toml";

/// Whether existing files that differ are overwritten, kept, or stop the run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// Overwrite files that differ.
    pub(crate) force: bool,
    /// Keep files that differ.
    pub(crate) skip: bool,
}

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// It does not exist: written.
    Create,
    /// It exists with the same content: left alone.
    Identical,
    /// It exists and gets entries added (Cargo.toml, .cargo/config.toml).
    Update,
    /// It exists and differs; `--skip` keeps it.
    Skip,
    /// It exists and differs; nothing is written without `--force` or `--skip`.
    Conflict,
    /// It exists and differs; `--force` overwrites it.
    Force,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Create => "create",
            Status::Identical => "identical",
            Status::Update => "update",
            Status::Skip => "skip",
            Status::Conflict => "conflict",
            Status::Force => "force",
        }
    }

    fn colour(self) -> &'static str {
        match self {
            Status::Create => "32",
            Status::Identical => "34",
            Status::Update | Status::Force | Status::Skip => "33",
            Status::Conflict => "31",
        }
    }
}

/// One file's fate.
#[derive(Debug, Clone)]
pub(crate) struct Action {
    /// Path relative to the app's root.
    pub(crate) path: String,
    /// What happens to it.
    pub(crate) status: Status,
    /// The text written, for create / update / force.
    pub(crate) contents: Option<String>,
    /// What an update adds, or what conflicts.
    pub(crate) note: String,
}

impl Action {
    /// `   create  src/main.rs`, coloured when stdout is a terminal.
    pub(crate) fn line(&self) -> String {
        let word = format!("{:>9}", self.status.word());
        let word = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            format!("\x1b[{}m{word}\x1b[0m", self.status.colour())
        } else {
            word
        };
        if self.note.is_empty() {
            format!("{word}  {}", self.path)
        } else {
            format!("{word}  {} ({})", self.path, self.note)
        }
    }
}

/// Decides every file's fate for the app `name`; `read` gives an existing file's text.
pub(crate) fn plan(
    name: &str,
    source: &Source,
    options: Options,
    read: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<Action>> {
    let mut actions = Vec::new();
    let manifest = read("Cargo.toml").context("no Cargo.toml here: run `cargo karafka install` in a Cargo binary project, or `cargo karafka new <name>`")?;
    actions.push(edited(
        "Cargo.toml",
        manifest::add_dependencies(&manifest, source, options.force)?,
        options,
    ));
    for template in templates::FILES {
        let wanted = templates::render(template, name);
        let existing = read(template.path)
            .filter(|text| !(template.path == "src/main.rs" && text == CARGO_NEW_MAIN));
        let status = match existing {
            None => Status::Create,
            Some(text) if text == wanted => Status::Identical,
            Some(_) => differing(options),
        };
        actions.push(Action {
            path: template.path.to_owned(),
            status,
            contents: Some(wanted),
            note: String::new(),
        });
    }
    // cargo-karafka runs the app itself: the alias of earlier installs goes.
    if let Some(text) = read(CARGO_CONFIG) {
        let edit = manifest::remove_alias(&text)?;
        if edit != Edit::Identical {
            actions.push(edited(CARGO_CONFIG, edit, options));
        }
    }
    Ok(actions)
}

fn differing(options: Options) -> Status {
    if options.force {
        Status::Force
    } else if options.skip {
        Status::Skip
    } else {
        Status::Conflict
    }
}

fn edited(path: &str, edit: Edit, options: Options) -> Action {
    let (status, contents, note) = match edit {
        Edit::Identical => (Status::Identical, None, String::new()),
        Edit::Added(text, added) => (
            Status::Update,
            Some(text),
            format!("added {}", added.join(", ")),
        ),
        Edit::Removed(text, removed) => (
            Status::Update,
            Some(text),
            format!(
                "removed {}: cargo-karafka runs the app itself",
                removed.join(", ")
            ),
        ),
        Edit::Conflict(entries) => (
            differing(options),
            None,
            format!("{} differs", entries.join(", ")),
        ),
    };
    Action {
        path: path.to_owned(),
        status,
        contents,
        note,
    }
}

/// Writes what the actions create, update or force, under `root`.
pub(crate) fn apply(root: &Path, actions: &[Action]) -> anyhow::Result<()> {
    for action in actions {
        let writes = matches!(
            action.status,
            Status::Create | Status::Update | Status::Force
        );
        let Some(contents) = action.contents.as_ref().filter(|_| writes) else {
            continue;
        };
        let path = root.join(&action.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
