//! The generator's output pinned with insta snapshots, and its decisions for
//! files that exist already.

use std::collections::BTreeMap;

use crate::manifest::Source;
use crate::plan::{plan, Action, Options, Status};
use crate::templates::CARGO_NEW_MAIN;

const FRESH_MANIFEST: &str =
    "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n";

fn source() -> Source {
    Source::Path("../karafka-rs".to_owned())
}

/// A project's files by path.
fn project(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

fn plan_for(files: &BTreeMap<String, String>, options: Options) -> Vec<Action> {
    plan("shop", &source(), options, |path| files.get(path).cloned()).unwrap()
}

/// The project after the actions that write.
fn applied(mut files: BTreeMap<String, String>, actions: &[Action]) -> BTreeMap<String, String> {
    for action in actions {
        if matches!(
            action.status,
            Status::Create | Status::Update | Status::Force
        ) {
            files.insert(action.path.clone(), action.contents.clone().unwrap());
        }
    }
    files
}

fn status_of(actions: &[Action], path: &str) -> Status {
    actions.iter().find(|a| a.path == path).unwrap().status
}

#[test]
fn a_fresh_cargo_project_gets_every_file_created_and_its_manifest_updated() {
    let files = project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        ("src/main.rs", CARGO_NEW_MAIN),
    ]);
    let actions = plan_for(&files, Options::default());
    let lines: Vec<String> = actions.iter().map(Action::line).collect();
    insta::assert_snapshot!("install_lines_fresh_project", lines.join("\n"));
    for action in &actions {
        let name = action.path.replace(['/', '.'], "_");
        insta::assert_snapshot!(
            format!("generated_{name}"),
            action.contents.clone().unwrap()
        );
    }
}

#[test]
fn a_second_install_finds_every_file_identical() {
    let files = project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        ("src/main.rs", CARGO_NEW_MAIN),
    ]);
    let installed = applied(files, &plan_for(&files_clone(), Options::default()));
    let again = plan_for(&installed, Options::default());
    assert!(
        again.iter().all(|a| a.status == Status::Identical),
        "{:?}",
        again.iter().map(Action::line).collect::<Vec<_>>()
    );
}

fn files_clone() -> BTreeMap<String, String> {
    project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        ("src/main.rs", CARGO_NEW_MAIN),
    ])
}

#[test]
fn the_users_manifest_keeps_its_formatting_comments_and_own_dependency_versions() {
    let manifest = r#"[package]
name    = "shop"   # aligned, as the user likes it
version = "0.3.0"
edition = "2021"

# Our own dependencies.
[dependencies]
serde = { version = "1.0.200", features = ["derive", "rc"] }  # pinned
chrono = "0.4"

[dev-dependencies]
proptest = "1"
"#;
    let files = project(&[("Cargo.toml", manifest)]);
    let actions = plan_for(&files, Options::default());
    let cargo = actions.iter().find(|a| a.path == "Cargo.toml").unwrap();
    assert_eq!(cargo.status, Status::Update);
    assert_eq!(
        cargo.note,
        "added karafka, tokio, serde_json, tracing, anyhow"
    );
    insta::assert_snapshot!(
        "manifest_with_user_formatting",
        cargo.contents.clone().unwrap()
    );
}

#[test]
fn the_default_source_is_a_versioned_crates_io_dependency() {
    let files = project(&[("Cargo.toml", FRESH_MANIFEST)]);
    let actions = plan(
        "shop",
        &Source::Registry("0.2.0".to_owned()),
        Options::default(),
        |path| files.get(path).cloned(),
    )
    .unwrap();
    let contents = actions[0].contents.clone().unwrap();
    assert!(
        contents.contains(r#"karafka = { package = "karafka-rs", version = "0.2.0" }"#),
        "{contents}"
    );
    let installed = project(&[("Cargo.toml", &contents)]);
    let again = plan(
        "shop",
        &Source::Registry("0.2.0".to_owned()),
        Options::default(),
        |path| installed.get(path).cloned(),
    )
    .unwrap();
    assert_eq!(again[0].status, Status::Identical);
}

#[test]
fn a_git_source_is_written_as_a_git_dependency() {
    let files = project(&[("Cargo.toml", FRESH_MANIFEST)]);
    let actions = plan(
        "shop",
        &Source::Git("https://example.com/karafka-rs.git".to_owned()),
        Options::default(),
        |path| files.get(path).cloned(),
    )
    .unwrap();
    let contents = actions[0].contents.clone().unwrap();
    assert!(
        contents.contains(
            r#"karafka = { package = "karafka-rs", git = "https://example.com/karafka-rs.git" }"#
        ),
        "{contents}"
    );
}

#[test]
fn the_alias_of_an_earlier_install_is_removed_and_other_settings_kept() {
    let config = "# Team settings.\n[build]\njobs = 2\n\n[alias]\nxtask = \"run -p xtask --\"\nkarafka = \"run --\"\n";
    let files = project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        (".cargo/config.toml", config),
    ]);
    let actions = plan_for(&files, Options::default());
    let updated = actions
        .iter()
        .find(|a| a.path == ".cargo/config.toml")
        .unwrap();
    assert_eq!(
        updated.line(),
        "   update  .cargo/config.toml (removed alias.karafka: cargo-karafka runs the app itself)"
    );
    assert_eq!(
        updated.contents.as_deref(),
        Some("# Team settings.\n[build]\njobs = 2\n\n[alias]\nxtask = \"run -p xtask --\"\n")
    );

    let only_alias = project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        (
            ".cargo/config.toml",
            "[alias]\nkarafka = \"run --release --\"\n",
        ),
    ]);
    let actions = plan_for(&only_alias, Options::default());
    assert_eq!(status_of(&actions, ".cargo/config.toml"), Status::Update);
    let rewritten = applied(only_alias.clone(), &actions);
    assert_eq!(rewritten[".cargo/config.toml"], "");
}

