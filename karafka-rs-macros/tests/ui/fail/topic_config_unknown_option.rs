karafka_rs_macros::routes! {
    consumer_group example {
        topic users {
            consumer: UsersConsumer,
            config: { partitions: 3, replicas: 2 },
        }
    }
}

fn main() {}
