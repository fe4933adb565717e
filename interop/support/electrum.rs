//! Electrum 4.3.4 (Debian's `electrum` + `python3-electrum`, a wallet with
//! its own Python Lightning stack) behind the Electrum server e-x 1.16.0
//! (PyPI), both on a `rayo-chaind`, as real processes:
//!
//! - [`Install`]: runs `interop/electrum/install.sh` (idempotent: it returns
//!   at once once installed) and knows the layout it leaves under
//!   `<target>/electrum`;
//! - [`ElectrumServer`]: e-x on a [`ChainDaemon`], its database in a
//!   temporary directory, started and waited for until it serves the
//!   chain's tip;
//! - [`Electrum`]: an Electrum daemon (run in the foreground as our child,
//!   so it dies with the test), configured for one server, gossip and an
//!   inbound Lightning port, with a wallet restored from a fixed seed, and
//!   typed helpers for the commands the tests use (each run as `electrum
//!   --regtest -D DIR <command>`, its JSON output parsed with serde_json).
//!
//! Every command and wait is bounded; a failure panics with the tails of
//! Electrum's and e-x's logs. The processes are killed when their handle is
//! dropped, and a [`Reaper`] kills them from another thread (the tests'
//! overall timeout).
//!
//! Shared by `tests/` through `#[path]`.

// Each test binary uses a different subset of the helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rayo_e2e::{free_port, ChainDaemon};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

/// The seed of the test wallet (an Electrum `segwit` seed), fixed so its
/// addresses and Lightning node id are the same at every run.
pub const WALLET_SEED: &str =
    "middle shiver nature sun gentle say congress polar album hire jelly piano";

/// Upper bound for one Electrum command (the daemon's own request timeout
/// is 60 s; `lnpay` is given less than that, see [`Electrum::lnpay`]).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);

/// Upper bound for the installer (a fresh install takes about a minute).
const INSTALL_TIMEOUT: Duration = Duration::from_secs(600);

/// Upper bound for e-x to index the chain and start serving, and for the
/// Electrum daemon to come up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How many lines of each log a failure prints.
const LOG_TAIL: usize = 150;

/// What `interop/electrum/install.sh` leaves in its directory.
#[derive(Debug, Clone)]
pub struct Install {
    /// The install directory (`<target>/electrum`).
    pub dir: PathBuf,
}

impl Install {
    /// Runs the installer (it returns at once when everything is already
    /// installed) into `<target>/electrum`, where `<target>` is the target
    /// directory this test runs from, so `cargo clean` resets it.
    pub fn ensure() -> Install {
        let exe = std::env::current_exe().expect("test executable path");
        // Tests run from <target>/<profile>/deps.
        let target = exe
            .ancestors()
            .nth(3)
            .expect("tests run from target/<profile>/deps");
        let dir = target.join("electrum");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("electrum/install.sh");
        let started = Instant::now();
        let mut command = Command::new("bash");
        command.arg(&script).arg(&dir);
        let output = run_bounded(&mut command, INSTALL_TIMEOUT)
            .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            output.status.success(),
            "{} failed ({}):\n{text}",
            script.display(),
            output.status
        );
        eprintln!(
            "electrum install checked in {:.1?}: {}",
            started.elapsed(),
            text.lines().last().unwrap_or_default()
        );
        Install { dir }
    }

    /// The root the Debian packages were unpacked into.
    fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// `python electrum` with Debian's Electrum on its path.
    fn electrum(&self) -> Command {
        let mut command = Command::new(self.dir.join("electrum-venv/bin/python"));
        command
            .arg(self.root().join("usr/bin/electrum"))
            .env(
                "PYTHONPATH",
                self.root().join("usr/lib/python3/dist-packages"),
            )
            .env(
                "LD_LIBRARY_PATH",
                self.root().join("usr/lib/x86_64-linux-gnu"),
            )
            .stdin(Stdio::null());
        command
    }

    /// e-x's server script, run by its venv's Python.
    fn electrumx(&self) -> Command {
        let venv = self.dir.join("e-x-venv");
        let mut command = Command::new(venv.join("bin/python"));
        command
            .arg(venv.join("bin/electrumx_server"))
            .stdin(Stdio::null());
        command
    }
}

