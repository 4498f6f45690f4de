//! [`App`]: configuration, routes and listeners together; the entry point of a karafka app.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, CONFIG_FILE};
use crate::embedded::EmbeddedBroker;
use crate::error::{Error, Result};
use crate::instrumentation::{
    AppStatus, AppStatusChanged, Event, EventKind, HandlerOutcome, Listener, Monitor,
};
use crate::producer::{shared, Producer};
use crate::routing::definition::RouteSource;
use crate::routing::Routes;
use crate::server::{self, ServerHandle};

/// A karafka application: what `karafka.rb` and `Karafka::App` are in Karafka.
#[derive(Clone, Debug)]
pub struct App {
    root: PathBuf,
    config: Arc<Config>,
    routes: Routes,
    monitor: Monitor,
}

impl App {
    /// Loads `karafka.toml` (with `KARAFKA_*` overrides) from the app's root and
    /// collects the routes declared with `karafka::routes!`.
    ///
    /// The root is `KARAFKA_ROOT` if set, else the current directory if it holds a
    /// `karafka.toml`, else the directory of the crate that declared the routes.
    /// The loaded app becomes the process's current app: the one whose shared
    /// producer responders use.
    pub fn load() -> Result<App> {
        let root = app_root();
        let config = Config::load(&root)?;
        let routes = Routes::collect(&config)?;
        let app = App::new(root, config, routes);
        shared::adopt(&app);
        Ok(app)
    }

    /// An app from parts made in code (tests, embedding).
    pub fn new(root: impl Into<PathBuf>, config: Config, routes: Routes) -> App {
        App {
            root: root.into(),
            config: Arc::new(config),
            routes,
            monitor: Monitor::default(),
        }
    }

    /// The same app (routes, listeners) on other brokers.
    #[cfg(feature = "testing")]
    pub(crate) fn on_brokers(&self, brokers: &str) -> App {
        let mut config = (*self.config).clone();
        config.brokers = brokers.split(',').map(str::to_owned).collect();
        App {
            root: self.root.clone(),
            config: Arc::new(config),
            routes: self.routes.clone(),
            monitor: self.monitor.clone(),
        }
    }

    /// Registers a listener for every event it listens to (see [`Listener`]).
    pub fn listener(mut self, listener: impl Listener) -> Self {
        self.monitor.register(listener);
        shared::refresh(&self);
        self
    }

    /// This app in environment `env` (what `--env` does): same settings and
    /// routes, validated again; it becomes the process's current app.
    pub fn in_environment(&self, env: &str) -> Result<App> {
        let mut config = (*self.config).clone();
        config.environment = env.to_owned();
        config.validate()?;
        let app = App {
            root: self.root.clone(),
            config: Arc::new(config),
            routes: self.routes.clone(),
            monitor: self.monitor.clone(),
        };
        shared::adopt(&app);
        Ok(app)
    }

    /// This app with `routes` instead of its own (a subset, for `server --topics`).
    pub fn with_routes(mut self, routes: Routes) -> App {
        self.routes = routes;
        shared::refresh(&self);
        self
    }

    /// Whether `other` is this app (or a clone of it).
    pub(crate) fn same_as(&self, other: &App) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }

    /// Subscribes `handler` to the event named `event`, as Karafka's
    /// `Karafka.monitor.subscribe('app.initialized') { ... }`; an unknown name is
    /// an error that lists the known ones.
    ///
    /// ```no_run
    /// # fn main() -> karafka::Result<()> {
    /// let app = karafka::App::load()?.subscribe("consumer.consumed", |event: &karafka::Event| {
    ///     println!("{event:?}");
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn subscribe<F, R>(mut self, event: &str, handler: F) -> Result<Self>
    where
        F: Fn(&Event) -> R + Send + Sync + 'static,
        R: HandlerOutcome,
    {
        self.monitor.subscribe(event, handler)?;
        shared::refresh(&self);
        Ok(self)
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn config_arc(&self) -> Arc<Config> {
        self.config.clone()
    }

    /// The validated routes.
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    /// The monitor listeners are subscribed to.
    pub fn monitor(&self) -> &Monitor {
        &self.monitor
    }

    /// The monitor, to subscribe to it; the server copies it when it boots.
    pub fn monitor_mut(&mut self) -> &mut Monitor {
        &mut self.monitor
    }

    /// Emits an `app.*` event for `status`.
    pub(crate) fn status_changed(&self, status: AppStatus) {
        let kind = match status {
            AppStatus::Initialized => EventKind::AppInitialized,
            AppStatus::Running => EventKind::AppRunning,
            AppStatus::Quieting => EventKind::AppQuieting,
            AppStatus::Stopping => EventKind::AppStopping,
            AppStatus::Stopped => EventKind::AppStopped,
        };
        self.monitor.instrument_with(kind, || {
            AppStatusChanged::new(&self.config.client_id, status).into_event()
        });
    }

    /// The app's root directory: where `karafka.toml` is looked for.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The brokers other commands use: the configured ones, or the running
    /// embedded broker of this app in development.
    pub fn bootstrap_servers(&self) -> Result<String> {
        if !self.config.brokers.is_empty() {
            return Ok(self.config.brokers.join(","));
        }
        if !self.config.is_development() {
            return Err(server::no_brokers(self));
        }
        EmbeddedBroker::discover(&self.root, &self.config.client_id).ok_or_else(|| {
            Error::Embedded(format!(
                "no brokers configured and no embedded broker running for the app in {} (client_id `{}`): start `server` or `broker` first, or set KARAFKA_BROKERS",
                self.root.display(),
                self.config.client_id
            ))
        })
    }

    /// The process's shared producer, connected to this app's brokers (created on
    /// first use); makes this app the one responders use.
    pub fn producer(&self) -> Result<Producer> {
        shared::producer_of(self)
    }

    /// Boots the server on the current tokio runtime and returns once it is running;
    /// it shares the runtime (and the process) with whatever else the app runs.
    /// The app becomes the process's current app, its shared producer connected
    /// to the server's brokers; stopping the server flushes and releases it.
    pub async fn spawn(&self) -> Result<ServerHandle> {
        self.status_changed(AppStatus::Initialized);
        server::spawn(self.clone()).await
    }

    /// Runs the server until SIGINT or SIGTERM, then stops it gracefully;
    /// SIGTSTP first puts it in quiet mode (see [`ServerHandle::quiet`]). A second
    /// SIGINT or SIGTERM during the stop exits the process at once with code 2,
    /// naming what was still running. When a consumer group fails (see
    /// [`ServerHandle::wait`]) the server stops and this returns
    /// [`Error::ServerFailed`].
    pub async fn run(&self) -> Result<()> {
        server::run(self).await
    }

    /// Parses the command line and runs the chosen command (`server`, `produce`, ...).
    pub async fn run_cli(self) -> anyhow::Result<()> {
        crate::cli::run(self).await
    }
}

fn app_root() -> PathBuf {
    if let Some(root) = std::env::var_os("KARAFKA_ROOT") {
        return PathBuf::from(root);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.join(CONFIG_FILE).is_file() {
        return cwd;
    }
    inventory::iter::<RouteSource>
        .into_iter()
        .map(|source| PathBuf::from(source.manifest_dir))
        .find(|dir| dir.join(CONFIG_FILE).is_file())
        .unwrap_or(cwd)
}
