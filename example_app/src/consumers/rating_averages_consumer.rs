//! The end of seed 001's pipe: each movie's latest average, saved for
//! `GET /averages` and pushed to the pages watching.

use karafka::{Consumer, Context, Messages};

use crate::ratings::RatingAverage;
use crate::{db, live};

/// Saves each movie's new average and broadcasts it.
#[derive(Debug, Default)]
pub struct RatingAveragesConsumer;

impl Consumer for RatingAveragesConsumer {
    type Payload = RatingAverage;

    async fn consume(
        &mut self,
        _ctx: &mut Context,
        messages: Messages<RatingAverage>,
    ) -> karafka::Result<()> {
        let db = db::database().map_err(|e| karafka::Error::User(Box::new(e)))?;
        for message in &messages {
            let average = message.payload()?;
            db.save_average(average)
                .map_err(|e| karafka::Error::User(Box::new(e)))?;
            live::publish(*average);
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
