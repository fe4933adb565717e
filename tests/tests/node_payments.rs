//! The tutorial's step 5 with the real binaries, typed as a user types it:
//! on the channel of step 4, Bob creates an invoice (`addinvoice --amt`),
//! Alice pays it (`sendpayment --pay_req`), and `channelbalance` shows
//! Bob's side up by exactly the amount and Alice's down by it. The older
//! spellings (`--value`, `payinvoice`) and keysend work too; bad invoices
//! and amounts get a clear error and move nothing; after a restart (and a
//! kill -9) every balance is as it was.

use std::process::Command;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::SecretKey;
use rayo_e2e::cli::{int, wait_until, Rayo};
use rayo_invoice::{rayo_features, Currency, InvoiceBuilder, PaymentSecret};
use rayo_wire::amount::Msat;
use serde_json::Value;

fn active_channel(rayo: &Rayo, node: &str) -> Option<Value> {
    rayo.json(&["-n", node, "listchannels"])["channels"]
        .as_array()
        .and_then(|c| c.first().cloned())
        .filter(|c| c["active"] == true)
}

/// `channelbalance`'s local balance in sat.
fn local_balance(rayo: &Rayo, node: &str) -> i64 {
    int(&rayo.json(&["-n", node, "channelbalance"])["local_balance"]["sat"])
}

/// Alice and Bob with an active 1,000,000 sat channel from Alice (step 4).
fn channel_up(rayo: &Rayo) -> (String, String) {
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
    rayo.json(&[
        "-n",
        "alice",
        "openchannel",
        &format!("--node_key={bob_key}"),
        "--local_amt=1000000",
    ]);
    rayo.run(&["chain", "generatetoaddress", "3", &address]);
    wait_until("both sides list the channel active", || {
        active_channel(rayo, "alice").is_some() && active_channel(rayo, "bob").is_some()
    });
    (address, bob_key)
}

