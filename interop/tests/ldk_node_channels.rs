//! Channels between `rayod` and LDK's `ldk-node` (anchors off, so both use
//! `option_static_remotekey`), on `rayo-chaind`, in both directions and
//! unannounced:
//!
//! 1. rayod opens 1,000,000 sat to ldk-node (through its REST API, as
//!    `openchannel --private`); once the funding is deep enough for both
//!    sides, rayod lists it active with its balance net of the commitment
//!    fee, and ldk-node lists it ready and usable with the same funding
//!    outpoint and capacity;
//! 2. ldk-node opens 500,000 sat to rayod; both sides report it usable and
//!    rayod shows the opener's balance net of the fee on the remote side;
//! 3. rayod is restarted on the same data directory (new ports): it dials
//!    ldk-node again (a saved peer), both channels are reestablished and
//!    usable on both sides; then ldk-node is restarted, and again.
//!
//! Every wait is bounded by [`STEP_TIMEOUT`] and the whole scenario by
//! [`TEST_TIMEOUT`]; ldk-node's log, kept in the temporary directory, is
//! printed when the test fails.

#[path = "../support/miner.rs"]
mod miner;

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::str::FromStr;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Address, Amount, CompressedPublicKey, Network, OutPoint, Transaction, Txid};
use ldk_node::config::Config;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::logger::LogLevel;
use ldk_node::{Builder, ChannelDetails, Node};
use rayo_api::types::{
    AddressType, Channel, ConnectPeerRequest, LightningAddress, NewAddressRequest,
    OpenChannelRequest,
};
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::{free_port, ChainDaemon};
use serde_json::json;

/// Upper bound for the whole scenario once the binaries are built.
const TEST_TIMEOUT: Duration = Duration::from_secs(240);

/// Upper bound for any single wait.
const STEP_TIMEOUT: Duration = Duration::from_secs(45);

/// The channel rayod opens to ldk-node.
const RAYO_CAPACITY: u64 = 1_000_000;

/// The channel ldk-node opens to rayod.
const LDK_CAPACITY: u64 = 500_000;

/// Blocks mined on each funding transaction: LDK asks for 6 confirmations
/// when it accepts (its default `minimum_depth`), rayod for 3.
const CONFIRMATIONS: u64 = 6;

/// What the test pays ldk-node's on-chain wallet to fund its channel.
const LDK_DEPOSIT: Amount = Amount::from_sat(10_000_000);

/// Fee of the deposit transaction.
const DEPOSIT_FEE: Amount = Amount::from_sat(1_000);

/// Key of the test's own miner wallet (it funds ldk-node).
const MINER_SECRET: [u8; 32] = [0x66; 32];

/// ldk-node's wallet seed; fixed so runs are reproducible.
const LDK_SEED: [u8; 64] = [0x27; 64];

