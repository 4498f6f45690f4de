//! The record file the `recorder` test app writes: one `pid partition offset`
//! line per consumed message.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// (pid, partition, offset) per recorded message, in record order.
pub fn read(path: &Path) -> Vec<(u32, i32, i64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let mut parts = line.split(' ');
            let mut next = || parts.next().expect("three fields per line").to_owned();
            (
                next().parse().expect("pid"),
                next().parse().expect("partition"),
                next().parse().expect("offset"),
            )
        })
        .collect()
}

/// The distinct (partition, offset) pairs recorded.
pub fn distinct(records: &[(u32, i32, i64)]) -> BTreeSet<(i32, i64)> {
    records.iter().map(|&(_, p, o)| (p, o)).collect()
}

/// Within each process lifetime, each partition's offsets only go up.
pub fn assert_order_per_lifetime(records: &[(u32, i32, i64)]) {
    let mut last: BTreeMap<(u32, i32), i64> = BTreeMap::new();
    for &(pid, partition, offset) in records {
        if let Some(previous) = last.insert((pid, partition), offset) {
            assert!(
                offset > previous,
                "pid {pid} partition {partition}: {offset} after {previous}"
            );
        }
    }
}
