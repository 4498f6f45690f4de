//! Figures as JSON lines on stdout.

/// Prints `{"name":..,"value":..,"unit":..}` on one line; values under 10 keep
/// two decimals (ratios, milliseconds), larger ones one.
pub fn figure(name: &str, value: f64, unit: &str) {
    let scale = if value.abs() < 10.0 { 100.0 } else { 10.0 };
    let line = serde_json::json!({
        "name": name,
        "value": (value * scale).round() / scale,
        "unit": unit
    });
    println!("{line}");
}
