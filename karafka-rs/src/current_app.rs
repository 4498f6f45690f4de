//! The process's current app and its one shared producer.
//!
//! Only what responders, `ctx.producer()`, the server and the CLI need of the
//! app is kept here (its root, configuration and monitor), not the app itself.
//! Responders are called from anywhere in app code (`UsersResponder.call(&event)`),
//! so, as in Karafka, they reach the producer through the process rather than
//! through an argument. The current app is the one last loaded with
//! [`App::load`](crate::App::load), started with [`App::spawn`](crate::App::spawn)
//! or asked for [`App::producer`](crate::App::producer);
//! its producer is created on first use (the server creates it at boot), and
//! flushed and released when its server stops. Listeners added to that app
//! later are seen too.
//!
//! A task may run within a [`ProducerScope`] instead: responders called inside
//! it use the scope's producer and monitor (how [`crate::testing::TestApp`]
//! captures what consumers respond, whatever else runs in the process).

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::instrumentation::{ErrorOccurred, ErrorType, Event, Monitor};
use crate::producer::Producer;

/// What the process keeps of an app: where its producer connects and the
/// monitor its responders report to.
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    /// The app's root, where an embedded broker of the app is discovered.
    pub(crate) root: PathBuf,
    /// Its configuration; the `Arc` is the app's identity (clones share it).
    pub(crate) config: Arc<Config>,
    /// Its monitor, with the listeners added so far.
    pub(crate) monitor: Monitor,
}

impl Registration {
    /// Whether `other` is the same app (or a clone of it).
    fn same_as(&self, other: &Registration) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }
}

/// The app responders use, and its producer once created.
struct Current {
    app: Registration,
    producer: Option<Producer>,
}

static CURRENT: Mutex<Option<Current>> = Mutex::new(None);

/// A producer and monitor that responders use within one task, instead of the
/// current app's.
#[derive(Clone, Debug)]
pub(crate) struct ProducerScope {
    pub(crate) producer: Producer,
    pub(crate) monitor: Monitor,
}

tokio::task_local! {
    static SCOPE: ProducerScope;
}

/// Runs `future` with `scope`'s producer as the one responders use (if any).
pub(crate) async fn within<F: Future>(scope: Option<ProducerScope>, future: F) -> F::Output {
    match scope {
        Some(scope) => SCOPE.scope(scope, future).await,
        None => future.await,
    }
}

fn lock() -> MutexGuard<'static, Option<Current>> {
    CURRENT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes `app` the current app (keeping the producer if it is the same app).
pub(crate) fn adopt(app: Registration) {
    let mut current = lock();
    let producer = current
        .take()
        .filter(|c| c.app.same_as(&app))
        .and_then(|c| c.producer);
    *current = Some(Current { app, producer });
}

/// Updates the current app with `app`'s listeners, if `app` is the current app.
pub(crate) fn refresh(app: Registration) {
    if let Some(current) = lock().as_mut().filter(|c| c.app.same_as(&app)) {
        current.app = app;
    }
}

/// The current app's producer, created on first use.
pub(crate) fn producer() -> Result<Producer> {
    if let Ok(producer) = SCOPE.try_with(|scope| scope.producer.clone()) {
        return Ok(producer);
    }
    let mut current = lock();
    let current = current.as_mut().ok_or(Error::NoApp)?;
    if let Some(producer) = &current.producer {
        return Ok(producer.clone());
    }
    let brokers = crate::embedded::app_brokers(&current.app.root, &current.app.config)?;
    let producer = Producer::new(&current.app.config, &brokers)?;
    current.producer = Some(producer.clone());
    Ok(producer)
}

/// Makes `app` current and returns its producer, created on first use.
pub(crate) fn producer_of(app: Registration) -> Result<Producer> {
    let is_current = lock().as_ref().is_some_and(|c| c.app.same_as(&app));
    if !is_current {
        adopt(app);
    }
    producer()
}

/// Makes `app`, whose server is booting on `brokers`, current, with a producer
/// connected to those brokers (kept if it already has one).
pub(crate) fn serve(app: Registration, brokers: &str) -> Result<()> {
    let mut current = lock();
    let producer = match current.take().filter(|c| c.app.same_as(&app)) {
        Some(Current {
            producer: Some(producer),
            ..
        }) => producer,
        _ => Producer::new(&app.config, brokers)?,
    };
    *current = Some(Current {
        app,
        producer: Some(producer),
    });
    Ok(())
}

/// The current app's monitor, for events of responders.
pub(crate) fn monitor() -> Option<Monitor> {
    if let Ok(monitor) = SCOPE.try_with(|scope| scope.monitor.clone()) {
        return Some(monitor);
    }
    lock().as_ref().map(|c| c.app.monitor.clone())
}

/// Delivers what `app`'s producer still holds within `timeout`, then releases it
/// (a later call creates a new one); reports and fails naming how many messages
/// it could not deliver.
pub(crate) async fn flush_on_stop(app: &Registration, timeout: Duration) -> Result<()> {
    let producer = lock()
        .as_mut()
        .filter(|c| c.app.same_as(app))
        .and_then(|c| c.producer.take());
    let Some(producer) = producer else {
        return Ok(());
    };
    let pending = producer.in_flight_count();
    let flushed = if pending == 0 {
        Ok(())
    } else {
        tracing::info!(target: "karafka", "Flushing {pending} pending messages of the producer");
        producer.flush(timeout).await
    };
    // Dropping the last clone closes the client (it purges what is left, which is
    // reported below), before an embedded broker goes away with the server.
    let _ = tokio::task::spawn_blocking(move || drop(producer)).await;
    match flushed {
        Ok(()) => {
            if pending > 0 {
                tracing::info!(target: "karafka", "Delivered the {pending} pending messages");
            }
            Ok(())
        }
        Err(error) => {
            app.monitor.instrument(Event::ErrorOccurred(ErrorOccurred {
                error_type: ErrorType::ProducerDelivery,
                consumer_group: None,
                topic: None,
                partition: None,
                offset: None,
                attempt: None,
                error: format!("shutdown: {error}"),
            }));
            Err(Error::ShutdownTimeout {
                timeout_ms: app.config.shutdown_timeout,
                still_running: format!("the producer ({error})"),
            })
        }
    }
}
