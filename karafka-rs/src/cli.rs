//! The app's command line: `server`, `produce`. The app's own binary is the CLI.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::app::App;
use crate::error::Error;
use crate::instrumentation::MetricsListener;
use crate::producer::Record;

/// Exit code of a server whose graceful shutdown ran past `shutdown_timeout`.
pub const EXIT_FORCED_SHUTDOWN: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    about = "A karafka-rs application",
    after_help = "Examples:\n  app server\n  app server --metrics 127.0.0.1:9394\n  app produce users '{\"event_name\":\"user_created\",\"payload\":{\"id\":1}}'\n  app produce users - --key user-1 < events.jsonl"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Runs the consumers until SIGINT or SIGTERM
    #[command(visible_alias = "s")]
    Server {
        /// Serve Prometheus metrics on http://ADDR/metrics and a liveness check
        /// on http://ADDR/live (e.g. 127.0.0.1:9394; port 0 picks a free one)
        #[arg(long, value_name = "ADDR")]
        metrics: Option<String>,
    },
    /// Sends one payload to a topic and waits for the broker's acknowledgement
    #[command(visible_alias = "p")]
    Produce {
        /// Destination topic
        topic: String,
        /// The payload, sent as given
        payload: String,
        /// Message key
        #[arg(long)]
        key: Option<String>,
        /// Explicit partition
        #[arg(long)]
        partition: Option<i32>,
        /// A header as name=value (repeatable)
        #[arg(long = "header", value_parser = parse_header)]
        headers: Vec<(String, String)>,
    },
}

fn parse_header(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not of the form name=value"))
}

/// Parses the command line and runs the chosen command.
pub(crate) async fn run(app: App) -> anyhow::Result<()> {
    let name = std::env::args()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "app".to_owned());
    let matches = Cli::command().bin_name(name).get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    crate::logging::init();
    match cli.command {
        Commands::Server { metrics } => {
            let (app, _endpoint) = match metrics {
                Some(address) => {
                    let listener = MetricsListener::for_config(app.config());
                    let endpoint = listener.serve(address.as_str()).await?;
                    let bound = endpoint.local_addr();
                    tracing::info!(
                        target: "karafka",
                        "Metrics on http://{bound}/metrics, liveness on http://{bound}/live"
                    );
                    (app.listener(listener), Some(endpoint))
                }
                None => (app, None),
            };
            server(app).await
        }
        Commands::Produce {
            topic,
            payload,
            key,
            partition,
            headers,
        } => {
            let mut record = Record::new(topic, payload);
            record.key = key.map(String::into_bytes);
            record.partition = partition;
            record.headers = headers
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            let delivery = app.producer()?.send(&record).await?;
            println!(
                "delivered to {}/{} at offset {}",
                record.topic, delivery.partition, delivery.offset
            );
            Ok(())
        }
    }
}

/// Runs the server until a signal stops it; past `shutdown_timeout` the process exits 2.
async fn server(app: App) -> anyhow::Result<()> {
    match app.run().await {
        Err(error @ Error::ShutdownTimeout { .. }) => {
            tracing::error!(target: "karafka", "Forced shutdown: {error}");
            std::process::exit(EXIT_FORCED_SHUTDOWN);
        }
        other => Ok(other?),
    }
}
