karafka_rs_macros::routes! {
    consumer_group example {
        backend: sidekiq,
        topic users { consumer: UsersConsumer }
    }
}

fn main() {}
