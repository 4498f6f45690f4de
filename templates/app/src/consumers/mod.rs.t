//! The app's consumers, one per routed topic.

mod example_consumer;

pub use example_consumer::{ExampleConsumer, ExampleEvent};
