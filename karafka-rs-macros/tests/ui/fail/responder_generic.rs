use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "users")]
pub struct UsersResponder<T>(T);

fn main() {}
