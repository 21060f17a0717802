//! Which process owns a running run. A PID alone can be reused after its process dies, so a run
//! records its writer's PID and that process's start time (Linux: `/proc/PID/stat` field 22).

/// The start time of process `pid` in clock ticks since boot, where the OS tells it.
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// This process: (pid, start time).
pub fn current() -> (u32, Option<u64>) {
    let pid = std::process::id();
    (pid, process_start(pid))
}

/// Whether the process that started a run is still running.
pub fn alive(pid: u32, start: Option<u64>) -> bool {
    match (process_start(pid), start) {
        (Some(now), Some(then)) => now == then,
        (Some(_), None) => true,
        (None, _) if std::path::Path::new("/proc/self/stat").exists() => false,
        // No /proc: ask the kernel whether the PID exists at all.
        (None, _) => nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_not() {
        let (pid, start) = current();
        assert!(start.is_some());
        assert!(alive(pid, start));
        assert!(
            !alive(pid, start.map(|s| s + 1)),
            "a reused PID is another process"
        );
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let child_pid = child.id();
        child.wait().unwrap();
        assert!(!alive(child_pid, Some(1)));
    }
}
