//! The example app's responders: typed producers, one per kind of output.

mod rating_averages_responder;
mod ratings_responder;
mod rfid_responder;
mod sensor_responder;
mod user_activity_responder;
mod users_responder;

pub use rating_averages_responder::RatingAveragesResponder;
pub use ratings_responder::RatingsResponder;
pub use rfid_responder::RfidResponder;
pub use sensor_responder::SensorResponder;
pub use user_activity_responder::UserActivityResponder;
pub use users_responder::UsersResponder;
