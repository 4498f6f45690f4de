//! The karafka-rs example app. Run its server on the embedded broker with
//! `cargo run -p example_app -- server`, then, from a second terminal,
//! `cargo run -p example_app -- respond UsersResponder '{"event_name":"user_created","payload":{"id":1}}'`
//! (or `produce users '<json>'` to send the payload as it is).

mod consumers;
mod karafka_boot;
mod responders;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    karafka::App::load()?
        .listener(karafka::StdoutListener)
        .listener(karafka::ProctitleListener::new())
        .run_cli()
        .await
}
