use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "users", required = "yes")]
pub struct UsersResponder;

fn main() {}
