//! The processing's clock: real time on the server; time that can be moved
//! forward in [`crate::testing`], so retry backoffs are followed without waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `Instant::now()`, plus however far the clock was moved forward.
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    skipped_nanos: Option<Arc<AtomicU64>>,
}

impl Clock {
    /// A clock that [`Clock::advance`] moves forward.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn movable() -> Self {
        Clock {
            skipped_nanos: Some(Arc::new(AtomicU64::new(0))),
        }
    }

    /// The current instant.
    pub(crate) fn now(&self) -> Instant {
        match &self.skipped_nanos {
            None => Instant::now(),
            Some(skipped) => Instant::now() + Duration::from_nanos(skipped.load(Ordering::Acquire)),
        }
    }

    /// Moves a movable clock forward by `by`; a real clock stays as it is.
    #[cfg_attr(not(feature = "testing"), allow(dead_code))]
    pub(crate) fn advance(&self, by: Duration) {
        if let Some(skipped) = &self.skipped_nanos {
            let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
            skipped.fetch_add(nanos, Ordering::AcqRel);
        }
    }
}
