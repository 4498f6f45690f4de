//! `${VAR}` and `${VAR:-default}` in string values of `karafka.toml`, so that
//! secrets come from the environment; `$${` stands for a literal `${`.

/// `text` with every `${VAR}` replaced by `lookup(VAR)` and every
/// `${VAR:-default}` by the variable or, when it is unset or empty, `default`.
/// Returns the expanded text and the variables it used; an unset variable
/// without a default is an error naming it.
pub(super) fn expand(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(text.len());
    let mut used = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let end = after
                .find('}')
                .ok_or_else(|| format!("`${{` without a closing `}}` in {text:?}"))?;
            let inner = &after[..end];
            let (name, default) = match inner.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (inner, None),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!(
                    "`${{{inner}}}` does not name an environment variable (letters, digits and _)"
                ));
            }
            let value = match (lookup(name), default) {
                (Some(value), Some(default)) if value.is_empty() => default.to_owned(),
                (Some(value), _) => value,
                (None, Some(default)) => default.to_owned(),
                (None, None) => {
                    return Err(format!(
                        "the environment variable {name} is not set (write ${{{name}:-default}} to give a default)"
                    ))
                }
            };
            out.push_str(&value);
            used.push(name.to_owned());
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok((out, used))
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "USER" => Some("ada".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_and_defaults_are_expanded() {
        let (text, used) = expand("${USER}:${PORT:-9092}/${EMPTY:-x}$5", &lookup).unwrap();
        assert_eq!(text, "ada:9092/x$5");
        assert_eq!(used, ["USER", "PORT", "EMPTY"]);
        assert_eq!(expand("$${USER}", &lookup).unwrap().0, "${USER}");
    }

    #[test]
    fn an_unset_variable_without_default_is_named() {
        let error = expand("pw-${SASL_PASSWORD}", &lookup).unwrap_err();
        assert!(error.contains("SASL_PASSWORD is not set"), "{error}");
        assert!(expand("${NOT CLOSED", &lookup).is_err());
        assert!(expand("${a-b}", &lookup).is_err());
    }
}
