//! The same topic routed twice in one consumer group (from two `routes!`
//! blocks, which the macro cannot see together) fails at boot.

use karafka::{App, Consumer, Context, Messages};

#[derive(Default)]
struct First;

impl Consumer for First {
    type Payload = String;
    async fn consume(
        &mut self,
        _ctx: &mut Context,
        _messages: Messages<String>,
    ) -> karafka::Result<()> {
        Ok(())
    }
}

mod users {
    karafka::routes! {
        consumer_group example {
            topic users { consumer: super::First, deserializer: karafka::deserializers::Utf8 }
        }
    }
}

mod more_users {
    karafka::routes! {
        consumer_group example {
            topic users { consumer: super::First, deserializer: karafka::deserializers::Utf8 }
        }
    }
}

#[test]
fn a_topic_routed_twice_in_a_group_fails_boot_naming_both_places() {
    let error = App::load().unwrap_err().to_string();
    assert!(
        error.contains("topic `users` is routed twice in consumer group `example`"),
        "{error}"
    );
    assert!(error.contains("duplicate_routes.rs"), "{error}");
}
