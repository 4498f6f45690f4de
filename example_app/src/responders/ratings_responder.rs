//! Publishes movie ratings to `ratings`, keyed by movie so that each movie's
//! ratings stay on one partition (and with one consumer's totals).

use karafka::{Outbox, Respond, RespondOptions, Responder};

use crate::ratings::Rating;

/// Writes a rating to `ratings`, keyed by movie id.
#[derive(Debug, Default, Responder)]
#[responder(topic = "ratings", payload = Rating)]
pub struct RatingsResponder;

impl Respond for RatingsResponder {
    type Input = Rating;

    fn respond(&self, rating: &Rating, out: &mut Outbox) -> karafka::Result<()> {
        let options = RespondOptions::new().key(rating.movie_id.to_string());
        out.respond_to_with("ratings", rating, options)
    }
}
