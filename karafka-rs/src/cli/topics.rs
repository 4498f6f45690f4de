//! `topics list | create | plan | migrate | delete | settings`: the topics the
//! routes declare, brought onto the cluster (or taken off it).

use std::collections::BTreeMap;

use anyhow::bail;

use super::confirm::confirm;
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
    /// Prints what `migrate` would do, changing nothing
    Plan,
    /// Creates missing topics, adds missing partitions and aligns declared
    /// settings, printing the plan; exits 0 when nothing changed, 2 when
    /// something did, 1 on error
    Migrate {
        /// Only print the plan
        #[arg(long)]
        dry_run: bool,
    },
    /// Deletes the declared topics from the cluster
    Delete {
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Shows a topic's settings as the cluster reports them
    Settings {
        /// The topic
        topic: String,
    },
}

/// Runs `action`; returns whether `migrate` changed the cluster (exit code 2).
pub(super) async fn run(app: &App, action: Action) -> anyhow::Result<bool> {
    let brokers = app.bootstrap_servers()?;
    let admin = Admin::connect(app, &brokers)?;
    let existing = admin.topics().await?;
    let steps = match &action {
        Action::Plan | Action::Migrate { .. } => {
            let settings = declared_settings(app, &admin, &existing).await?;
            admin::plan_with_settings(app, &existing, &settings)
        }
        _ => admin::plan(app, &existing),
    };
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
        Action::Settings { topic } => {
            if !existing.contains_key(&topic) {
                bail!("topic `{topic}` does not exist on {brokers}");
            }
            let rows: Vec<Vec<String>> = admin
                .topic_settings(&topic)
                .await?
                .into_iter()
                .map(|s| {
                    let value = s.value.unwrap_or_else(|| "-".to_owned());
                    vec![
                        s.name,
                        if s.is_default {
                            paint(&value, Paint::Dim)
                        } else {
                            value
                        },
                        if s.is_default { "default" } else { "set" }.to_owned(),
                    ]
                })
                .collect();
            print!("{}", table(&["SETTING", "VALUE", "SOURCE"], &rows));
            Ok(false)
        }
        Action::Plan => print_plan(&steps),
        Action::Migrate { dry_run } => {
            if dry_run {
                return print_plan(&steps);
            }
            for step in &steps {
                println!("{}", line(step));
            }
            let changes = steps.iter().filter(|s| s.changes()).count();
            if changes == 0 {
                println!("nothing to change");
                return Ok(false);
            }
            refuse_on_embedded(app, &steps)?;
            admin::apply(&admin, &steps).await?;
            println!("{changes} changes applied");
            Ok(true)
        }
        Action::Delete { yes } => {
            let declared = app.routes().declared_topics();
            let present: Vec<&str> = declared
                .iter()
                .filter(|t| existing.contains_key(&t.name))
                .map(|t| t.name.as_str())
                .collect();
            if !present.is_empty() && is_embedded(app) {
                bail!("the embedded development broker cannot delete topics; stop it instead (its topics go with it)");
            }
            if !present.is_empty() {
                confirm(&format!("delete topics {}", present.join(", ")), yes)?;
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

/// Prints the plan and how many changes it holds; changes nothing.
fn print_plan(steps: &[Step]) -> anyhow::Result<bool> {
    for step in steps {
        println!("{}", line(step));
    }
    let changes = steps.iter().filter(|s| s.changes()).count();
    if changes == 0 {
        println!("nothing to change");
    } else {
        println!("{changes} changes planned (dry run: nothing changed)");
    }
    Ok(false)
}

/// The settings on the cluster of the declared topics that exist and declare
/// settings (none on the embedded broker, which cannot report them).
async fn declared_settings(
    app: &App,
    admin: &Admin,
    existing: &BTreeMap<String, i32>,
) -> anyhow::Result<BTreeMap<String, BTreeMap<String, String>>> {
    if is_embedded(app) {
        return Ok(BTreeMap::new());
    }
    let declared = app.routes().declared_topics();
    let topics: Vec<&str> = declared
        .iter()
        .filter(|t| !t.config.settings.is_empty() && existing.contains_key(&t.name))
        .map(|t| t.name.as_str())
        .collect();
    Ok(admin.topics_settings(&topics).await?)
}

/// A plan step, coloured by whether it changes something.
fn line(step: &Step) -> String {
    let text = step.describe();
    match step {
        Step::Create(_) => paint(&text, Paint::Green),
        Step::AddPartitions { .. } => paint(&text, Paint::Yellow),
        Step::AlterSetting { .. } => paint(&text, Paint::Yellow),
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
