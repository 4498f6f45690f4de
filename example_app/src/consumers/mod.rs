//! The example app's consumers, one per routed topic.

mod users_consumer;

pub use users_consumer::UsersConsumer;
