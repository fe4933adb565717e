//! rayod and LDK's `ldk-node` (anchors off, so both use
//! `option_static_remotekey`) on one `rayo-chaind`, for the interop tests
//! that run them against each other: starting and funding both, opening an
//! unannounced channel either way, bounded waits, and a runner that keeps a
//! scenario under an overall timeout and prints both nodes' logs when it
//! fails.
//!
//! Shared by `tests/ldk_node_*.rs` through `#[path]`; the including test
//! crate must also include `support/miner.rs` as `mod miner` at its root.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
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
use rayo_e2e::node::{NodeDaemon, StartOptions};
use rayo_e2e::{free_port, ChainDaemon};
use serde_json::json;

use crate::miner;

/// Upper bound for any single wait.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(45);

/// Blocks mined on each funding transaction: LDK asks for 6 confirmations
/// when it accepts (its default `minimum_depth`), rayod for 3.
pub const CONFIRMATIONS: u64 = 6;

/// What the test pays ldk-node's on-chain wallet to fund its channel.
pub const LDK_DEPOSIT: Amount = Amount::from_sat(10_000_000);

/// Fee of the deposit transaction.
const DEPOSIT_FEE: Amount = Amount::from_sat(1_000);

/// Key of the test's own miner wallet (it funds ldk-node).
const MINER_SECRET: [u8; 32] = [0x66; 32];

/// ldk-node's wallet seed; fixed so runs are reproducible.
const LDK_SEED: [u8; 64] = [0x27; 64];

/// Lines of each log printed when a scenario fails.
const LOG_TAIL: usize = 400;

/// The current rayod's REST client, so a hung scenario can still stop it.
pub type RayodSlot = Mutex<Option<rayo_api::Client>>;

/// What a scenario runs with: the chain, its own temporary directory (where
/// both nodes' logs go) and the slot it keeps its rayod's client in.
pub struct Env<'a> {
    /// The chain both nodes use.
    pub chain: &'a ChainDaemon,
    /// The scenario's directory: nodes' data and logs.
    pub dir: &'a Path,
    /// Holds the running rayod's client (see [`start_rayod`]).
    pub rayod_slot: &'a RayodSlot,
}

