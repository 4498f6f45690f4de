//! An app without any route fails at boot with a message that shows how to add one.

#[test]
fn an_app_without_routes_fails_boot() {
    let error = karafka::App::load().unwrap_err().to_string();
    assert!(error.contains("no active routes"), "{error}");
    assert!(error.contains("karafka::routes!"), "{error}");
}
