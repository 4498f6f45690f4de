//! The example app's consumers, one per routed topic.

mod user_activity_consumer;
mod users_consumer;

pub use user_activity_consumer::UserActivityConsumer;
pub use users_consumer::{UserEvent, UsersConsumer};
