//! Channels and payments between `rayod` and Electrum 4.3.4 (its own Python
//! Lightning stack), with Electrum on the chain through the Electrum server
//! e-x 1.16.0, all on `rayo-chaind`:
//!
//! 1. Electrum opens 1,000,000 sat to rayod (`open_channel`): Electrum
//!    refuses peers without `gossip_queries`, needs the accepter's
//!    `max_htlc_value_in_flight` large, and as funder sends `update_fee` +
//!    `commitment_signed` at the first block after `channel_ready`; both
//!    sides list the channel active with the same capacity, balances and
//!    (updated) feerate, and Electrum's peer listing shows Rayo's features;
//! 2. rayod opens 1,000,000 sat to Electrum (to its `lightning_listen`
//!    address); both active;
//! 3. rayod pays an Electrum BOLT 11 invoice, and Electrum (`lnpay`) pays a
//!    rayod invoice: both settle (preimage matching the hash, Electrum's
//!    request paid, rayod's invoice settled) and both sides' channel
//!    balances move by exactly the amount;
//! 4. rayod is restarted on the same data directory (new ports): it dials
//!    Electrum again, both channels are reestablished and active on both
//!    sides (over rayod's outbound connection: Electrum only knows rayod's
//!    old port), and one more payment each way settles with the same checks.
//!
//! Electrum, its venv and e-x come from `interop/electrum/install.sh`
//! (Debian and PyPI packages), which this test runs itself; it returns at
//! once when they are installed. Every wait is bounded by [`STEP_TIMEOUT`]
//! and the scenario by [`TEST_TIMEOUT`]; on failure the tails of rayod's,
//! Electrum's and e-x's logs are printed.

#[path = "../support/electrum.rs"]
mod electrum;
#[path = "../support/miner.rs"]
mod miner;

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bitcoin::address::NetworkUnchecked;
use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, Amount, CompressedPublicKey, Network};
use electrum::{Electrum, ElectrumServer, Install, Reaper, PR_PAID};
use rayo_api::types::{
    AddressType, Channel, ConnectPeerRequest, Invoice, InvoiceState, LightningAddress,
    ListPaymentsRequest, NewAddressRequest, OpenChannelRequest, PaymentStatus, SendRequest,
};
use rayo_e2e::node::{NodeDaemon, StartOptions};
use rayo_e2e::ChainDaemon;
use serde_json::json;

/// Upper bound for the whole scenario once the binaries are built and
/// Electrum is installed.
const TEST_TIMEOUT: Duration = Duration::from_secs(480);

/// Upper bound for any single wait (e-x polls the chain every 5 s, and
/// Electrum only sees a block after e-x).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The channel Electrum opens to rayod.
const ELECTRUM_CAPACITY: u64 = 1_000_000;

/// The channel rayod opens to Electrum.
const RAYO_CAPACITY: u64 = 1_000_000;

/// BOLT 9 `gossip_queries` (6/7).
const GOSSIP_QUERIES: u32 = 6;

/// Electrum's commitment feerate on regtest (sat/kw), fixed whatever the
/// chain's estimate.
const ELECTRUM_FEERATE: u64 = 45_000;

/// Blocks mined on each funding transaction (rayod asks for 3, Electrum
/// for up to 6 depending on the amount).
const CONFIRMATIONS: u64 = 6;

/// What the miner pays Electrum's on-chain wallet.
const ELECTRUM_DEPOSIT: Amount = Amount::from_sat(10_000_000);

/// Fee of the deposit transaction.
const DEPOSIT_FEE: Amount = Amount::from_sat(1_000);

/// Key of the test's own miner wallet (it funds Electrum).
const MINER_SECRET: [u8; 32] = [0x66; 32];

/// rayod pays Electrum this much, before and after its restart.
const RAYO_PAYS: u64 = 50_000;

/// Electrum pays rayod this much, before and after its restart.
const ELECTRUM_PAYS: u64 = 30_000;

