//! `topics list | create | migrate | delete`: the topics the routes declare,
//! brought onto the cluster (or taken off it).

use anyhow::bail;

use super::style::{paint, table, Paint};
use crate::admin::{self, Admin, Step};
use crate::app::App;

/// What `topics` does.
#[derive(Debug, clap::Subcommand)]
pub(super) enum Action {
    /// Lists the declared topics with their partitions, declared and on the cluster
    #[command(visible_alias = "ls")]
    List,
    /// Creates the declared topics the cluster lacks
    Create,
    /// Creates missing topics and adds missing partitions, printing the plan;
    /// exits 0 when nothing changed, 2 when something did, 1 on error
    Migrate {
        /// Only print the plan
        #[arg(long)]
        dry_run: bool,
    },
    /// Deletes the declared topics from the cluster
    Delete,
}

/// Runs `action`; returns whether `migrate` changed the cluster (exit code 2).
pub(super) async fn run(app: &App, action: Action) -> anyhow::Result<bool> {
    let brokers = app.bootstrap_servers()?;
    let admin = Admin::connect(app, &brokers)?;
    let existing = admin.topics().await?;
    let steps = admin::plan(app, &existing);
    match action {
        Action::List => {
            let rows: Vec<Vec<String>> = app
                .routes()
                .declared_topics()
                .iter()
                .map(|declared| {
                    let on_cluster = match existing.get(&declared.name) {
                        Some(partitions) => partitions.to_string(),
                        None => "missing".to_owned(),
                    };
                    vec![
                        declared.name.clone(),
                        declared.partitions(app.config()).to_string(),
                        on_cluster,
                    ]
                })
                .collect();
            print!(
                "{}",
                table(&["TOPIC", "DECLARED PARTITIONS", "ON CLUSTER"], &rows)
            );
            Ok(false)
        }
        Action::Create => {
            let creations: Vec<Step> = steps
                .into_iter()
                .filter(|step| matches!(step, Step::Create(_)))
                .collect();
            refuse_on_embedded(app, &creations)?;
            admin::apply(&admin, &creations).await?;
            for step in &creations {
                println!("{}", line(step));
            }
            if creations.is_empty() {
                println!("every declared topic exists");
            }
            Ok(false)
        }
        Action::Migrate { dry_run } => {
            for step in &steps {
                println!("{}", line(step));
            }
            let changes = steps.iter().filter(|s| s.changes()).count();
            if changes == 0 {
                println!("nothing to change");
                return Ok(false);
            }
            if dry_run {
                println!("{changes} changes planned (dry run: nothing changed)");
                return Ok(false);
            }
            refuse_on_embedded(app, &steps)?;
            admin::apply(&admin, &steps).await?;
            println!("{changes} changes applied");
            Ok(true)
        }
        Action::Delete => {
            let declared = app.routes().declared_topics();
            let present: Vec<&str> = declared
                .iter()
                .filter(|t| existing.contains_key(&t.name))
                .map(|t| t.name.as_str())
                .collect();
            if !present.is_empty() && is_embedded(app) {
                bail!("the embedded development broker cannot delete topics; stop it instead (its topics go with it)");
            }
            admin.delete(&present).await?;
            for topic in &declared {
                if present.contains(&topic.name.as_str()) {
                    println!(
                        "{}",
                        paint(&format!("delete {}", topic.name), Paint::Yellow)
                    );
                } else {
                    println!("absent {}", topic.name);
                }
            }
            Ok(false)
        }
    }
}

/// A plan step, coloured by whether it changes something.
fn line(step: &Step) -> String {
    let text = step.describe();
    match step {
        Step::Create(_) => paint(&text, Paint::Green),
        Step::AddPartitions { .. } => paint(&text, Paint::Yellow),
        Step::CannotShrink { .. } => paint(&text, Paint::Yellow),
        Step::UpToDate { .. } => paint(&text, Paint::Dim),
    }
}

/// Whether the app talks to its embedded development broker.
fn is_embedded(app: &App) -> bool {
    app.config().brokers.is_empty()
}

/// The mock cluster has no CreateTopics or CreatePartitions API.
fn refuse_on_embedded(app: &App, steps: &[Step]) -> anyhow::Result<()> {
    if is_embedded(app) && steps.iter().any(Step::changes) {
        bail!(
            "the embedded development broker cannot create topics or partitions on request; it creates the declared topics when it starts (restart `broker` or `server` after changing a route's `config`), or set `brokers` / KARAFKA_BROKERS"
        );
    }
    Ok(())
}
