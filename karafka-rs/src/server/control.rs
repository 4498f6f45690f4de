//! Requests to quiet or stop the process's server from inside the process (the
//! Web UI's commands): [`App::run`](crate::App::run) answers them as it answers
//! SIGTSTP and SIGTERM.

use tokio::sync::Notify;

static STOP: Notify = Notify::const_new();
static QUIET: Notify = Notify::const_new();

/// Asks the server `App::run` runs to stop gracefully, as SIGTERM does.
#[cfg_attr(not(feature = "web"), allow(dead_code))] // only the Web UI asks
pub(crate) fn request_stop() {
    STOP.notify_one();
}

/// Asks the server `App::run` runs to go quiet, as SIGTSTP does.
#[cfg_attr(not(feature = "web"), allow(dead_code))] // only the Web UI asks
pub(crate) fn request_quiet() {
    QUIET.notify_one();
}

/// Waits for a stop request.
pub(super) async fn stop_requested() {
    STOP.notified().await
}

/// Waits for a quiet request.
pub(super) async fn quiet_requested() {
    QUIET.notified().await
}
