use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "users")]
#[responder(required = false)]
pub struct UsersResponder;

fn main() {}