/// Kills registered processes from any thread: the tests' watchdog uses it
/// when the scenario hangs on a thread that still owns the handles.
#[derive(Debug, Clone, Default)]
pub struct Reaper(Arc<Mutex<Vec<u32>>>);

impl Reaper {
    fn add(&self, pid: u32) {
        self.0.lock().expect("reaper").push(pid);
    }

    fn remove(&self, pid: u32) {
        self.0.lock().expect("reaper").retain(|p| *p != pid);
    }

    /// Sends SIGKILL to every process still registered.
    pub fn kill_all(&self) {
        for pid in self.0.lock().expect("reaper").drain(..) {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

/// A child process killed (and reaped) when dropped.
struct Owned {
    child: Option<Child>,
    reaper: Reaper,
}

impl Owned {
    fn new(child: Child, reaper: &Reaper) -> Owned {
        reaper.add(child.id());
        Owned {
            child: Some(child),
            reaper: reaper.clone(),
        }
    }

    /// The exit status, if it already exited.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            self.reaper.remove(child.id());
        }
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        self.kill();
    }
}

/// e-x serving a [`ChainDaemon`] over TCP on loopback.
pub struct ElectrumServer {
    process: Owned,
    /// Its TCP port (Electrum protocol, no TLS).
    pub port: u16,
    /// Its log (stdout and stderr).
    pub log: PathBuf,
    _db: tempfile::TempDir,
}

impl ElectrumServer {
    /// Starts e-x on `chain` (a leveldb database in a new temporary
    /// directory, its log in `log_dir`) and waits until it serves the
    /// chain's tip.
    pub fn start(install: &Install, chain: &ChainDaemon, log_dir: &Path, reaper: &Reaper) -> Self {
        let db = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let (user, password) = chain.cookie();
        let log = log_dir.join("e-x.log");
        let file = std::fs::File::create(&log).expect("e-x log file");
        let child = install
            .electrumx()
            .env("DB_ENGINE", "leveldb")
            .env("ALLOW_ROOT", "1")
            .env("COIN", "Bitcoin")
            .env("NET", "regtest")
            .env("PEER_DISCOVERY", "off")
            .env(
                "DAEMON_URL",
                format!("http://{user}:{password}@127.0.0.1:{}/", chain.port),
            )
            .env("SERVICES", format!("tcp://127.0.0.1:{port}"))
            .env("DB_DIRECTORY", db.path())
            .env("CACHE_MB", "100")
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("starting e-x");
        let mut server = ElectrumServer {
            process: Owned::new(child, reaper),
            port,
            log,
            _db: db,
        };
        server.wait_synced(chain);
        server
    }

    /// Waits until e-x serves `chain`'s tip (it only accepts clients once
    /// it has caught up, and polls the chain every 5 s after that).
    pub fn wait_synced(&mut self, chain: &ChainDaemon) {
        let height = chain_height(chain);
        let start = Instant::now();
        loop {
            if let Some(status) = self.process.exited() {
                panic!(
                    "e-x exited ({status}) before serving the chain\n{}",
                    tail(&self.log, "e-x")
                );
            }
            if self.tip_height() == Some(height) {
                eprintln!("e-x at height {height}: {:.1?}", start.elapsed());
                return;
            }
            assert!(
                start.elapsed() < START_TIMEOUT,
                "e-x did not serve height {height} within {START_TIMEOUT:?} (it serves {:?})\n{}",
                self.tip_height(),
                tail(&self.log, "e-x")
            );
            thread::sleep(Duration::from_millis(250));
        }
    }

    /// The tip height e-x serves (`blockchain.headers.subscribe`), or
    /// `None` while it does not answer.
    pub fn tip_height(&self) -> Option<u64> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .ok()?;
        let requests = [
            json!({"jsonrpc": "2.0", "id": 0, "method": "server.version",
                   "params": ["rayo-interop", "1.4"]}),
            json!({"jsonrpc": "2.0", "id": 1, "method": "blockchain.headers.subscribe",
                   "params": []}),
        ];
        for request in requests {
            writeln!(stream, "{request}").ok()?;
        }
        let reader = BufReader::new(stream);
        for line in reader.lines().take(4) {
            let reply: Value = serde_json::from_str(&line.ok()?).ok()?;
            if reply["id"] == 1 {
                return reply["result"]["height"].as_u64();
            }
        }
        None
    }

