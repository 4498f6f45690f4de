//! Reliability: a slow worker-pool consumer facing a backlog larger than its
//! memory bound. Fetched-but-unprocessed messages are bounded (the fetch loop
//! stops polling while its buffers are full, and librdkafka's own queue is
//! bounded; a partition is paused only as the last resort), so the server's
//! peak RSS stays under the bound the README states, while what it did process
//! has no gaps.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use karafka_tests::kafka::produce_backlog;
use karafka_tests::mock_broker::MockBrokerProcess;
use karafka_tests::process::AppProcess;
use karafka_tests::records::read as records;
use karafka_tests::reliability::Summary;
use karafka_tests::{app_dir, wait_until};

const RECORDER: &str = env!("CARGO_BIN_EXE_recorder");
const MOCK_BROKER: &str = env!("CARGO_BIN_EXE_mock_broker");
/// 40 partitions of 4,000 messages of 1 KiB: a 160,000-message, ~160 MiB backlog
/// (the mock cluster keeps at most 5 MiB per partition).
const PARTITIONS: i32 = 40;
const PER_PARTITION: usize = 4_000;
const MESSAGE_SIZE: usize = 1024;
/// The bound in the README's Reliability section. Measured: ~120-130 MiB with
/// `max_buffered_messages = 1000` when full buffers paused their partitions;
/// ~300 MiB when nothing bounded the buffers (`max_buffered_messages` above
/// the backlog, before the poll gate).
const PEAK_RSS_BOUND_MIB: u64 = 192;

/// A /proc/<pid>/status figure in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_consumer_facing_a_large_backlog_stays_under_the_memory_bound() {
    let broker = MockBrokerProcess::start(Path::new(MOCK_BROKER), &[("events", PARTITIONS)]);
    let messages = produce_backlog(
        broker.address(),
        "events",
        PARTITIONS,
        PER_PARTITION,
        MESSAGE_SIZE,
    )
    .await;
    // Each worker takes 50 ms per batch of 10: at most ~1,000 messages/s for 5
    // workers, far slower than the broker delivers.
    let dir = app_dir(&format!(
        "client_id = \"backpressure\"\nbrokers = [\"{}\"]\nbackend = \"worker_pool\"\nconcurrency = 5\nmax_messages = 10\nmax_buffered_messages = 1000\n",
        broker.address()
    ));
    let record = dir.path().join("records.txt");
    let mut server = AppProcess::spawn(
        Path::new(RECORDER),
        &["server"],
        &[
            ("KARAFKA_ROOT", dir.path().to_str().unwrap()),
            ("RECORD_FILE", record.to_str().unwrap()),
            ("RECORD_DELAY_MS", "50"),
            ("RUST_LOG", "info,karafka=debug"),
        ],
    );
    let started = wait_until(Duration::from_secs(60), || !records(&record).is_empty());
    assert!(started, "the server consumes:\n{}", server.log());
    // Long enough for the buffers and librdkafka's queue to fill.
    let mut peak_rss_kib = 0;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(250));
        peak_rss_kib = peak_rss_kib.max(status_kib(server.pid(), "VmRSS").unwrap_or(0));
    }
    let hwm_kib = status_kib(server.pid(), "VmHWM").unwrap_or(peak_rss_kib);
    let paused = server.log().matches("its buffer is full").count();
    server.signal(libc::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(60));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "a server under backpressure stops gracefully:\n{}",
        server.log()
    );

    // What was processed is, per partition, a gap-free run from offset 0.
    let done = records(&record);
    let mut per_partition: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for &(_, partition, offset) in &done {
        per_partition.entry(partition).or_default().push(offset);
    }
    let mut gaps = 0;
    let mut duplicates = 0;
    for offsets in per_partition.values_mut() {
        let recorded = offsets.len();
        offsets.sort_unstable();
        offsets.dedup();
        duplicates += recorded - offsets.len();
        let top = offsets.last().copied().unwrap_or(-1);
        gaps += (top + 1) as usize - offsets.len();
    }
    let peak_mib = hwm_kib.max(peak_rss_kib) / 1024;
    Summary::new("backpressure", messages, 0, gaps, duplicates)
        .with("backlog_mib", messages * MESSAGE_SIZE / (1024 * 1024))
        .with("processed", done.len())
        .with("peak_rss_mib", peak_mib)
        .with("bound_mib", PEAK_RSS_BOUND_MIB)
        .with("backpressure_pauses", paused)
        .print();
    assert!(
        done.len() < messages / 2,
        "the consumer is slow: the backlog outlasts the measurement"
    );
    assert_eq!(gaps, 0, "nothing skipped in what was processed");
    assert!(
        peak_mib < PEAK_RSS_BOUND_MIB,
        "peak RSS {peak_mib} MiB is over the {PEAK_RSS_BOUND_MIB} MiB bound"
    );
}