#[test]
fn rayod_and_electrum_open_channels_both_ways_and_pay_across_a_restart() {
    let install = Install::ensure();
    let chain = Arc::new(ChainDaemon::start(&[]));
    let tmp = tempfile::tempdir().expect("temp dir");
    let reaper = Reaper::default();
    // The current rayod's client, so a hung scenario can still stop it.
    let rayod_slot: Arc<Mutex<Option<rayo_api::Client>>> = Arc::default();

    let started = Instant::now();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = {
        let chain = Arc::clone(&chain);
        let dir = tmp.path().to_owned();
        let slot = Arc::clone(&rayod_slot);
        let reaper = reaper.clone();
        thread::spawn(move || {
            scenario(&install, &chain, &dir, &slot, &reaper);
            let _ = done_tx.send(());
        })
    };

    match done_rx.recv_timeout(TEST_TIMEOUT) {
        Ok(()) => {
            worker.join().expect("scenario thread");
            eprintln!("scenario passed in {:.1?}", started.elapsed());
        }
        Err(RecvTimeoutError::Disconnected) => {
            let panic = worker.join().expect_err("scenario ended without reporting");
            print_logs(tmp.path(), Some(&*panic));
            panic::resume_unwind(panic);
        }
        Err(RecvTimeoutError::Timeout) => {
            print_logs(tmp.path(), None);
            // The stuck thread holds the processes: kill Electrum and e-x,
            // stop rayod and the chain over their APIs, so nothing outlives
            // the test.
            reaper.kill_all();
            if let Some(client) = rayod_slot.lock().expect("slot").take() {
                let _ = client.stop();
            }
            let _ = panic::catch_unwind(AssertUnwindSafe(|| chain.call("stop", json!([]))));
            panic!("test did not finish within {TEST_TIMEOUT:?}");
        }
    }
}

