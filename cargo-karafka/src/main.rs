//! `cargo karafka`: the karafka-rs generator and the one entry point of an app.
//! `cargo karafka install` turns a Cargo binary project into a karafka app;
//! `cargo karafka new <name>` makes a new one. Inside an app, every other
//! command runs the app's own binary (`cargo karafka server` is `cargo run
//! --bin <app> -- server`), so no cargo alias is needed. The `karafka` binary
//! beside it does the same (`karafka server`).

mod app;
mod manifest;
mod plan;
mod templates;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use manifest::Source;
use plan::{Options, Status};

const EXAMPLES: &str = "\
Examples:
  cargo karafka new my_app                  karafka-rs from crates.io
  cargo karafka install                     in an existing binary project
  cargo karafka new my_app --path ../karafka-rs
  cargo karafka install --git https://github.com/example/karafka-rs --pretend
  cargo karafka install --force             (inside an app: updates it)

Inside an app, any other command runs the app's binary: cargo karafka server,
cargo karafka routes, cargo karafka info (`karafka server` is the same).";

#[derive(Debug, Parser)]
#[command(
    name = "cargo karafka",
    bin_name = "cargo karafka",
    version,
    about = "Generates karafka-rs apps",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Adds karafka-rs to the Cargo binary project in the current directory
    #[command(visible_alias = "i", after_help = EXAMPLES)]
    Install(InstallArgs),
    /// Creates a new Cargo project NAME and installs karafka-rs in it
    #[command(visible_alias = "n", after_help = EXAMPLES)]
    New {
        /// The new project's name (and directory)
        name: String,
        #[command(flatten)]
        install: InstallArgs,
    },
}

#[derive(Debug, Args)]
#[group(skip)]
struct InstallArgs {
    /// Take karafka-rs from this directory (a checkout's karafka-rs/) instead of crates.io
    #[arg(long, value_name = "DIR", conflicts_with = "git")]
    path: Option<PathBuf>,
    /// Take karafka-rs from this git repository instead of crates.io
    #[arg(long, value_name = "URL")]
    git: Option<String>,
    /// Overwrite files that differ from the templates
    #[arg(long, conflicts_with = "skip")]
    force: bool,
    /// Keep files that differ from the templates
    #[arg(long)]
    skip: bool,
    /// Only show what would be done
    #[arg(long)]
    pretend: bool,
}

/// The first arguments that are the generator's own; any other runs the app.
const GENERATOR_ARGS: &[&str] = &[
    "install",
    "i",
    "new",
    "n",
    "help",
    "-h",
    "--help",
    "-V",
    "--version",
];

fn main() -> ExitCode {
    // Cargo runs `cargo-karafka karafka <args>`; run directly, there is no `karafka`.
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "karafka") {
        args.remove(1);
    }
    let first = args.get(1).and_then(|a| a.to_str());
    if first.is_some_and(|a| !GENERATOR_ARGS.contains(&a)) {
        return match for_the_app(&args[1..]) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    // `karafka` (the binary beside this one) says who it is.
    let name = match std::env::var("KARAFKA_COMMAND_NAME") {
        Ok(name) if name == "karafka" => "karafka",
        _ => "cargo karafka",
    };
    let matches = Cli::command().bin_name(name).get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `args` (`server`, `routes`, ...) with the binary of the app around the
/// current directory.
fn for_the_app(args: &[OsString]) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    let Some(app) = app::find(&cwd) else {
        bail!(
            "`{}` is a command of a karafka app, and {} is in none (no package depending on karafka-rs from here upwards): run it inside an app, or make one with `cargo karafka new <name>`; `cargo karafka --help` lists the generator's commands",
            args[0].to_string_lossy(),
            cwd.display()
        );
    };
    app::run(&app, args)
}

