//! Testing an app's consumers without a broker: `karafka::testing::TestApp`
//! runs the routed consumers through the server's real pipeline (deserializer,
//! route options, retries, dead letter queue, offsets) over in-memory topics,
//! and captures what responders write.
//!
//! ```sh
//! cargo run -p karafka-rs --example testing --features testing
//! ```
//!
//! In an app, the same calls go in `#[tokio::test]` functions, with
//! `karafka = { package = "karafka-rs", version = "...", features = ["testing"] }`
//! among the dev-dependencies.

use karafka::testing::TestApp;
use karafka::{Consumer, Context, Messages, Outbox, Respond, Responder};

/// A movie rating, as JSON.
#[derive(Debug, serde::Deserialize, serde::Serialize)]
pub struct Rating {
    /// The movie.
    pub movie: u32,
    /// From 1 to 10.
    pub stars: f64,
}

/// The movie's doubled rating, as the consumer publishes it.
#[derive(Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct Scaled {
    /// The movie.
    pub movie: u32,
    /// Its rating out of 20.
    pub out_of_20: f64,
}

/// Publishes scaled ratings to `scaled`.
#[derive(Default, Responder)]
#[responder(topic = "scaled", payload = Scaled)]
pub struct ScaledResponder;

impl Respond for ScaledResponder {
    type Input = Scaled;

    fn respond(&self, scaled: &Scaled, out: &mut Outbox) -> karafka::Result<()> {
        out.respond_to("scaled", scaled)
    }
}

/// Scales each rating to 20 and publishes it; a payload that is not a rating
/// fails the message (its predecessors stay marked), which goes to the dead
/// letter queue once its retries are spent.
#[derive(Default)]
pub struct RatingsConsumer;

impl Consumer for RatingsConsumer {
    type Payload = Rating;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Rating>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let rating = message.payload()?;
            let scaled = Scaled {
                movie: rating.movie,
                out_of_20: rating.stars * 2.0,
            };
            ctx.respond_with::<ScaledResponder>(&scaled).await?;
            ctx.mark_as_consumed(message)?;
        }
        Ok(())
    }
}

karafka::routes! {
    consumer_group example {
        topic ratings {
            consumer: RatingsConsumer,
            dead_letter_queue: { topic: "ratings_dlq", max_retries: 1 },
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let app = TestApp::load()?;
    // One partition, so the ratings are consumed in the order they are produced.
    app.create_topic("ratings", 1);
    app.produce_json(
        "ratings",
        &Rating {
            movie: 362,
            stars: 8.0,
        },
    )?;
    app.produce("ratings", "not a rating")?;
    app.produce_json(
        "ratings",
        &Rating {
            movie: 211,
            stars: 4.5,
        },
    )?;
    app.consume("ratings").await?;

    let scaled: Vec<Scaled> = app.produced_payloads("scaled")?;
    assert_eq!(
        scaled,
        [
            Scaled {
                movie: 362,
                out_of_20: 16.0
            },
            Scaled {
                movie: 211,
                out_of_20: 9.0
            }
        ]
    );
    let dead = app.produced_messages("ratings_dlq");
    assert_eq!(
        dead.len(),
        1,
        "the payload that is not JSON is dead-lettered"
    );
    assert_eq!(dead[0].payload(), Some(&b"not a rating"[..]));
    println!("scaled: {scaled:?}; dead-lettered: 1 message");
    Ok(())
}
