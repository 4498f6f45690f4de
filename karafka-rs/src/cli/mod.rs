//! The app's command line: one clap `Commands` enum. The app's own binary is the
//! CLI (`cargo karafka <command>` inside an app runs it: cargo-karafka hands
//! every command but its own to `cargo run --bin <app>`).

mod asyncapi;
mod broker;
mod chain;
mod confirm;
mod consume;
mod groups;
mod info;
mod routes;
mod send;
mod style;
mod topics;
#[cfg(feature = "web")]
mod web;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::app::App;
use crate::error::Error;
use crate::instrumentation::MetricsListener;
use crate::redaction::Redactor;
use crate::server::EXIT_FORCED_SHUTDOWN;
use send::MessageArgs;

/// Exit code of `topics migrate` and of the `groups` commands that change
/// offsets or groups, when they changed the cluster.
pub const EXIT_TOPICS_CHANGED: i32 = 2;

const EXAMPLES: &str = "\
Examples:
  app server                                   run every consumer group
  app s --consumer-groups example --topics users
  app server --metrics 127.0.0.1:9394          with Prometheus metrics and /live
  app server --swarm 4                         four supervised server processes
  app server --web 127.0.0.1:3001              with the Web UI (feature `web`)
  app info                                     versions, settings and routes
  app routes                                   the routing table
  app asyncapi --format yaml                   the AsyncAPI 3.0 document of the app
  app topics migrate                           create missing topics, add partitions, align settings
  app groups lag                               committed offset, end and lag per partition
  app groups seek G --to earliest --yes        replay from the start (the group's servers stopped)
  app --config config/production.toml --env production info
  app broker                                   the embedded development broker alone
  app consume users --from-beginning --count 10
  app produce users '{\"event_name\":\"user_created\",\"payload\":{\"id\":1}}'
  app respond UsersResponder - < events.jsonl

Logs go to stderr (RUST_LOG overrides the default `info`); KARAFKA_ENV,
KARAFKA_BROKERS, KARAFKA_CLIENT_ID and KARAFKA_ROOT override karafka.toml,
KARAFKA_CONFIG names another file.";

#[derive(Debug, Parser)]
#[command(about = "A karafka-rs application", after_help = EXAMPLES)]
struct Cli {
    /// Environment to run in (overrides KARAFKA_ENV and karafka.toml)
    #[arg(long, global = true, value_name = "NAME")]
    env: Option<String>,
    /// Configuration file (overrides KARAFKA_CONFIG and <root>/karafka.toml)
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Runs the consumers until SIGINT or SIGTERM
    #[command(
        visible_alias = "s",
        after_help = "Examples:\n  app server\n  app server --consumer-groups example,audit\n  app server --topics users --env production\n  app server --metrics 127.0.0.1:9394\n  app server --swarm 4 --metrics 0.0.0.0:9394   supervisor on 9394, nodes on 9395-9398"
    )]
    Server {
        /// Only these consumer groups (comma separated or repeated)
        #[arg(long, value_delimiter = ',', value_name = "GROUPS")]
        consumer_groups: Vec<String>,
        /// Only these topics (comma separated or repeated)
        #[arg(long, value_delimiter = ',', value_name = "TOPICS")]
        topics: Vec<String>,
        /// Serve Prometheus metrics on http://ADDR/metrics and a liveness check
        /// on http://ADDR/live (e.g. 127.0.0.1:9394; port 0 picks a free one)
        #[arg(long, value_name = "ADDR")]
        metrics: Option<String>,
        /// Run N server processes under a supervisor that restarts them
        /// (overrides swarm.nodes); with --metrics, node N serves on port + N
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        swarm: Option<u16>,
        /// Serve the Web UI on http://ADDR (e.g. 127.0.0.1:3001) and report to it
        #[cfg(feature = "web")]
        #[arg(long, value_name = "ADDR")]
        web: Option<String>,
    },
    /// Serves the Web UI: processes, consumers, topics, messages, dead letters, commands
    #[cfg(feature = "web")]
    #[command(
        visible_alias = "w",
        after_help = "Examples:\n  app web                           on http://127.0.0.1:3001\n  app web --http 0.0.0.0:3001 --read-only\n\nServer processes report to it when run with --web ADDR or with\n[web] enabled = true in karafka.toml."
    )]
    Web(web::Args),
    /// Shows versions, settings (secrets filtered), brokers and routes
    #[command(
        visible_alias = "i",
        after_help = "Example:\n  app info --env production"
    )]
    Info,
    /// Shows the routing table: group, topic, consumer, deserializer, backend, DLQ
    #[command(visible_alias = "ro", after_help = "Example:\n  app routes")]
    Routes,
    /// Manages the topics the routes declare (`config: { partitions: 6, ... }`)
    #[command(
        visible_alias = "t",
        after_help = "Examples:\n  app topics list\n  app topics plan           what migrate would do\n  app topics migrate        exit 0: nothing to do, 2: changed the cluster, 1: error\n  app topics create\n  app topics settings users\n  app topics delete --yes"
    )]
    Topics {
        #[command(subcommand)]
        action: topics::Action,
    },
    /// Prints the app's AsyncAPI 3.0 document: topics, payload schemas, groups, brokers
    #[command(
        visible_alias = "a",
        after_help = "Examples:\n  app asyncapi > asyncapi.json\n  app asyncapi --format yaml"
    )]
    Asyncapi(asyncapi::Args),
    /// Inspects and changes consumer groups: list, describe, lag, seek, copy, rename, delete
    #[command(
        visible_alias = "g",
        after_help = "Examples:\n  app groups list\n  app groups describe karafka_example_example\n  app groups lag                       every consumer group of the app\n  app groups lag G --json\n  app groups seek G --to earliest --yes\n  app groups seek G --to 2026-11-30T10:00:00Z --topic users --partition 0 --yes\n  app groups copy G G_backup --yes\n  app groups rename G NEW --yes\n  app groups delete G --yes\n\nseek, copy, rename and delete are refused while the group has members,\nask for confirmation on a terminal (--yes skips it, and is required\nwithout one), and exit 0: nothing changed, 2: changed the cluster, 1: error."
    )]
    Groups(groups::Args),
    /// Runs the embedded development broker on its own and prints its address
    #[command(
        visible_alias = "b",
        after_help = "Example:\n  app broker              then, from the same directory: app server"
    )]
    Broker,
    /// Prints a topic's messages as they arrive (for debugging)
    #[command(
        visible_alias = "c",
        after_help = "Examples:\n  app consume users\n  app consume users --from-beginning --count 10\n  app consume users --partition 0 --offset 42 --count 5\n  app consume users --partition 0 --at 2026-11-30T10:00:00Z"
    )]
    Consume(consume::Args),
    /// Sends a payload to a topic as it is and waits for the broker's acknowledgement
    #[command(
        visible_alias = "p",
        after_help = "Examples:\n  app produce users '{\"id\":1}' --key user-1\n  app produce users - < events.jsonl"
    )]
    Produce {
        /// Destination topic
        topic: String,
        /// The payload, sent as given; `-` sends each line of stdin as one message
        payload: String,
        #[command(flatten)]
        message: MessageArgs,
    },
    /// Runs a registered responder on JSON input and waits for its messages' acknowledgements
    #[command(
        visible_alias = "r",
        after_help = "Examples:\n  app respond UsersResponder '{\"event_name\":\"user_created\",\"payload\":{\"id\":1}}'\n  app respond UsersResponder - --header source=backfill < events.jsonl"
    )]
    Respond {
        /// The responder's type name, e.g. UsersResponder
        responder: String,
        /// The responder's input as JSON; `-` reads one JSON input per line of stdin
        input: String,
        #[command(flatten)]
        message: MessageArgs,
    },
}

