//! The app's responders: typed producers, one per kind of output.

mod example_responder;

// App code calls it as `ExampleResponder.call(&event).await?`; the command line
// as `cargo karafka respond ExampleResponder '<json>'`.
#[allow(unused_imports)]
pub use example_responder::ExampleResponder;