    /// The last lines of e-x's log.
    pub fn log_tail(&self) -> String {
        tail(&self.log, "e-x")
    }
}

/// Electrum's `getinfo` (network state).
#[derive(Debug, Clone, Deserialize)]
pub struct Info {
    /// Height of the headers Electrum verified.
    pub blockchain_height: u64,
    /// Height its server reports.
    pub server_height: u64,
    /// Whether it is connected to its server.
    pub connected: bool,
    /// Its version string.
    pub version: String,
}

/// Electrum's `getbalance`, in satoshis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    /// Confirmed on-chain balance.
    pub confirmed: u64,
    /// Unconfirmed on-chain balance (may be negative while spending).
    pub unconfirmed: i64,
    /// What it holds in channels.
    pub lightning: u64,
}

/// One entry of Electrum's `list_channels`.
#[derive(Debug, Clone, Deserialize)]
pub struct ElectrumChannel {
    /// `CHANNEL` (or `BACKUP`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `BLOCKxTXxOUTPUT`, once known.
    pub short_channel_id: Option<String>,
    /// The channel id (hex).
    pub channel_id: String,
    /// The funding outpoint, `txid:vout`.
    pub channel_point: String,
    /// `OPENING`, `FUNDED`, `OPEN`, `SHUTDOWN`, `CLOSING`, `CLOSED`, ...
    pub state: String,
    /// `DISCONNECTED`, `REESTABLISHING`, `GOOD`, `BAD`.
    #[serde(default)]
    pub peer_state: String,
    /// The other side's node id (hex).
    #[serde(default)]
    pub remote_pubkey: String,
    /// Our balance in satoshis (msat / 1000).
    #[serde(default)]
    pub local_balance: u64,
    /// Their balance in satoshis (msat / 1000).
    #[serde(default)]
    pub remote_balance: u64,
    /// Latest commitment numbers on each side.
    #[serde(default)]
    pub local_ctn: u64,
    /// See `local_ctn`.
    #[serde(default)]
    pub remote_ctn: u64,
    /// Channel reserves (ours is set by the other side).
    #[serde(default)]
    pub local_reserve: u64,
    /// See `local_reserve`.
    #[serde(default)]
    pub remote_reserve: u64,
}

impl ElectrumChannel {
    /// Open and connected with a reestablished state: usable for payments.
    pub fn is_active(&self) -> bool {
        self.state == "OPEN" && self.peer_state == "GOOD"
    }
}

/// One entry of Electrum's `list_peers`.
#[derive(Debug, Clone, Deserialize)]
pub struct ElectrumPeer {
    /// The peer's node id (hex).
    pub node_id: String,
    /// `host:port` of the connection.
    pub address: String,
    /// Whether `init` was exchanged.
    pub initialized: bool,
    /// The features negotiated with the peer: `str(LnFeatures)`, which on
    /// Python 3.11 is the flags' integer (see [`ElectrumPeer::has_feature`]).
    pub features: String,
    /// The funding outpoints of the channels with it.
    #[serde(default)]
    pub channels: Vec<String>,
}

impl ElectrumPeer {
    /// Whether feature `bit`'s pair (`bit` or its partner) was negotiated.
    pub fn has_feature(&self, bit: u32) -> bool {
        let flags: u128 = self
            .features
            .parse()
            .unwrap_or_else(|_| panic!("features as an integer: {self:?}"));
        flags & (0b11 << (bit & !1)) != 0
    }
}

/// A payment request from `add_request` / `get_request`.
#[derive(Debug, Clone, Deserialize)]
pub struct Request {
    /// Its key in the wallet.
    pub request_id: String,
    /// The BOLT 11 invoice.
    #[serde(default)]
    pub lightning_invoice: Option<String>,
    /// Payment hash (hex).
    #[serde(default)]
    pub rhash: Option<String>,
    /// Amount in millisatoshis.
    #[serde(default)]
    pub amount_msat: Option<u64>,
    /// 0 unpaid, 1 expired, 3 paid (Electrum's `PR_*`).
    pub status: u64,
    /// `Unpaid`, `Paid`, ...
    pub status_str: String,
}

