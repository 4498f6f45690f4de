//! The boot file: the app's routes, as `karafka.rb` draws them in Karafka.
//! `cargo karafka routes` shows them; `cargo karafka topics migrate` creates
//! the topics on a real cluster as their `config` declares them.

use crate::consumers::ExampleConsumer;

karafka::routes! {
    consumer_group example {
        topic example {
            consumer: ExampleConsumer,
            config: { partitions: 3 },
        }
    }
}
