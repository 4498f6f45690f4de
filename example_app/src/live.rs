//! Live averages: what `RatingAveragesConsumer` saves is also broadcast to the
//! web pages watching (server-sent events).

use std::sync::OnceLock;

use tokio::sync::broadcast;

use crate::ratings::RatingAverage;

/// Averages a slow page may fall behind by before it misses some.
const BACKLOG: usize = 256;

fn channel() -> &'static broadcast::Sender<RatingAverage> {
    static CHANNEL: OnceLock<broadcast::Sender<RatingAverage>> = OnceLock::new();
    CHANNEL.get_or_init(|| broadcast::channel(BACKLOG).0)
}

/// Tells every watcher about a movie's new average (nobody watching is fine).
pub fn publish(average: RatingAverage) {
    let _ = channel().send(average);
}

/// Starts watching new averages.
pub fn subscribe() -> broadcast::Receiver<RatingAverage> {
    channel().subscribe()
}
