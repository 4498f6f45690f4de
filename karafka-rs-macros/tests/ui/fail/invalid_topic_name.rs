karafka_rs_macros::routes! {
    consumer_group example {
        topic "rating averages" { consumer: AveragesConsumer }
    }
}

fn main() {}
