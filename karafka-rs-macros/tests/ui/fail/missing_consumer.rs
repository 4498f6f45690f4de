karafka_rs_macros::routes! {
    consumer_group example {
        topic users { max_messages: 10 }
    }
}

fn main() {}
