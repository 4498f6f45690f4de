//! Checks across the parsed routes: Kafka names, duplicate topics, empty blocks.
//!
//! Every problem is reported at once, each spanned on the offending name.

use std::collections::HashSet;

use proc_macro2::Span;
use syn::{Error, Result};

use super::parse::{Name, Routes};

/// Longest topic or consumer group name Kafka accepts.
const MAX_NAME_LEN: usize = 249;

/// Checks `routes`, combining every problem found into one error.
pub(crate) fn routes(routes: &Routes) -> Result<()> {
    if routes.groups.is_empty() {
        let message = "`routes!` needs at least one `consumer_group <name> { ... }`";
        return Err(Error::new(Span::call_site(), message));
    }
    let mut errors = Vec::new();
    for group in &routes.groups {
        check_name(&group.name, "consumer group", &mut errors);
        if group.topics.is_empty() {
            let message = format!(
                "consumer group `{}` has no topics; add `topic <name> {{ consumer: <Type> }}`",
                group.name.value
            );
            errors.push(Error::new(group.name.span, message));
        }
        let mut seen = HashSet::new();
        for topic in &group.topics {
            check_name(&topic.name, "topic", &mut errors);
            if !seen.insert(topic.name.value.as_str()) {
                let message = format!(
                    "topic `{}` is routed twice in consumer group `{}`",
                    topic.name.value, group.name.value
                );
                errors.push(Error::new(topic.name.span, message));
            }
        }
    }
    match errors.into_iter().reduce(|mut all, next| {
        all.combine(next);
        all
    }) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Records an error if `name` (of a `kind`) is not a legal Kafka name.
fn check_name(name: &Name, kind: &str, errors: &mut Vec<Error>) {
    if let Some(problem) = kafka_name_problem(&name.value) {
        let message = format!("invalid {kind} name {:?}: {problem}", name.value);
        errors.push(Error::new(name.span, message));
    }
}

/// Why `name` is not a legal Kafka topic / consumer group name, if it is not.
fn kafka_name_problem(name: &str) -> Option<String> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() {
        Some("a name must not be empty".to_owned())
    } else if let Some(c) = name.chars().find(|&c| !legal(c)) {
        Some(format!(
            "{c:?} is not allowed; Kafka names may only contain ASCII letters, digits, `.`, `_` and `-`"
        ))
    } else if name == "." || name == ".." {
        Some("`.` and `..` are reserved by Kafka".to_owned())
    } else if name.len() > MAX_NAME_LEN {
        Some(format!(
            "it is {} characters long; Kafka allows at most {MAX_NAME_LEN}",
            name.len()
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::kafka_name_problem;

    #[test]
    fn accepts_letters_digits_dots_underscores_and_dashes() {
        assert_eq!(kafka_name_problem("rating-averages.v2_eu"), None);
    }

    #[test]
    fn accepts_a_name_of_exactly_249_characters() {
        assert_eq!(kafka_name_problem(&"a".repeat(249)), None);
    }

    #[test]
    fn rejects_a_name_longer_than_249_characters() {
        let problem = kafka_name_problem(&"a".repeat(250)).unwrap();
        assert!(problem.contains("250 characters"), "{problem}");
    }

    #[test]
    fn rejects_an_empty_name() {
        assert!(kafka_name_problem("").is_some());
    }

    #[test]
    fn rejects_dot_and_dot_dot() {
        assert!(kafka_name_problem(".").is_some());
        assert!(kafka_name_problem("..").is_some());
    }

    #[test]
    fn rejects_spaces_slashes_and_non_ascii_letters() {
        for name in ["rating averages", "a/b", "café"] {
            assert!(kafka_name_problem(name).is_some(), "{name}");
        }
    }
}
