//! Output for people: colours only when stdout is a terminal (and `NO_COLOR` is
//! unset), and plain aligned tables.

use std::io::IsTerminal;

/// ANSI styles the CLI uses.
#[derive(Debug, Clone, Copy)]
pub(super) enum Paint {
    Bold,
    Green,
    Yellow,
    Dim,
}

/// `text` in `paint` on a terminal, as it is otherwise.
pub(super) fn paint(text: &str, paint: Paint) -> String {
    if !colours() {
        return text.to_owned();
    }
    let code = match paint {
        Paint::Bold => "1",
        Paint::Green => "32",
        Paint::Yellow => "33",
        Paint::Dim => "2",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn colours() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Rows under a bold header, each column as wide as its widest cell.
pub(super) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| visible_width(h)).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(visible_width(cell));
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            text.push_str(cell);
            if i < last {
                let pad = width - visible_width(cell) + 2;
                text.push_str(&" ".repeat(pad));
            }
        }
        text.trim_end().to_owned()
    };
    let head = line(header.iter().map(|h| h.to_string()).collect());
    let mut out = paint(&head, Paint::Bold);
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.clone()));
        out.push('\n');
    }
    out
}

/// Characters of `text` a terminal shows: ANSI colour sequences take no room.
fn visible_width(text: &str) -> usize {
    let mut width = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            width += 1;
        }
    }
    width
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let text = super::table(
            &["GROUP", "TOPIC"],
            &[
                vec!["example".into(), "users".into()],
                vec!["a".into(), "rating-averages".into()],
            ],
        );
        assert_eq!(
            text,
            "GROUP    TOPIC\nexample  users\na        rating-averages\n"
        );
    }

    #[test]
    fn colour_sequences_take_no_width() {
        assert_eq!(super::visible_width("\x1b[32mStable\x1b[0m"), 6);
    }
}
