karafka_rs_macros::routes! {
    consumer_group example {
        topic users {
            consumer: UsersConsumer,
            max_mesages: 10,
        }
    }
}

fn main() {}
