//! CPU time: this process's (every thread, the embedded broker's included) and
//! another process's (a Tansu broker), for CPU-per-message figures.

use std::time::Duration;

/// CPU time this process has used so far, every thread together.
pub fn process() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill.
    #[allow(unsafe_code)]
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) } != 0;
    if failed {
        return Duration::ZERO;
    }
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// CPU time (user and system) process `pid` has used so far, from
/// `/proc/<pid>/stat`, in clock ticks' resolution (10 ms).
pub fn of_process(pid: u32) -> anyhow::Result<Duration> {
    of_process_path(&format!("/proc/{pid}/stat"))
}

/// User and system CPU time from a `stat` file of `/proc`.
fn of_process_path(path: &str) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(path)?;
    // The command name may hold spaces: the fields after it are counted from its ')'.
    let after_name = stat
        .rsplit_once(')')
        .ok_or_else(|| anyhow::anyhow!("{path} has no command name"))?
        .1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks: u64 = fields
        .get(11..13)
        .ok_or_else(|| anyhow::anyhow!("{path} is too short"))?
        .iter()
        .map(|f| f.parse::<u64>())
        .sum::<Result<u64, _>>()?;
    // SAFETY: sysconf only reads a system constant.
    #[allow(unsafe_code)]
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Ok(Duration::from_secs_f64(ticks as f64 / per_second as f64))
}

/// CPU time (user and system) of this process's threads named `name` (such
/// as librdkafka's mock cluster thread, `rdk:mock`), in clock ticks' resolution.
pub fn of_threads_named(name: &str) -> anyhow::Result<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir("/proc/self/task")? {
        let dir = task?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        let Some(tid) = dir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        total += of_process_path(&format!("/proc/self/task/{tid}/stat"))?;
    }
    Ok(total)
}