#[test]
fn tutorial_step_five_alice_pays_bobs_invoice() {
    let home = tempfile::tempdir().unwrap();
    let rayo = Rayo::new(home.path());
    let (_, bob_key) = channel_up(&rayo);
    let alice_before = local_balance(&rayo, "alice");
    let bob_before = local_balance(&rayo, "bob");
    assert_eq!(bob_before, 0);

    // Step 5 as the tutorial types it.
    let invoice = rayo.json(&["-n", "bob", "addinvoice", "--amt=10000"]);
    let pay_req = invoice["payment_request"].as_str().unwrap().to_owned();
    let r_hash = invoice["r_hash"].as_str().unwrap().to_owned();
    assert!(pay_req.starts_with("lnbcrt100u1"), "{pay_req}");
    let decoded = rayo.json(&["-n", "alice", "decodepayreq", &pay_req]);
    assert_eq!(decoded["destination"], bob_key.as_str());
    assert_eq!(int(&decoded["num_satoshis"]), 10_000);
    assert_eq!(decoded["payment_hash"], r_hash.as_str());

    let paid = rayo.json(&[
        "-n",
        "alice",
        "sendpayment",
        &format!("--pay_req={pay_req}"),
    ]);
    assert_eq!(paid["payment_error"], "", "{paid}");
    let preimage = paid["payment_preimage"].as_str().unwrap();
    let preimage_bytes: Vec<u8> = (0..preimage.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&preimage[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(
        sha256::Hash::hash(&preimage_bytes).to_string(),
        r_hash,
        "the preimage is the invoice's"
    );
    assert_eq!(local_balance(&rayo, "bob"), bob_before + 10_000);
    assert_eq!(local_balance(&rayo, "alice"), alice_before - 10_000);
    let settled = rayo.json(&["-n", "bob", "lookupinvoice", &r_hash]);
    assert_eq!(settled["state"], "SETTLED");
    assert_eq!(int(&settled["amt_paid_sat"]), 10_000);
    let payments = rayo.json(&["-n", "alice", "listpayments"])["payments"].clone();
    assert_eq!(payments[0]["status"], "SUCCEEDED");
    assert_eq!(payments[0]["payment_hash"], r_hash.as_str());
    let bob_channel = active_channel(&rayo, "bob").unwrap();
    assert_eq!(int(&bob_channel["total_satoshis_received"]), 10_000);

    // Paying the same invoice twice is refused, and moves nothing.
    let again = rayo.run_failing(&["-n", "alice", "payinvoice", &pay_req]);
    assert!(again.contains("already paid"), "{again}");
    assert_eq!(local_balance(&rayo, "bob"), bob_before + 10_000);

    // The older spellings: --value and payinvoice.
    let second = rayo.json(&["-n", "bob", "addinvoice", "--value=2500", "--memo=coffee"]);
    let second_req = second["payment_request"].as_str().unwrap().to_owned();
    let paid = rayo.json(&["-n", "alice", "payinvoice", &second_req]);
    assert_eq!(paid["payment_error"], "", "{paid}");
    assert_eq!(local_balance(&rayo, "bob"), bob_before + 12_500);

    // Keysend, and Bob pays back.
    let alice_key = rayo.json(&["-n", "alice", "getinfo"])["identity_pubkey"]
        .as_str()
        .unwrap()
        .to_owned();
    let keysend = rayo.json(&[
        "-n",
        "bob",
        "sendpayment",
        "--dest",
        &alice_key,
        "--amt",
        "1500",
        "--keysend",
    ]);
    assert_eq!(keysend["payment_error"], "", "{keysend}");
    assert_eq!(local_balance(&rayo, "bob"), bob_before + 11_000);
    let alice_now = local_balance(&rayo, "alice");
    assert_eq!(alice_now, alice_before - 11_000);

    // Restart, then kill -9: the balances are what they were.
    rayo.run(&["net", "down"]);
    rayo.run(&["net", "up"]);
    wait_until("the channel is active again after restart", || {
        active_channel(&rayo, "alice").is_some() && active_channel(&rayo, "bob").is_some()
    });
    assert_eq!(local_balance(&rayo, "bob"), bob_before + 11_000);
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
    assert_eq!(local_balance(&rayo, "alice"), alice_now);
    // And payments still flow.
    let third = rayo.json(&["-n", "bob", "addinvoice", "--amt=1000"]);
    let paid = rayo.json(&[
        "-n",
        "alice",
        "sendpayment",
        "--pay_req",
        third["payment_request"].as_str().unwrap(),
    ]);
    assert_eq!(paid["payment_error"], "", "{paid}");
    assert_eq!(local_balance(&rayo, "bob"), bob_before + 12_000);
}

/// An invoice signed by `key` for `currency`, with the given features.
fn foreign_invoice(currency: Currency, features: rayo_wire::features::Features) -> String {
    let key = SecretKey::from_slice(&[0x31; 32]).unwrap();
    InvoiceBuilder::new(currency, 1_700_000_000)
        .amount_msat(Msat(1_000_000))
        .payment_hash(sha256::Hash::hash(b"foreign"))
        .payment_secret(PaymentSecret([7; 32]))
        .description("foreign")
        .expiry(u64::from(u32::MAX))
        .features(features)
        .build_signed(&key)
        .unwrap()
        .to_string()
}

#[test]
fn bad_payments_get_a_clear_error_and_move_nothing() {
    let home = tempfile::tempdir().unwrap();
    let rayo = Rayo::new(home.path());
    channel_up(&rayo);
    let alice_before = local_balance(&rayo, "alice");

    // Not an invoice.
    let out = rayo.run_failing(&["-n", "alice", "sendpayment", "--pay_req=lnbcrt1nonsense"]);
    assert!(out.contains("invalid payment request"), "{out}");
    // Another chain's invoice.
    let mainnet = foreign_invoice(Currency::Bitcoin, rayo_features());
    let out = rayo.run_failing(&["-n", "alice", "payinvoice", &mainnet]);
    assert!(out.contains("not for this node's chain"), "{out}");
    // A required feature we do not know.
    let mut features = rayo_features();
    features.set_bit(100);
    let unknown = foreign_invoice(Currency::Regtest, features);
    let out = rayo.run_failing(&["-n", "alice", "payinvoice", &unknown]);
    assert!(out.contains("feature"), "{out}");
    // Expired.
    let short = rayo.json(&["-n", "bob", "addinvoice", "--amt=1000", "--expiry=1"]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let out = rayo.run_failing(&[
        "-n",
        "alice",
        "payinvoice",
        short["payment_request"].as_str().unwrap(),
    ]);
    assert!(out.contains("expired"), "{out}");
    // More than the channel holds: payment_error, nothing sent.
    let big = rayo.json(&["-n", "bob", "addinvoice", "--amt=2000000"]);
    let out = rayo.run_failing(&[
        "-n",
        "alice",
        "payinvoice",
        big["payment_request"].as_str().unwrap(),
    ]);
    assert!(out.contains("insufficient local balance"), "{out}");
    // A payee we have no channel to: lnd's "no route".
    let stranger = foreign_invoice(Currency::Regtest, rayo_features());
    let out = rayo.run_failing(&["-n", "alice", "payinvoice", &stranger]);
    assert!(out.contains("unable to find a path"), "{out}");
    // An unknown payment hash.
    let out = rayo.run_failing(&["-n", "bob", "lookupinvoice", &"ab".repeat(32)]);
    assert!(out.contains("no existing invoices"), "{out}");
    // Nothing moved.
    assert_eq!(local_balance(&rayo, "alice"), alice_before);
    assert_eq!(local_balance(&rayo, "bob"), 0);
}
