//! Seed 001's aggregation: count and sum the ratings of each movie and publish
//! the new average after every rating, as the Kafka Streams topology does.

use std::collections::HashMap;

use karafka::{Consumer, Context, Messages};

use crate::ratings::{CountAndSum, Rating, RatingAverage};
use crate::responders::RatingAveragesResponder;

/// Keeps each movie's count and sum (ratings are keyed by movie, so a movie's
/// ratings all reach the consumer of one partition) and publishes its average
/// to `rating-averages` after every rating.
#[derive(Debug, Default)]
pub struct RatingsConsumer {
    totals: HashMap<i64, CountAndSum>,
}

impl Consumer for RatingsConsumer {
    type Payload = Rating;

    async fn consume(
        &mut self,
        ctx: &mut Context,
        messages: Messages<Rating>,
    ) -> karafka::Result<()> {
        // Totals change only once the averages are delivered, so a failed batch
        // retried later is not counted twice.
        let mut touched: HashMap<i64, CountAndSum> = HashMap::new();
        let mut averages = Vec::with_capacity(messages.len());
        for message in &messages {
            let rating = message.payload()?;
            rating.validate()?;
            let totals = touched.entry(rating.movie_id).or_insert_with(|| {
                self.totals
                    .get(&rating.movie_id)
                    .copied()
                    .unwrap_or_default()
            });
            totals.add(rating.rating);
            averages.push(RatingAverage {
                movie_id: rating.movie_id,
                average: totals.average(),
                count: totals.count,
            });
        }
        ctx.respond_with::<RatingAveragesResponder>(&averages)
            .await?;
        self.totals.extend(touched);
        Ok(())
    }
}
