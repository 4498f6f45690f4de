//! Reports what filters did: `filtering.dropped` and `filtering.paused`.

use super::core::Filtered;
use super::processor::Processor;
use crate::instrumentation::{Event, EventKind, FilteringDropped, FilteringPaused};

impl Processor {
    /// Emits the events of one filter's verdict on one batch.
    pub(crate) fn report_filtered(&self, filtered: Filtered) {
        let Filtered {
            key,
            filter,
            dropped,
            held,
        } = filtered;
        let monitor = &self.shared.monitor;
        let group = &self.shared.group.name;
        if !dropped.is_empty() {
            monitor.instrument_with(EventKind::FilteringDropped, || {
                Event::FilteringDropped(FilteringDropped {
                    consumer_group: group.clone(),
                    topic: key.topic.clone(),
                    partition: key.partition,
                    filter,
                    offsets: dropped,
                })
            });
        }
        if let Some((offset, pause)) = held {
            monitor.instrument_with(EventKind::FilteringPaused, || {
                Event::FilteringPaused(FilteringPaused {
                    consumer_group: group.clone(),
                    topic: key.topic.clone(),
                    partition: key.partition,
                    filter,
                    offset,
                    pause,
                })
            });
        }
    }
}
