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

/// The offsets recorded more than once, as `partition P: A..=B by pids [..]`
/// runs, for an assertion's message.
pub fn duplicates(records: &[(u32, i32, i64)]) -> String {
    let mut by_offset: BTreeMap<(i32, i64), Vec<u32>> = BTreeMap::new();
    for &(pid, partition, offset) in records {
        by_offset.entry((partition, offset)).or_default().push(pid);
    }
    let mut runs: Vec<(i32, i64, i64, Vec<u32>)> = Vec::new();
    for ((partition, offset), pids) in by_offset.into_iter().filter(|(_, p)| p.len() > 1) {
        match runs.last_mut() {
            Some(run) if run.0 == partition && run.2 + 1 == offset && run.3 == pids => {
                run.2 = offset
            }
            _ => runs.push((partition, offset, offset, pids)),
        }
    }
    runs.iter()
        .map(|(partition, from, to, pids)| {
            format!("partition {partition}: {from}..={to} by pids {pids:?}\n")
        })
        .collect()
}
