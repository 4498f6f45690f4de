//! The Web UI (feature `web`): every consumer, topic and dead letter of the app
//! in the browser, on every host, and the actions to steer them.
//!
//! Server processes report through Kafka, as DESIGN.md asks of state seen
//! across processes: a [`Reporter`] (registered by `server --web`, or by
//! `server` when `[web] enabled = true`) publishes the process's state every
//! `web.report_interval` to `karafka_consumers_reports`, its errors to
//! `karafka_errors`, and follows `karafka_consumers_commands` for the commands
//! addressed to it (pause or resume a partition, quiet or stop the process),
//! acknowledging each there. The UI ([`WebUi`]) follows those topics and reads
//! the rest (lags, topics, messages) through [`crate::admin`].
//!
//! Served three ways: `app web --http 127.0.0.1:3001` on its own,
//! `app server --web 127.0.0.1:3001` inside the server, and
//! [`WebUi::router`], an axum `Router` to nest in the app's own HTTP service:
//!
//! ```no_run
//! # async fn serve(app: karafka::App) -> anyhow::Result<()> {
//! let ui = karafka::web::WebUi::new(&app)?.read_only(true).mounted_at("/karafka");
//! let http = axum::Router::new().nest("/karafka", ui.router());
//! # let _ = http; Ok(()) }
//! ```
//!
//! Safety: it binds to localhost unless told otherwise; `--read-only` (or
//! `web.read_only`) hides every action and refuses every change; `web.token`
//! or `web.username`/`web.password` guard every page; changes are POSTs that
//! carry the page's CSRF token; every payload, key and header is escaped.
//! Pages are HTML made on the server, with one small script (auto refresh)
//! and charts drawn as SVG; the assets are inside the binary.

mod board;
mod chart;
mod guard;
mod html;
mod pages;
mod report;
mod reporter;
mod router;

pub use report::{
    Action, CommandMessage, Counters, ErrorRecord, JobReport, PartitionReport, ProcessInfo, Report,
};
pub use reporter::Reporter;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::admin::Admin;
use crate::app::App;
use crate::error::{Error, Result};
use board::Board;
use guard::Credentials;
use html::Frame;

/// The Web UI of an app: build it with [`WebUi::new`], then [`WebUi::router`]
/// or [`WebUi::serve`].
#[derive(Clone)]
pub struct WebUi {
    ui: Ui,
}

/// What every request handler shares.
#[derive(Clone)]
pub(crate) struct Ui {
    pub(crate) app: App,
    pub(crate) admin: Admin,
    pub(crate) board: Board,
    pub(crate) frame: Frame,
    pub(crate) credentials: Credentials,
    _following: Arc<Following>,
}

/// Stops following the topics once the last handle to the UI is gone.
struct Following(Board);

impl Drop for Following {
    fn drop(&mut self) {
        self.0.stop();
    }
}

impl std::fmt::Debug for WebUi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebUi")
            .field("brokers", &self.ui.admin.brokers())
            .field("read_only", &self.ui.frame.read_only)
            .finish()
    }
}

impl WebUi {
    /// The UI of `app` on its brokers (its configured ones, or its running
    /// embedded broker in development); starts following the UI's topics.
    pub fn new(app: &App) -> Result<WebUi> {
        WebUi::connect(app, &app.bootstrap_servers()?)
    }

    /// The UI of `app` on `brokers`.
    pub fn connect(app: &App, brokers: &str) -> Result<WebUi> {
        let admin = Admin::connect(app, brokers)?;
        let board = Board::default();
        board.follow(&admin);
        let web = &app.config().web;
        Ok(WebUi {
            ui: Ui {
                app: app.clone(),
                admin,
                board: board.clone(),
                frame: Frame {
                    base: String::new(),
                    client_id: app.config().client_id.clone(),
                    read_only: web.read_only,
                    csrf: guard::csrf_token(),
                },
                credentials: Credentials {
                    token: web.token.clone(),
                    basic: web.username.clone().zip(web.password.clone()),
                },
                _following: Arc::new(Following(board)),
            },
        })
    }

    /// Read-only: no action shows, every change is refused (`web.read_only` sets it too).
    pub fn read_only(mut self, read_only: bool) -> WebUi {
        self.ui.frame.read_only = read_only || self.ui.app.config().web.read_only;
        self
    }

    /// The UI's links start with `path` (such as `/karafka`): where the app
    /// nests [`WebUi::router`] in its own router.
    pub fn mounted_at(mut self, path: &str) -> WebUi {
        self.ui.frame.base = path.trim_end_matches('/').to_owned();
        self
    }

    /// Whether the UI is read-only.
    pub fn is_read_only(&self) -> bool {
        self.ui.frame.read_only
    }

    /// The UI as an axum router, to serve or to nest in the app's own. Call it
    /// on a tokio runtime: it starts sampling the consumer groups' lag.
    pub fn router(&self) -> axum::Router {
        router::sample_lag(
            self.ui.clone(),
            Duration::from_millis(lag_interval(&self.ui.app)),
        );
        router::router(self.ui.clone())
    }

    /// Serves the UI on `address` (`127.0.0.1:3001`; port 0 picks a free one)
    /// until the returned server is dropped.
    pub async fn serve(&self, address: &str) -> Result<WebServer> {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| Error::io(format!("binding the Web UI to {address}"), e))?;
        self.serve_on(listener)
    }

    /// Serves the UI on a bound `listener` until the returned server is dropped.
    pub fn serve_on(&self, listener: tokio::net::TcpListener) -> Result<WebServer> {
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("reading the Web UI's address", e))?;
        let router = self.router();
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(target: "karafka", "the Web UI stopped: {error}");
            }
        });
        Ok(WebServer { local, task })
    }
}

/// How often the UI samples lag: as often as the processes report.
fn lag_interval(app: &App) -> u64 {
    app.config().web.report_interval.clamp(500, 10_000)
}

/// A Web UI being served; dropping it stops serving.
#[derive(Debug)]
pub struct WebServer {
    local: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl WebServer {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