impl App {
    /// Parses the command line and runs the chosen command (`server`, `produce`, ...).
    /// An error's text never shows the value of a secret setting.
    pub async fn run_cli(self) -> anyhow::Result<()> {
        run(self).await
    }
}

/// `error`, its text with the values of `app`'s secret settings filtered.
fn redact_error(app: &App, error: anyhow::Error) -> anyhow::Error {
    let text = format!("{error:#}");
    let shown = Redactor::new(&app.config().kafka).redact(&text);
    if shown == text {
        error
    } else {
        anyhow::anyhow!(shown)
    }
}

/// Parses the command line and runs the chosen command; an error's chain
/// names each cause once.
async fn run(app: App) -> anyhow::Result<()> {
    // Read before anything sets the process title (which overwrites the arguments).
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let name = std::env::args()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "app".to_owned());
    if let Some(generator) = std::env::args()
        .nth(1)
        .filter(|a| a == "install" || a == "new")
    {
        // `cargo karafka install` runs the generator; only an app still carrying
        // the cargo alias of earlier installs (or run directly) lands here.
        eprintln!(
            "error: `{generator}` is a command of the generator, not of this app: run `cargo-karafka {generator} ...` (once it has removed the old `[alias] karafka` from .cargo/config.toml, `cargo karafka {generator}` reaches the generator too)"
        );
        std::process::exit(2);
    }
    let matches = Cli::command().bin_name(name).get_matches();
    let cli = Cli::from_arg_matches(&matches)?;
    let app = match (&cli.config, &cli.env) {
        (Some(path), env) if app.config().source.as_deref() != Some(path.as_path()) => {
            app.with_config_file(path, env.as_deref())?
        }
        (_, Some(env)) if app.config().environment != *env => app.in_environment(env)?,
        _ => app,
    };
    crate::logging::init_with_kafka_debug(app.config().kafka.contains_key("debug"));
    let shown = app.clone();
    dispatch(app, cli.command, &argv)
        .await
        .map_err(chain::without_repeated_causes)
        .map_err(|error| redact_error(&shown, error))
}

