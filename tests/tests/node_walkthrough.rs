//! The tutorial's first three steps with the real binaries, driven through
//! `rayo` exactly as a user types them: a local network comes up, Alice gets
//! coins mined on the embedded chain, connects to Bob, pays him on chain;
//! then everything restarts and balances and the peer connection come back;
//! and `rayo net down` leaves no process behind.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rayo_e2e::binary;
use serde_json::Value;

/// Runs `rayo --home <home> <args>`; returns stdout, panicking on failure.
fn rayo(home: &Path, args: &[&str]) -> String {
    let out = Command::new(binary("rayo"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("running rayo");
    assert!(
        out.status.success(),
        "rayo {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn json(home: &Path, args: &[&str]) -> Value {
    let text = rayo(home, args);
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("rayo {args:?} printed no JSON: {text}"))
}

/// An lnd int64 field (a JSON string) as a number.
fn int(v: &Value) -> u64 {
    v.as_str()
        .map(|s| s.parse().expect("integer string"))
        .or_else(|| v.as_u64())
        .unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Waits until `node`'s wallet has processed the chain's tip.
fn synced(home: &Path, node: &str) {
    let height: u64 = rayo(home, &["chain", "getblockcount"]).parse().unwrap();
    wait_until(&format!("{node} synced to {height}"), || {
        let info = json(home, &["-n", node, "getinfo"]);
        info["synced_to_chain"] == true && info["block_height"].as_u64() == Some(height)
    });
}

fn lists_peer(home: &Path, node: &str, pubkey: &str) -> bool {
    json(home, &["-n", node, "listpeers"])["peers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["pub_key"] == pubkey)
}

/// pids recorded in the network file.
fn pids(home: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(home.join("net/local/network.json")).expect("network.json");
    let net: Value = serde_json::from_str(&text).unwrap();
    let mut pids = vec![net["chain"]["pid"].as_u64().unwrap()];
    pids.extend(
        net["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["pid"].as_u64().unwrap()),
    );
    pids
}

fn alive(pid: u64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// Brings the network down even if an assertion fails midway.
struct NetGuard<'a>(&'a Path);

impl Drop for NetGuard<'_> {
    fn drop(&mut self) {
        let _ = Command::new(binary("rayo"))
            .arg("--home")
            .arg(self.0)
            .args(["net", "down"])
            .output();
    }
}

#[test]
fn tutorial_steps_one_to_three() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let _guard = NetGuard(home);

    let table = rayo(home, &["net", "up", "--nodes", "alice,bob"]);
    assert!(table.contains("alice") && table.contains("bob"), "{table}");

    // Step 1-2: Alice's np2wkh address gets 400 blocks of rewards.
    let address = json(home, &["-n", "alice", "newaddress", "np2wkh"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        address.starts_with('2'),
        "np2wkh on regtest is a P2SH address: {address}"
    );
    rayo(home, &["chain", "generatetoaddress", "400", &address]);
    synced(home, "alice");
    // Mature coinbases at height 400: 1..=149 at 50 BTC, 150..=299 at 25 BTC,
    // 300 and 301 at 12.5 BTC (coinbase maturity 100, halving every 150).
    let expected = (149 * 50 + 150 * 25) * 100_000_000 + 2 * 1_250_000_000;
    let balance = json(home, &["-n", "alice", "walletbalance"]);
    assert_eq!(int(&balance["confirmed_balance"]), expected);
    assert_eq!(int(&balance["confirmed_balance"]), 1_122_500_000_000);

    // Step 3: Bob's identity; Alice connects; both list each other.
    let bob = json(home, &["-n", "bob", "getinfo"]);
    let bob_key = bob["identity_pubkey"].as_str().unwrap().to_owned();
    let bob_uri = bob["uris"][0].as_str().unwrap().to_owned();
    let alice_key = json(home, &["-n", "alice", "getinfo"])["identity_pubkey"]
        .as_str()
        .unwrap()
        .to_owned();
    rayo(home, &["-n", "alice", "connect", &bob_uri]);
    wait_until("both list each other", || {
        lists_peer(home, "alice", &bob_key) && lists_peer(home, "bob", &alice_key)
    });

    // Alice pays Bob on chain; one block; Bob sees it.
    let bob_address = json(home, &["-n", "bob", "newaddress", "p2wkh"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = 100_000_000u64;
    let txid = json(
        home,
        &[
            "-n",
            "alice",
            "sendcoins",
            "--addr",
            &bob_address,
            "--amt",
            &sent.to_string(),
            "--sat_per_vbyte",
            "2",
        ],
    )["txid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mempool = rayo(home, &["chain", "getrawmempool"]);
    assert!(mempool.contains(&txid), "the payment is in the mempool");
    rayo(home, &["chain", "generatetoaddress", "1", &address]);
    synced(home, "bob");
    synced(home, "alice");
    let bob_balance = json(home, &["-n", "bob", "walletbalance"]);
    assert_eq!(int(&bob_balance["confirmed_balance"]), sent);
    let fee = json(home, &["-n", "alice", "listchaintxns"])["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tx_hash"] == txid.as_str())
        .map(|t| int(&t["total_fees"]))
        .expect("Alice's history has the payment");
    assert!(fee > 0);
    // One more coinbase (height 302) matured with block 401.
    let alice_after = expected + 1_250_000_000 - sent - fee;
    assert_eq!(
        int(&json(home, &["-n", "alice", "walletbalance"])["total_balance"]),
        alice_after
    );

    // Restart everything: balances and the peer connection come back.
    rayo(home, &["net", "down"]);
    let before = pids(home);
    assert!(
        before.iter().all(|p| !alive(*p)),
        "net down left a process behind"
    );
    rayo(home, &["net", "up"]);
    synced(home, "alice");
    synced(home, "bob");
    assert_eq!(
        int(&json(home, &["-n", "alice", "walletbalance"])["total_balance"]),
        alice_after
    );
    assert_eq!(
        int(&json(home, &["-n", "bob", "walletbalance"])["confirmed_balance"]),
        sent
    );
    wait_until("Alice reconnects to Bob", || {
        lists_peer(home, "alice", &bob_key) && lists_peer(home, "bob", &alice_key)
    });

    rayo(home, &["net", "down"]);
    assert!(
        pids(home).iter().all(|p| !alive(*p)),
        "net down left a process behind"
    );
}