#[test]
fn a_cargo_config_without_the_alias_is_left_alone() {
    let files = project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        (".cargo/config.toml", "[build]\njobs = 2\n"),
    ]);
    let actions = plan_for(&files, Options::default());
    assert!(
        actions.iter().all(|a| a.path != ".cargo/config.toml"),
        "{actions:?}"
    );
}

#[test]
fn a_file_that_differs_is_a_conflict_unless_forced_or_skipped() {
    let mut files = applied(files_clone(), &plan_for(&files_clone(), Options::default()));
    files.insert("karafka.toml".into(), "client_id = \"mine\"\n".into());
    let plain = plan_for(&files, Options::default());
    assert_eq!(status_of(&plain, "karafka.toml"), Status::Conflict);
    assert_eq!(status_of(&plain, "src/main.rs"), Status::Identical);

    let forced = plan_for(
        &files,
        Options {
            force: true,
            skip: false,
        },
    );
    assert_eq!(status_of(&forced, "karafka.toml"), Status::Force);
    let rewritten = applied(files.clone(), &forced);
    assert!(rewritten["karafka.toml"].contains("client_id = \"shop\""));

    let skipped = plan_for(
        &files,
        Options {
            force: false,
            skip: true,
        },
    );
    assert_eq!(status_of(&skipped, "karafka.toml"), Status::Skip);
    assert_eq!(
        applied(files.clone(), &skipped)["karafka.toml"],
        "client_id = \"mine\"\n"
    );
}

#[test]
fn a_karafka_dependency_from_elsewhere_is_a_conflict() {
    let manifest = format!(
        "{FRESH_MANIFEST}karafka = {{ package = \"karafka-rs\", path = \"/elsewhere\" }}\n"
    );
    let files = project(&[("Cargo.toml", &manifest)]);
    let actions = plan_for(&files, Options::default());
    assert_eq!(status_of(&actions, "Cargo.toml"), Status::Conflict);
    assert_eq!(actions[0].note, "karafka differs");
    let forced = plan_for(
        &files,
        Options {
            force: true,
            skip: false,
        },
    );
    let text = forced[0].contents.clone().unwrap();
    assert!(text.contains("path = \"../karafka-rs\""), "{text}");
    assert!(!text.contains("/elsewhere"), "{text}");
}

#[test]
fn a_main_rs_other_than_cargos_placeholder_is_not_overwritten() {
    let files = project(&[
        ("Cargo.toml", FRESH_MANIFEST),
        ("src/main.rs", "fn main() { my_app::run() }\n"),
    ]);
    let actions = plan_for(&files, Options::default());
    assert_eq!(status_of(&actions, "src/main.rs"), Status::Conflict);
}

#[test]
fn a_directory_without_a_manifest_is_refused_with_what_to_do() {
    let error = plan("shop", &source(), Options::default(), |_| None).unwrap_err();
    assert!(
        format!("{error:#}").contains("no Cargo.toml here"),
        "{error:#}"
    );
}

#[test]
fn every_template_placeholder_is_one_install_fills_in() {
    for template in crate::templates::FILES {
        let rendered = crate::templates::render(template, "shop");
        assert!(
            !rendered.contains("{{") && !rendered.contains("}}"),
            "{} keeps a placeholder:\n{rendered}",
            template.path
        );
    }
}
