//! The boot file: the app's routes, as `karafka.rb` draws them in Karafka.

use crate::consumers::{UserActivityConsumer, UsersConsumer};

karafka::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
        topic user_activity { consumer: UserActivityConsumer }
    }
}
