//! `web` (the Web UI on its own) and what `server --web` adds to a server:
//! the reporter, and the UI served in the same process.

use std::time::Duration;

use anyhow::Context as _;

use crate::app::App;
use crate::server::{ShutdownSignals, SignalRequest};
use crate::web::{Reporter, WebUi};

/// `web` command line.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Address to serve on (port 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3001")]
    http: String,
    /// Hide every action and refuse every change
    #[arg(long)]
    read_only: bool,
}

/// Serves the Web UI until SIGINT or SIGTERM.
pub(super) async fn run(app: &App, args: Args) -> anyhow::Result<()> {
    let mut signals = ShutdownSignals::install()?;
    let listener = tokio::net::TcpListener::bind(&args.http)
        .await
        .with_context(|| format!("binding the Web UI to {}", args.http))?;
    let bound = listener
        .local_addr()
        .with_context(|| format!("reading the Web UI's address {}", args.http))?;
    // Announced before the UI's Kafka clients exist: a filtered-out log line
    // of theirs on this thread could swallow the next one.
    announce(bound, args.read_only || app.config().web.read_only);
    let ui = WebUi::new(app)?.read_only(args.read_only);
    let _server = ui.serve_on(listener)?;
    loop {
        if let SignalRequest::Stop(signal) = signals.recv().await {
            tracing::info!(target: "karafka", "Received {signal}, stopping the Web UI");
            return Ok(());
        }
    }
}

fn announce(address: std::net::SocketAddr, read_only: bool) {
    let mode = if read_only { " (read-only)" } else { "" };
    tracing::info!(target: "karafka", "Web UI on http://{address}{mode}");
}

/// What `server` runs with: the app with its reporter when `--web` is given or
/// `web.enabled` is set, and the UI task when `--web` is given (not in a swarm
/// node: the nodes report, `app web` serves).
pub(super) async fn attach(
    app: App,
    address: Option<String>,
) -> anyhow::Result<(App, Option<tokio::task::JoinHandle<()>>)> {
    let enabled = app.config().web.enabled;
    if !enabled && address.is_none() {
        return Ok((app, None));
    }
    let app = if enabled {
        app
    } else {
        let routes = app.routes().clone().with_web_topics();
        app.with_routes(routes)
    };
    let reporter = Reporter::new(&app);
    let app = app.listener(reporter);
    let Some(address) = address.filter(|_| crate::swarm::node_number().is_none()) else {
        return Ok((app, None));
    };
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("binding the Web UI to {address}"))?;
    let bound = listener
        .local_addr()
        .with_context(|| format!("reading the Web UI's address {address}"))?;
    announce(bound, app.config().web.read_only);
    let ui_app = app.clone();
    // The UI connects once the server has found (or started) its brokers;
    // until then connections wait in the listener's backlog.
    let task = tokio::spawn(async move {
        let ui = loop {
            match ui_app
                .bootstrap_servers()
                .and_then(|b| WebUi::connect(&ui_app, &b))
            {
                Ok(ui) => break ui,
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        match ui.serve_on(listener) {
            Ok(server) => {
                // Serves for as long as the server runs (the task is aborted then).
                std::future::pending::<()>().await;
                drop(server);
            }
            Err(error) => tracing::error!(target: "karafka", "the Web UI cannot start: {error}"),
        }
    });
    Ok((app, Some(task)))
}
