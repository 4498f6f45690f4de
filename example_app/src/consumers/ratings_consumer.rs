//! Seed 001's aggregation: count and sum the ratings of each movie and publish
//! the new average after every rating, as the Kafka Streams topology does.

use karafka::{Consumer, Context, Messages};

use crate::db;
use crate::ratings::{Rating, RatingAverage};
use crate::responders::RatingAveragesResponder;

/// Counts each movie's ratings in the database and publishes its average to
/// `rating-averages` after every rating.
///
/// The totals and the offset after the batch are saved in one transaction once
/// the averages are delivered, and messages below that offset are skipped, so
/// a batch delivered again (after a crash before the commit) is not counted twice.
#[derive(Debug, Default)]
pub struct RatingsConsumer;

impl Consumer for RatingsConsumer {
    type Payload = Rating;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Rating>,
    ) -> karafka::Result<()> {
        let db = db::database().map_err(boxed)?;
        let counted = db
            .counted_offset(ctx.topic(), ctx.partition())
            .map_err(boxed)?
            .unwrap_or(0);
        let mut ratings: Vec<Rating> = Vec::with_capacity(messages.len());
        let mut next_offset = counted;
        for message in messages.iter().filter(|m| m.offset() >= counted) {
            let rating = message.payload()?;
            rating.validate()?;
            ratings.push(*rating);
            next_offset = message.offset() + 1;
        }
        if ratings.is_empty() {
            return Ok(());
        }
        let mut totals = db
            .totals(ratings.iter().map(|r| r.movie_id))
            .map_err(boxed)?;
        let mut averages = Vec::with_capacity(ratings.len());
        for rating in &ratings {
            let total = totals.entry(rating.movie_id).or_default();
            total.add(rating.rating);
            averages.push(RatingAverage {
                movie_id: rating.movie_id,
                average: total.average(),
                count: total.count,
            });
        }
        ctx.respond_with::<RatingAveragesResponder>(&averages)
            .await?;
        db.count(ctx.topic(), ctx.partition(), next_offset, &totals)
            .map_err(boxed)?;
        Ok(())
    }
}

fn boxed(error: db::DbError) -> karafka::Error {
    karafka::Error::User(Box::new(error))
}
