//! `cargo karafka install` as a user runs it: in a fresh `cargo new` project,
//! then the app built (sharing this build's target directory), its server
//! started with `cargo karafka server` on the embedded broker, a message
//! produced with `cargo karafka produce`, and the example consumer logging it.
//! Inside it, `cargo karafka routes` and `cargo karafka install --pretend` run
//! the app and the generator with no cargo warning, as does `karafka routes`;
//! the alias of earlier installs is removed by the next one. A second install
//! changes nothing; `--force` overwrites a changed file.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const GENERATOR: &str = env!("CARGO_BIN_EXE_cargo-karafka");
const KARAFKA: &str = env!("CARGO_BIN_EXE_karafka");

/// The karafka-rs crate's directory, as `--path` takes it (this checkout's:
/// the test runs before karafka-rs is on crates.io, and must build this code).
fn karafka_dir() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../karafka-rs")
}

/// This build's target directory (the test binary is `<target>/debug/deps/install-*`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.ancestors()
        .nth(3)
        .expect("<target>/<profile>/deps/<exe>")
        .to_owned()
}

/// `cargo` with the generator on PATH (as `cargo install` would put it), the
/// shared target directory, and none of the karafka overrides of the caller.
fn cargo(dir: &Path) -> Command {
    let generator_dir = Path::new(GENERATOR)
        .parent()
        .expect("the generator's directory");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![generator_dir.to_owned()];
    paths.extend(std::env::split_paths(&path));
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(dir)
        .env("PATH", std::env::join_paths(paths).expect("a valid PATH"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env("RUST_LOG", "info")
        .env_remove("KARAFKA_ENV")
        .env_remove("KARAFKA_BROKERS")
        .env_remove("KARAFKA_CLIENT_ID")
        .env_remove("KARAFKA_ROOT");
    command
}

fn generator(dir: &Path, args: &[&str]) -> Output {
    Command::new(GENERATOR)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("cargo-karafka runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A spawned process whose output lines are collected.
struct Running {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Running {
    fn spawn(mut command: Command) -> Running {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the process starts");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for stream in streams {
            let lines = lines.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        Running { child, lines }
    }

    fn log(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file of the app but `target/` and `Cargo.lock`, with its text.
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == "target" || name == ".git" || name == "Cargo.lock" {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn installed_app_builds_runs_its_server_and_logs_a_produced_message() {
    let workspace = tempfile::tempdir().unwrap();
    let status = cargo(workspace.path())
        .args(["new", "--bin", "--vcs", "none", "--quiet", "shop"])
        .status()
        .unwrap();
    assert!(status.success(), "cargo new");
    let app = workspace.path().join("shop");

    let install = cargo(&app)
        .args(["karafka", "install", "--path", karafka_dir()])
        .output()
        .unwrap();
    let out = text(&install);
    assert!(install.status.success(), "{out}");
    assert!(!app.join(".cargo/config.toml").exists(), "no alias: {out}");
    for line in [
        "   update  Cargo.toml (added karafka, tokio, serde, serde_json, tracing, anyhow)",
        "   create  karafka.toml",
        "   create  src/main.rs",
        "   create  src/karafka_boot.rs",
        "   create  src/consumers/example_consumer.rs",
        "   create  src/responders/example_responder.rs",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }

    // The workspace's lock file: the same versions resolve, so the shared
    // target directory already holds most of what the app needs.
    std::fs::copy(
        Path::new(karafka_dir()).join("../Cargo.lock"),
        app.join("Cargo.lock"),
    )
    .unwrap();
    let build = cargo(&app).args(["build", "--quiet"]).output().unwrap();
    assert!(build.status.success(), "the app builds:\n{}", text(&build));

    let server = Running::spawn({
        let mut command = cargo(&app);
        command.args(["karafka", "server"]);
        command
    });
    assert!(
        server.wait_for("Partitions assigned", Duration::from_secs(120)),
        "the server joins its group:\n{}",
        server.log()
    );
    let produce = cargo(&app)
        .args([
            "karafka",
            "produce",
            "example",
            r#"{"event_name":"order_placed","payload":{"id":7}}"#,
        ])
        .output()
        .unwrap();
    assert!(produce.status.success(), "{}", text(&produce));
    assert!(
        text(&produce).contains("delivered to example/"),
        "{}",
        text(&produce)
    );
    assert!(
        server.wait_for(
            r#"New example event: ExampleEvent { event_name: "order_placed", payload: Object {"id": Number(7)} }"#,
            Duration::from_secs(20)
        ),
        "the example consumer logs the message:\n{}",
        server.log()
    );
    drop(server);

    // Inside the app, cargo-karafka runs the app's commands and its own; with
    // no alias, cargo has nothing to warn about.
    let routes = cargo(&app).args(["karafka", "routes"]).output().unwrap();
    assert!(routes.status.success(), "{}", text(&routes));
    assert!(
        String::from_utf8_lossy(&routes.stdout).contains("ExampleConsumer"),
        "the app's routing table:\n{}",
        text(&routes)
    );
    assert!(!text(&routes).contains("warning"), "{}", text(&routes));
    let pretend = cargo(&app)
        .args(["karafka", "install", "--path", karafka_dir(), "--pretend"])
        .output()
        .unwrap();
    let out = text(&pretend);
    assert!(pretend.status.success(), "{out}");
    assert!(
        out.contains("identical  karafka.toml"),
        "the generator's plan:\n{out}"
    );
    assert!(out.contains("(pretend: nothing was written)"), "{out}");
    assert!(!out.contains("warning"), "{out}");
    let karafka = Command::new(KARAFKA)
        .current_dir(app.join("src"))
        .env("CARGO_TARGET_DIR", target_dir())
        .args(["routes"])
        .output()
        .unwrap();
    assert!(
        karafka.status.success()
            && String::from_utf8_lossy(&karafka.stdout).contains("ExampleConsumer"),
        "`karafka routes` from a directory of the app:\n{}",
        text(&karafka)
    );

    // An app installed with the alias of earlier versions: cargo warns that it
    // shadows cargo-karafka until install removes it.
    std::fs::create_dir_all(app.join(".cargo")).unwrap();
    std::fs::write(
        app.join(".cargo/config.toml"),
        "[build]\njobs = 2\n\n[alias]\nkarafka = \"run --\"\n",
    )
    .unwrap();
    let shadowed = cargo(&app).args(["karafka", "routes"]).output().unwrap();
    assert!(
        text(&shadowed).contains("shadowing an external subcommand"),
        "{}",
        text(&shadowed)
    );
    let migrated = generator(&app, &["install", "--path", karafka_dir()]);
    let out = text(&migrated);
    assert!(migrated.status.success(), "{out}");
    assert!(
        out.contains("   update  .cargo/config.toml (removed alias.karafka: cargo-karafka runs the app itself)"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(app.join(".cargo/config.toml")).unwrap(),
        "[build]\njobs = 2\n"
    );
    let routes = cargo(&app).args(["karafka", "routes"]).output().unwrap();
    assert!(routes.status.success(), "{}", text(&routes));
    assert!(!text(&routes).contains("warning"), "{}", text(&routes));

    let before = snapshot(&app);
    let again = generator(&app, &["install", "--path", karafka_dir()]);
    let out = text(&again);
    assert!(again.status.success(), "{out}");
    assert_eq!(out.matches("identical  ").count(), 8, "{out}");
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(snapshot(&app), before, "a second install changes no file");

    std::fs::write(app.join("karafka.toml"), "client_id = \"changed\"\n").unwrap();
    let refused = generator(&app, &["install", "--path", karafka_dir()]);
    let out = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{out}");
    assert!(out.contains(" conflict  karafka.toml"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    assert_eq!(
        std::fs::read_to_string(app.join("karafka.toml")).unwrap(),
        "client_id = \"changed\"\n"
    );

    let forced = generator(&app, &["install", "--path", karafka_dir(), "--force"]);
    let out = text(&forced);
    assert!(forced.status.success(), "{out}");
    assert!(out.contains("    force  karafka.toml"), "{out}");
    assert_eq!(snapshot(&app), before, "--force restored the template");
}

#[test]
fn new_creates_the_project_with_a_path_relative_to_it() {
    let workspace = tempfile::tempdir().unwrap();
    let karafka = Path::new(karafka_dir());
    let link = workspace.path().join("karafka-rs");
    std::os::unix::fs::symlink(karafka, &link).unwrap();
    let created = Command::new(GENERATOR)
        .current_dir(workspace.path())
        .args(["karafka", "new", "shop", "--path", "karafka-rs"])
        .output()
        .unwrap();
    let out = text(&created);
    assert!(created.status.success(), "{out}");
    assert!(out.contains("   create  src/main.rs"), "{out}");
    let manifest = std::fs::read_to_string(workspace.path().join("shop/Cargo.toml")).unwrap();
    assert!(
        manifest.contains(r#"karafka = { package = "karafka-rs", path = "../karafka-rs" }"#),
        "{manifest}"
    );
    assert!(workspace.path().join("shop/src/karafka_boot.rs").is_file());
}

#[test]
fn install_refuses_a_path_that_is_not_karafka_rs_and_writes_nothing() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let elsewhere = Path::new(karafka_dir()).join("../karafka-rs-macros");
    let refused = generator(
        workspace.path(),
        &["install", "--path", elsewhere.to_str().unwrap()],
    );
    let out = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{out}");
    assert!(
        out.contains("that is the crate `karafka-rs-macros`, not karafka-rs"),
        "{out}"
    );
    assert!(!workspace.path().join("karafka.toml").exists());
}

#[test]
fn pretend_shows_the_plan_and_writes_nothing() {
    let workspace = tempfile::tempdir().unwrap();
    let manifest = "[package]\nname = \"shop\"\nversion = \"0.1.0\"\n";
    std::fs::write(workspace.path().join("Cargo.toml"), manifest).unwrap();
    let shown = generator(
        workspace.path(),
        &["install", "--path", karafka_dir(), "--pretend"],
    );
    let out = text(&shown);
    assert!(shown.status.success(), "{out}");
    assert!(out.contains("   create  src/main.rs"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    assert_eq!(
        std::fs::read_to_string(workspace.path().join("Cargo.toml")).unwrap(),
        manifest
    );
    assert!(!workspace.path().join("src").exists());
}

#[test]
fn install_without_path_or_git_depends_on_karafka_rs_from_crates_io() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let installed = generator(workspace.path(), &["install"]);
    assert!(installed.status.success(), "{}", text(&installed));
    let manifest = std::fs::read_to_string(workspace.path().join("Cargo.toml")).unwrap();
    let wanted = format!(
        r#"karafka = {{ package = "karafka-rs", version = "{}" }}"#,
        env!("CARGO_PKG_VERSION")
    );
    assert!(manifest.contains(&wanted), "{manifest}");
}

#[test]
fn path_and_git_together_are_a_usage_error() {
    let workspace = tempfile::tempdir().unwrap();
    let refused = generator(
        workspace.path(),
        &[
            "install",
            "--path",
            karafka_dir(),
            "--git",
            "https://example.com/k.git",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("cannot be used with"),
        "{}",
        text(&refused)
    );
}

#[test]
fn install_with_the_repository_root_as_path_points_at_the_crate_inside_it() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let refused = generator(
        workspace.path(),
        &["install", "--path", repository.to_str().unwrap()],
    );
    let out = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "that is the karafka-rs repository (a workspace); point it at the crate inside it: --path {}",
            repository.join("karafka-rs").display()
        )),
        "{out}"
    );
    assert!(!workspace.path().join("karafka.toml").exists());
}

#[test]
fn an_app_command_outside_any_app_says_where_to_run_it() {
    let workspace = tempfile::tempdir().unwrap();
    let refused = generator(workspace.path(), &["karafka", "server"]);
    let out = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{out}");
    assert!(
        out.contains("`server` is a command of a karafka app"),
        "{out}"
    );
    assert!(out.contains("cargo karafka new <name>"), "{out}");
}
