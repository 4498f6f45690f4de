//! Inside a karafka app, every command but the generator's runs the app's own
//! binary (`cargo run --quiet --bin <app> -- <command>`), so `cargo karafka
//! server` needs no cargo alias (an alias named after an installed external
//! subcommand makes cargo warn that it shadows it, cargo#10049).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context as _;
use toml_edit::{DocumentMut, Item};

/// A Cargo package that depends on karafka-rs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct App {
    /// Its `Cargo.toml`.
    pub(crate) manifest: PathBuf,
    /// The binary that is its command line.
    pub(crate) bin: String,
}

/// The app whose package holds `dir`: the nearest `Cargo.toml` upwards with a
/// `[package]`, if that package depends on karafka-rs (as `karafka` or `karafka-rs`).
pub(crate) fn find(dir: &Path) -> Option<App> {
    for ancestor in dir.ancestors() {
        let manifest = ancestor.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let Ok(document) = text.parse::<DocumentMut>() else {
            return None;
        };
        if document.get("package").is_none() {
            // A workspace manifest: its members are below, not here.
            continue;
        }
        return app_of(&document).map(|bin| App { manifest, bin });
    }
    None
}

/// The binary of the package `document` describes, if it depends on karafka-rs.
fn app_of(document: &DocumentMut) -> Option<String> {
    let dependencies = document.get("dependencies")?.as_table_like()?;
    // The scaffold names it `karafka` (`package = "karafka-rs"`); a workspace
    // member writes `karafka.workspace = true`.
    let depends = dependencies.iter().any(|(name, spec)| {
        name == "karafka-rs"
            || name == "karafka"
            || spec
                .as_table_like()
                .and_then(|t| t.get("package"))
                .and_then(Item::as_str)
                == Some("karafka-rs")
    });
    if !depends {
        return None;
    }
    let first_bin = document
        .get("bin")
        .and_then(Item::as_array_of_tables)
        .and_then(|bins| bins.iter().find_map(|b| b.get("name")?.as_str()));
    first_bin
        .or_else(|| document.get("package")?.get("name")?.as_str())
        .map(str::to_owned)
}

/// Runs `app`'s binary with `args` through `cargo run` (building it first if
/// needed); on Unix the process becomes cargo's, which becomes the app's, so
/// signals reach the app directly.
pub(crate) fn run(app: &App, args: &[OsString]) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .arg("run")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(&app.manifest)
        .arg("--bin")
        .arg(&app.bin)
        .arg("--")
        .args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let error = command.exec();
        Err(error).context("running `cargo run`")
    }
    #[cfg(not(unix))]
    {
        let status = command.status().context("running `cargo run`")?;
        Ok(status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .map_or(ExitCode::FAILURE, ExitCode::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bin_of(manifest: &str) -> Option<String> {
        app_of(&manifest.parse().unwrap())
    }

    #[test]
    fn a_package_depending_on_karafka_rs_is_an_app_run_by_its_binary() {
        let manifest = "[package]\nname = \"shop\"\n\n[dependencies]\nkarafka = { package = \"karafka-rs\", version = \"0.1\" }\n";
        assert_eq!(bin_of(manifest).as_deref(), Some("shop"));
        let named = "[package]\nname = \"shop\"\n\n[[bin]]\nname = \"shop-cli\"\n\n[dependencies]\nkarafka-rs = \"0.1\"\n";
        assert_eq!(bin_of(named).as_deref(), Some("shop-cli"));
    }

    #[test]
    fn other_packages_are_not_apps() {
        assert_eq!(
            bin_of("[package]\nname = \"tool\"\n\n[dependencies]\nserde = \"1\"\n"),
            None
        );
        assert_eq!(bin_of("[package]\nname = \"tool\"\n"), None);
    }

    #[test]
    fn the_app_is_found_from_a_directory_below_it_and_not_above_a_workspace() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"shop\"\n\n[dependencies]\nkarafka = { package = \"karafka-rs\", path = \"../k\" }\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("src/consumers")).unwrap();
        let found = find(&dir.path().join("src/consumers")).unwrap();
        assert_eq!(found.bin, "shop");
        assert_eq!(found.manifest, dir.path().join("Cargo.toml"));

        let plain = tempfile::tempdir().unwrap();
        std::fs::write(plain.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        assert_eq!(find(plain.path()), None);
    }
}
