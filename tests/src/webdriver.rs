//! A small WebDriver client (the W3C protocol, JSON over HTTP) driving headless
//! Chromium through chromedriver, for browser tests of an app's pages.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::http::request;
use crate::{free_port, wait_until};

/// Where Debian's `chromium` package installs the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Where Debian's `chromium-driver` package installs chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key W3C WebDriver gives element references under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver, killed when dropped.
pub struct ChromeDriver {
    child: Child,
    address: String,
}

impl ChromeDriver {
    /// Starts chromedriver on a free port and waits until it answers.
    pub fn start() -> ChromeDriver {
        for needed in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(needed).exists(),
                "{needed} is missing: install Debian's chromium and chromium-driver (scripts/test does)"
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let address = format!("127.0.0.1:{port}");
        let driver = ChromeDriver { child, address };
        assert!(
            wait_until(Duration::from_secs(20), || {
                request(&driver.address, "GET", "/status", None)
                    .is_ok_and(|(status, _)| status == 200)
            }),
            "chromedriver answers on {}",
            driver.address
        );
        driver
    }

    /// Opens a headless Chromium with a fresh profile in `profile`.
    pub fn session(&self, profile: &Path) -> Browser {
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        format!("--user-data-dir={}", profile.display()),
                    ],
                },
            }},
        });
        let value = call(&self.address, "POST", "/session", Some(capabilities));
        let id = value["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a session id in {value}"))
            .to_owned();
        Browser {
            driver: self.address.clone(),
            session: format!("/session/{id}"),
        }
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session; closed when dropped.
pub struct Browser {
    driver: String,
    session: String,
}

/// An element of the current page.
pub struct Element(String);

impl Browser {
    /// Loads `url` (and waits for the page's load event).
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// The element matching a CSS selector, waiting up to `timeout` for it.
    pub fn find(&self, selector: &str, timeout: Duration) -> Element {
        let mut found = None;
        wait_until(timeout, || {
            found = self.try_find(selector);
            found.is_some()
        });
        found.unwrap_or_else(|| panic!("no element matches {selector}"))
    }

    /// The element matching a CSS selector, if there is one now.
    pub fn try_find(&self, selector: &str) -> Option<Element> {
        let body = json!({ "using": "css selector", "value": selector });
        let (status, value) = self.raw("POST", "/element", Some(body));
        (status == 200).then(|| Element(value[ELEMENT].as_str().unwrap_or_default().to_owned()))
    }

    /// Clicks `element` as a user would.
    pub fn click(&self, element: &Element) {
        self.call(
            "POST",
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        );
    }

    /// The rendered text of `element`.
    pub fn text(&self, element: &Element) -> String {
        let value = self.call("GET", &format!("/element/{}/text", element.0), None);
        value.as_str().unwrap_or_default().to_owned()
    }

    /// Runs `script` in the page and returns its result.
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// Resizes the window (the viewport screenshots show).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        );
    }

    /// Saves a PNG of what the window shows to `path`.
    pub fn screenshot(&self, path: &Path) {
        let value = self.call("GET", "/screenshot", None);
        let png = base64_decode(value.as_str().unwrap_or_default());
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        call(
            &self.driver,
            method,
            &format!("{}{path}", self.session),
            body,
        )
    }

    fn raw(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        raw(
            &self.driver,
            method,
            &format!("{}{path}", self.session),
            body,
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = request(&self.driver, "DELETE", &self.session, None);
    }
}

/// A WebDriver command that must succeed; returns its `value`.
fn call(driver: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, value) = raw(driver, method, path, body);
    assert_eq!(status, 200, "WebDriver {method} {path}: {value}");
    value
}

fn raw(driver: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    let (status, text) = request(driver, method, path, body.as_deref())
        .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
    let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, parsed["value"].clone())
}

/// Standard base64 (what WebDriver sends screenshots as) to bytes.
fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0);
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}
