//! Figures as JSON lines on stdout.

/// Prints `{"name":..,"value":..,"unit":..}` on one line.
pub fn figure(name: &str, value: f64, unit: &str) {
    let line =
        serde_json::json!({ "name": name, "value": (value * 10.0).round() / 10.0, "unit": unit });
    println!("{line}");
}
