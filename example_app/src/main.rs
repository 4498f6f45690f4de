//! The example app's binary: its command line (`server`, `produce`, `respond`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    example_app::load()?
        .listener(karafka::StdoutListener)
        .listener(karafka::ProctitleListener::new())
        .run_cli()
        .await
}