/// The test proper, run on its own thread under the overall timeout.
fn scenario(
    install: &Install,
    chain: &ChainDaemon,
    dir: &Path,
    rayod_slot: &Mutex<Option<rayo_api::Client>>,
    reaper: &Reaper,
) {
    let secp = Secp256k1::new();
    let miner_key = SecretKey::from_slice(&MINER_SECRET).expect("valid secret");
    let miner_address = Address::p2wpkh(
        &CompressedPublicKey(miner_key.public_key(&secp)),
        Network::Regtest,
    );
    // Block 1 pays the miner (it funds Electrum later).
    mine(chain, &miner_address, 1);

    // rayod, funded by blocks 2..=102 (the first of them mature).
    let rayod_dir = dir.join("rayod");
    let mut rayod = start_rayod(&rayod_dir, chain, rayod_slot, 1);
    let address = rayod
        .client()
        .new_address(&NewAddressRequest {
            address_type: AddressType::WitnessPubkeyHash,
            ..NewAddressRequest::default()
        })
        .expect("newaddress")
        .address;
    chain.call("generatetoaddress", json!([101, address]));
    rayod.wait_synced(chain);

    // e-x and Electrum, then Electrum's deposit.
    let mut server = ElectrumServer::start(install, chain, dir, reaper);
    let electrum = Electrum::start(install, &dir.join("electrum"), &server, reaper);
    electrum.wait_synced(chain, STEP_TIMEOUT);
    let info = electrum.getinfo();
    assert!(info.version.starts_with("4.3.4"), "{info:?}");
    let electrum_id = electrum.nodeid();
    let deposit_address = electrum
        .getunusedaddress()
        .parse::<Address<NetworkUnchecked>>()
        .expect("electrum address")
        .require_network(Network::Regtest)
        .expect("a regtest address");
    let deposit = miner::pay_from_coinbase(
        chain,
        &miner_key,
        &miner_address,
        &deposit_address.script_pubkey(),
        ELECTRUM_DEPOSIT,
        DEPOSIT_FEE,
    );
    let txid = chain.call("sendrawtransaction", json!([serialize_hex(&deposit)]));
    assert_eq!(
        txid.as_str(),
        Some(deposit.compute_txid().to_string().as_str())
    );
    mine(chain, &miner_address, 1);
    electrum.wait_for("electrum's deposit to confirm", STEP_TIMEOUT, || {
        electrum.getbalance().confirmed == ELECTRUM_DEPOSIT.to_sat()
    });

    // 1. Electrum opens to rayod.
    let electrum_point = electrum.open_channel(
        &format!("{}@{}", rayod.pubkey, rayod.p2p),
        ELECTRUM_CAPACITY,
    );
    eprintln!("electrum opened {electrum_point}");
    wait_in_mempool(chain, &electrum, &electrum_point);
    mine(chain, &miner_address, CONFIRMATIONS);
    server.wait_synced(chain);
    let ours = wait_rayod_active(&rayod, &electrum, &electrum_point);
    let theirs = wait_electrum_active(&electrum, &electrum_point);
    eprintln!("rayod: {ours:?}\nelectrum: {theirs:?}");
    assert_eq!(ours.remote_pubkey, electrum_id);
    assert!(!ours.initiator && ours.static_remote_key);
    assert_eq!(ours.capacity, ELECTRUM_CAPACITY as i64);
    assert_eq!(ours.local_balance, 0);
    assert!(ours.commit_fee > 0);
    assert_eq!(ours.remote_balance, ours.capacity - ours.commit_fee);
    assert_ne!(ours.chan_id, 0, "short channel id from the funding block");
    assert_eq!(theirs.remote_pubkey, rayod.pubkey);
    assert_eq!(
        (theirs.local_balance, theirs.remote_balance),
        (ELECTRUM_CAPACITY, 0),
        "Electrum's balances leave the fee out"
    );
    assert_eq!(
        theirs.short_channel_id.as_deref(),
        Some(scid_string(ours.chan_id).as_str())
    );
    // Electrum only keeps peers that support gossip queries.
    let peer = electrum
        .list_peers()
        .into_iter()
        .find(|p| p.node_id == rayod.pubkey)
        .unwrap_or_else(|| electrum.fail("electrum does not list rayod as a peer"));
    assert!(peer.initialized, "{peer:?}");
    assert!(peer.has_feature(GOSSIP_QUERIES), "{peer:?}");
    assert_eq!(peer.channels, std::slice::from_ref(&electrum_point));
    // Once the channel is open, at its next chain update, Electrum as funder
    // sends `update_fee` (its fixed regtest feerate + 1 sat/kw, to move the
    // remote commitment number off 0) and `commitment_signed`, and replays
    // them until answered: rayod must run the whole dance (its commitment
    // number goes to 1, and so do both of Electrum's).
    mine(chain, &miner_address, 1);
    server.wait_synced(chain);
    let theirs = wait_value(&electrum, "electrum to see both commitments signed", || {
        electrum
            .channel(&electrum_point)
            .filter(|c| c.is_active() && c.local_ctn == 1 && c.remote_ctn == 1)
    });
    assert_eq!(theirs.local_balance, ELECTRUM_CAPACITY);
    let ours = wait_value(&electrum, "rayod to sign electrum's update_fee", || {
        rayod
            .client()
            .list_channels()
            .ok()?
            .channels
            .into_iter()
            .find(|c| c.channel_point == electrum_point && c.num_updates == 1)
    });
    assert!(ours.active, "{ours:?}");
    assert_eq!(ours.remote_balance, ours.capacity - ours.commit_fee);
    // (`fee_per_kw` is checked last, see `check_feerate`.)

    // 2. rayod dials Electrum's Lightning listener (so it is a saved peer,
    // redialled after a restart; Electrum's own connection is dropped for
    // that, and channel 1 reestablished over the new one), then opens to
    // it.
    dial_electrum(&rayod, &electrum, &electrum_id);
    wait_rayod_active(&rayod, &electrum, &electrum_point);
    wait_electrum_active(&electrum, &electrum_point);
    let point = rayod
        .client()
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: electrum_id.clone(),
            local_funding_amount: RAYO_CAPACITY as i64,
            private: true,
            ..OpenChannelRequest::default()
        })
        .unwrap_or_else(|e| electrum.fail(&format!("rayod opens a channel to electrum: {e}")));
    let rayo_point = format!(
        "{}:{}",
        point.txid().expect("funding txid"),
        point.output_index
    );
    eprintln!("rayod opened {rayo_point}");
    wait_in_mempool(chain, &electrum, &rayo_point);
    mine(chain, &miner_address, CONFIRMATIONS);
    server.wait_synced(chain);
    let ours = wait_rayod_active(&rayod, &electrum, &rayo_point);
    let theirs = wait_electrum_active(&electrum, &rayo_point);
    eprintln!("rayod: {ours:?}\nelectrum: {theirs:?}");
    assert!(ours.initiator && ours.private);
    assert_eq!(ours.capacity, RAYO_CAPACITY as i64);
    assert!(ours.commit_fee > 0);
    assert_eq!(ours.local_balance, ours.capacity - ours.commit_fee);
    assert_eq!(ours.remote_balance, 0);
    assert_eq!(
        (theirs.local_balance, theirs.remote_balance),
        (0, RAYO_CAPACITY)
    );
    assert_eq!(
        theirs.short_channel_id.as_deref(),
        Some(scid_string(ours.chan_id).as_str())
    );

    let points = [electrum_point.as_str(), rayo_point.as_str()];

    // 3. Payments both ways.
    rayod_pays_electrum(&rayod, &electrum, &points, "first");
    electrum_pays_rayod(&rayod, &electrum, &points, "first");

    // 4. Restart rayod: it dials Electrum's listener again and both
    // channels are reestablished; then pay again.
    rayod_slot.lock().expect("slot").take();
    rayod.stop();
    electrum.wait_for("electrum to see rayod leave", STEP_TIMEOUT, || {
        points
            .iter()
            .all(|p| electrum.channel(p).is_some_and(|c| c.peer_state != "GOOD"))
    });
    let rayod = start_rayod(&rayod_dir, chain, rayod_slot, 2);
    for point in points {
        wait_rayod_active(&rayod, &electrum, point);
        wait_electrum_active(&electrum, point);
    }
    // Electrum only knows rayod's old port: rayod dialled it.
    let peers = rayod.client().list_peers().expect("listpeers").peers;
    let peer = peers
        .iter()
        .find(|p| p.pub_key == electrum_id)
        .expect("rayod lists electrum");
    assert!(!peer.inbound, "{peer:?}");
    rayod_pays_electrum(&rayod, &electrum, &points, "after the restart");
    electrum_pays_rayod(&rayod, &electrum, &points, "after the restart");

    check_feerate(&rayod, &electrum_point);

    drop(electrum);
    drop(server);
    drop(rayod);
}

