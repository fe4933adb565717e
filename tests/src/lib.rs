//! Helpers for tests that run Rayo's real binaries as processes: finding
//! (or building) a binary, and starting `rayo-chaind` on a free port in a
//! temporary data directory.

pub mod cli;
pub mod node;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};

/// Path of a workspace binary (`rayo`, `rayo-chaind`, ...). Integration tests
/// run from `target/<profile>/deps`, and `cargo test --workspace` builds every
/// binary first (their packages have integration tests). A package tested
/// alone gets a missing binary built here; one that exists is used as is, so
/// after changing a daemon, test with `--workspace` or build it first.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = profile_dir.join(name);
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--bin", name])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build --bin {name} failed");
    }
    path
}

/// A child's stdout, read line by line on a thread of its own, so a test
/// can wait for one line now and another later.
pub struct StdoutLines(mpsc::Receiver<String>);

impl StdoutLines {
    /// Takes `child`'s (piped) stdout.
    pub fn of(child: &mut Child) -> StdoutLines {
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        StdoutLines(rx)
    }

    /// Waits (up to 60 s) for a line starting with `prefix` and returns it;
    /// earlier lines are skipped.
    pub fn wait_for(&self, prefix: &str) -> String {
        self.wait_for_any(&[prefix])
    }

    /// Waits (up to 60 s) for a line starting with any of `prefixes`.
    pub fn wait_for_any(&self, prefixes: &[&str]) -> String {
        loop {
            let line = self
                .0
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("none of {prefixes:?} within 60 s"));
            if prefixes.iter().any(|p| line.starts_with(p)) {
                return line;
            }
        }
    }
}

/// Waits (up to 60 s) for `child` to print a stdout line starting with
/// `prefix`, its ready line, and returns it. Earlier lines are skipped.
pub fn ready_line(child: &mut Child, prefix: &str) -> String {
    StdoutLines::of(child).wait_for(prefix)
}

/// A free TCP port on loopback (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `rayo-chaind`, killed when dropped.
pub struct ChainDaemon {
    child: Option<Child>,
    /// Its data directory (kept across restarts).
    pub datadir: PathBuf,
    /// Its RPC port.
    pub port: u16,
    _tmp: Option<tempfile::TempDir>,
}

impl ChainDaemon {
    /// Starts a daemon in a new temporary directory.
    pub fn start(extra_args: &[&str]) -> ChainDaemon {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut daemon = ChainDaemon::start_in(tmp.path(), free_port(), extra_args);
        daemon._tmp = Some(tmp);
        daemon
    }

    /// Starts a daemon on `datadir` and `port`, waiting for its ready line.
    pub fn start_in(datadir: &Path, port: u16, extra_args: &[&str]) -> ChainDaemon {
        let mut child = Command::new(binary("rayo-chaind"))
            .arg("--datadir")
            .arg(datadir)
            .args(["--rpcport", &port.to_string()])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting rayo-chaind");
        let line = ready_line(&mut child, "rayo-chaind ready");
        assert!(line.contains("ready"), "unexpected ready line: {line}");
        ChainDaemon {
            child: Some(child),
            datadir: datadir.to_owned(),
            port,
            _tmp: None,
        }
    }

    /// The RPC URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// The cookie file bitcoind-style clients read.
    pub fn cookie_path(&self) -> PathBuf {
        self.datadir.join("regtest").join(".cookie")
    }

    /// `(user, password)` from the cookie.
    pub fn cookie(&self) -> (String, String) {
        let text = std::fs::read_to_string(self.cookie_path()).expect("cookie file");
        let (user, pass) = text.trim().split_once(':').expect("user:password");
        (user.to_owned(), pass.to_owned())
    }

    /// Sends one raw HTTP POST with the cookie credentials; returns the HTTP
    /// status and body.
    pub fn post(&self, body: &[u8]) -> (u16, String) {
        self.try_post(body).expect("HTTP request")
    }

    /// [`ChainDaemon::post`] that returns the transport error.
    pub fn try_post(&self, body: &[u8]) -> Result<(u16, String), ureq::Error> {
        let (user, pass) = self.cookie();
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        try_post_raw(&self.url(), Some(&auth), body)
    }

    /// Calls `method` and returns its `result`, panicking on an RPC error.
    pub fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "1.0", "id": 1, "method": method, "params": params});
        let (status, text) = self.post(body.to_string().as_bytes());
        let reply: Value = serde_json::from_str(&text).expect("JSON reply");
        assert_eq!(status, 200, "{method} failed: {reply}");
        reply["result"].clone()
    }

    /// Stops the daemon with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the daemon to stop through the RPC and waits for it to exit.
    pub fn stop(&mut self) {
        self.call("stop", json!([]));
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

impl Drop for ChainDaemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP POST to `url` with optional Basic credentials (already base64).
pub fn post_raw(url: &str, basic_auth: Option<&str>, body: &[u8]) -> (u16, String) {
    try_post_raw(url, basic_auth, body).expect("HTTP request")
}

/// [`post_raw`] that returns the transport error instead of panicking (a
/// server may close the connection while a refused body is still being
/// sent).
pub fn try_post_raw(
    url: &str,
    basic_auth: Option<&str>,
    body: &[u8],
) -> Result<(u16, String), ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let mut request = agent.post(url).header("Content-Type", "application/json");
    if let Some(auth) = basic_auth {
        request = request.header("Authorization", &format!("Basic {auth}"));
    }
    let mut response = request.send(body)?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .unwrap_or_default();
    Ok((status, text))
}
