//! {{ name }}: a karafka-rs application. Its binary is its command line:
//! `cargo karafka server` runs the consumers, `cargo karafka --help` lists the rest.

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