/// rayod's `listchannels` must show the feerate of the current commitment
/// (as lnd's `fee_per_kw` does): Electrum's, after its `update_fee`.
/// Checked last, so that a wrong listing does not hide the rest.
fn check_feerate(rayod: &NodeDaemon, electrum_point: &str) {
    let list = rayod.client().list_channels().expect("listchannels");
    let ours = list
        .channels
        .iter()
        .find(|c| c.channel_point == electrum_point)
        .expect("rayod lists electrum's channel");
    assert_eq!(
        ours.fee_per_kw,
        ELECTRUM_FEERATE as i64 + 1,
        "rayod's listchannels shows the opening feerate, not the one of the \
         commitment it signed after electrum's update_fee: {ours:?}"
    );
}

/// Makes rayod dial Electrum's listener (`connect`, which saves the peer)
/// while Electrum is connected to it: rayod drops the connection and dials
/// at once, again if Electrum redialled first (it backs off, from 4 s).
fn dial_electrum(rayod: &NodeDaemon, electrum: &Electrum, electrum_id: &str) {
    let client = rayod.client();
    let request = ConnectPeerRequest {
        addr: LightningAddress {
            pubkey: electrum_id.to_owned(),
            host: electrum.listen.clone(),
        },
        ..ConnectPeerRequest::default()
    };
    let mut last_error = String::new();
    for _ in 0..20 {
        let _ = client.disconnect_peer(electrum_id);
        match client.connect_peer(&request) {
            Ok(_) => return,
            Err(e) if e.to_string().contains("already connected") => {
                last_error = e.to_string();
                thread::sleep(Duration::from_millis(100));
            }
            Err(e) => electrum.fail(&format!("rayod connects to electrum: {e}")),
        }
    }
    electrum.fail(&format!(
        "rayod could not dial electrum in 20 tries: {last_error}"
    ));
}

