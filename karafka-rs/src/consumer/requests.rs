//! What a consumer asks of its partition from its `Context` during a job:
//! the processing applies it when the job returns.

use std::time::Duration;

/// What a consumer asked for during one job or tick.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requests {
    /// Pause the partition once the job returns.
    pub pause: Option<PauseFor>,
    /// Start the next batch at this offset.
    pub seek: Option<i64>,
    /// Resume the partition if it is paused (from a tick).
    pub resume: bool,
}

/// How long a consumer's pause lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseFor {
    /// This long.
    Duration(Duration),
    /// Until a later `resume` (from a `tick`).
    UntilResumed,
}
