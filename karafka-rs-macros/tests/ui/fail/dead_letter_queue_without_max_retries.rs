struct RatingsConsumer;

karafka_rs_macros::routes! {
    consumer_group example {
        topic ratings {
            consumer: RatingsConsumer,
            dead_letter_queue: { topic: "ratings_dlq" },
        }
    }
}

fn main() {}
