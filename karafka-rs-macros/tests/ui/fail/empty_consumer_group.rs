karafka_rs_macros::routes! {
    consumer_group example {
        max_messages: 10,
    }
}

fn main() {}
