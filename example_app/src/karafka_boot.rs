//! The boot file: the app's routes, as `karafka.rb` draws them in Karafka.

use crate::consumers::UsersConsumer;

karafka::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
    }
}