/// rayod pays an Electrum invoice of [`RAYO_PAYS`]: the payment succeeds
/// with the invoice's preimage, Electrum marks its request paid, and the
/// balances on both sides move by exactly the amount.
fn rayod_pays_electrum(rayod: &NodeDaemon, electrum: &Electrum, points: &[&str], when: &str) {
    let before = Balances::read(rayod, electrum, points);
    let request = electrum.add_request(RAYO_PAYS, &format!("rayo pays electrum, {when}"));
    let invoice = request.lightning_invoice.clone().expect("BOLT 11 invoice");
    assert_eq!(request.amount_msat, Some(RAYO_PAYS * 1000));
    let sent = rayod
        .client()
        .send_payment_sync(&SendRequest {
            payment_request: invoice.clone(),
            ..SendRequest::default()
        })
        .unwrap_or_else(|e| electrum.fail(&format!("rayod sendpayment ({when}): {e}")));
    if !sent.payment_error.is_empty() {
        electrum.fail(&format!(
            "rayod could not pay electrum's invoice ({when}): {} ({invoice})",
            sent.payment_error
        ));
    }
    let hash = sha256::Hash::hash(&sent.payment_preimage);
    assert_eq!(
        Some(hash.to_string()),
        request.rhash,
        "rayod's preimage is the invoice's"
    );
    let payments = rayod
        .client()
        .list_payments(&ListPaymentsRequest::default())
        .expect("listpayments")
        .payments;
    let payment = payments
        .iter()
        .find(|p| Some(&p.payment_hash) == request.rhash.as_ref())
        .unwrap_or_else(|| panic!("rayod lists its payment ({when}): {payments:?}"));
    assert_eq!(payment.status, PaymentStatus::Succeeded, "{payment:?}");
    assert_eq!(
        (payment.value_sat, payment.fee_sat),
        (RAYO_PAYS as i64, 0),
        "a direct payment has no fee: {payment:?}"
    );
    electrum.wait_for(
        &format!("electrum's request to be paid ({when})"),
        STEP_TIMEOUT,
        || electrum.get_request(&request.request_id).status == PR_PAID,
    );
    let after = Balances::read(rayod, electrum, points);
    assert_eq!(
        after.rayod_local,
        before.rayod_local - RAYO_PAYS as i64,
        "rayod paid {RAYO_PAYS} ({when}): {before:?} -> {after:?}"
    );
    assert_eq!(
        after.electrum_local,
        before.electrum_local + RAYO_PAYS,
        "electrum received {RAYO_PAYS} ({when}): {before:?} -> {after:?}"
    );
    assert_eq!(after.rayod_remote, before.rayod_remote + RAYO_PAYS as i64);
    assert_eq!(after.electrum_remote, before.electrum_remote - RAYO_PAYS);
}

