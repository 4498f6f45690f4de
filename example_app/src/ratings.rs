//! The running average of seed 001: movie ratings in, per-movie count and sum
//! kept, the average published on every rating.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The lowest rating the form offers.
pub const MIN_RATING: f64 = 1.0;
/// The highest rating the form offers.
pub const MAX_RATING: f64 = 10.0;

/// The movies the rating form offers, by id (as the seed's `movies` map).
pub const MOVIES: &[(i64, &str)] = &[
    (128, "The Big Lebowski"),
    (211, "Casablanca"),
    (362, "Lethal Weapon"),
    (552, "Groundhog Day"),
    (780, "Spirited Away"),
];

/// A movie rating, as posted: `{"movieId": 362, "rating": 8}`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    /// The movie rated.
    pub movie_id: i64,
    /// From 1 to 10.
    pub rating: f64,
}

impl Rating {
    /// Fails, saying why, unless the rating is between 1 and 10.
    pub fn validate(&self) -> Result<(), String> {
        if (MIN_RATING..=MAX_RATING).contains(&self.rating) {
            Ok(())
        } else {
            Err(format!(
                "rating {} of movie {} is not between {MIN_RATING} and {MAX_RATING}",
                self.rating, self.movie_id
            ))
        }
    }
}

/// How many ratings a movie has and their sum: the incremental parts of an average.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CountAndSum {
    /// Ratings counted.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
}

impl CountAndSum {
    /// Counts one more rating.
    pub fn add(&mut self, rating: f64) {
        self.count += 1;
        self.sum += rating;
    }

    /// The average so far (0 without ratings).
    pub fn average(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum / self.count as f64
        }
    }
}

/// A movie's running average, as published to `rating-averages`:
/// `{"movieId": 362, "average": 9.0, "count": 2}`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RatingAverage {
    /// The movie.
    pub movie_id: i64,
    /// The average of its ratings.
    pub average: f64,
    /// How many ratings it has.
    pub count: u64,
}
