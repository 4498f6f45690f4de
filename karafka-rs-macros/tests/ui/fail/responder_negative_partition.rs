use karafka_rs_macros::Responder;

#[derive(Responder)]
#[responder(topic = "users", partition = -1)]
pub struct UsersResponder;

fn main() {}
