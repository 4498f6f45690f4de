karafka_rs_macros::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer, expire_in: "1h" }
    }
}

fn main() {}
