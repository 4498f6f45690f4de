karafka_rs_macros::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer, max_messages: 0 }
    }
}

fn main() {}