#[test]
fn rayod_and_ldk_node_open_channels_both_ways_and_survive_restarts() {
    let chain = Arc::new(ChainDaemon::start(&[]));
    let tmp = tempfile::tempdir().expect("temp dir");
    let log_path = tmp.path().join("ldk-node.log");
    // The current rayod's client, so a hung scenario can still stop it.
    let rayod_slot: Arc<Mutex<Option<rayo_api::Client>>> = Arc::default();

    let started = Instant::now();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = {
        let chain = Arc::clone(&chain);
        let dir = tmp.path().to_owned();
        let slot = Arc::clone(&rayod_slot);
        thread::spawn(move || {
            scenario(&chain, &dir, &slot);
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
            print_log(&log_path);
            panic::resume_unwind(panic);
        }
        Err(RecvTimeoutError::Timeout) => {
            print_log(&log_path);
            // The stuck thread holds the daemons: stop them over their APIs
            // so no process outlives the test.
            if let Some(client) = rayod_slot.lock().expect("slot").take() {
                let _ = client.stop();
            }
            let _ = panic::catch_unwind(AssertUnwindSafe(|| chain.call("stop", json!([]))));
            panic!("test did not finish within {TEST_TIMEOUT:?}");
        }
    }
}

/// The test proper, run on its own thread under the overall timeout.
fn scenario(chain: &ChainDaemon, dir: &Path, rayod_slot: &Mutex<Option<rayo_api::Client>>) {
    let secp = Secp256k1::new();
    let miner_key = SecretKey::from_slice(&MINER_SECRET).expect("valid secret");
    let miner_address = Address::p2wpkh(
        &CompressedPublicKey(miner_key.public_key(&secp)),
        Network::Regtest,
    );
    // Block 1 pays the miner (it funds ldk-node later).
    chain.call("generatetoaddress", json!([1, miner_address.to_string()]));

    // rayod, funded by blocks 2..=102 (the first of them mature).
    let rayod_dir = dir.join("rayod");
    let mut rayod = start_rayod(&rayod_dir, chain, rayod_slot);
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

    // ldk-node, then its deposit (a fresh node's wallet starts at the tip).
    let ldk_port = free_port();
    let ldk = start_ldk(chain, dir, ldk_port);
    let ldk_id = ldk.node_id();
    let ldk_addr = format!("127.0.0.1:{ldk_port}");
    wait_for("ldk-node to sync to the tip", || at_tip(&ldk, chain));
    let ldk_address = ldk.onchain_payment().new_address().expect("ldk address");
    let deposit = miner::pay_from_coinbase(
        chain,
        &miner_key,
        &miner_address,
        &ldk_address.script_pubkey(),
        LDK_DEPOSIT,
        DEPOSIT_FEE,
    );
    send(chain, &deposit);
    mine(chain, &miner_address, 1);
    wait_for("ldk-node's deposit to confirm", || {
        ldk.list_balances().spendable_onchain_balance_sats == LDK_DEPOSIT.to_sat()
    });

    // 1. rayod opens to ldk-node.
    rayod
        .client()
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: ldk_id.to_string(),
                host: ldk_addr.clone(),
            },
            ..ConnectPeerRequest::default()
        })
        .expect("rayod connects to ldk-node");
    let point = rayod
        .client()
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: ldk_id.to_string(),
            local_funding_amount: RAYO_CAPACITY as i64,
            private: true,
            ..OpenChannelRequest::default()
        })
        .expect("rayod opens a channel to ldk-node");
    let rayo_funding = OutPoint {
        txid: point
            .txid()
            .expect("funding txid")
            .parse()
            .expect("txid hex"),
        vout: point.output_index,
    };
    let pending = rayod.client().pending_channels().expect("pendingchannels");
    assert_eq!(pending.pending_open_channels.len(), 1, "{pending:?}");
    wait_for("ldk-node to see the funding transaction", || {
        ldk_channel(&ldk, rayo_funding).is_some()
    });
    mine(chain, &miner_address, CONFIRMATIONS);

    let ours = wait_rayod_channel(&rayod, rayo_funding);
    assert_eq!(ours.remote_pubkey, ldk_id.to_string());
    assert!(ours.initiator && ours.private && ours.static_remote_key);
    assert_eq!(ours.capacity, RAYO_CAPACITY as i64);
    assert!(ours.commit_fee > 0);
    assert_eq!(ours.local_balance, ours.capacity - ours.commit_fee);
    assert_eq!(ours.remote_balance, 0);
    assert_ne!(ours.chan_id, 0, "short channel id from the funding block");
    let theirs = wait_ldk_usable(&ldk, rayo_funding);
    assert_eq!(theirs.counterparty_node_id.to_string(), rayod.pubkey);
    assert_eq!(theirs.channel_value_sats, RAYO_CAPACITY);
    assert!(!theirs.is_outbound && !theirs.is_announced);
    assert_eq!(theirs.short_channel_id, Some(ours.chan_id));
    assert_eq!(theirs.feerate_sat_per_1000_weight as i64, ours.fee_per_kw);
    assert_eq!(theirs.outbound_capacity_msat, 0);

    // 2. ldk-node opens to rayod.
    let rayo_id: PublicKey = rayod.pubkey.parse().expect("rayod pubkey");
    ldk.open_channel(
        rayo_id,
        SocketAddress::from_str(&rayod.p2p).expect("rayod address"),
        LDK_CAPACITY,
        None,
        None,
    )
    .expect("ldk-node opens a channel to rayod");
    let ldk_funding = wait_value("ldk-node to broadcast its funding", || {
        ldk.list_channels()
            .iter()
            .find(|c| c.is_outbound && c.counterparty_node_id == rayo_id)
            .and_then(|c| c.funding_txo)
            .filter(|txo| in_mempool(chain, &txo.txid))
    });
    mine(chain, &miner_address, CONFIRMATIONS);

    let ours = wait_rayod_channel(&rayod, ldk_funding);
    assert_eq!(ours.remote_pubkey, ldk_id.to_string());
    assert!(!ours.initiator && ours.private);
    assert_eq!(ours.capacity, LDK_CAPACITY as i64);
    assert_eq!(ours.local_balance, 0);
    assert!(ours.commit_fee > 0);
    assert_eq!(ours.remote_balance, ours.capacity - ours.commit_fee);
    let theirs = wait_ldk_usable(&ldk, ldk_funding);
    assert!(theirs.is_outbound && !theirs.is_announced);
    assert_eq!(theirs.channel_value_sats, LDK_CAPACITY);
    assert_eq!(theirs.feerate_sat_per_1000_weight as i64, ours.fee_per_kw);
    assert_eq!(theirs.short_channel_id, Some(ours.chan_id));

    let funded = [rayo_funding, ldk_funding];
    both_usable(&rayod, &ldk, &funded);
    assert!(rayod
        .client()
        .pending_channels()
        .expect("pendingchannels")
        .pending_open_channels
        .is_empty());

    // 3a. Restart rayod: it dials ldk-node again and both channels are
    // reestablished.
    rayod_slot.lock().expect("slot").take();
    rayod.stop();
    wait_for("ldk-node to see rayod leave", || {
        !ldk.list_peers()
            .iter()
            .any(|p| p.node_id == rayo_id && p.is_connected)
    });
    assert!(funded
        .iter()
        .all(|f| !ldk_channel(&ldk, *f).is_some_and(|c| c.is_usable)));
    let rayod = start_rayod(&rayod_dir, chain, rayod_slot);
    both_usable(&rayod, &ldk, &funded);

    // 3b. Restart ldk-node: rayod dials it again.
    ldk.stop().expect("ldk-node stops");
    wait_for("rayod to see ldk-node leave", || {
        !rayod
            .client()
            .list_peers()
            .expect("listpeers")
            .peers
            .iter()
            .any(|p| p.pub_key == ldk_id.to_string())
    });
    ldk.start().expect("ldk-node restarts");
    both_usable(&rayod, &ldk, &funded);

    ldk.stop().expect("ldk-node stops");
    drop(rayod);
}

