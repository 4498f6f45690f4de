//! The example app's responders: typed producers, one per kind of output.

mod user_activity_responder;
mod users_responder;

pub use user_activity_responder::UserActivityResponder;
// App code calls it as `UsersResponder.call(&event)`; this app only calls it by
// name from the command line (`respond UsersResponder <json>`).
#[allow(unused_imports)]
pub use users_responder::UsersResponder;
