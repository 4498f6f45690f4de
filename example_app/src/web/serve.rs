//! `serve`: the HTTP server and the karafka server as two futures on one tokio
//! runtime, in one process, with one shutdown path (seed 000's question).
//!
//! SIGINT or SIGTERM stops the HTTP server first (no new ratings; open event
//! streams end), then the consumers (running batches finish, offsets are
//! committed, the producer delivers what it holds); a second one exits at once
//! with code 2. When the consumers stop on their own (a consumer group failed)
//! the HTTP server stops too and `serve` fails, so the process exits non-zero.
//! `GET /live` answers from the consumers' health.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::db::{self, Database};

/// `serve` command line.
#[derive(Debug, Parser)]
#[command(
    name = "serve",
    about = "Runs the HTTP server (rating form, averages) and the consumers in one process",
    after_help = "Examples:\n  app serve\n  app serve --http 0.0.0.0:8080 --database /var/lib/ratings.sqlite3"
)]
pub struct ServeArgs {
    /// Address of the HTTP server (port 0 picks a free one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:3000")]
    pub http: SocketAddr,
    /// The SQLite database file [default: ratings.sqlite3 in the app's directory]
    #[arg(long, value_name = "PATH")]
    pub database: Option<PathBuf>,
}

/// Runs both servers until SIGINT or SIGTERM, or until the consumers fail; a
/// failure, and a graceful stop of the consumers that ran past
/// `shutdown_timeout`, are errors.
pub async fn run(app: karafka::App, args: ServeArgs) -> anyhow::Result<()> {
    let mut terminate =
        signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;

    let path = args
        .database
        .unwrap_or_else(|| app.root().join(db::DEFAULT_FILE));
    let database = Database::open(&path)?;
    db::install(database.clone()).map_err(anyhow::Error::msg)?;
    tracing::info!("Database {}", path.display());

    let listener = tokio::net::TcpListener::bind(args.http)
        .await
        .with_context(|| format!("binding the HTTP server to {}", args.http))?;
    let address = listener.local_addr().context("reading the HTTP address")?;

    let consumers = app.spawn().await?;

    let (stopping_tx, stopping) = watch::channel(false);
    let health = consumers.health();
    let router = super::router(database, stopping.clone(), health.clone());
    let mut stopped = stopping.clone();
    let http = axum::serve(listener, router).with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|stopping| *stopping).await;
    });
    let http = tokio::spawn(async move { http.await });
    tracing::info!("HTTP on http://{address}");

    let failure = tokio::select! {
        _ = terminate.recv() => {
            tracing::info!("Received SIGTERM, stopping the HTTP server and the consumers");
            None
        }
        _ = interrupt.recv() => {
            tracing::info!("Received SIGINT, stopping the HTTP server and the consumers");
            None
        }
        reason = consumers.wait() => {
            tracing::error!("The consumers stopped ({reason}); stopping the HTTP server");
            Some(reason)
        }
    };
    let stop = async move {
        let _ = stopping_tx.send(true);
        match http.await {
            Ok(Ok(())) => tracing::info!("HTTP server stopped"),
            Ok(Err(e)) => tracing::error!("HTTP server failed: {e}"),
            Err(e) => tracing::error!("HTTP server task failed: {e}"),
        }
        consumers.stop().await
    };
    // A second signal does not wait for the graceful stop.
    let stopped = tokio::select! {
        stopped = stop => stopped,
        _ = terminate.recv() => exit_at_once("SIGTERM", &health),
        _ = interrupt.recv() => exit_at_once("SIGINT", &health),
    };
    // A consumer group may also fail while the others stop.
    if let Some(reason) = failure.or_else(|| health.failure()) {
        if let Err(e) = stopped {
            tracing::error!("Stopping the consumers after their failure: {e}");
        }
        return Err(karafka::Error::ServerFailed { reason }.into());
    }
    stopped?;
    tracing::info!("Consumers stopped");
    Ok(())
}

/// Exits with code 2 at once, saying what was still running.
fn exit_at_once(signal: &str, health: &karafka::Health) -> ! {
    tracing::error!(
        "Received {signal} again: exiting at once; still running: {}",
        health.still_running()
    );
    std::process::exit(karafka::EXIT_FORCED_SHUTDOWN)
}