/// Electrum's status of a paid request (`PR_PAID`).
pub const PR_PAID: u64 = 3;

/// What `lnpay` answers.
#[derive(Debug, Clone, Deserialize)]
pub struct PayResult {
    /// The payment hash (hex).
    pub payment_hash: String,
    /// Whether the payment succeeded.
    pub success: bool,
    /// The preimage (hex) when it did.
    pub preimage: Option<String>,
    /// Electrum's attempt log (routes and failures).
    #[serde(default)]
    pub log: Value,
}

/// A running Electrum daemon with its wallet loaded.
pub struct Electrum {
    install: Install,
    process: Owned,
    /// Its data directory (`-D`).
    pub dir: PathBuf,
    /// Its log (`-v`, stderr).
    pub log: PathBuf,
    /// Where it accepts Lightning connections (`lightning_listen`).
    pub listen: String,
    /// e-x's log, printed with Electrum's on failure.
    server_log: PathBuf,
}

impl Electrum {
    /// Configures Electrum in `dir` (one server, `server`; gossip on; a
    /// Lightning listener on a free port), restores [`WALLET_SEED`] there
    /// on first use, starts the daemon and loads the wallet.
    pub fn start(install: &Install, dir: &Path, server: &ElectrumServer, reaper: &Reaper) -> Self {
        std::fs::create_dir_all(dir).expect("electrum dir");
        let listen = format!("127.0.0.1:{}", free_port());
        let offline = OfflineElectrum {
            install,
            dir,
            server_log: &server.log,
        };
        for (key, value) in [
            ("oneserver", "true".to_owned()),
            ("auto_connect", "false".to_owned()),
            ("server", format!("127.0.0.1:{}:t", server.port)),
            ("use_gossip", "true".to_owned()),
            ("lightning_listen", listen.clone()),
            ("log_to_file", "false".to_owned()),
        ] {
            offline.run(&["setconfig", key, &value]);
        }
        if !dir.join("regtest/wallets/default_wallet").exists() {
            offline.run(&["restore", WALLET_SEED]);
        }

        let log = dir.join("electrum.log");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("electrum log file");
        // `daemon` without `-d` stays in the foreground: it is our child, so
        // it can be killed with the test.
        let child = install
            .electrum()
            .args(["--regtest", "-D"])
            .arg(dir)
            .args(["-v", "daemon"])
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("starting the electrum daemon");
        let mut electrum = Electrum {
            install: install.clone(),
            process: Owned::new(child, reaper),
            dir: dir.to_owned(),
            log,
            listen,
            server_log: server.log.clone(),
        };
        let start = Instant::now();
        loop {
            if let Some(status) = electrum.process.exited() {
                electrum.fail(&format!("the electrum daemon exited ({status})"));
            }
            if electrum.try_json(&["getinfo"]).is_ok() {
                break;
            }
            if start.elapsed() > START_TIMEOUT {
                electrum.fail(&format!(
                    "the electrum daemon did not answer within {START_TIMEOUT:?}"
                ));
            }
            thread::sleep(Duration::from_millis(250));
        }
        electrum.json(&["load_wallet"]);
        eprintln!("electrum daemon up: {:.1?}", start.elapsed());
        electrum
    }

