karafka_rs_macros::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
        topic "users" { consumer: OtherConsumer }
    }
}

fn main() {}