/// Starts rayod on `datadir` and records its client in `slot`.
fn start_rayod(
    datadir: &Path,
    chain: &ChainDaemon,
    slot: &Mutex<Option<rayo_api::Client>>,
) -> NodeDaemon {
    let rayod = NodeDaemon::start(datadir, "rayo", chain, &["--dev.pinginterval", "5"]);
    *slot.lock().expect("slot") = Some(rayod.client());
    rayod
}

/// An ldk-node on `chain` with anchors off, listening on `port`, its debug
/// log in `dir`.
fn start_ldk(chain: &ChainDaemon, dir: &Path, port: u16) -> Node {
    let (user, password) = chain.cookie();
    let config = Config {
        network: Network::Regtest,
        storage_dir_path: dir.join("ldk").to_string_lossy().into_owned(),
        listening_addresses: Some(vec![
            SocketAddress::from_str(&format!("127.0.0.1:{port}")).expect("address")
        ]),
        anchor_channels_config: None,
        ..Config::default()
    };
    let mut builder = Builder::from_config(config);
    builder
        .set_entropy_seed_bytes(LDK_SEED)
        .set_filesystem_logger(
            Some(dir.join("ldk-node.log").to_string_lossy().into_owned()),
            Some(LogLevel::Debug),
        )
        .set_chain_source_bitcoind_rpc("127.0.0.1".to_owned(), chain.port, user, password);
    let node = builder.build().expect("ldk-node builds");
    node.start().expect("ldk-node starts");
    node
}