/// Electrum pays a rayod invoice of [`ELECTRUM_PAYS`]: `lnpay` succeeds
/// with the invoice's preimage, rayod settles its invoice for the amount,
/// and the balances on both sides move by exactly the amount.
fn electrum_pays_rayod(rayod: &NodeDaemon, electrum: &Electrum, points: &[&str], when: &str) {
    let before = Balances::read(rayod, electrum, points);
    let client = rayod.client();
    let added = client
        .add_invoice(&Invoice {
            memo: format!("electrum pays rayo, {when}"),
            value: ELECTRUM_PAYS as i64,
            ..Invoice::default()
        })
        .unwrap_or_else(|e| electrum.fail(&format!("rayod addinvoice ({when}): {e}")));
    let paid = electrum.lnpay(&added.payment_request);
    if !paid.success {
        electrum.fail(&format!(
            "electrum could not pay rayod's invoice ({when}): {:#}\n{}",
            paid.log, added.payment_request
        ));
    }
    let hash = bitcoin::hex::DisplayHex::to_lower_hex_string(&added.r_hash[..]);
    assert_eq!(paid.payment_hash, hash);
    let preimage = paid.preimage.clone().expect("preimage of a paid invoice");
    let preimage = <Vec<u8> as bitcoin::hex::FromHex>::from_hex(&preimage).expect("hex");
    assert_eq!(sha256::Hash::hash(&preimage).to_string(), hash);
    // Electrum keeps what it paid as an invoice, now paid.
    let invoice = electrum
        .list_invoices()
        .into_iter()
        .find(|i| i["lightning_invoice"] == json!(added.payment_request))
        .unwrap_or_else(|| electrum.fail(&format!("electrum lists no invoice {hash}")));
    assert_eq!(invoice["status"], json!(PR_PAID), "{invoice}");
    let settled = wait_value(
        electrum,
        &format!("rayod's invoice to settle ({when})"),
        || {
            client
                .lookup_invoice(&hash)
                .ok()
                .filter(|i| i.state == InvoiceState::Settled)
        },
    );
    assert!(settled.settled);
    assert_eq!(settled.amt_paid_sat, ELECTRUM_PAYS as i64);
    assert_eq!(settled.r_preimage, preimage);
    let after = Balances::read(rayod, electrum, points);
    assert_eq!(
        after.rayod_local,
        before.rayod_local + ELECTRUM_PAYS as i64,
        "rayod received {ELECTRUM_PAYS} ({when}): {before:?} -> {after:?}"
    );
    assert_eq!(
        after.electrum_local,
        before.electrum_local - ELECTRUM_PAYS,
        "electrum paid {ELECTRUM_PAYS} ({when}): {before:?} -> {after:?}"
    );
    assert_eq!(
        after.rayod_remote,
        before.rayod_remote - ELECTRUM_PAYS as i64
    );
    assert_eq!(
        after.electrum_remote,
        before.electrum_remote + ELECTRUM_PAYS
    );
}

/// Both sides' balances summed over the channels, once nothing is in
/// flight.
#[derive(Debug, Clone, Copy)]
struct Balances {
    /// rayod's local balance (lnd's: net of the commitment fee it pays).
    rayod_local: i64,
    rayod_remote: i64,
    /// Electrum's balance (fees left out), in satoshis.
    electrum_local: u64,
    electrum_remote: u64,
}

impl Balances {
    /// Reads both sides once every channel is active with no HTLC pending
    /// on either side.
    fn read(rayod: &NodeDaemon, electrum: &Electrum, points: &[&str]) -> Balances {
        wait_value(electrum, "both sides settled", || {
            let ours = rayod.client().list_channels().ok()?.channels;
            let ours: Vec<Channel> = points
                .iter()
                .map(|p| ours.iter().find(|c| c.channel_point == *p).cloned())
                .collect::<Option<_>>()?;
            let theirs: Vec<_> = points
                .iter()
                .map(|p| electrum.channel(p))
                .collect::<Option<_>>()?;
            let settled = ours
                .iter()
                .all(|c| c.active && c.pending_htlcs.is_empty() && c.unsettled_balance == 0)
                && theirs.iter().all(|c| c.is_active());
            settled.then(|| Balances {
                rayod_local: ours.iter().map(|c| c.local_balance).sum(),
                rayod_remote: ours.iter().map(|c| c.remote_balance).sum(),
                electrum_local: theirs.iter().map(|c| c.local_balance).sum(),
                electrum_remote: theirs.iter().map(|c| c.remote_balance).sum(),
            })
        })
    }
}

