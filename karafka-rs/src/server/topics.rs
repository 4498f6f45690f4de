//! Boot-time checks of the cluster: are the brokers reachable, do the routed
//! topics exist, and (in development) create the ones that do not, as declared.

use crate::admin::{Admin, TopicSpec};
use crate::app::App;
use crate::error::Result;

/// Fails within `connect_timeout` when no broker answers; otherwise creates the
/// declared topics the cluster lacks (when the configuration says so) or warns about them.
pub(crate) async fn check(app: &App, brokers: &str) -> Result<()> {
    let admin = Admin::connect(app, brokers)?;
    let existing = admin.topics().await?;
    let missing: Vec<TopicSpec> = app
        .routes()
        .declared_topics()
        .iter()
        .filter(|t| !existing.contains_key(&t.name))
        .map(|t| TopicSpec::declared(t, app))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = missing
        .iter()
        .map(|t| match t.partitions {
            1 => format!("{} (1 partition)", t.name),
            n => format!("{} ({n} partitions)", t.name),
        })
        .collect();
    if app.config().creates_missing_topics() {
        admin.create(&missing).await?;
        tracing::info!(target: "karafka", "Created missing topics {}", names.join(", "));
    } else {
        tracing::warn!(
            target: "karafka",
            "Routed topics missing on the cluster: {}; their consumers wait until they exist (create them with `topics migrate`, or set auto_create_topics = true)",
            names.join(", ")
        );
    }
    Ok(())
}
