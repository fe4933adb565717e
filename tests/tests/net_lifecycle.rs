//! `rayo net up|status|down` and the node verbs with the real binaries: a
//! network in a temporary `--home`, a node reached with `-n`, a daemon that
//! dies (kill -9) reported by `status` with its log, `down` leaving no
//! process behind, `up` again on the same data, and bad input at the CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use rayo_e2e::{binary, free_port};
use serde_json::Value;

/// A `--home` for `rayo`; whatever it started is stopped when dropped, even
/// when the test fails: `rayo net down`, then SIGKILL for any daemon of
/// `network.json` still running.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `rayo --home <home> <args>`.
    fn rayo(&self, args: &[&str]) -> Output {
        Command::new(binary("rayo"))
            .arg("--home")
            .arg(self.path())
            .args(args)
            .env_remove("RAYO_HOME")
            .output()
            .expect("running rayo")
    }

    /// Runs `rayo` and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.rayo(args);
        assert!(
            out.status.success(),
            "rayo {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Runs `rayo` and requires exit status 1; returns (stdout, stderr).
    fn fails(&self, args: &[&str]) -> (String, String) {
        let out = self.rayo(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "rayo {args:?} should fail with 1:\nstdout: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        );
        (text(&out.stdout), text(&out.stderr))
    }

    /// Runs a node verb and parses its JSON.
    fn json(&self, args: &[&str]) -> Value {
        let stdout = self.ok(args);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
    }

    fn network_file(&self) -> PathBuf {
        self.path().join("net").join("local").join("network.json")
    }

    fn network(&self) -> Value {
        let text = std::fs::read_to_string(self.network_file()).expect("network.json");
        serde_json::from_str(&text).expect("network.json is JSON")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        if !self.network_file().exists() {
            return;
        }
        let _ = self.rayo(&["net", "down"]);
        for (pid, datadir) in daemons(&self.network()) {
            if alive(pid, &datadir) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).trim().to_owned()
}

/// Every daemon of a network file: (pid, data directory).
fn daemons(net: &Value) -> Vec<(u32, PathBuf)> {
    let entry = |v: &Value| {
        (
            v["pid"].as_u64().expect("pid") as u32,
            PathBuf::from(v["datadir"].as_str().expect("datadir")),
        )
    };
    let mut all = vec![entry(&net["chain"])];
    all.extend(net["nodes"].as_array().expect("nodes").iter().map(entry));
    all
}

/// Whether `pid` is a running process (not a zombie) with `datadir` among its
/// arguments: a reused pid is not the daemon.
fn alive(pid: u32, datadir: &Path) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !Path::new("/proc/self").exists() {
        return Command::new("kill")
            .args(["-0", &pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
    }
    let Ok(stat) = std::fs::read_to_string(proc_dir.join("stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, None | Some('Z' | 'X')) {
        return false;
    }
    let cmdline = std::fs::read(proc_dir.join("cmdline")).unwrap_or_default();
    let want = datadir.to_string_lossy();
    cmdline.split(|b| *b == 0).any(|arg| arg == want.as_bytes())
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A node's row of the `up`/`status` table, split into cells.
fn row(table: &str, name: &str) -> Vec<String> {
    table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for {name} in:\n{table}"))
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn is_pubkey(s: &str) -> bool {
    s.len() == 66 && (s.starts_with("02") || s.starts_with("03")) && hex_only(s)
}

fn hex_only(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn up_status_kill_down_and_up_again() {
    let home = Home::new();

    // Up: a table with both nodes, their keys and addresses.
    let table = home.ok(&["net", "up", "--nodes", "alice,bob"]);
    let (alice, bob) = (row(&table, "alice"), row(&table, "bob"));
    for r in [&alice, &bob] {
        assert_eq!(r.len(), 4, "name pubkey p2p rest: {r:?}");
        assert!(is_pubkey(&r[1]), "{r:?}");
        assert!(r[2].starts_with("127.0.0.1:") && r[3].starts_with("127.0.0.1:"));
    }
    assert_ne!(alice[1], bob[1]);
    let net = home.network();
    assert_eq!(net["state"], "up");
    assert_eq!(net["nodes"][0]["name"], "alice");
    assert_eq!(net["nodes"][0]["pubkey"], alice[1].as_str());
    assert_eq!(net["nodes"][1]["rest"], bob[3].as_str());
    let rpcport = net["chain"]["rpcport"].as_u64().unwrap();
    assert!(
        table.contains(&format!("RPC 127.0.0.1:{rpcport}")),
        "{table}"
    );
    for (pid, datadir) in daemons(&net) {
        assert!(alive(pid, &datadir), "{} is not running", datadir.display());
    }

    // A node found by name.
    let info = home.json(&["-n", "alice", "getinfo"]);
    assert_eq!(info["identity_pubkey"], alice[1].as_str());
    assert_eq!(info["alias"], "alice");
    assert_eq!(info["chains"][0]["network"], "regtest");
    let info = home.json(&["getinfo", "--node", "bob"]);
    assert_eq!(info["identity_pubkey"], bob[1].as_str());

    // `up` again: says so, starts nothing.
    let again = home.ok(&["net", "up"]);
    assert!(again.contains("already up"), "{again}");
    assert_eq!(home.network(), net);

    // Status: all alive.
    let status = home.ok(&["net", "status"]);
    assert_eq!(row(&status, "alice")[1], "alive", "{status}");
    assert_eq!(row(&status, "bob")[1], "alive", "{status}");
    let chain_line = status.lines().find(|l| l.starts_with("chain")).unwrap();
    assert!(chain_line.ends_with("alive"), "{status}");

    // `rayo chain` finds the network's chain; explicit flags still work.
    assert_eq!(home.ok(&["chain", "getblockcount"]), "0");
    let chain_dir = net["chain"]["datadir"].as_str().unwrap();
    let port = rpcport.to_string();
    assert_eq!(
        home.ok(&[
            "chain",
            "--datadir",
            chain_dir,
            "--rpcport",
            &port,
            "getblockcount"
        ]),
        "0"
    );
    assert_eq!(
        home.ok(&[
            "chain",
            "getblockcount",
            "--datadir",
            chain_dir,
            "--rpcport",
            &port
        ]),
        "0"
    );

    // Bad input: refused with a clear message, the node keeps running.
    let (_, err) = home.fails(&["-n", "alice", "connect", "notakey@127.0.0.1:1"]);
    assert!(
        err.contains("invalid peer address `notakey@127.0.0.1:1`"),
        "{err}"
    );
    assert!(err.contains("not a node public key"), "{err}");
    let (_, err) = home.fails(&[
        "-n",
        "alice",
        "connect",
        &format!("{}@127.0.0.1:1", alice[1]),
    ]);
    assert!(err.contains("cannot connect to self"), "{err}");
    let wrong_token = home.path().join("wrong.token");
    std::fs::write(&wrong_token, [7u8; 32]).unwrap();
    let (_, err) = home.fails(&[
        "-n",
        "alice",
        "--tokenpath",
        wrong_token.to_str().unwrap(),
        "getinfo",
    ]);
    assert!(err.contains("refused the access token"), "{err}");
    let (_, err) = home.fails(&[
        "-n",
        "alice",
        "--macaroonpath",
        wrong_token.to_str().unwrap(),
        "walletbalance",
        "--witness_only=true",
    ]);
    assert!(err.contains("refused the access token"), "{err}");
    let (_, err) = home.fails(&["-n", "carol", "getinfo"]);
    assert!(err.contains("no node `carol`"), "{err}");
    // lncli's flag form works against the running node.
    let balance = home.json(&["-n", "alice", "walletbalance", "--witness_only=true"]);
    assert_eq!(balance["total_balance"], "0");
    let address = home.json(&["-n", "alice", "newaddress", "np2wkh"]);
    assert!(
        address["address"].as_str().unwrap().starts_with('2'),
        "{address}"
    );
    assert_eq!(
        home.json(&["-n", "alice", "listpeers"])["peers"],
        Value::Array(vec![])
    );

    // Bob dies: status says so, with the end of his log.
    let (bob_pid, bob_dir) = daemons(&net)[2].clone();
    kill_9(bob_pid, &bob_dir);
    let out = home.rayo(&["net", "status"]);
    assert!(!out.status.success());
    let status = text(&out.stdout);
    assert_eq!(row(&status, "bob")[1], "dead", "{status}");
    assert_eq!(row(&status, "alice")[1], "alive", "{status}");
    assert!(
        status.contains(&format!("node bob (rayod, pid {bob_pid}) is dead")),
        "{status}"
    );
    assert!(
        status.contains(&bob_dir.join("rayod.log").display().to_string()),
        "{status}"
    );
    assert!(
        status.contains("rayod ready:"),
        "log tail missing:\n{status}"
    );
    // `up` would restart him (see `up_restarts_only_the_daemons_that_died`).
    let (_, err) = home.fails(&["-n", "bob", "getinfo"]);
    assert!(
        err.contains("is rayod running?") && err.contains("rayo net up"),
        "{err}"
    );

    // Down: nothing left running.
    let down = home.ok(&["net", "down"]);
    assert!(down.contains("is down"), "{down}");
    for (pid, datadir) in daemons(&net) {
        assert!(!alive(pid, &datadir), "{} still runs", datadir.display());
    }
    assert_eq!(home.network()["state"], "down");
    let (_, err) = home.fails(&["-n", "alice", "getinfo"]);
    assert!(
        err.contains("cannot reach the node at https://") && err.contains("is rayod running?"),
        "{err}"
    );
    assert!(err.contains("rayo net up"), "{err}");
    let out = home.rayo(&["net", "status"]);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("is down"));
    assert!(home.ok(&["net", "down"]).contains("already down"));

    // Up again: the same nodes (same keys, from the same data), new processes.
    let table = home.ok(&["net", "up"]);
    assert_eq!(row(&table, "alice")[1], alice[1]);
    assert_eq!(row(&table, "bob")[1], bob[1]);
    let net2 = home.network();
    assert_eq!(net2["nodes"][0]["datadir"], net["nodes"][0]["datadir"]);
    assert_eq!(net2["chain"]["datadir"], net["chain"]["datadir"]);
    let info = home.json(&["-n", "alice", "getinfo"]);
    assert_eq!(info["identity_pubkey"], alice[1].as_str());
    home.ok(&["net", "down"]);
    for (pid, datadir) in daemons(&net2) {
        assert!(!alive(pid, &datadir), "{} still runs", datadir.display());
    }
}

/// Kills `pid` with SIGKILL (a crash) and waits until it is gone.
fn kill_9(pid: u32, datadir: &Path) {
    assert!(Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .unwrap()
        .success());
    wait_until("the daemon to die", || !alive(pid, datadir));
}

#[test]
fn up_restarts_only_the_daemons_that_died() {
    let home = Home::new();
    let table = home.ok(&["net", "up", "--nodes", "alice,bob"]);
    let bob = row(&table, "bob");
    let net = home.network();
    let [chain, alice_daemon, bob_daemon] = <[_; 3]>::try_from(daemons(&net)).unwrap();

    // Bob crashes; `up` restarts him alone, on his ports and data.
    kill_9(bob_daemon.0, &bob_daemon.1);
    let out = home.ok(&["net", "up"]);
    assert!(out.contains("was partly running; restarted"), "{out}");
    let net2 = home.network();
    let bob_pid = net2["nodes"][1]["pid"].as_u64().unwrap();
    assert_ne!(bob_pid, u64::from(bob_daemon.0));
    let restarted: Vec<&str> = out.lines().filter(|l| l.contains(", pid ")).collect();
    assert_eq!(restarted.len(), 1, "only bob is restarted:\n{out}");
    assert!(
        restarted[0].contains(&format!("node bob (rayod), pid {bob_pid}")),
        "{out}"
    );
    assert_eq!(row(&out, "bob")[1], bob[1], "the table follows:\n{out}");
    for key in ["datadir", "p2p", "rest", "pubkey"] {
        assert_eq!(net2["nodes"][1][key], net["nodes"][1][key], "{key}");
    }
    assert_eq!(net2["nodes"][0], net["nodes"][0], "alice is left alone");
    assert_eq!(net2["chain"], net["chain"], "the chain is left alone");
    assert_eq!(net2["state"], "up");
    for (pid, datadir) in daemons(&net2) {
        assert!(alive(pid, &datadir), "{} is not running", datadir.display());
    }
    let info = home.json(&["-n", "bob", "getinfo"]);
    assert_eq!(info["identity_pubkey"], bob[1].as_str());
    assert!(home.ok(&["net", "status"]).contains("is up"));

    // Everything runs: `up` says so and changes nothing.
    let again = home.ok(&["net", "up"]);
    assert!(
        again.contains("already up") && !again.contains("restarted"),
        "{again}"
    );
    assert_eq!(home.network(), net2);

    // The chain crashes: restarted on its port, the nodes keep running.
    kill_9(chain.0, &chain.1);
    let out = home.ok(&["net", "up"]);
    assert!(out.contains("the chain (rayo-chaind), pid "), "{out}");
    assert!(!out.contains("(rayod)"), "no node is restarted:\n{out}");
    let net3 = home.network();
    assert_eq!(net3["chain"]["rpcport"], net["chain"]["rpcport"]);
    assert_eq!(net3["nodes"], net2["nodes"]);
    assert!(alive(alice_daemon.0, &alice_daemon.1));
    assert_eq!(home.ok(&["chain", "getblockcount"]), "0");

    home.ok(&["net", "down"]);
    for (pid, datadir) in daemons(&net3) {
        assert!(!alive(pid, &datadir), "{} still runs", datadir.display());
    }
}

#[test]
fn node_verbs_without_a_node() {
    let home = Home::new();
    // Nothing listens on the port: the not-running message, not a file error.
    let port = free_port().to_string();
    let server = format!("127.0.0.1:{port}");
    let (_, err) = home.fails(&["--rpcserver", &server, "getinfo"]);
    assert!(
        err.contains(&format!(
            "cannot reach the node at https://{server}: is rayod running?"
        )),
        "{err}"
    );
    assert!(
        err.contains("rayod --datadir") && err.contains("rayo net up"),
        "{err}"
    );
    let (_, err) = home.fails(&["--rpcserver", "127.0.0.1:1", "getinfo"]);
    assert!(err.contains("is rayod running?"), "{err}");
    // No network yet.
    let (_, err) = home.fails(&["-n", "alice", "getinfo"]);
    assert!(
        err.contains("no local network `local`") && err.contains("rayo net up"),
        "{err}"
    );
    let (_, err) = home.fails(&["net", "status"]);
    assert!(err.contains("rayo net up"), "{err}");
    assert!(home.ok(&["net", "down"]).contains("nothing to stop"));
    // Bad input is refused before anything is sent.
    let (_, err) = home.fails(&["connect", "notakey@127.0.0.1:1"]);
    assert!(err.contains("not a node public key"), "{err}");
    let out = home.rayo(&["net", "up", "--nodes", "alice,alice"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("named twice"));
    let out = home.rayo(&["newaddress", "p2pkh"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(text(&out.stderr).contains("p2wkh"));
}