fn run(command: Commands) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("reading the current directory")?;
    match command {
        Commands::Install(args) => {
            let source = source(&args, &cwd, Path::new("."))?;
            install(&cwd, &source, &args)
        }
        Commands::New {
            name,
            install: args,
        } => {
            if Path::new(&name).components().count() != 1 {
                bail!("`{name}` is not a plain project name");
            }
            // Relative to the new project, one level further down.
            let source = source(&args, &cwd, Path::new(".."))?;
            let root = cwd.join(&name);
            if args.pretend {
                println!("{:>9}  {name}/ (cargo new --bin {name})", "create");
            } else {
                let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
                let status = std::process::Command::new(cargo)
                    .args(["new", "--bin", "--quiet", &name])
                    .status()
                    .context("running `cargo new`")?;
                if !status.success() {
                    bail!("`cargo new --bin {name}` failed");
                }
            }
            install(&root, &source, &args)
        }
    }
}

/// The dependency source: crates.io at the generator's own version unless
/// `--path` or `--git` says otherwise. `--path` must hold the karafka-rs crate;
/// a relative path is written relative to the app (`from_app` leads from the
/// app back to the current directory).
fn source(args: &InstallArgs, cwd: &Path, from_app: &Path) -> anyhow::Result<Source> {
    if let Some(git) = &args.git {
        return Ok(Source::Git(git.clone()));
    }
    let Some(path) = args.path.as_ref() else {
        return Ok(Source::Registry(env!("CARGO_PKG_VERSION").to_owned()));
    };
    let manifest = cwd.join(path).join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| {
        format!(
            "--path {}: no Cargo.toml there ({})",
            path.display(),
            manifest.display()
        )
    })?;
    let name = match manifest::package_name(&text) {
        Ok(name) => name,
        Err(_) if cwd.join(path).join("karafka-rs/Cargo.toml").is_file() => bail!(
            "--path {}: that is the karafka-rs repository (a workspace); point it at the crate inside it: --path {}",
            path.display(),
            path.join("karafka-rs").display()
        ),
        Err(error) => return Err(error.context(format!("--path {}", path.display()))),
    };
    if name != "karafka-rs" {
        bail!(
            "--path {}: that is the crate `{name}`, not karafka-rs (point it at the karafka-rs directory of the repository)",
            path.display()
        );
    }
    let written = if path.is_absolute() {
        path.clone()
    } else {
        from_app.join(path)
    };
    let written = written.strip_prefix("./").unwrap_or(&written).to_path_buf();
    Ok(Source::Path(written.to_string_lossy().into_owned()))
}

fn install(root: &Path, source: &Source, args: &InstallArgs) -> anyhow::Result<ExitCode> {
    let manifest = root.join("Cargo.toml");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).ok();
    let name = match read("Cargo.toml") {
        Some(text) => manifest::package_name(&text)
            .context("run `cargo karafka install` in the app's package directory")?,
        None if args.pretend => root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        None => bail!(
            "no Cargo.toml in {}: run `cargo karafka install` in a Cargo binary project, or `cargo karafka new <name>`",
            root.display()
        ),
    };
    let options = Options {
        force: args.force,
        skip: args.skip,
    };
    let pretend_manifest = format!("[package]\nname = \"{name}\"\n");
    let actions = plan::plan(&name, source, options, |path| {
        read(path)
            .or_else(|| (args.pretend && path == "Cargo.toml").then(|| pretend_manifest.clone()))
    })?;
    for action in &actions {
        println!("{}", action.line());
    }
    let conflicts = actions
        .iter()
        .filter(|a| a.status == Status::Conflict)
        .count();
    if args.pretend {
        println!("(pretend: nothing was written)");
        return Ok(ExitCode::SUCCESS);
    }
    if conflicts > 0 {
        eprintln!(
            "error: {conflicts} existing file(s) differ from what install writes; nothing was written. Rerun with --force to overwrite them or --skip to keep them"
        );
        return Ok(ExitCode::FAILURE);
    }
    plan::apply(root, &actions)?;
    if actions
        .iter()
        .all(|a| matches!(a.status, Status::Identical | Status::Skip))
    {
        println!(
            "karafka-rs is installed in {} already; nothing changed",
            manifest.parent().unwrap_or(root).display()
        );
    } else {
        println!("Next: cargo karafka server   (cargo-karafka runs this app's binary; `cargo karafka --help` lists the generator's commands, `cargo karafka server --help` the app's)");
    }
    Ok(ExitCode::SUCCESS)
}
