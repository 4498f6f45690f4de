//! The Web UI in a real browser (headless Chromium through chromedriver),
//! served by `server --web` on the embedded broker: the dashboard counts a
//! produced message, Explorer shows payloads (a `<script>` one as text), a
//! dead letter replayed from the UI is consumed again, a pause command pauses
//! a partition until a resume command, and a read-only UI offers no action.
//!
//! `KARAFKA_WEB_SCREENSHOTS=docs/web cargo test -p example_app --test web_ui`
//! saves the screenshots the README shows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use karafka_tests::process::{run, AppProcess};
use karafka_tests::wait_until;
use karafka_tests::webdriver::{Browser, ChromeDriver};

const APP: &str = env!("CARGO_BIN_EXE_example_app");

const CONFIG: &str = r#"
client_id = "karafka_example"
environment = "development"
pause_timeout = 200
pause_max_timeout = 400

[kafka]
"session.timeout.ms" = 6000

[web]
report_interval = 1000
"#;

struct Ui {
    process: AppProcess,
    url: String,
}

fn start(root: &Path, args: &[&str]) -> Ui {
    let env = [("KARAFKA_ROOT", root.to_str().expect("a UTF-8 path"))];
    let process = AppProcess::spawn(Path::new(APP), args, &env);
    assert!(
        process.wait_for_line("Web UI on http://", Duration::from_secs(60)),
        "the Web UI starts:\n{}",
        process.log()
    );
    let log = process.log();
    let address = log
        .split("Web UI on http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the Web UI's address is logged")
        .to_owned();
    Ui {
        process,
        url: format!("http://{address}"),
    }
}

fn produce(root: &Path, topic: &str, partition: &str, payload: &str) {
    let env = [("KARAFKA_ROOT", root.to_str().expect("a UTF-8 path"))];
    let (status, out, err) = run(
        Path::new(APP),
        &["produce", topic, payload, "--partition", partition],
        &env,
    );
    assert!(status.success(), "produce {topic}: {out}{err}");
}

/// The text of the first element matching `selector`, or "" when there is none.
fn text(browser: &Browser, selector: &str) -> String {
    browser
        .try_find(selector)
        .map(|e| browser.text(&e))
        .unwrap_or_default()
}

/// Reloads `url` until `condition` holds on it.
fn reload_until(
    browser: &Browser,
    url: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> bool,
) -> bool {
    wait_until(timeout, || {
        browser.goto(url);
        condition()
    })
}

/// Clicks the form button `selector` and waits for the page its POST leads
/// to: going to another page at once would cancel a POST not yet sent.
fn submit(browser: &Browser, selector: &str) {
    browser.execute("window.karafkaBeforeSubmit = true");
    browser.click(&browser.find(selector, Duration::from_secs(5)));
    let landed = wait_until(Duration::from_secs(10), || {
        browser.execute(
            "return window.karafkaBeforeSubmit === undefined && document.readyState === 'complete'",
        ) == true
    });
    assert!(
        landed,
        "{selector} submitted its form: {}",
        text(browser, "main")
    );
}

fn screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("KARAFKA_WEB_SCREENSHOTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("the screenshot directory");
        browser.screenshot(&dir.join(format!("{name}.png")));
    }
}

/// Submits a form-encoded POST from the page and returns the HTTP status.
fn post_status(browser: &Browser, path: &str, body: &str) -> i64 {
    let script = format!(
        "var x = new XMLHttpRequest(); x.open('POST', '{path}', false); \
         x.setRequestHeader('Content-Type', 'application/x-www-form-urlencoded'); \
         x.send('{body}'); return x.status;"
    );
    browser.execute(&script).as_i64().unwrap_or_default()
}

