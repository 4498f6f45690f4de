//! Loading a configuration: the file (`--config`, `KARAFKA_CONFIG` or
//! `<root>/karafka.toml`), its `[environments.<env>]` table merged over the top
//! level, `${VAR}` references expanded, `KARAFKA_*` overrides applied, and
//! where every value came from recorded.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

use super::interpolate::expand;
use super::origins::{Origin, Origins};
use super::{first_line, unknown_key, Config, CONFIG_FILE};
use crate::error::{Error, Result};

/// Which file and environment to load, when chosen on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// The configuration file (`--config`); else `KARAFKA_CONFIG`, else `<root>/karafka.toml`.
    pub file: Option<PathBuf>,
    /// The environment (`--env`); else `KARAFKA_ENV`, else the file's `environment`.
    pub environment: Option<String>,
}

impl LoadOptions {
    /// `--config PATH` and `--env NAME` (or `--config=PATH`, `--env=NAME`) from
    /// this process's command line, so they apply before anything is loaded.
    pub fn from_command_line() -> LoadOptions {
        LoadOptions::from_args(std::env::args().skip(1))
    }

    /// [`LoadOptions::from_command_line`] over given arguments.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> LoadOptions {
        let mut options = LoadOptions::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--" {
                break;
            }
            for (flag, slot) in [("--config", 0), ("--env", 1)] {
                let value = if arg == flag {
                    args.next()
                } else {
                    arg.strip_prefix(flag)
                        .and_then(|rest| rest.strip_prefix('='))
                        .map(str::to_owned)
                };
                if let Some(value) = value {
                    match slot {
                        0 => options.file = Some(PathBuf::from(value)),
                        _ => options.environment = Some(value),
                    }
                }
            }
        }
        options
    }
}

/// Reads the configuration file chosen by `options` (or `lookup("KARAFKA_CONFIG")`,
/// else `<root>/karafka.toml`, which may be absent) and loads it.
pub(super) fn load(
    root: &Path,
    options: &LoadOptions,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let explicit = options
        .file
        .clone()
        .or_else(|| lookup("KARAFKA_CONFIG").map(PathBuf::from));
    let path = explicit.clone().unwrap_or_else(|| root.join(CONFIG_FILE));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => None,
        Err(e) => {
            return Err(Error::io(
                format!("reading the configuration file {}", path.display()),
                e,
            ))
        }
    };
    from_text(
        text.as_deref(),
        &path,
        options.environment.as_deref(),
        lookup,
    )
}

