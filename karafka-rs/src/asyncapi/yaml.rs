//! A JSON value written as block-style YAML (what `asyncapi --format yaml` prints).
//!
//! Strings are written as YAML double-quoted scalars with JSON's escapes (a
//! subset of YAML's), so no string can be read back as another type; keys that
//! are plain words stay unquoted.

use serde_json::Value;

/// `value` as a YAML document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        push_indent(out, indent);
        out.push_str(&key_text(key));
        out.push(':');
        write_nested(out, value, indent + 2);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        push_indent(out, indent);
        out.push('-');
        match item {
            // A map's first entry follows the dash; the rest align with it.
            Value::Object(map) if !map.is_empty() => {
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        push_indent(out, indent + 2);
                    }
                    out.push_str(&key_text(key));
                    out.push(':');
                    write_nested(out, value, indent + 4);
                }
            }
            other => write_nested(out, other, indent + 2),
        }
    }
}

/// What follows `key:` or `-`: a scalar on the same line, or a block below.
fn write_nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        // JSON's string syntax is valid YAML double-quoted syntax.
        Value::String(_) | Value::Bool(_) | Value::Number(_) => value.to_string(),
    }
}

/// A key unquoted when it is a plain word YAML reads back as that string.
fn key_text(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        key.to_owned()
    } else {
        Value::String(key.to_owned()).to_string()
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_yaml;

    #[test]
    fn nested_maps_and_sequences_are_written_as_blocks() {
        let value = json!({
            "asyncapi": "3.0.0",
            "channels": { "rating-averages": { "address": "rating-averages" } },
            "list": [{ "a": 1, "b": [true, null] }, "x", []],
            "$ref": "#/x",
            "yes": "no",
            "empty": {}
        });
        assert_eq!(
            to_yaml(&value),
            "\"$ref\": \"#/x\"\nasyncapi: \"3.0.0\"\nchannels:\n  rating-averages:\n    address: \"rating-averages\"\nempty: {}\nlist:\n  - a: 1\n    b:\n      - true\n      - null\n  - \"x\"\n  - []\n\"yes\": \"no\"\n"
        );
    }
}
