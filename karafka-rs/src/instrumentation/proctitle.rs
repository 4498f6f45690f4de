//! `ProctitleListener`: the process title shows the app and its status,
//! `karafka <client_id> (running)`, as Karafka's ProctitleListener sets `$0`.
//!
//! The title is what `ps`, `top` and `/proc/<pid>/cmdline` show: the bytes of
//! the process's argument area, which the kernel reports as they are now. Like
//! Ruby's `$0=` (and C's `setproctitle`), [`set_process_title`] overwrites that
//! area in place. It writes through `/proc/self/mem` rather than a raw pointer,
//! so the kernel's checks turn a wrong address into an error instead of memory
//! corruption; it is still a write behind the compiler's back, to bytes nothing
//! in karafka borrows. The area cannot grow: a title longer than the original
//! command line is cut to its length. `prctl(PR_SET_NAME)` is not used: it names
//! only the calling thread, in 15 bytes, and tools such as `pidof` match on it.
//!
//! The Rust standard library reads the same area for [`std::env::args`], so
//! after a title change `args()` returns the title; karafka parses its command
//! line before the title is first set. Linux only; elsewhere setting the title
//! fails with [`std::io::ErrorKind::Unsupported`] and the listener logs it once.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{AppStatusChanged, EventKind, Listener};

/// Sets the process title to `karafka <client_id> (<status>)` on every `app.*`
/// event (`karafka <client_id> node <n> (<status>)` in a swarm node).
#[derive(Debug, Default)]
pub struct ProctitleListener {
    warned: AtomicBool,
}

impl ProctitleListener {
    /// A listener that sets the process title.
    pub fn new() -> Self {
        ProctitleListener::default()
    }

    fn set(&self, event: &AppStatusChanged) {
        let title = match crate::config::swarm::node_number() {
            Some(node) => format!(
                "karafka {} node {node} ({})",
                event.client_id,
                event.status.name()
            ),
            None => format!("karafka {} ({})", event.client_id, event.status.name()),
        };
        if let Err(error) = set_process_title(&title) {
            if !self.warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(target: "karafka", "cannot set the process title to `{title}`: {error}");
            }
        }
    }
}

impl Listener for ProctitleListener {
    fn listens_to(&self, kind: EventKind) -> bool {
        matches!(
            kind,
            EventKind::AppInitialized
                | EventKind::AppRunning
                | EventKind::AppQuieting
                | EventKind::AppStopping
                | EventKind::AppStopped
        )
    }

    fn on_app_status(&self, event: &AppStatusChanged) {
        self.set(event);
    }
}

/// Replaces the process title (its command line as `ps` and `/proc/<pid>/cmdline`
/// show it) with `title`, cut to the length of the original command line.
#[cfg(target_os = "linux")]
pub fn set_process_title(title: &str) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};

    let (start, end) = argument_area()?;
    let capacity = usize::try_from(end.saturating_sub(start)).unwrap_or(0);
    if capacity < 2 {
        return Err(io::Error::other(
            "the process has no argument area to write",
        ));
    }
    // The last byte stays NUL: the kernel then reports the area as it is.
    let mut area = vec![0u8; capacity];
    let mut length = title.len().min(capacity - 1);
    while !title.is_char_boundary(length) {
        length -= 1;
    }
    area[..length].copy_from_slice(&title.as_bytes()[..length]);
    let mut memory = std::fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/mem")?;
    memory.seek(SeekFrom::Start(start))?;
    memory.write_all(&area)
}

/// Replaces the process title; not supported on this platform.
#[cfg(not(target_os = "linux"))]
pub fn set_process_title(title: &str) -> io::Result<()> {
    let _ = title;
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "process titles are set on Linux only",
    ))
}

/// The process title as the OS reports it: the first NUL-separated field of
/// `/proc/<pid>/cmdline` (after a title change, the whole title).
pub fn process_title(pid: u32) -> io::Result<String> {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    let first = bytes.split(|b| *b == 0).next().unwrap_or_default();
    Ok(String::from_utf8_lossy(first).into_owned())
}

/// `arg_start` and `arg_end` (fields 48 and 49 of `/proc/self/stat`): where the
/// argument strings lie in this process's memory.
#[cfg(target_os = "linux")]
fn argument_area() -> io::Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Field 2, the command name, is parenthesised and may hold spaces; count from after it.
    let after_name = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| io::Error::other("unexpected /proc/self/stat format"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |number: usize| -> io::Result<u64> {
        fields
            .get(number - 3)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::other(format!("/proc/self/stat has no field {number}")))
    };
    let (start, end) = (field(48)?, field(49)?);
    if start == 0 || end <= start {
        return Err(io::Error::other(
            "the kernel does not report the argument area",
        ));
    }
    Ok((start, end))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_title_is_read_back_from_the_os_and_cut_to_the_argument_area() {
        set_process_title("karafka unit (running)").unwrap();
        let title = process_title(std::process::id()).unwrap();
        assert!("karafka unit (running)".starts_with(&title), "{title}");
        assert!(title.starts_with("karafka unit"), "{title}");
        let long = "karafka ".to_owned() + &"x".repeat(100_000);
        set_process_title(&long).unwrap();
        let title = process_title(std::process::id()).unwrap();
        assert!(
            title.len() < long.len() && long.starts_with(&title),
            "{}",
            title.len()
        );
    }
}