/// Runs `scenario` on its own thread against a new `rayo-chaind` started
/// with `chain_args`, panicking if it fails or takes longer than `timeout`.
/// On failure, the end of ldk-node's and rayod's logs is printed; on a
/// timeout the stuck scenario's rayod and the chain are stopped over their
/// APIs, so no process outlives the test.
pub fn run_scenario(
    chain_args: &[&str],
    timeout: Duration,
    scenario: impl FnOnce(&Env<'_>) + Send + 'static,
) {
    let chain = Arc::new(ChainDaemon::start(chain_args));
    let tmp = tempfile::tempdir().expect("temp dir");
    let rayod_slot: Arc<RayodSlot> = Arc::default();

    let started = Instant::now();
    let (done_tx, done_rx) = mpsc::channel();
    let worker = {
        let chain = Arc::clone(&chain);
        let dir = tmp.path().to_owned();
        let slot = Arc::clone(&rayod_slot);
        thread::spawn(move || {
            scenario(&Env {
                chain: &chain,
                dir: &dir,
                rayod_slot: &slot,
            });
            let _ = done_tx.send(());
        })
    };

    match done_rx.recv_timeout(timeout) {
        Ok(()) => {
            worker.join().expect("scenario thread");
            eprintln!("scenario passed in {:.1?}", started.elapsed());
        }
        Err(RecvTimeoutError::Disconnected) => {
            let panic = worker.join().expect_err("scenario ended without reporting");
            print_logs(tmp.path());
            panic::resume_unwind(panic);
        }
        Err(RecvTimeoutError::Timeout) => {
            print_logs(tmp.path());
            // The stuck thread holds the daemons: stop them over their APIs
            // so no process outlives the test.
            if let Some(client) = rayod_slot.lock().expect("slot").take() {
                let _ = client.stop();
            }
            let _ = panic::catch_unwind(AssertUnwindSafe(|| chain.call("stop", json!([]))));
            panic!("test did not finish within {timeout:?}");
        }
    }
}

/// The test's miner wallet: block 1 pays it, and it funds ldk-node.
pub struct Miner {
    key: SecretKey,
    /// Its P2WPKH address, which blocks mined by the test pay.
    pub address: Address,
}

impl Miner {
    /// The miner, with block 1 mined to it (the chain must be empty).
    pub fn new(chain: &ChainDaemon) -> Miner {
        let secp = Secp256k1::new();
        let key = SecretKey::from_slice(&MINER_SECRET).expect("valid secret");
        let address = Address::p2wpkh(
            &CompressedPublicKey(key.public_key(&secp)),
            Network::Regtest,
        );
        mine(chain, &address, 1);
        Miner { key, address }
    }

    /// Mines `blocks` blocks to the miner.
    pub fn mine(&self, chain: &ChainDaemon, blocks: u64) {
        mine(chain, &self.address, blocks);
    }
}

/// Both nodes running, funded, connected to nothing yet.
pub struct Nodes {
    /// The test's miner.
    pub miner: Miner,
    /// rayod, its wallet funded by 101 blocks.
    pub rayod: NodeDaemon,
    /// rayod's data directory (a restart reuses it).
    pub rayod_dir: PathBuf,
    /// ldk-node, its wallet holding [`LDK_DEPOSIT`].
    pub ldk: Node,
    /// ldk-node's listening address, `127.0.0.1:port`.
    pub ldk_addr: String,
}

/// Starts rayod and ldk-node on `env`'s chain (which must be empty) and
/// funds both: rayod by the coinbases of blocks 2..=102, ldk-node by a
/// deposit from the miner's block-1 coinbase.
pub fn start_funded(env: &Env<'_>) -> Nodes {
    let chain = env.chain;
    let miner = Miner::new(chain);

    let rayod_dir = env.dir.join("rayod");
    let rayod = start_rayod(&rayod_dir, chain, env.rayod_slot);
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
    let ldk = start_ldk(chain, env.dir, ldk_port);
    wait_for("ldk-node to sync to the tip", || at_tip(&ldk, chain));
    let ldk_address = ldk.onchain_payment().new_address().expect("ldk address");
    let deposit = miner::pay_from_coinbase(
        chain,
        &miner.key,
        &miner.address,
        &ldk_address.script_pubkey(),
        LDK_DEPOSIT,
        DEPOSIT_FEE,
    );
    send(chain, &deposit);
    miner.mine(chain, 1);
    wait_for("ldk-node's deposit to confirm", || {
        ldk.list_balances().spendable_onchain_balance_sats == LDK_DEPOSIT.to_sat()
    });
    Nodes {
        miner,
        rayod,
        rayod_dir,
        ldk,
        ldk_addr: format!("127.0.0.1:{ldk_port}"),
    }
}

/// Connects rayod to ldk-node and opens an unannounced channel of
/// `capacity` sat to it (as `openchannel --private`); returns the funding
/// outpoint once ldk-node has seen the funding transaction (not yet mined).
pub fn rayod_opens(nodes: &Nodes, capacity: u64) -> OutPoint {
    let (rayod, ldk) = (&nodes.rayod, &nodes.ldk);
    rayod
        .client()
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: ldk.node_id().to_string(),
                host: nodes.ldk_addr.clone(),
            },
            ..ConnectPeerRequest::default()
        })
        .expect("rayod connects to ldk-node");
    let point = rayod
        .client()
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: ldk.node_id().to_string(),
            local_funding_amount: i64::try_from(capacity).expect("capacity"),
            private: true,
            ..OpenChannelRequest::default()
        })
        .expect("rayod opens a channel to ldk-node");
    let funding = OutPoint {
        txid: point
            .txid()
            .expect("funding txid")
            .parse()
            .expect("txid hex"),
        vout: point.output_index,
    };
    wait_for("ldk-node to see the funding transaction", || {
        ldk_channel(ldk, funding).is_some()
    });
    funding
}

/// ldk-node opens an unannounced channel of `capacity` sat to rayod;
/// returns the funding outpoint once the funding transaction is in the
/// chain's mempool.
pub fn ldk_opens(nodes: &Nodes, chain: &ChainDaemon, capacity: u64) -> OutPoint {
    let rayo_id: PublicKey = nodes.rayod.pubkey.parse().expect("rayod pubkey");
    nodes
        .ldk
        .open_channel(
            rayo_id,
            SocketAddress::from_str(&nodes.rayod.p2p).expect("rayod address"),
            capacity,
            None,
            None,
        )
        .expect("ldk-node opens a channel to rayod");
    wait_value("ldk-node to broadcast its funding", || {
        nodes
            .ldk
            .list_channels()
            .iter()
            .find(|c| c.is_outbound && c.counterparty_node_id == rayo_id)
            .and_then(|c| c.funding_txo)
            .filter(|txo| in_mempool(chain, &txo.txid))
    })
}

