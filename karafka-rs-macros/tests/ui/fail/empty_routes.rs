karafka_rs_macros::routes! {}

fn main() {}
