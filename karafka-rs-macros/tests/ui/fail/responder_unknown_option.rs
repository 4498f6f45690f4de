use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "users", requird = false)]
pub struct UsersResponder;

fn main() {}
