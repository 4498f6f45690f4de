//! `asyncapi`: prints the app's AsyncAPI 3.0 document (see [`crate::asyncapi`]).

use crate::app::App;

/// The document's notation.
#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub(crate) enum Format {
    /// JSON, pretty-printed.
    #[default]
    Json,
    /// YAML, block style.
    Yaml,
}

/// `asyncapi [--format json|yaml]`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The document's notation
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

/// Prints the document of `app` on stdout.
pub(crate) fn run(app: &App, args: Args) -> anyhow::Result<()> {
    let document = crate::asyncapi::document(app);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&document)?),
        Format::Yaml => print!("{}", crate::asyncapi::to_yaml(&document)),
    }
    Ok(())
}
