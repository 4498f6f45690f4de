//! The example app's responders: typed producers, one per kind of output.

mod rating_averages_responder;
mod ratings_responder;
mod user_activity_responder;
mod users_responder;

pub use rating_averages_responder::RatingAveragesResponder;
pub use ratings_responder::RatingsResponder;
pub use user_activity_responder::UserActivityResponder;
pub use users_responder::UsersResponder;
