karafka_rs_macros::routes! {
    consumer_group example {
        topic users {
            consumer: UsersConsumer,
            batch_consuming: true,
            batch_consuming: false,
        }
    }
}

fn main() {}
