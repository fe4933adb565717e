//! The tutorial's first three steps with the real binaries, driven through
//! `rayo` exactly as a user types them: a local network comes up, Alice gets
//! coins mined on the embedded chain, connects to Bob, pays him on chain;
//! then everything restarts and balances and the peer connection come back;
//! and `rayo net down` leaves no process behind.

use rayo_e2e::cli::{alive, int, wait_until, Rayo};

fn lists_peer(rayo: &Rayo, node: &str, pubkey: &str) -> bool {
    rayo.json(&["-n", node, "listpeers"])["peers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["pub_key"] == pubkey)
}

#[test]
fn tutorial_steps_one_to_three() {
    let home = tempfile::tempdir().unwrap();
    let rayo = Rayo::new(home.path());

    let table = rayo.run(&["net", "up", "--nodes", "alice,bob"]);
    assert!(table.contains("alice") && table.contains("bob"), "{table}");

    // Step 1-2: Alice's np2wkh address gets 400 blocks of rewards.
    let address = rayo.json(&["-n", "alice", "newaddress", "np2wkh"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        address.starts_with('2'),
        "np2wkh on regtest is a P2SH address: {address}"
    );
    rayo.run(&["chain", "generatetoaddress", "400", &address]);
    rayo.synced("alice");
    // Mature coinbases at height 400: 1..=149 at 50 BTC, 150..=299 at 25 BTC,
    // 300 and 301 at 12.5 BTC (coinbase maturity 100, halving every 150).
    let expected = (149 * 50 + 150 * 25) * 100_000_000 + 2 * 1_250_000_000;
    let balance = rayo.json(&["-n", "alice", "walletbalance"]);
    assert_eq!(int(&balance["confirmed_balance"]), expected);
    assert_eq!(int(&balance["confirmed_balance"]), 1_122_500_000_000);

    // Step 3: Bob's identity; Alice connects; both list each other.
    let bob = rayo.json(&["-n", "bob", "getinfo"]);
    let bob_key = bob["identity_pubkey"].as_str().unwrap().to_owned();
    let bob_uri = bob["uris"][0].as_str().unwrap().to_owned();
    let alice_key = rayo.json(&["-n", "alice", "getinfo"])["identity_pubkey"]
        .as_str()
        .unwrap()
        .to_owned();
    rayo.run(&["-n", "alice", "connect", &bob_uri]);
    wait_until("both list each other", || {
        lists_peer(&rayo, "alice", &bob_key) && lists_peer(&rayo, "bob", &alice_key)
    });

    // Alice pays Bob on chain; one block; Bob sees it.
    let bob_address = rayo.json(&["-n", "bob", "newaddress", "p2wkh"])["address"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = 100_000_000i64;
    let txid = rayo.json(&[
        "-n",
        "alice",
        "sendcoins",
        "--addr",
        &bob_address,
        "--amt",
        &sent.to_string(),
        "--sat_per_vbyte",
        "2",
    ])["txid"]
        .as_str()
        .unwrap()
        .to_owned();
    let mempool = rayo.run(&["chain", "getrawmempool"]);
    assert!(mempool.contains(&txid), "the payment is in the mempool");
    rayo.run(&["chain", "generatetoaddress", "1", &address]);
    rayo.synced("bob");
    rayo.synced("alice");
    let bob_balance = rayo.json(&["-n", "bob", "walletbalance"]);
    assert_eq!(int(&bob_balance["confirmed_balance"]), sent);
    let fee = rayo.json(&["-n", "alice", "listchaintxns"])["transactions"]
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
        int(&rayo.json(&["-n", "alice", "walletbalance"])["total_balance"]),
        alice_after
    );

    // Restart everything: balances and the peer connection come back.
    rayo.run(&["net", "down"]);
    let before = rayo.pids();
    assert!(
        before.iter().all(|p| !alive(*p)),
        "net down left a process behind"
    );
    rayo.run(&["net", "up"]);
    rayo.synced("alice");
    rayo.synced("bob");
    assert_eq!(
        int(&rayo.json(&["-n", "alice", "walletbalance"])["total_balance"]),
        alice_after
    );
    assert_eq!(
        int(&rayo.json(&["-n", "bob", "walletbalance"])["confirmed_balance"]),
        sent
    );
    wait_until("Alice reconnects to Bob", || {
        lists_peer(&rayo, "alice", &bob_key) && lists_peer(&rayo, "bob", &alice_key)
    });

    rayo.run(&["net", "down"]);
    assert!(
        rayo.pids().iter().all(|p| !alive(*p)),
        "net down left a process behind"
    );
}
