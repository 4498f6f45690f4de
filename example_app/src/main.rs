//! The example app's binary: its command line. `serve` runs the HTTP server
//! and the consumers together; everything else is karafka's CLI (`server`,
//! `produce`, `respond`).

use clap::Parser;
use example_app::web::serve::{self, ServeArgs};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let app = example_app::load()?
        .listener(karafka::StdoutListener)
        .listener(karafka::ProctitleListener::new());
    match args.get(1).map(String::as_str) {
        Some("serve") => {
            let serve_args = ServeArgs::parse_from(&args[1..]);
            karafka::logging::init();
            match serve::run(app, serve_args).await {
                Err(e) if is_forced_shutdown(&e) => {
                    tracing::error!("{e}");
                    std::process::exit(karafka::EXIT_FORCED_SHUTDOWN);
                }
                other => other,
            }
        }
        Some("server" | "s") => {
            // The consumers keep their totals and averages in the app's database.
            let path = app.root().join(example_app::db::DEFAULT_FILE);
            example_app::db::install(example_app::db::Database::open(&path)?)
                .map_err(anyhow::Error::msg)?;
            app.run_cli().await
        }
        _ => app.run_cli().await,
    }
}

fn is_forced_shutdown(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<karafka::Error>(),
        Some(karafka::Error::ShutdownTimeout { .. })
    )
}
