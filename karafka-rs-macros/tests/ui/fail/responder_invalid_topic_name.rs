use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "user events")]
pub struct UsersResponder;

fn main() {}
