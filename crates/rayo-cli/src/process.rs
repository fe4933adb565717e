//! Daemons as background processes: starting one detached from `rayo` with
//! its output in a log file, telling whether a recorded pid is still that
//! daemon, signalling it, and reading the end of its log.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `n` distinct free TCP ports on loopback. All are held bound until every
/// one is chosen, so no port is handed out twice; the daemons bind them a
/// moment later (another program could take one in between, which a daemon
/// then reports in its log).
pub fn free_ports(n: usize) -> io::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// Starts `program` with `args` as a background process that outlives
/// `rayo`: stdin from /dev/null, stdout and stderr appended to `log`, in its
/// own process group (so a Ctrl-C in the terminal that ran `rayo` does not
/// reach it). Returns the child and the log's length before the start, where
/// this run's output begins.
pub fn spawn_detached<S: AsRef<OsStr>>(
    program: &Path,
    args: &[S],
    log: &Path,
) -> io::Result<(Child, u64)> {
    let out = OpenOptions::new().create(true).append(true).open(log)?;
    let offset = out.metadata()?.len();
    let err = out.try_clone()?;
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // A daemon's start-up error, not a stack trace, belongs in the log
        // tail shown on failure (panics still follow RUST_BACKTRACE).
        command.env("RUST_LIB_BACKTRACE", "0");
    }
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let child = command.spawn()?;
    Ok((child, offset))
}

/// Whether `pid` is a live process that has `marker` (the daemon's data
/// directory) as one of its arguments. A pid reused by another program, or a
/// zombie left by a daemon that exited, is not alive. Without `/proc` this
/// falls back to `kill -0`, which cannot tell a reused pid.
pub fn is_alive(pid: u32, marker: &Path) -> bool {
    if pid == 0 {
        return false;
    }
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return send_signal(pid, "0");
    }
    let dir = proc.join(pid.to_string());
    let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
        return false;
    };
    // `pid (comm) S ...`: the state follows the last `)` (comm may hold one).
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, None | Some('Z' | 'X' | 'x')) {
        return false;
    }
    match std::fs::read(dir.join("cmdline")) {
        Ok(cmdline) => cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == os_bytes(marker.as_os_str())),
        Err(_) => false,
    }
}

#[cfg(unix)]
fn os_bytes(s: &OsStr) -> &[u8] {
    std::os::unix::ffi::OsStrExt::as_bytes(s)
}

#[cfg(not(unix))]
fn os_bytes(s: &OsStr) -> &[u8] {
    s.to_str().map(str::as_bytes).unwrap_or_default()
}

/// Sends `signal` (`TERM`, `KILL`, `0`, ...) to `pid` with the `kill`
/// command; true when it was delivered.
pub fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Waits until none of `procs` (pid, data directory) is alive or `timeout`
/// has passed; returns the pids still alive.
pub fn wait_gone(procs: &[(u32, &Path)], timeout: Duration) -> Vec<u32> {
    let deadline = Instant::now() + timeout;
    loop {
        let alive: Vec<u32> = procs
            .iter()
            .filter(|(pid, dir)| is_alive(*pid, dir))
            .map(|(pid, _)| *pid)
            .collect();
        if alive.is_empty() || Instant::now() >= deadline {
            return alive;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The text of `log` from byte `offset` on (lossy UTF-8; empty if unreadable).
pub fn read_from(log: &Path, offset: u64) -> String {
    let mut text = Vec::new();
    if let Ok(mut file) = File::open(log) {
        if file.seek(SeekFrom::Start(offset)).is_ok() {
            let _ = file.read_to_end(&mut text);
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// The last `n` lines of `log` (at most its last 64 KiB are read).
pub fn log_tail(log: &Path, n: usize) -> Vec<String> {
    const WINDOW: u64 = 64 * 1024;
    let len = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    let text = read_from(log, len.saturating_sub(WINDOW));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| (*l).to_owned())
        .collect()
}

/// [`log_tail`] as an indented block for an error message, or a note that
/// the log is empty.
pub fn tail_block(log: &Path, n: usize) -> String {
    let lines = log_tail(log, n);
    if lines.is_empty() {
        return format!("  ({} is empty or missing)", log.display());
    }
    let mut out = format!("  last lines of {}:", log.display());
    for line in lines {
        out.push_str("\n    ");
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct() {
        let ports = free_ports(5).unwrap();
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 5);
        assert!(ports.iter().all(|p| *p != 0));
    }

    #[test]
    fn tails_of_logs() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("x.log");
        assert!(log_tail(&log, 10).is_empty());
        assert!(tail_block(&log, 10).contains("empty or missing"));
        let text: String = (1..=25).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&log, text).unwrap();
        let tail = log_tail(&log, 10);
        assert_eq!(tail.len(), 10);
        assert_eq!(tail[0], "line 16");
        assert_eq!(tail[9], "line 25");
        assert!(tail_block(&log, 2).ends_with("    line 24\n    line 25"));
        assert_eq!(read_from(&log, 7 * 9 + 8 * 15), "line 25\n");
    }

    #[cfg(unix)]
    #[test]
    fn liveness_follows_the_process_and_its_marker() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("sleep.log");
        let marker = dir.path().join("marker-dir");
        let args = [
            OsStr::new("-c"),
            // Two commands, so the shell does not exec `sleep` and keeps its arguments.
            OsStr::new("sleep 30; exit 0"),
            OsStr::new("sh"),
            marker.as_os_str(),
        ];
        let (mut child, offset) = spawn_detached(Path::new("/bin/sh"), &args, &log).unwrap();
        assert_eq!(offset, 0);
        let pid = child.id();
        // Until the child has exec'd, its arguments are still the test's.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !is_alive(pid, &marker) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(is_alive(pid, &marker));
        if Path::new("/proc/self").exists() {
            // Another process's pid is not this daemon.
            assert!(!is_alive(pid, Path::new("/not/the/marker")));
            assert!(!is_alive(std::process::id(), &marker));
        }
        assert!(send_signal(pid, "KILL"));
        // Not reaped yet: a zombie, which is not alive.
        assert!(wait_gone(&[(pid, &marker)], Duration::from_secs(10)).is_empty());
        let _ = child.wait();
        assert!(!is_alive(pid, &marker));
        assert!(!is_alive(0, &marker));
    }
}