/// Starts rayod on `datadir` (its log in `rayod-<run>.log` beside it) and
/// records its client in `slot`.
fn start_rayod(
    datadir: &Path,
    chain: &ChainDaemon,
    slot: &Mutex<Option<rayo_api::Client>>,
    run: u32,
) -> NodeDaemon {
    let options = StartOptions {
        log_file: Some(rayod_log(datadir.parent().expect("parent"), run)),
        ..StartOptions::default()
    };
    let rayod = NodeDaemon::start_with(
        datadir,
        "rayo",
        chain,
        &["--dev.pinginterval", "5"],
        &options,
    );
    *slot.lock().expect("slot") = Some(rayod.client());
    rayod
}

fn rayod_log(dir: &Path, run: u32) -> PathBuf {
    dir.join(format!("rayod-{run}.log"))
}

/// rayod's listing of the channel funded at `point`, once active.
fn wait_rayod_active(rayod: &NodeDaemon, electrum: &Electrum, point: &str) -> Channel {
    let client = rayod.client();
    wait_value(electrum, &format!("rayod to list {point} active"), || {
        client
            .list_channels()
            .ok()?
            .channels
            .into_iter()
            .find(|c| c.channel_point == point && c.active)
    })
}

/// Electrum's listing of the channel funded at `point`, once open with its
/// peer connected and reestablished.
fn wait_electrum_active(electrum: &Electrum, point: &str) -> electrum::ElectrumChannel {
    wait_value(electrum, &format!("electrum to list {point} open"), || {
        electrum.channel(point).filter(|c| c.is_active())
    })
}

/// Waits for the funding transaction of `point` to reach the mempool.
fn wait_in_mempool(chain: &ChainDaemon, electrum: &Electrum, point: &str) {
    let txid = point.split(':').next().expect("txid:vout");
    electrum.wait_for(
        &format!("the funding of {point} in the mempool"),
        STEP_TIMEOUT,
        || {
            chain
                .call("getrawmempool", json!([]))
                .as_array()
                .is_some_and(|txids| txids.iter().any(|t| t.as_str() == Some(txid)))
        },
    );
}

/// Polls `value` until it gives something; fails with Electrum's and e-x's
/// logs after [`STEP_TIMEOUT`].
fn wait_value<T>(electrum: &Electrum, what: &str, mut value: impl FnMut() -> Option<T>) -> T {
    let mut found = None;
    electrum.wait_for(what, STEP_TIMEOUT, || {
        found = value();
        found.is_some()
    });
    found.expect("found")
}

/// A short channel id as Electrum prints it (`BLOCKxTXxOUTPUT`).
fn scid_string(scid: u64) -> String {
    format!(
        "{}x{}x{}",
        scid >> 40,
        (scid >> 16) & 0xff_ffff,
        scid & 0xffff
    )
}

fn mine(chain: &ChainDaemon, to: &Address, blocks: u64) {
    chain.call("generatetoaddress", json!([blocks, to.to_string()]));
}

/// Prints the tails of rayod's logs, and Electrum's and e-x's unless the
/// panic message already carries them.
fn print_logs(dir: &Path, panic: Option<&(dyn Any + Send)>) {
    const TAIL: usize = 200;
    let message = panic
        .and_then(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        })
        .unwrap_or_default();
    let mut logs = vec![rayod_log(dir, 1), rayod_log(dir, 2)];
    if !message.contains("---- electrum log") {
        logs.push(dir.join("electrum/electrum.log"));
        logs.push(dir.join("e-x.log"));
    }
    for path in logs {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(TAIL);
        eprintln!("---- {} (last {TAIL} lines) ----", path.display());
        for line in &lines[from..] {
            eprintln!("{line}");
        }
        eprintln!("---- end of {} ----", path.display());
    }
}
