//! The example app's consumers, one per routed topic.

mod rating_averages_consumer;
mod ratings_consumer;
mod rfid_consumer;
mod sensor_consumer;
mod user_activity_consumer;
mod users_consumer;

pub use rating_averages_consumer::RatingAveragesConsumer;
pub use ratings_consumer::RatingsConsumer;
pub use rfid_consumer::{EarlyUnload, RfidConsumer};
pub use sensor_consumer::{SensorConsumer, MAX_TEMPERATURE};
pub use user_activity_consumer::UserActivityConsumer;
pub use users_consumer::{UserEvent, UsersConsumer};