/// Starts rayod on `datadir` and records its client in `slot`. Its log (its
/// stderr) goes to the next free `rayod-N.log` beside `datadir`, which
/// [`run_scenario`] prints when the scenario fails.
pub fn start_rayod(datadir: &Path, chain: &ChainDaemon, slot: &RayodSlot) -> NodeDaemon {
    let log_file = (1..)
        .map(|n| datadir.with_file_name(format!("rayod-{n}.log")))
        .find(|path| !path.exists())
        .expect("a free log name");
    let rayod = NodeDaemon::start_with(
        datadir,
        "rayo",
        chain,
        &["--dev.pinginterval", "5"],
        &StartOptions {
            log_file: Some(log_file),
            ..StartOptions::default()
        },
    );
    *slot.lock().expect("slot") = Some(rayod.client());
    rayod
}

/// An ldk-node on `chain` with anchors off, listening on `port`, its debug
/// log in `dir` (see [`ldk_log_path`]).
pub fn start_ldk(chain: &ChainDaemon, dir: &Path, port: u16) -> Node {
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
            Some(ldk_log_path(dir).to_string_lossy().into_owned()),
            Some(LogLevel::Debug),
        )
        .set_chain_source_bitcoind_rpc("127.0.0.1".to_owned(), chain.port, user, password);
    let node = builder.build().expect("ldk-node builds");
    node.start().expect("ldk-node starts");
    node
}

/// Where [`start_ldk`] has ldk-node log, in the scenario's directory.
pub fn ldk_log_path(dir: &Path) -> PathBuf {
    dir.join("ldk-node.log")
}

/// Waits until both sides list every channel in `funded` as usable: rayod
/// active (connected, nothing pending), ldk-node ready and usable (which
/// it only is after `channel_reestablish` on a new connection).
pub fn both_usable(rayod: &NodeDaemon, ldk: &Node, funded: &[OutPoint]) {
    let client = rayod.client();
    wait_for("both channels usable on both sides", || {
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
pub fn wait_rayod_channel(rayod: &NodeDaemon, funding: OutPoint) -> Channel {
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
pub fn wait_ldk_usable(ldk: &Node, funding: OutPoint) -> ChannelDetails {
    wait_value("ldk-node to list the channel usable", || {
        ldk_channel(ldk, funding).filter(|c| c.is_channel_ready && c.is_usable)
    })
}

/// ldk-node's channel funded at `funding`.
pub fn ldk_channel(ldk: &Node, funding: OutPoint) -> Option<ChannelDetails> {
    ldk.list_channels()
        .into_iter()
        .find(|c| c.funding_txo == Some(funding))
}

/// Whether ldk-node's best block is the chain's tip.
pub fn at_tip(ldk: &Node, chain: &ChainDaemon) -> bool {
    let best = ldk.status().current_best_block;
    let tip = chain.call("getbestblockhash", json!([]));
    Some(best.block_hash.to_string().as_str()) == tip.as_str()
}

/// Whether `txid` is in the chain's mempool.
pub fn in_mempool(chain: &ChainDaemon, txid: &Txid) -> bool {
    chain
        .call("getrawmempool", json!([]))
        .as_array()
        .is_some_and(|txids| txids.iter().any(|t| t.as_str() == Some(&txid.to_string())))
}

/// Mines `blocks` blocks paying `to`.
pub fn mine(chain: &ChainDaemon, to: &Address, blocks: u64) {
    chain.call("generatetoaddress", json!([blocks, to.to_string()]));
}

/// Broadcasts `tx`, checking the txid the chain answers.
pub fn send(chain: &ChainDaemon, tx: &Transaction) {
    let txid = chain.call("sendrawtransaction", json!([serialize_hex(tx)]));
    assert_eq!(txid.as_str(), Some(tx.compute_txid().to_string().as_str()));
}

/// Polls `ready` until it holds, panicking after [`STEP_TIMEOUT`].
pub fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    wait_value(what, || ready().then_some(()));
}

/// Polls `value` until it gives something, panicking after
/// [`STEP_TIMEOUT`].
pub fn wait_value<T>(what: &str, mut value: impl FnMut() -> Option<T>) -> T {
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

/// Prints the end of ldk-node's log and of every rayod log in `dir`, so a
/// failure shows what either side refused.
pub fn print_logs(dir: &Path) {
    let mut rayod_logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("rayod-") && n.ends_with(".log"))
                })
                .collect()
        })
        .unwrap_or_default();
    rayod_logs.sort();
    for path in rayod_logs {
        print_tail("rayod log", &path);
    }
    print_tail("ldk-node log", &ldk_log_path(dir));
}

/// Prints the last [`LOG_TAIL`] lines of the log at `path`.
fn print_tail(what: &str, path: &Path) {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(LOG_TAIL);
            eprintln!(
                "---- {what} ({}, last {LOG_TAIL} lines) ----",
                path.display()
            );
            for line in &lines[from..] {
                eprintln!("{line}");
            }
            eprintln!("---- end of {what} ----");
        }
        Err(e) => eprintln!("no {what} at {}: {e}", path.display()),
    }
}
