//! The `[web]` table of `karafka.toml`: whether server processes report to the
//! Web UI's topics, how often, and how the UI guards itself.

use serde::Deserialize;

use crate::redaction::FILTERED;

/// Settings of the Web UI (feature `web`) and of the reports servers send it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// Whether `server` reports its state, errors and command acknowledgements
    /// to the Web UI's topics (`server --web` turns it on too); the topics are
    /// then declared (created at boot in development, by `topics migrate` elsewhere).
    pub enabled: bool,
    /// How often each server process publishes its state report, in milliseconds.
    pub report_interval: u64,
    /// Whether the UI hides every action and refuses every change (`--read-only` too).
    pub read_only: bool,
    /// A token the UI asks for (`Authorization: Bearer <token>`, or `?token=` once in a browser).
    pub token: Option<String>,
    /// With `password`: HTTP basic authentication.
    pub username: Option<String>,
    /// The basic authentication password.
    pub password: Option<String>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            enabled: false,
            report_interval: 5_000,
            read_only: false,
            token: None,
            username: None,
            password: None,
        }
    }
}

impl WebSettings {
    /// Where server processes publish their state reports.
    pub const REPORTS_TOPIC: &'static str = "karafka_consumers_reports";
    /// Where server processes publish their errors.
    pub const ERRORS_TOPIC: &'static str = "karafka_errors";
    /// Where the UI sends commands and server processes acknowledge them.
    pub const COMMANDS_TOPIC: &'static str = "karafka_consumers_commands";
    /// The Web UI's topics.
    pub const TOPICS: [&'static str; 3] = [
        WebSettings::REPORTS_TOPIC,
        WebSettings::ERRORS_TOPIC,
        WebSettings::COMMANDS_TOPIC,
    ];

    /// The first problem with these values, as (`web.<key>`, reason).
    pub(crate) fn problem(&self) -> Option<(&'static str, String)> {
        if self.report_interval == 0 {
            return Some(("web.report_interval", "must be greater than 0".into()));
        }
        if self.username.is_some() != self.password.is_some() {
            return Some((
                "web.password",
                "web.username and web.password are set together (HTTP basic authentication)".into(),
            ));
        }
        if self.token.as_deref().is_some_and(str::is_empty) {
            return Some(("web.token", "must not be empty".into()));
        }
        None
    }
}

impl std::fmt::Debug for WebSettings {
    /// The token and password show as `[FILTERED]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| FILTERED);
        f.debug_struct("WebSettings")
            .field("enabled", &self.enabled)
            .field("report_interval", &self.report_interval)
            .field("read_only", &self.read_only)
            .field("token", &hidden(&self.token))
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token_or_password() {
        let settings = WebSettings {
            token: Some("sentinel-token".into()),
            username: Some("admin".into()),
            password: Some("sentinel-pw".into()),
            ..WebSettings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("sentinel"), "{shown}");
        assert!(shown.contains("admin"), "{shown}");
    }

    #[test]
    fn a_username_without_a_password_is_a_problem() {
        let settings = WebSettings {
            username: Some("admin".into()),
            ..WebSettings::default()
        };
        assert_eq!(settings.problem().map(|p| p.0), Some("web.password"));
    }
}
