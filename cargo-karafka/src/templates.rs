//! The files `install` writes, embedded from the repository's `templates/app/`
//! and rendered with the app's name.

/// A template: where it goes in the app, and its text.
pub(crate) struct Template {
    /// Path in the app, relative to its root.
    pub(crate) path: &'static str,
    /// The text, with `{{ name }}` placeholders.
    pub(crate) text: &'static str,
}

macro_rules! template {
    ($path:literal) => {
        Template {
            path: $path,
            text: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/templates/app/",
                $path,
                ".t"
            )),
        }
    };
}

/// Every file of the app layout.
pub(crate) const FILES: &[Template] = &[
    template!("karafka.toml"),
    template!("src/main.rs"),
    template!("src/karafka_boot.rs"),
    template!("src/consumers/mod.rs"),
    template!("src/consumers/example_consumer.rs"),
    template!("src/responders/mod.rs"),
    template!("src/responders/example_responder.rs"),
];

/// The template's text with every `{{ name }}` replaced by the app's name.
pub(crate) fn render(template: &Template, name: &str) -> String {
    template.text.replace("{{ name }}", name)
}

/// What `cargo new` writes as `src/main.rs`: a placeholder, replaced like a missing file.
pub(crate) const CARGO_NEW_MAIN: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";
