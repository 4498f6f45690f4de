//! [`App`]: configuration, routes and listeners together, as plain data.
//!
//! Running it lives above: [`App::spawn`] and [`App::run`] in `server`,
//! [`App::run_cli`] in `cli`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{Config, LoadOptions, CONFIG_FILE};
use crate::current_app::{self, Registration};
use crate::embedded::EmbeddedBroker;
use crate::error::Result;
use crate::instrumentation::{
    AppStatus, AppStatusChanged, Event, EventKind, HandlerOutcome, Listener, Monitor,
};
use crate::producer::Producer;
use crate::routing::definition::RouteSource;
use crate::routing::Routes;

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
    /// producer responders use. `--config PATH` and `--env NAME` on the command
    /// line (else `KARAFKA_CONFIG`, `KARAFKA_ENV`) choose the file and environment.
    pub fn load() -> Result<App> {
        let root = app_root();
        let config = Config::load_with(&root, &LoadOptions::from_command_line(), |name| {
            std::env::var(name).ok()
        })?;
        let routes = Routes::collect(&config)?;
        let app = App::new(root, config, routes);
        current_app::adopt(app.registration());
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
        current_app::refresh(self.registration());
        self
    }

    /// This app in environment `env` (what `--env` does): its configuration
    /// file read again with that environment's table; it becomes the process's
    /// current app.
    pub fn in_environment(&self, env: &str) -> Result<App> {
        let options = LoadOptions {
            file: self.config.source.clone(),
            environment: Some(env.to_owned()),
        };
        let config = match &self.config.source {
            Some(_) => Config::load_with(&self.root, &options, |name| std::env::var(name).ok())?,
            None => {
                let mut config = (*self.config).clone();
                config.environment = env.to_owned();
                config.validate()?;
                config
            }
        };
        self.reconfigured(config)
    }

    /// This app with the configuration file at `path` (what `--config` does),
    /// in `env` when given; it becomes the process's current app.
    pub fn with_config_file(&self, path: &Path, env: Option<&str>) -> Result<App> {
        let options = LoadOptions {
            file: Some(path.to_owned()),
            environment: env.map(str::to_owned),
        };
        let config = Config::load_with(&self.root, &options, |name| std::env::var(name).ok())?;
        self.reconfigured(config)
    }

    /// This app with `config`; routes resolved again when a setting they depend on changed.
    fn reconfigured(&self, config: Config) -> Result<App> {
        let old = &self.config;
        let routes = if config.client_id == old.client_id
            && config.backend == old.backend
            && config.max_messages == old.max_messages
            && config.web.enabled == old.web.enabled
        {
            self.routes.clone()
        } else {
            Routes::collect(&config)?
        };
        let app = App {
            root: self.root.clone(),
            config: Arc::new(config),
            routes,
            monitor: self.monitor.clone(),
        };
        current_app::adopt(app.registration());
        Ok(app)
    }

    /// This app with `routes` instead of its own (a subset, for `server --topics`).
    pub fn with_routes(mut self, routes: Routes) -> App {
        self.routes = routes;
        current_app::refresh(self.registration());
        self
    }

    /// What the process keeps of this app while it is the current app.
    pub(crate) fn registration(&self) -> Registration {
        Registration {
            root: self.root.clone(),
            config: self.config.clone(),
            monitor: self.monitor.clone(),
        }
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
        current_app::refresh(self.registration());
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
        crate::embedded::app_brokers(&self.root, &self.config)
    }

    /// The process's shared producer, connected to this app's brokers (created on
    /// first use); makes this app the one responders use.
    pub fn producer(&self) -> Result<Producer> {
        current_app::producer_of(self.registration())
    }
}

impl EmbeddedBroker {
    /// Creates the topics `app`'s routes declare, with their declared partitions
    /// (the mock cluster has no CreateTopics API, so `topics migrate` cannot).
    pub fn create_declared_topics(&self, app: &App) -> Result<()> {
        for topic in app.routes().declared_topics() {
            self.create_topic(&topic.name, topic.partitions(app.config()))?;
        }
        Ok(())
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
