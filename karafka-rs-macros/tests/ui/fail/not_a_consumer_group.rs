karafka_rs_macros::routes! {
    topic users { consumer: UsersConsumer }
}

fn main() {}
