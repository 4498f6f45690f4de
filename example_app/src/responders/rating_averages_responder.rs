//! Publishes running averages to `rating-averages`, keyed by movie.

use karafka::{Outbox, Respond, RespondOptions, Responder};

use crate::ratings::RatingAverage;

/// Writes each average to `rating-averages`, keyed by movie id.
#[derive(Debug, Default, Responder)]
#[responder(topic = "rating-averages", multiple_usage = true, payload = RatingAverage)]
pub struct RatingAveragesResponder;

impl Respond for RatingAveragesResponder {
    type Input = [RatingAverage];

    fn respond(&self, averages: &[RatingAverage], out: &mut Outbox) -> karafka::Result<()> {
        for average in averages {
            let options = RespondOptions::new().key(average.movie_id.to_string());
            out.respond_to_with("rating-averages", average, options)?;
        }
        Ok(())
    }
}