    /// Runs `electrum --regtest -D DIR <args>` against the daemon and
    /// returns its output: JSON when it printed JSON, else the text as a
    /// JSON string. An error (non-zero exit) is Electrum's message.
    pub fn try_json(&self, args: &[&str]) -> Result<Value, String> {
        let mut command = self.install.electrum();
        command.args(["--regtest", "-D"]).arg(&self.dir).args(args);
        let output = run_bounded(&mut command, COMMAND_TIMEOUT)?;
        let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!("{stdout}{stderr}").trim().to_owned());
        }
        Ok(serde_json::from_str(&stdout).unwrap_or(Value::String(stdout)))
    }

    /// [`Electrum::try_json`] that panics (with the logs) on an error.
    pub fn json(&self, args: &[&str]) -> Value {
        self.try_json(args)
            .unwrap_or_else(|e| self.fail(&format!("electrum {} failed: {e}", args.join(" "))))
    }

    /// [`Electrum::json`] read into `T`.
    pub fn typed<T: DeserializeOwned>(&self, args: &[&str]) -> T {
        let value = self.json(args);
        serde_json::from_value(value.clone()).unwrap_or_else(|e| {
            self.fail(&format!(
                "electrum {}: unexpected answer ({e}): {value}",
                args.join(" ")
            ))
        })
    }

    /// `getinfo`.
    pub fn getinfo(&self) -> Info {
        self.typed(&["getinfo"])
    }

    /// `is_synchronized`: the wallet has processed every address's history.
    pub fn is_synchronized(&self) -> bool {
        self.json(&["is_synchronized"]) == Value::Bool(true)
    }

    /// Waits until Electrum is connected, has verified the headers up to
    /// `chain`'s tip, and its wallet is synchronized.
    pub fn wait_synced(&self, chain: &ChainDaemon, timeout: Duration) {
        let height = chain_height(chain);
        self.wait_for(
            &format!("electrum to sync to height {height}"),
            timeout,
            || {
                let info = self.getinfo();
                info.connected && info.blockchain_height == height && self.is_synchronized()
            },
        );
    }

    /// `getunusedaddress`.
    pub fn getunusedaddress(&self) -> String {
        self.typed(&["getunusedaddress"])
    }

    /// `getbalance`, converted to satoshis.
    pub fn getbalance(&self) -> Balance {
        let value = self.json(&["getbalance"]);
        let field = |name: &str| value[name].as_str().map_or(0, btc_to_sat);
        Balance {
            confirmed: field("confirmed") as u64,
            unconfirmed: field("unconfirmed") as i64,
            lightning: field("lightning") as u64,
        }
    }

    /// `nodeid`: the Lightning node id (hex), without the listen address.
    pub fn nodeid(&self) -> String {
        let id: String = self.typed(&["nodeid"]);
        id.split('@').next().unwrap_or_default().to_owned()
    }

    /// `open_channel NODEID@HOST:PORT AMOUNT`: opens (and broadcasts the
    /// funding of) a channel of `sat`; returns the funding outpoint.
    pub fn open_channel(&self, connect: &str, sat: u64) -> String {
        self.typed(&["open_channel", connect, &sat_to_btc(sat)])
    }

    /// `list_channels`.
    pub fn list_channels(&self) -> Vec<ElectrumChannel> {
        self.typed(&["list_channels"])
    }

    /// `list_peers`: the wallet's Lightning peers (not the gossip ones).
    pub fn list_peers(&self) -> Vec<ElectrumPeer> {
        self.typed(&["list_peers"])
    }

    /// The channel funded at `point` (`txid:vout`), if listed.
    pub fn channel(&self, point: &str) -> Option<ElectrumChannel> {
        self.list_channels()
            .into_iter()
            .find(|c| c.channel_point == point)
    }

    /// `add_request AMOUNT --memo MEMO --force`: a payment request of `sat`
    /// with a BOLT 11 invoice (in 4.3.4 every request of a Lightning wallet
    /// carries one, with the request's address as fallback).
    pub fn add_request(&self, sat: u64, memo: &str) -> Request {
        let request: Request =
            self.typed(&["add_request", &sat_to_btc(sat), "--memo", memo, "--force"]);
        if request.lightning_invoice.is_none() {
            self.fail(&format!("add_request gave no BOLT 11 invoice: {request:?}"));
        }
        request
    }

    /// `get_request ID`.
    pub fn get_request(&self, id: &str) -> Request {
        self.typed(&["get_request", id])
    }

    /// `lnpay INVOICE --timeout 50`: pays a BOLT 11 invoice (within the
    /// daemon's 60 s request timeout).
    pub fn lnpay(&self, invoice: &str) -> PayResult {
        self.typed(&["lnpay", invoice, "--timeout", "50"])
    }

    /// `list_invoices`: the invoices this wallet paid or was asked to pay.
    pub fn list_invoices(&self) -> Vec<Value> {
        self.typed(&["list_invoices"])
    }

    /// `close_channel POINT`: a cooperative close (for cleanup).
    pub fn close_channel(&self, point: &str) -> Result<Value, String> {
        self.try_json(&["close_channel", point])
    }

    /// Polls `ready` every 500 ms until it holds; fails (with the logs)
    /// after `timeout`.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut ready: impl FnMut() -> bool) {
        let start = Instant::now();
        loop {
            if ready() {
                eprintln!("{what}: {:.1?}", start.elapsed());
                return;
            }
            if start.elapsed() > timeout {
                self.fail(&format!("timed out after {timeout:?} waiting for {what}"));
            }
            thread::sleep(Duration::from_millis(500));
        }
    }

    /// The last lines of Electrum's and e-x's logs.
    pub fn log_tails(&self) -> String {
        format!(
            "{}\n{}",
            tail(&self.log, "electrum"),
            tail(&self.server_log, "e-x")
        )
    }

    /// Panics with `message` and the tails of the logs.
    pub fn fail(&self, message: &str) -> ! {
        panic!("{message}\n{}", self.log_tails());
    }

    /// Stops the daemon (`electrum stop`, then a kill if it lingers).
    pub fn stop(&mut self) {
        let _ = self.try_json(&["stop"]);
        let start = Instant::now();
        while self.process.exited().is_none() && start.elapsed() < Duration::from_secs(10) {
            thread::sleep(Duration::from_millis(100));
        }
        self.process.kill();
    }
}