/// Runs `command` of `app`; `argv` is the process's own command line (a swarm
/// starts its nodes with it).
async fn dispatch(app: App, command: Commands, argv: &[std::ffi::OsString]) -> anyhow::Result<()> {
    match command {
        Commands::Server {
            consumer_groups,
            topics,
            metrics,
            swarm,
            #[cfg(feature = "web")]
            web,
        } => {
            let mut routes = app.routes().clone();
            if !consumer_groups.is_empty() {
                let names: Vec<&str> = consumer_groups.iter().map(String::as_str).collect();
                routes = routes.only_groups(&names)?;
            }
            if !topics.is_empty() {
                let names: Vec<&str> = topics.iter().map(String::as_str).collect();
                routes = routes.only_topics(&names)?;
            }
            let app = app.with_routes(routes);
            let nodes = swarm.map(usize::from);
            if let Some(plan) = crate::swarm::Plan::for_server(&app, argv, nodes, metrics.clone()) {
                return finish_server(crate::swarm::run(app, plan).await);
            }
            let metrics = match (metrics, crate::swarm::node_number()) {
                (Some(address), Some(node)) => {
                    Some(crate::swarm::node::metrics_address(&address, node)?)
                }
                (metrics, _) => metrics,
            };
            let (app, endpoint) = match metrics {
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
            let bound = endpoint.as_ref().map(|e| e.local_addr());
            let app = match crate::swarm::node::join(bound)? {
                Some(reporter) => app.listener(reporter),
                None => app,
            };
            let _endpoint = endpoint;
            #[cfg(feature = "web")]
            let (app, ui) = web::attach(app, web).await?;
            let outcome = server(app).await;
            #[cfg(feature = "web")]
            if let Some(ui) = ui {
                ui.abort();
            }
            outcome
        }
        Commands::Info => {
            print!("{}", info::render(&app));
            Ok(())
        }
        Commands::Routes => {
            print!("{}", routes::render(app.routes()));
            Ok(())
        }
        Commands::Topics { action } => {
            let changed = topics::run(&app, action).await?;
            if changed {
                std::process::exit(EXIT_TOPICS_CHANGED);
            }
            Ok(())
        }
        Commands::Asyncapi(args) => asyncapi::run(&app, args),
        Commands::Groups(args) => {
            if groups::run(&app, args).await? {
                std::process::exit(EXIT_TOPICS_CHANGED);
            }
            Ok(())
        }
        Commands::Broker => broker::run(&app).await,
        #[cfg(feature = "web")]
        Commands::Web(args) => web::run(&app, args).await,
        Commands::Consume(args) => consume::run(&app, args).await,
        Commands::Produce {
            topic,
            payload,
            message,
        } => send::produce(&app, topic, payload, message).await,
        Commands::Respond {
            responder,
            input,
            message,
        } => send::respond(&app, responder, input, message).await,
    }
}

/// Runs the server until a signal stops it; past `shutdown_timeout` (or on a
/// second signal) the process exits 2, after a consumer group failed it exits 1.
async fn server(app: App) -> anyhow::Result<()> {
    finish_server(app.run().await)
}

/// A server's (or swarm's) outcome: past `shutdown_timeout` the process exits 2.
fn finish_server(outcome: crate::Result<()>) -> anyhow::Result<()> {
    match outcome {
        Err(error @ Error::ShutdownTimeout { .. }) => {
            tracing::error!(target: "karafka", "Forced shutdown: {error}");
            std::process::exit(EXIT_FORCED_SHUTDOWN);
        }
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, KafkaValue};
    use crate::routing::Routes;

    #[test]
    fn command_errors_lose_the_values_of_secret_settings() {
        let mut config = Config::default();
        config.kafka.insert(
            "sasl.password".into(),
            KafkaValue::String("sentinel-pw".into()),
        );
        let app = crate::App::new(std::env::temp_dir(), config, Routes::default());
        let error = anyhow::anyhow!("the broker said sentinel-pw is wrong");
        let shown = super::redact_error(&app, error).to_string();
        assert_eq!(shown, "the broker said [FILTERED] is wrong");
        let plain = super::redact_error(&app, anyhow::anyhow!("timed out"));
        assert_eq!(plain.to_string(), "timed out");
    }
}
