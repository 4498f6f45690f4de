//! Building the pages: escaping (every value from Kafka or a report goes
//! through [`esc`]), the layout with its navigation, and small pieces.

use std::fmt::Write as _;

/// The pages of the navigation: path and title.
pub(crate) const PAGES: &[(&str, &str)] = &[
    ("/", "Dashboard"),
    ("/consumers", "Consumers"),
    ("/jobs", "Jobs"),
    ("/routing", "Routing"),
    ("/errors", "Errors"),
    ("/topics", "Topics"),
    ("/explorer", "Explorer"),
    ("/dlq", "Dead letters"),
    ("/commands", "Commands"),
];

/// `text` safe inside HTML text and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` safe inside a URL path segment or query value.
pub(crate) fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
    out
}

/// What every page shares: the app's name, whether actions show, the CSRF token.
#[derive(Clone)]
pub(crate) struct Frame {
    /// Where the UI is mounted (`""` at the root, `/karafka` when nested there).
    pub(crate) base: String,
    pub(crate) client_id: String,
    pub(crate) read_only: bool,
    pub(crate) csrf: String,
}

impl Frame {
    /// The address of the UI's `path` (which starts with `/`), escaped for an attribute.
    pub(crate) fn href(&self, path: &str) -> String {
        esc(&format!("{}{path}", self.base))
    }

    /// A whole page: `body` under the navigation, `active` highlighted.
    pub(crate) fn page(&self, active: &str, title: &str, body: &str) -> String {
        let mut nav = String::new();
        for (path, name) in PAGES {
            let class = if *path == active {
                " class=\"active\""
            } else {
                ""
            };
            let _ = write!(nav, "<a href=\"{}\"{class}>{name}</a>", self.href(path));
        }
        let mode = if self.read_only {
            "<span class=\"badge\" id=\"read-only\">read-only</span>"
        } else {
            ""
        };
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · {app} · Karafka</title>\
             <link rel=\"stylesheet\" href=\"{css}\"></head>\
             <body><header><span class=\"brand\">karafka-rs</span><span class=\"app\">{app}</span>{mode}\
             <nav>{nav}</nav></header><main><h1>{title}</h1>{body}</main>\
             <script src=\"{js}\"></script></body></html>",
            css = self.href("/assets/style.css"),
            js = self.href("/assets/refresh.js"),
            title = esc(title),
            app = esc(&self.client_id),
        )
    }

    /// A POST form of one button (nothing in read-only mode).
    pub(crate) fn button(
        &self,
        action: &str,
        fields: &[(&str, &str)],
        label: &str,
        class: &str,
    ) -> String {
        if self.read_only {
            return String::new();
        }
        let mut hidden = String::new();
        for (name, value) in fields {
            let _ = write!(
                hidden,
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(name),
                esc(value)
            );
        }
        format!(
            "<form method=\"post\" action=\"{}\" class=\"inline\">{hidden}\
             <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\" class=\"{}\">{}</button></form>",
            self.href(action),
            esc(&self.csrf),
            esc(class),
            esc(label)
        )
    }
}

/// A table of `rows` under `headers`; the cells are HTML already.
pub(crate) fn table(id: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    if rows.is_empty() {
        return format!("<p class=\"empty\" id=\"{}\">Nothing yet.</p>", esc(id));
    }
    let mut out = format!("<table id=\"{}\"><thead><tr>", esc(id));
    for header in headers {
        let _ = write!(out, "<th>{}</th>", esc(header));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A time in ms since the Unix epoch as `HH:MM:SS` UTC, with the full date in a tooltip.
pub(crate) fn time(ms: i64) -> String {
    let full = crate::admin::time::format_millis(ms);
    let clock = full.get(11..19).unwrap_or(&full).to_owned();
    format!("<time title=\"{}\">{}</time>", esc(&full), esc(&clock))
}

/// How long ago `ms` was, in words.
pub(crate) fn ago(ms: i64) -> String {
    let seconds = (super::report::now_ms() - ms).max(0) / 1000;
    match seconds {
        0..=59 => format!("{seconds}s"),
        60..=3599 => format!("{}m {}s", seconds / 60, seconds % 60),
        _ => format!("{}h {}m", seconds / 3600, seconds % 3600 / 60),
    }
}

/// A payload for display: pretty JSON when it is JSON, else the text.
pub(crate) fn pretty(payload: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(value) if value.is_object() || value.is_array() => {
            serde_json::to_string_pretty(&value).unwrap_or_default()
        }
        _ => String::from_utf8_lossy(payload).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(url("a b/c?d"), "a%20b%2Fc%3Fd");
    }

    #[test]
    fn read_only_pages_have_no_buttons() {
        let frame = Frame {
            base: String::new(),
            client_id: "app".into(),
            read_only: true,
            csrf: "t".into(),
        };
        assert!(frame.button("/x", &[], "Go", "").is_empty());
        let writable = Frame {
            read_only: false,
            ..frame
        };
        assert!(writable
            .button("/x", &[("a", "<b>")], "Go", "")
            .contains("&lt;b&gt;"));
    }
}
