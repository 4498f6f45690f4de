//! `groups list | describe | lag | seek | copy | rename | delete`: any consumer
//! group on the cluster, as tables (coloured on a terminal) or `--json`.

use serde::Serialize;

use super::confirm::confirm;
use super::style::{paint, table, Paint};
use crate::admin::{Admin, OffsetChange, SeekTarget};
use crate::app::App;

/// Options of `groups`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Print JSON instead of tables (for scripts)
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    action: Action,
}

/// What `groups` does.
#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Lists the consumer groups on the cluster with their state and member count
    #[command(visible_alias = "ls")]
    List,
    /// Shows a group's state, members and the partitions assigned to each
    Describe {
        /// The group id, e.g. karafka_example_example
        group: String,
    },
    /// Shows committed offset, end offset and lag per partition
    Lag {
        /// The group id (default: every consumer group of the app)
        group: Option<String>,
    },
    /// Moves a group's committed offsets; refused while the group has members
    Seek {
        /// The group id
        group: String,
        /// earliest, latest, an offset, or an RFC 3339 time (2026-11-30T10:00:00Z)
        #[arg(long, value_name = "earliest|latest|OFFSET|TIME")]
        to: SeekTarget,
        /// Only this topic's partitions (default: every partition of the group)
        #[arg(long, value_name = "TOPIC")]
        topic: Option<String>,
        /// Only this partition of --topic
        #[arg(long, value_name = "PARTITION", requires = "topic")]
        partition: Option<i32>,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Gives group NEW the committed offsets of GROUP; refused while NEW has members
    Copy {
        /// The group to copy from
        group: String,
        /// The group to copy to
        new: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Copies GROUP's offsets to NEW, then deletes GROUP; refused while either has members
    Rename {
        /// The group to rename
        group: String,
        /// Its new id
        new: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
    /// Deletes a group and its committed offsets; refused while it has members
    Delete {
        /// The group id
        group: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

/// Runs `args`; returns whether the cluster changed (exit code 2).
pub(super) async fn run(app: &App, args: Args) -> anyhow::Result<bool> {
    let admin = Admin::new(app)?;
    let json = args.json;
    match args.action {
        Action::List => {
            let groups = admin.groups().await?;
            if json {
                return print_json(&groups);
            }
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|g| {
                    vec![
                        g.name.clone(),
                        state(&g.state),
                        g.members.to_string(),
                        g.protocol_type.clone(),
                    ]
                })
                .collect();
            print!("{}", table(&["GROUP", "STATE", "MEMBERS", "TYPE"], &rows));
            Ok(false)
        }
        Action::Describe { group } => {
            let description = admin.describe_group(&group).await?;
            if json {
                return print_json(&description);
            }
            println!(
                "{} {} ({} members{})",
                paint(&description.name, Paint::Bold),
                state(&description.state),
                description.members.len(),
                if description.protocol.is_empty() {
                    String::new()
                } else {
                    format!(", assignment {}", description.protocol)
                }
            );
            let rows: Vec<Vec<String>> = description
                .members
                .iter()
                .map(|m| {
                    let assigned: Vec<String> = m
                        .assignment
                        .iter()
                        .map(|(topic, partitions)| {
                            let list: Vec<String> = partitions.iter().map(i32::to_string).collect();
                            format!("{topic}[{}]", list.join(","))
                        })
                        .collect();
                    vec![
                        m.id.clone(),
                        m.client_id.clone(),
                        m.host.clone(),
                        assigned.join(" "),
                    ]
                })
                .collect();
            if !rows.is_empty() {
                print!(
                    "{}",
                    table(&["MEMBER", "CLIENT ID", "HOST", "ASSIGNMENT"], &rows)
                );
            }
            Ok(false)
        }
        Action::Lag { group } => {
            let groups = match group {
                Some(group) => vec![group],
                None => app.routes().groups().iter().map(|g| g.id.clone()).collect(),
            };
            let mut lags = std::collections::BTreeMap::new();
            for group in groups {
                let lag = admin.group_lag(&group).await?;
                lags.insert(group, lag);
            }
            if json {
                return print_json(&lags);
            }
            let rows: Vec<Vec<String>> = lags
                .iter()
                .flat_map(|(group, partitions)| {
                    partitions.iter().map(move |p| {
                        vec![
                            group.clone(),
                            p.topic.clone(),
                            p.partition.to_string(),
                            p.committed.map_or("-".to_owned(), |c| c.to_string()),
                            p.end.to_string(),
                            match p.lag {
                                Some(0) => paint("0", Paint::Green),
                                Some(lag) => paint(&lag.to_string(), Paint::Yellow),
                                None => "-".to_owned(),
                            },
                        ]
                    })
                })
                .collect();
            print!(
                "{}",
                table(
                    &["GROUP", "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"],
                    &rows
                )
            );
            Ok(false)
        }
        Action::Seek {
            group,
            to,
            topic,
            partition,
            yes,
        } => {
            let scope = match (&topic, partition) {
                (Some(t), Some(p)) => format!(" on {t}/{p}"),
                (Some(t), None) => format!(" on topic {t}"),
                _ => String::new(),
            };
            confirm(&format!("seek group `{group}`{scope}"), yes)?;
            let changes = admin
                .seek_group(&group, to, topic.as_deref(), partition)
                .await?;
            report_changes(json, "seek", &group, &changes)
        }
        Action::Copy { group, new, yes } => {
            confirm(
                &format!("copy the offsets of group `{group}` to `{new}`"),
                yes,
            )?;
            let changes = admin.copy_group(&group, &new).await?;
            report_changes(json, "copy", &new, &changes)
        }
        Action::Rename { group, new, yes } => {
            confirm(&format!("rename group `{group}` to `{new}`"), yes)?;
            let changes = admin.rename_group(&group, &new).await?;
            report_changes(json, "rename", &new, &changes)?;
            if !json {
                println!("{}", paint(&format!("delete {group}"), Paint::Yellow));
            }
            Ok(true)
        }
        Action::Delete { group, yes } => {
            confirm(&format!("delete group `{group}`"), yes)?;
            admin.delete_group(&group).await?;
            if json {
                print_json(&serde_json::json!({ "deleted": group }))?;
            } else {
                println!("{}", paint(&format!("delete {group}"), Paint::Yellow));
            }
            Ok(true)
        }
    }
}

/// Prints one line per changed offset (`seek G users/0 5 -> 0`), or JSON.
fn report_changes(
    json: bool,
    verb: &str,
    group: &str,
    changes: &[OffsetChange],
) -> anyhow::Result<bool> {
    if json {
        print_json(&changes)?;
        return Ok(true);
    }
    for change in changes {
        let from = change.from.map_or("-".to_owned(), |o| o.to_string());
        println!(
            "{}",
            paint(
                &format!(
                    "{verb} {group} {}/{} {from} -> {}",
                    change.topic, change.partition, change.to
                ),
                Paint::Yellow
            )
        );
    }
    println!("{} offsets committed for {group}", changes.len());
    Ok(true)
}

fn state(state: &str) -> String {
    match state {
        "Stable" => paint(state, Paint::Green),
        "Empty" | "Dead" => paint(state, Paint::Dim),
        _ => paint(state, Paint::Yellow),
    }
}

/// Prints `value` as pretty JSON; never a change.
fn print_json(value: &impl Serialize) -> anyhow::Result<bool> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(false)
}
