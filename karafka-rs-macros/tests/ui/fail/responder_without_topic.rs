use karafka_rs_macros::Responder;

#[derive(Responder)]
pub struct UsersResponder;

fn main() {}
