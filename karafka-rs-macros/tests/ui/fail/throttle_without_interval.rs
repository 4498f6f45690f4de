karafka_rs_macros::routes! {
    consumer_group example {
        topic users {
            consumer: UsersConsumer,
            throttle: { limit: 100 },
        }
    }
}

fn main() {}