/// `electrum --offline` in a data directory, before the daemon runs.
struct OfflineElectrum<'a> {
    install: &'a Install,
    dir: &'a Path,
    server_log: &'a Path,
}

impl OfflineElectrum<'_> {
    fn run(&self, args: &[&str]) {
        let mut command = self.install.electrum();
        command
            .args(["--regtest", "--offline", "-D"])
            .arg(self.dir)
            .args(args);
        let output = run_bounded(&mut command, COMMAND_TIMEOUT)
            .unwrap_or_else(|e| panic!("electrum --offline {}: {e}", args.join(" ")));
        assert!(
            output.status.success(),
            "electrum --offline {} failed: {}{}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            tail(self.server_log, "e-x")
        );
    }
}

/// Runs `command` to completion, killing it after `timeout`.
fn run_bounded(command: &mut Command, timeout: Duration) -> Result<Output, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{command:?} did not finish within {timeout:?}"));
            }
            Err(e) => return Err(format!("waiting for {command:?}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// The chain's height.
fn chain_height(chain: &ChainDaemon) -> u64 {
    chain
        .call("getblockcount", json!([]))
        .as_u64()
        .expect("height")
}

/// The last [`LOG_TAIL`] lines of the log at `path`, framed with `name`.
fn tail(path: &Path, name: &str) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(LOG_TAIL);
            format!(
                "---- {name} log ({}, last {} lines) ----\n{}\n---- end of {name} log ----",
                path.display(),
                lines.len() - from,
                lines[from..].join("\n")
            )
        }
        Err(e) => format!("---- no {name} log at {}: {e} ----", path.display()),
    }
}

/// `sat` as Electrum's BTC amount argument (`0.01000000`).
pub fn sat_to_btc(sat: u64) -> String {
    format!("{}.{:08}", sat / 100_000_000, sat % 100_000_000)
}

/// Electrum's BTC amount (Python's `str(Decimal)`: `0.01`, `1E-8`, `-0.5`)
/// in satoshis.
pub fn btc_to_sat(text: &str) -> i128 {
    let (mantissa, exponent) = match text.split_once(['E', 'e']) {
        Some((m, e)) => (m, e.parse::<i32>().expect("BTC exponent")),
        None => (text, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut value: i128 = format!("{whole}{fraction}")
        .parse()
        .unwrap_or_else(|_| panic!("BTC amount {text:?}"));
    // value * 10^(exponent - fraction digits) BTC, times 10^8 sat/BTC.
    let scale = 8 + exponent - fraction.len() as i32;
    if scale >= 0 {
        value *= 10i128.pow(scale as u32);
    } else {
        let divisor = 10i128.pow((-scale) as u32);
        assert_eq!(value % divisor, 0, "BTC amount {text:?} below a satoshi");
        value /= divisor;
    }
    if negative {
        -value
    } else {
        value
    }
}