/// Loads `text` (`None`: no file, defaults only) read from `path`.
pub(super) fn from_text(
    text: Option<&str>,
    path: &Path,
    environment: Option<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Config> {
    let fail = |key: String, reason: String| Error::Config {
        file: path.to_owned(),
        key,
        reason,
    };
    let mut table: Table = match text {
        Some(text) => text
            .parse()
            .map_err(|e: toml::de::Error| fail("(syntax)".into(), first_line(e.message())))?,
        None => Table::new(),
    };
    let mut origins = Origins::default();
    let file = Origin::File(path.to_owned());
    for (key, value) in &table {
        match (key.as_str(), value) {
            ("environments", _) => {}
            ("kafka", Value::Table(kafka)) => {
                for name in kafka.keys() {
                    origins.set(format!("kafka.{name}"), file.clone());
                }
            }
            _ => origins.set(key.clone(), file.clone()),
        }
    }

    let (env, env_origin) = match (environment, lookup("KARAFKA_ENV")) {
        (Some(env), _) => (env.to_owned(), Some(Origin::Flag("--env".into()))),
        (None, Some(env)) => (env, Some(Origin::EnvironmentVariable("KARAFKA_ENV".into()))),
        (None, None) => match table.get("environment") {
            Some(Value::String(env)) => (env.clone(), Some(file.clone())),
            _ => ("development".to_owned(), None),
        },
    };
    if let Some(environments) = table.remove("environments") {
        let Value::Table(environments) = environments else {
            return Err(fail(
                "environments".into(),
                "must be a table of `[environments.<name>]` tables".into(),
            ));
        };
        for (name, settings) in environments {
            let Value::Table(settings) = settings else {
                return Err(fail(
                    format!("environments.{name}"),
                    "must be a table of settings".into(),
                ));
            };
            if name == env {
                merge(&mut table, settings, &env, path, &mut origins)
                    .map_err(|(k, r)| fail(k, r))?;
            }
        }
    }
    table.insert("environment".into(), Value::String(env.clone()));
    if let Some(origin) = env_origin {
        origins.set("environment", origin);
    }

    for (key, value) in table.iter_mut() {
        let shown = shown_key(key, &origins, &env);
        if key == "kafka" {
            if let Value::Table(kafka) = value {
                for (name, value) in kafka.iter_mut() {
                    let dotted = format!("kafka.{name}");
                    let shown = shown_key(&dotted, &origins, &env);
                    let used = expand_value(value, lookup).map_err(|r| fail(shown, r))?;
                    if !used.is_empty() {
                        origins.add_variables(&dotted, used);
                    }
                }
            }
            continue;
        }
        let used = expand_value(value, lookup).map_err(|r| fail(shown, r))?;
        if !used.is_empty() {
            origins.add_variables(key, used);
        }
    }

    let mut config: Config =
        serde_path_to_error::deserialize(Value::Table(table)).map_err(|e| {
            let key = e.path().to_string();
            fail(
                if key == "." {
                    unknown_key(e.inner())
                } else {
                    key
                },
                first_line(e.inner().message()),
            )
        })?;
    config.source = text.map(|_| path.to_owned());
    config.apply_overrides(lookup, &mut origins)?;
    config.origins = origins;
    config.validate()?;
    Ok(config)
}

/// Merges the settings of environment `env` over the top level; its `kafka`
/// table merges key by key into `[kafka]`.
fn merge(
    table: &mut Table,
    settings: Table,
    env: &str,
    path: &Path,
    origins: &mut Origins,
) -> std::result::Result<(), (String, String)> {
    let origin = Origin::EnvironmentTable {
        file: path.to_owned(),
        environment: env.to_owned(),
    };
    for (key, value) in settings {
        match (key.as_str(), value) {
            ("environment" | "environments", _) => {
                return Err((
                    format!("environments.{env}.{key}"),
                    "cannot be set inside an environment's table".into(),
                ))
            }
            ("kafka", Value::Table(kafka)) => {
                let target = table
                    .entry("kafka")
                    .or_insert_with(|| Value::Table(Table::new()));
                let Value::Table(target) = target else {
                    return Err(("kafka".into(), "must be a table".into()));
                };
                for (name, value) in kafka {
                    origins.set(format!("kafka.{name}"), origin.clone());
                    target.insert(name, value);
                }
            }
            ("kafka", _) => {
                return Err((
                    format!("environments.{env}.kafka"),
                    "must be a table".into(),
                ))
            }
            (_, value) => {
                origins.set(key.clone(), origin.clone());
                table.insert(key, value);
            }
        }
    }
    Ok(())
}

/// `key` as the user wrote it: inside `[environments.<env>]` when it came from there.
fn shown_key(key: &str, origins: &Origins, env: &str) -> String {
    match origins.get(key) {
        Some(Origin::EnvironmentTable { .. }) => format!("environments.{env}.{key}"),
        _ => key.to_owned(),
    }
}

/// Expands `${VAR}` in every string of `value`; returns the variables used.
fn expand_value(
    value: &mut Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> std::result::Result<Vec<String>, String> {
    match value {
        Value::String(text) if text.contains('$') => {
            let (expanded, used) = expand(text, lookup)?;
            *text = expanded;
            Ok(used)
        }
        Value::Array(items) => {
            let mut used = Vec::new();
            for item in items {
                used.extend(expand_value(item, lookup)?);
            }
            Ok(used)
        }
        Value::Table(table) => {
            let mut used = Vec::new();
            for (_, item) in table.iter_mut() {
                used.extend(expand_value(item, lookup)?);
            }
            Ok(used)
        }
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "SASL_PASSWORD" => Some("s3cret".into()),
            "BROKER_HOST" => Some("kafka.internal".into()),
            _ => None,
        }
    }

    const FILE: &str = r#"
client_id = "shop"
brokers = ["localhost:9092"]
concurrency = 2
[kafka]
"session.timeout.ms" = 6000
"sasl.username" = "dev"

[environments.production]
brokers = ["${BROKER_HOST}:9092"]
concurrency = 8
[environments.production.kafka]
"sasl.password" = "${SASL_PASSWORD}"
"security.protocol" = "${PROTOCOL:-sasl_ssl}"
"#;

    fn load(environment: Option<&str>) -> Result<Config> {
        from_text(
            Some(FILE),
            Path::new("app/karafka.toml"),
            environment,
            &lookup,
        )
    }

    #[test]
    fn the_environment_table_overrides_the_top_level_and_merges_kafka() {
        let config = load(Some("production")).unwrap();
        assert_eq!(config.environment, "production");
        assert_eq!(config.brokers, ["kafka.internal:9092"]);
        assert_eq!(config.concurrency, 8);
        assert_eq!(config.client_id, "shop");
        let kafka: Vec<String> = config
            .kafka
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            kafka,
            [
                "sasl.password=s3cret",
                "sasl.username=dev",
                "security.protocol=sasl_ssl",
                "session.timeout.ms=6000"
            ]
        );
        assert_eq!(
            config
                .origins
                .get("kafka.sasl.password")
                .unwrap()
                .to_string(),
            "variable SASL_PASSWORD in [environments.production] in app/karafka.toml"
        );
        assert_eq!(
            config.origins.get("concurrency").unwrap().to_string(),
            "[environments.production] in app/karafka.toml"
        );
        assert_eq!(
            config.origins.get("client_id").unwrap().to_string(),
            "app/karafka.toml"
        );
        assert_eq!(
            config.origins.get("environment").unwrap().to_string(),
            "the --env flag"
        );
    }

    #[test]
    fn other_environments_tables_are_ignored_with_their_variables() {
        let config = load(None).unwrap();
        assert_eq!(config.environment, "development");
        assert_eq!(config.concurrency, 2);
        assert!(!config.kafka.contains_key("sasl.password"));
    }

    #[test]
    fn an_unset_variable_is_an_error_naming_the_key_and_the_variable() {
        let text = "[environments.production.kafka]\n\"sasl.password\" = \"${NOPE}\"\n";
        let error = from_text(
            Some(text),
            Path::new("karafka.toml"),
            Some("production"),
            &lookup,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("key `environments.production.kafka.sasl.password`"),
            "{error}"
        );
        assert!(error.contains("NOPE is not set"), "{error}");
    }

    #[test]
    fn command_line_flags_are_found_before_the_subcommand_parses() {
        let args = ["--config=prod.toml", "server", "--env", "production"];
        let options = LoadOptions::from_args(args.map(String::from));
        assert_eq!(options.file, Some(PathBuf::from("prod.toml")));
        assert_eq!(options.environment.as_deref(), Some("production"));
        let after = LoadOptions::from_args(["--", "--env", "x"].map(String::from));
        assert_eq!(after, LoadOptions::default());
    }
}
