karafka_rs_macros::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer, delay_by: 0 }
    }
}

fn main() {}
