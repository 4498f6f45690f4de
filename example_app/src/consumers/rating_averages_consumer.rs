//! The end of seed 001's pipe: what `rating-averages` says about each movie.

use karafka::{Consumer, Context, Messages};

use crate::ratings::RatingAverage;

/// Logs each movie's new average.
#[derive(Debug, Default)]
pub struct RatingAveragesConsumer;

impl Consumer for RatingAveragesConsumer {
    type Payload = RatingAverage;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<RatingAverage>,
    ) -> karafka::Result<()> {
        for message in &messages {
            let average = message.payload()?;
            tracing::info!(
                "Movie {} averages {:.2} over {} ratings",
                average.movie_id,
                average.average,
                average.count
            );
        }
        Ok(())
    }
}
