karafka_rs_macros::routes! {
    consumer_group example {
        batch: true,
        topic users { consumer: UsersConsumer }
    }
}

fn main() {}
