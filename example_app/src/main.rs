//! The karafka-rs example app. Run its server on the embedded broker with
//! `cargo run -p example_app -- server`, then, from a second terminal,
//! `cargo run -p example_app -- produce users '{"event_name":"user_created","payload":{"id":1}}'`.

mod consumers;
mod karafka_boot;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::App::load()?
        .listener(karafka::StdoutListener)
        .listener(karafka::ProctitleListener::new())
        .run_cli()
        .await
}
