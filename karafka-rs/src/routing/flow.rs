//! The values of the flow route options: `filters: [A, B]` and
//! `throttle: { limit: N, interval: ms }` (`delay_by` and `expire_in` are
//! plain milliseconds), and the filters a partition of a route runs.

use std::time::Duration;

use crate::filtering::{DelayBy, ExpireIn, Filter, Throttle};
use crate::messages::RawMessage;

/// One filter type of a route's `filters: [..]`: its name and how to make
/// an instance (one per assigned partition).
#[derive(Clone, Copy)]
pub struct FilterSpec {
    /// The type's name as written in the route.
    pub name: &'static str,
    build: fn() -> Box<dyn Filter>,
}

impl FilterSpec {
    /// The filter type `F`, named `name`.
    pub const fn of<F: Filter + Default + 'static>(name: &'static str) -> FilterSpec {
        FilterSpec {
            name,
            build: build::<F>,
        }
    }

    /// A new instance.
    pub fn build(&self) -> Box<dyn Filter> {
        (self.build)()
    }
}

fn build<F: Filter + Default + 'static>() -> Box<dyn Filter> {
    Box::new(F::default())
}

impl PartialEq for FilterSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for FilterSpec {}

impl std::fmt::Debug for FilterSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// The `filters` route option: filter types, in the order they run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filters(pub &'static [FilterSpec]);

impl Filters {
    /// The names, comma-separated (`-` for none).
    pub fn names(&self) -> String {
        if self.0.is_empty() {
            return "-".to_owned();
        }
        let names: Vec<&str> = self.0.iter().map(|spec| spec.name).collect();
        names.join(", ")
    }
}

/// The `throttle` route option: at most `limit` messages per `interval_ms` per partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttling {
    /// Most messages per interval.
    pub limit: u32,
    /// The interval, in milliseconds.
    pub interval_ms: u64,
}

impl std::fmt::Display for Throttling {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} per {} ms", self.limit, self.interval_ms)
    }
}

/// The filters one partition of a route runs, in order: `expire_in`,
/// `delay_by`, the route's `filters`, `throttle` (last, so it counts only
/// messages that are consumed).
pub(crate) fn partition_filters(
    expire_in: Option<Duration>,
    delay_by: Option<Duration>,
    filters: Filters,
    throttle: Option<Throttling>,
) -> Vec<Box<dyn Filter<RawMessage>>> {
    let mut all: Vec<Box<dyn Filter<RawMessage>>> = Vec::new();
    if let Some(ttl) = expire_in {
        all.push(Box::new(ExpireIn::new(ttl)));
    }
    if let Some(delay) = delay_by {
        all.push(Box::new(DelayBy::new(delay)));
    }
    all.extend(filters.0.iter().map(FilterSpec::build));
    if let Some(throttle) = throttle {
        let interval = Duration::from_millis(throttle.interval_ms);
        all.push(Box::new(Throttle::new(throttle.limit as usize, interval)));
    }
    all
}

/// A duration in milliseconds as the `routes` table shows it (`-` for none).
pub(crate) fn millis(duration: Option<Duration>) -> String {
    duration.map_or_else(|| "-".to_owned(), |d| format!("{} ms", d.as_millis()))
}
