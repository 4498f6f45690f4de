//! Where each configuration value came from, for `info` and for operators
//! wondering why a value is what it is.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// The source of one configuration value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The top level of the configuration file.
    File(PathBuf),
    /// The file's `[environments.<name>]` table (or its `kafka` table).
    EnvironmentTable {
        /// The file.
        file: PathBuf,
        /// The environment's name.
        environment: String,
    },
    /// `${VAR}` references inside a value from `within`.
    Variables {
        /// The variables the value used.
        names: Vec<String>,
        /// Where the value holding the references was written.
        within: Box<Origin>,
    },
    /// A `KARAFKA_*` environment variable such as `KARAFKA_BROKERS`.
    EnvironmentVariable(String),
    /// A command-line flag such as `--env`.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(file) => write!(f, "{}", file.display()),
            Origin::EnvironmentTable { file, environment } => {
                write!(f, "[environments.{environment}] in {}", file.display())
            }
            Origin::Variables { names, within } => {
                let noun = if names.len() == 1 {
                    "variable"
                } else {
                    "variables"
                };
                write!(f, "{noun} {} in {within}", names.join(", "))
            }
            Origin::EnvironmentVariable(name) => write!(f, "environment variable {name}"),
            Origin::Flag(flag) => write!(f, "the {flag} flag"),
        }
    }
}

/// Origins by dotted key (`client_id`, `kafka.sasl.password`); a key that is
/// absent has its built-in default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origins(BTreeMap<String, Origin>);

impl Origins {
    /// Records that `key` came from `origin`.
    pub fn set(&mut self, key: impl Into<String>, origin: Origin) {
        self.0.insert(key.into(), origin);
    }

    /// Where `key` came from; `None`: the built-in default.
    pub fn get(&self, key: &str) -> Option<&Origin> {
        self.0.get(key)
    }

    /// Every key with a recorded origin, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Origin)> {
        self.0.iter().map(|(k, o)| (k.as_str(), o))
    }

    /// Marks that `key`'s value used `names`, keeping where it was written.
    pub(super) fn add_variables(&mut self, key: &str, names: Vec<String>) {
        if let Some(within) = self.0.remove(key) {
            self.0.insert(
                key.to_owned(),
                Origin::Variables {
                    names,
                    within: Box::new(within),
                },
            );
        }
    }
}
