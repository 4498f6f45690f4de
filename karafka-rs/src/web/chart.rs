//! Line charts drawn on the server as SVG: no script, no library.

use std::fmt::Write as _;

use super::html::esc;

const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 160.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 10.0;

/// A line chart of `points` (x: ms since the epoch, y: value) titled `title`.
pub(crate) fn line(id: &str, title: &str, points: &[(i64, f64)]) -> String {
    let mut svg = format!(
        "<figure class=\"chart\"><figcaption>{}</figcaption>\
         <svg id=\"{}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        esc(title),
        esc(id),
        esc(title)
    );
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let top = nice_ceiling(max);
    for i in 0..=4 {
        let y = TOP + plot_h * f64::from(i) / 4.0;
        let value = top * f64::from(4 - i) / 4.0;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            WIDTH - 8.0,
            LEFT - 6.0,
            y + 4.0,
            short(value)
        );
    }
    if points.len() < 2 {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">waiting for reports</text>",
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    } else {
        let first = points[0].0;
        let span = (points[points.len() - 1].0 - first).max(1) as f64;
        let coordinates: Vec<String> = points
            .iter()
            .map(|(x, y)| {
                let px = LEFT + plot_w * (*x - first) as f64 / span;
                let py = TOP + plot_h * (1.0 - y / top);
                format!("{px:.1},{py:.1}")
            })
            .collect();
        let _ = write!(
            svg,
            "<polyline class=\"series\" points=\"{}\"/>\
             <text class=\"axis\" x=\"{LEFT}\" y=\"{}\">{}</text>\
             <text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">now</text>",
            coordinates.join(" "),
            HEIGHT - 4.0,
            esc(&format!("{}s ago", (span / 1000.0).round())),
            WIDTH - 8.0,
            HEIGHT - 4.0
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The smallest of 1, 2, 5 × 10^n at or above `value` (at least 1).
fn nice_ceiling(value: f64) -> f64 {
    let mut step = 1.0;
    loop {
        for factor in [1.0, 2.0, 5.0] {
            if step * factor >= value {
                return step * factor;
            }
        }
        step *= 10.0;
    }
}

fn short(value: f64) -> String {
    if value >= 1_000_000.0 {
        format!("{:.1}M", value / 1_000_000.0)
    } else if value >= 1_000.0 {
        format!("{:.1}k", value / 1_000.0)
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_rounds_up_to_one_two_or_five() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
    }

    #[test]
    fn a_series_becomes_a_polyline_spanning_the_plot() {
        let svg = line("c", "Messages/s", &[(0, 0.0), (5_000, 10.0), (10_000, 5.0)]);
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(
            svg.contains("48.0,140.0"),
            "the first point at the origin: {svg}"
        );
        assert!(
            svg.contains("552.0,"),
            "the last point at the right edge: {svg}"
        );
        assert!(line("c", "t", &[]).contains("waiting for reports"));
    }
}
