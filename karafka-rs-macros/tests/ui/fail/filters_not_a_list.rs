karafka_rs_macros::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer, filters: SpamFilter }
    }
}

fn main() {}
