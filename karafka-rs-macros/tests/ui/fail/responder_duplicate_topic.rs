use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "users")]
#[responder(topic = "users", required = false)]
pub struct UsersResponder;

fn main() {}
