//! Peak memory while draining the backlog: a child process of this binary
//! drains it with the inline backend and reports its own peak RSS (VmHWM), so
//! the embedded broker's storage in this process does not count.

use karafka::Backend;

use crate::broker::Broker;
use crate::report::figure;

/// The argument that makes this binary the draining child.
pub const CHILD_FLAG: &str = "--drain-backlog-child";

/// Measures and prints peak_rss_mb.
pub async fn run(broker: &Broker) -> anyhow::Result<()> {
    let output = tokio::process::Command::new(std::env::current_exe()?)
        .args([CHILD_FLAG, broker.address()])
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "the draining child failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kb: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kb "))
        .ok_or_else(|| anyhow::anyhow!("the child did not report its peak RSS: {stdout}"))?
        .trim()
        .parse()?;
    figure("peak_rss_mb", kb / 1024.0, "MB");
    Ok(())
}

/// In the child: drain the backlog, then print `peak_rss_kb <n>`.
pub async fn child(brokers: &str) -> anyhow::Result<()> {
    crate::throughput::karafka_run(brokers, Backend::Inline).await?;
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/self/status"))?;
    println!("peak_rss_kb {kb}");
    Ok(())
}
