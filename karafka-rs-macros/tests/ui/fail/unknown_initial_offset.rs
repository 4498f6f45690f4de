karafka_rs_macros::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer, initial_offset: beginning }
    }
}

fn main() {}
