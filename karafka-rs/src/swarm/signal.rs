//! Sending a signal to a process: the supervisor to its nodes, a node to itself.

/// Sends `signal` (`libc::SIGTERM`, ...) to process `pid`.
#[allow(unsafe_code)]
pub(crate) fn send(pid: u32, signal: i32) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid)
        .map_err(|_| std::io::Error::other(format!("process id {pid} is out of range")))?;
    // SAFETY: kill(2) takes two integers and touches no memory of this process.
    let result = unsafe { libc::kill(pid, signal) };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The signal's name, for logs.
pub(crate) fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGKILL => "SIGKILL",
        _ => "a signal",
    }
}