/// Waits until both sides list every channel in `funded` as usable: rayod
/// active (connected, nothing pending), ldk-node ready and usable (which
/// it only is after `channel_reestablish` on a new connection).
fn both_usable(rayod: &NodeDaemon, ldk: &Node, funded: &[OutPoint]) {
    wait_for("both channels usable on both sides", || {
        let client = rayod.client();
        let Ok(list) = client.list_channels() else {
            return false;
        };
        let rayod_ok = funded.iter().all(|f| {
            list.channels
                .iter()
                .any(|c| c.channel_point == f.to_string() && c.active)
        });
        rayod_ok
            && funded
                .iter()
                .all(|f| ldk_channel(ldk, *f).is_some_and(|c| c.is_channel_ready && c.is_usable))
    });
}

/// rayod's listing of the channel funded at `funding`, once it is active.
fn wait_rayod_channel(rayod: &NodeDaemon, funding: OutPoint) -> Channel {
    let client = rayod.client();
    wait_value("rayod to list the channel active", || {
        client
            .list_channels()
            .ok()?
            .channels
            .into_iter()
            .find(|c| c.channel_point == funding.to_string() && c.active)
    })
}

/// ldk-node's view of the channel funded at `funding`, once usable.
fn wait_ldk_usable(ldk: &Node, funding: OutPoint) -> ChannelDetails {
    wait_value("ldk-node to list the channel usable", || {
        ldk_channel(ldk, funding).filter(|c| c.is_channel_ready && c.is_usable)
    })
}

/// ldk-node's channel funded at `funding`.
fn ldk_channel(ldk: &Node, funding: OutPoint) -> Option<ChannelDetails> {
    ldk.list_channels()
        .into_iter()
        .find(|c| c.funding_txo == Some(funding))
}

/// Whether ldk-node's best block is the chain's tip.
fn at_tip(ldk: &Node, chain: &ChainDaemon) -> bool {
    let best = ldk.status().current_best_block;
    let tip = chain.call("getbestblockhash", json!([]));
    Some(best.block_hash.to_string().as_str()) == tip.as_str()
}

fn in_mempool(chain: &ChainDaemon, txid: &Txid) -> bool {
    chain
        .call("getrawmempool", json!([]))
        .as_array()
        .is_some_and(|txids| txids.iter().any(|t| t.as_str() == Some(&txid.to_string())))
}

fn mine(chain: &ChainDaemon, to: &Address, blocks: u64) {
    chain.call("generatetoaddress", json!([blocks, to.to_string()]));
}

fn send(chain: &ChainDaemon, tx: &Transaction) {
    let txid = chain.call("sendrawtransaction", json!([serialize_hex(tx)]));
    assert_eq!(txid.as_str(), Some(tx.compute_txid().to_string().as_str()));
}

/// Polls `ready` until it holds, panicking after [`STEP_TIMEOUT`].
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    wait_value(what, || ready().then_some(()));
}

/// Polls `value` until it gives something, panicking after
/// [`STEP_TIMEOUT`].
fn wait_value<T>(what: &str, mut value: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = value() {
            eprintln!("{what}: {:.1?}", start.elapsed());
            return v;
        }
        assert!(
            start.elapsed() < STEP_TIMEOUT,
            "timed out after {STEP_TIMEOUT:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(250));
    }
}

/// Prints the end of ldk-node's log, so a failure shows what LDK refused.
fn print_log(path: &Path) {
    const TAIL: usize = 400;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(TAIL);
            eprintln!(
                "---- ldk-node log ({}, last {TAIL} lines) ----",
                path.display()
            );
            for line in &lines[from..] {
                eprintln!("{line}");
            }
            eprintln!("---- end of ldk-node log ----");
        }
        Err(e) => eprintln!("no ldk-node log at {}: {e}", path.display()),
    }
}
