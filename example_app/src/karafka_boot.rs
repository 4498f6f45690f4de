//! The boot file: the app's routes, as `karafka.rb` draws them in Karafka.

use crate::consumers::{
    RatingAveragesConsumer, RatingsConsumer, RfidConsumer, SensorConsumer, UserActivityConsumer,
    UsersConsumer,
};
use crate::kongo::CommaLines;

karafka::routes! {
    consumer_group example {
        topic users { consumer: UsersConsumer }
        topic user_activity { consumer: UserActivityConsumer }
        topic ratings {
            consumer: RatingsConsumer,
            dead_letter_queue: { topic: "ratings_dlq", max_retries: 2 },
        }
        topic "rating-averages" { consumer: RatingAveragesConsumer }
        topic "sensor-events" { consumer: SensorConsumer, deserializer: CommaLines }
        topic "rfid-events" { consumer: RfidConsumer, deserializer: CommaLines }
    }
}
