//! The boot file: the app's routes, as `karafka.rb` draws them in Karafka.

use crate::consumers::{
    RatingAveragesConsumer, RatingsConsumer, UserActivityConsumer, UsersConsumer,
};

karafka::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
        topic user_activity { consumer: UserActivityConsumer }
        topic ratings {
            consumer: RatingsConsumer,
            dead_letter_queue: { topic: "ratings_dlq", max_retries: 2 },
        }
        topic "rating-averages" { consumer: RatingAveragesConsumer }
    }
}
