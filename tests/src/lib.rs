//! Support for karafka-rs's end-to-end tests: real brokers (Tansu as a separate
//! process, or the embedded mock cluster), Kafka helpers that check what a
//! server really committed, and app processes whose logs can be awaited.

pub mod kafka;
pub mod process;
pub mod tansu;

use std::time::{Duration, Instant};

/// Polls `condition` every 50 ms until it holds or `timeout` passes; returns whether it held.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A free TCP port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the loopback interface has a free port")
}

/// Async [`wait_until`]: checks `condition` every 50 ms without blocking the runtime.
pub async fn eventually(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Checks that, per partition, `seen` holds offsets in strictly increasing order.
pub fn assert_partition_order(seen: &[(i32, i64)]) {
    let mut last: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for &(partition, offset) in seen {
        if let Some(previous) = last.insert(partition, offset) {
            assert!(
                offset > previous,
                "partition {partition}: offset {offset} came after {previous}"
            );
        }
    }
}
