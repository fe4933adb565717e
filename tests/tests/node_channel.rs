//! The tutorial's step 4 with the real binaries: Alice opens a 1,000,000 sat
//! channel to Bob with `rayo openchannel`, three blocks confirm it, and both
//! `listchannels` show it active with the balances and commitment fee BOLT 3
//! gives; the funding output on chain is a P2WSH of that size; after both
//! nodes restart the channel is active again (reconnect + reestablish).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rayo_e2e::binary;
use serde_json::Value;

fn rayo(home: &Path, args: &[&str]) -> String {
    let out = Command::new(binary("rayo"))
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("rayo");
    assert!(
        out.status.success(),
        "rayo {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn json(home: &Path, args: &[&str]) -> Value {
    let text = rayo(home, args);
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("rayo {args:?}: not JSON: {text}"))
}

fn int(v: &Value) -> i64 {
    v.as_str()
        .map(|s| s.parse().unwrap())
        .or_else(|| v.as_i64())
        .unwrap_or_else(|| panic!("not an int: {v}"))
}

fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn synced(home: &Path, node: &str) {
    let height: i64 = rayo(home, &["chain", "getblockcount"]).parse().unwrap();
    wait_until(&format!("{node} synced"), || {
        let info = json(home, &["-n", node, "getinfo"]);
        info["synced_to_chain"] == true && info["block_height"].as_i64() == Some(height)
    });
}

fn active_channel(home: &Path, node: &str) -> Option<Value> {
    json(home, &["-n", node, "listchannels"])["channels"]
        .as_array()
        .and_then(|c| c.first().cloned())
        .filter(|c| c["active"] == true)
}

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
fn tutorial_step_four_open_a_channel() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let _guard = NetGuard(home);
    rayo(home, &["net", "up", "--nodes", "alice,bob"]);

    let address = json(home, &["-n", "alice", "newaddress", "p2wkh"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    rayo(home, &["chain", "generatetoaddress", "101", &address]);
    synced(home, "alice");
    let bob = json(home, &["-n", "bob", "getinfo"]);
    let bob_key = bob["identity_pubkey"].as_str().unwrap().to_owned();
    rayo(
        home,
        &["-n", "alice", "connect", bob["uris"][0].as_str().unwrap()],
    );

    let point = json(
        home,
        &[
            "-n",
            "alice",
            "openchannel",
            &format!("--node_key={bob_key}"),
            "--local_amt=1000000",
        ],
    );
    let txid = point["funding_txid"]
        .as_str()
        .or_else(|| point["funding_txid_str"].as_str())
        .expect("funding txid")
        .to_owned();
    let vout = point["output_index"].as_u64().unwrap();

    // The funding transaction is in the mempool: a P2WSH output of 1,000,000.
    let tx = json(home, &["chain", "getrawtransaction", &txid, "true"]);
    let output = &tx["vout"][vout as usize];
    assert_eq!(output["value"], 0.01);
    assert_eq!(output["scriptPubKey"]["type"], "witness_v0_scripthash");
    let pending = json(home, &["-n", "alice", "pendingchannels"]);
    assert_eq!(
        pending["pending_open_channels"].as_array().unwrap().len(),
        1
    );

    // Tutorial: `btcctl generate 3`.
    rayo(home, &["chain", "generatetoaddress", "3", &address]);
    wait_until("both sides list the channel active", || {
        active_channel(home, "alice").is_some() && active_channel(home, "bob").is_some()
    });
    let alice = active_channel(home, "alice").unwrap();
    let bob_side = active_channel(home, "bob").unwrap();
    assert_eq!(alice["channel_point"], format!("{txid}:{vout}"));
    assert_eq!(int(&alice["capacity"]), 1_000_000);
    let fee = int(&alice["commit_fee"]);
    // 724 weight at the chain's fee rate (its 20 sat/vB fallback: 5000 sat/kw).
    assert_eq!(fee, 5_000 * 724 / 1000);
    assert_eq!(int(&alice["local_balance"]), 1_000_000 - fee);
    assert_eq!(int(&alice["remote_balance"]), 0);
    assert_eq!(alice["initiator"], true);
    assert_eq!(int(&bob_side["remote_balance"]), 1_000_000 - fee);
    assert_eq!(bob_side["initiator"], false);
    assert_eq!(alice["chan_id"], bob_side["chan_id"]);
    assert_eq!(
        bob_side["remote_pubkey"],
        json(home, &["-n", "alice", "getinfo"])["identity_pubkey"]
    );

    // Both nodes restart: the channel comes back active.
    rayo(home, &["net", "down"]);
    rayo(home, &["net", "up"]);
    wait_until("the channel is active again after restart", || {
        active_channel(home, "alice").is_some() && active_channel(home, "bob").is_some()
    });
    assert_eq!(
        int(&active_channel(home, "alice").unwrap()["local_balance"]),
        1_000_000 - fee
    );
}