#[test]
fn the_web_ui_shows_and_steers_the_example_app() {
    let root = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(root.path().join("karafka.toml"), CONFIG).expect("karafka.toml");
    let server = start(root.path(), &["server", "--web", "127.0.0.1:0"]);
    assert!(
        server
            .process
            .wait_for_line("Partitions assigned for `users`", Duration::from_secs(60)),
        "the server owns the users topic:\n{}",
        server.process.log()
    );
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().expect("a browser profile directory");
    let browser = driver.session(profile.path());
    browser.set_window_size(1280, 900);
    let url = |path: &str| format!("{}{path}", server.url);

    // Dashboard: the process reports, and a consumed message moves the counter.
    assert!(
        reload_until(&browser, &url("/"), Duration::from_secs(30), || {
            text(&browser, "#processes").contains("karafka_example")
                && text(&browser, "#processes").contains("running")
        }),
        "the dashboard lists the running process: {}\n{}",
        text(&browser, "main"),
        server.process.log()
    );
    let before: u64 = text(&browser, "#messages-total").parse().expect("a count");
    produce(
        root.path(),
        "users",
        "0",
        r#"{"event_name":"user_created","payload":{"id":1}}"#,
    );
    assert!(
        reload_until(&browser, &url("/"), Duration::from_secs(30), || {
            text(&browser, "#messages-total")
                .parse::<u64>()
                .unwrap_or(0)
                > before
        }),
        "the consumed message is counted: {}",
        text(&browser, "main")
    );
    screenshot(&browser, "dashboard");

    // Explorer: the produced payload, pretty-printed.
    browser.goto(&url("/explorer/users/0"));
    assert!(
        text(&browser, "#messages").contains("user_created"),
        "Explorer shows the payload: {}",
        text(&browser, "main")
    );
    screenshot(&browser, "explorer");

    // A <script> payload fails the ratings consumer, lands in the dead letter
    // queue, and is shown as text wherever it appears.
    let script = "<script>document.title='pwned'</script>";
    produce(root.path(), "ratings", "0", script);
    assert!(
        reload_until(&browser, &url("/dlq"), Duration::from_secs(30), || {
            browser.execute("return document.querySelectorAll('tr.letter').length") == 1
        }),
        "the failed rating is a dead letter: {}",
        text(&browser, "main")
    );
    assert!(
        text(&browser, "tr.letter .payload").contains(script),
        "shown as text"
    );
    assert!(text(&browser, "tr.letter .source").starts_with("ratings/0@"));
    assert_eq!(
        browser.execute("return document.querySelectorAll('main script').length"),
        0
    );
    assert_ne!(browser.execute("return document.title"), "pwned");
    screenshot(&browser, "dead_letters");
    browser.goto(&url("/explorer/ratings/0"));
    assert!(text(&browser, "#messages").contains(script));
    assert_eq!(
        browser.execute("return document.querySelectorAll('main script').length"),
        0
    );

    // Without the page's CSRF token nothing changes.
    assert_eq!(
        post_status(&browser, "/dlq/replay", "one=ratings_dlq/0/0"),
        403
    );

    // Replay: the message goes back to ratings, fails again, and a second dead letter appears.
    browser.goto(&url("/dlq"));
    browser.click(&browser.find("tr.letter button.replay", Duration::from_secs(5)));
    browser.find("#replayed", Duration::from_secs(10));
    assert!(
        text(&browser, "#replayed").contains("Replayed 1"),
        "the replay is confirmed: {}",
        text(&browser, "main")
    );
    assert!(
        reload_until(&browser, &url("/dlq"), Duration::from_secs(30), || {
            browser.execute("return document.querySelectorAll('tr.letter').length") == 2
        }),
        "the replayed message was consumed again (and failed again): {}",
        text(&browser, "main")
    );
    // Its dead letters written, ratings/0 runs again.
    let state_of = |browser: &Browser, partition: &str| {
        browser.execute(&format!(
            "return [...document.querySelectorAll('#assignments tr')]\
             .filter(r => r.cells.length > 3 && r.cells[2].textContent === '{partition}')\
             .map(r => r.cells[3].textContent).join(',')"
        ))
    };
    assert!(
        reload_until(
            &browser,
            &url("/consumers"),
            Duration::from_secs(20),
            || { state_of(&browser, "ratings/0") == "running" }
        ),
        "ratings/0 shows as running once its dead letter is written: {}",
        text(&browser, "#assignments")
    );
    browser.goto(&url("/errors"));
    assert!(text(&browser, "#errors").contains("consumer.consume.error"));
    screenshot(&browser, "errors");

    // Pause users/0 from Commands: its lag grows; resumed, it drains.
    assert!(
        reload_until(&browser, &url("/commands"), Duration::from_secs(20), || {
            browser.try_find("button.pause-users-0").is_some()
        }),
        "the commands page offers to pause users/0: {}",
        text(&browser, "main")
    );
    submit(&browser, "button.pause-users-0");
    assert!(
        reload_until(&browser, &url("/commands"), Duration::from_secs(30), || {
            text(&browser, "#sent").contains("done")
        }),
        "the process acknowledges the pause: {}\n{}",
        text(&browser, "main"),
        server.process.log()
    );
    for n in 0..3 {
        produce(
            root.path(),
            "users",
            "0",
            &format!(r#"{{"event_name":"paused_{n}","payload":{{}}}}"#),
        );
    }
    let lag = |browser: &Browser| {
        text(browser, "#lag-example-users-0")
            .parse::<i64>()
            .unwrap_or(-1)
    };
    assert!(
        reload_until(
            &browser,
            &url("/consumers"),
            Duration::from_secs(20),
            || lag(&browser) >= 3
        ),
        "the paused partition's lag grows: {}",
        text(&browser, "main")
    );
    assert!(
        reload_until(
            &browser,
            &url("/consumers"),
            Duration::from_secs(10),
            || { text(&browser, "#assignments").contains("paused by command") }
        ),
        "the partition shows as paused: {}",
        text(&browser, "#assignments"),
    );
    screenshot(&browser, "consumers");
    browser.goto(&url("/commands"));
    submit(&browser, "button.resume-users-0");
    assert!(
        reload_until(
            &browser,
            &url("/consumers"),
            Duration::from_secs(40),
            || lag(&browser) == 0
        ),
        "resumed, the lag drains: {}",
        text(&browser, "main")
    );
    browser.goto(&url("/commands"));
    screenshot(&browser, "commands");

    // A read-only UI on the same cluster offers no action and refuses changes.
    let read_only = start(
        root.path(),
        &["web", "--http", "127.0.0.1:0", "--read-only"],
    );
    for path in ["/commands", "/dlq", "/"] {
        browser.goto(&format!("{}{path}", read_only.url));
        assert!(
            browser.try_find("#read-only").is_some(),
            "{path} says read-only"
        );
        assert_eq!(
            browser.execute(
                "return document.querySelectorAll('main button, main form[method=post]').length"
            ),
            0,
            "{path} offers no action"
        );
    }
    assert!(
        reload_until(
            &browser,
            &format!("{}/dlq", read_only.url),
            Duration::from_secs(20),
            || { browser.execute("return document.querySelectorAll('tr.letter').length") == 2 }
        ),
        "the read-only UI shows the dead letters: {}",
        text(&browser, "main")
    );
    assert_eq!(
        post_status(&browser, "/dlq/replay", "one=ratings_dlq/0/0"),
        403
    );
    drop(read_only);
}
