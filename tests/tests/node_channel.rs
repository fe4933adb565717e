//! The tutorial's step 4 with the real binaries: Alice opens a 1,000,000 sat
//! channel to Bob with `rayo openchannel`, three blocks confirm it, and both
//! `listchannels` show it active with the balances and commitment fee BOLT 3
//! gives; the funding output on chain is a P2WSH of that size; after both
//! nodes restart the channel is active again (reconnect + reestablish).

use std::process::Command;

use rayo_e2e::cli::{int, wait_until, Rayo};
use serde_json::Value;

fn active_channel(rayo: &Rayo, node: &str) -> Option<Value> {
    rayo.json(&["-n", node, "listchannels"])["channels"]
        .as_array()
        .and_then(|c| c.first().cloned())
        .filter(|c| c["active"] == true)
}

#[test]
fn tutorial_step_four_open_a_channel() {
    let home = tempfile::tempdir().unwrap();
    let rayo = Rayo::new(home.path());
    rayo.run(&["net", "up", "--nodes", "alice,bob"]);

    let address = rayo.json(&["-n", "alice", "newaddress", "p2wkh"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    rayo.run(&["chain", "generatetoaddress", "101", &address]);
    rayo.synced("alice");
    let bob = rayo.json(&["-n", "bob", "getinfo"]);
    let bob_key = bob["identity_pubkey"].as_str().unwrap().to_owned();
    rayo.run(&["-n", "alice", "connect", bob["uris"][0].as_str().unwrap()]);

    let point = rayo.json(&[
        "-n",
        "alice",
        "openchannel",
        &format!("--node_key={bob_key}"),
        "--local_amt=1000000",
        "--sat_per_vbyte=3",
    ]);
    let txid = point["funding_txid"]
        .as_str()
        .or_else(|| point["funding_txid_str"].as_str())
        .expect("funding txid")
        .to_owned();
    let vout = point["output_index"].as_u64().unwrap();

    // The funding transaction is in the mempool: a P2WSH output of 1,000,000.
    let tx = rayo.json(&["chain", "getrawtransaction", &txid, "true"]);
    let output = &tx["vout"][vout as usize];
    assert_eq!(output["value"], 0.01);
    assert_eq!(output["scriptPubKey"]["type"], "witness_v0_scripthash");
    // The funding pays the fee rate asked for (3 sat/vB).
    let entry = rayo.json(&["chain", "getmempoolentry", &txid]);
    let fee_sat = (entry["fees"]["base"].as_f64().unwrap() * 1e8).round() as i64;
    let vsize = entry["vsize"].as_i64().unwrap();
    assert!(
        fee_sat >= 3 * vsize && fee_sat < 4 * vsize,
        "fee {fee_sat} for {vsize} vB"
    );
    let pending = rayo.json(&["-n", "alice", "pendingchannels"]);
    assert_eq!(
        pending["pending_open_channels"].as_array().unwrap().len(),
        1
    );

    // Tutorial: `btcctl generate 3`.
    rayo.run(&["chain", "generatetoaddress", "3", &address]);
    wait_until("both sides list the channel active", || {
        active_channel(&rayo, "alice").is_some() && active_channel(&rayo, "bob").is_some()
    });
    let alice = active_channel(&rayo, "alice").unwrap();
    let bob_side = active_channel(&rayo, "bob").unwrap();
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
        rayo.json(&["-n", "alice", "getinfo"])["identity_pubkey"]
    );

    // Both nodes restart: the channel comes back active.
    rayo.run(&["net", "down"]);
    rayo.run(&["net", "up"]);
    wait_until("the channel is active again after restart", || {
        active_channel(&rayo, "alice").is_some() && active_channel(&rayo, "bob").is_some()
    });
    assert_eq!(
        int(&active_channel(&rayo, "alice").unwrap()["local_balance"]),
        1_000_000 - fee
    );

    // A crash (kill -9 of both nodes) loses nothing either.
    let pids = rayo.pids();
    for pid in &pids[1..] {
        Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .unwrap();
    }
    rayo.run(&["net", "down"]);
    rayo.run(&["net", "up"]);
    wait_until("the channel is active again after kill -9", || {
        active_channel(&rayo, "alice").is_some() && active_channel(&rayo, "bob").is_some()
    });
    assert_eq!(
        int(&active_channel(&rayo, "bob").unwrap()["remote_balance"]),
        1_000_000 - fee
    );
}
