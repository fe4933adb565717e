//! LDK's `ldk-node` syncing its wallet from `rayo-chaind` over the bitcoind
//! RPC.
//!
//! ldk-node is an independent Lightning node with a strict bitcoind RPC
//! client (`lightning-block-sync` plus BDK): it re-hashes every header,
//! checks proof of work and chainwork, decodes whole blocks and follows the
//! mempool. Every channel test against LDK stands on this, so this test pins
//! the chain side alone, without any Lightning peer:
//!
//! * a fresh ldk-node starts at the chain's tip (that is where a new node
//!   takes its birthday), then follows [`CATCH_UP_BLOCKS`] blocks mined at
//!   once while it runs, which makes it walk and check their headers and
//!   fetch the blocks, and reports the same best block hash and height as
//!   `getbestblockhash`/`getblockcount`;
//! * a real P2WPKH transaction paying its wallet, broadcast with
//!   `sendrawtransaction`, shows up as an unconfirmed (untrusted, so not yet
//!   spendable) balance through `getrawmempool`/`getmempoolentry`/
//!   `getrawtransaction`;
//! * once mined, the exact deposited amount is its confirmed, spendable
//!   on-chain balance, at the new tip;
//! * stopped and restarted after [`RESTART_BLOCKS`] more blocks, it catches
//!   up to the tip through its start-up sync and keeps that balance.
//!
//! A hang anywhere (in the daemon or in ldk-node) fails the test after
//! [`TEST_TIMEOUT`]; ldk-node's log, kept in the temporary directory, is
//! printed when the test fails.

#[path = "../support/miner.rs"]
mod miner;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, Amount, BlockHash, CompressedPublicKey, Network, Txid};
use ldk_node::logger::LogLevel;
use ldk_node::{Builder, Node};
use rayo_e2e::ChainDaemon;
use serde_json::json;

/// Upper bound for the whole test once the binaries are built, so a hang
/// fails CI instead of blocking it.
const TEST_TIMEOUT: Duration = Duration::from_secs(150);

/// Upper bound for one wait on ldk-node (it polls the chain every 2 s).
const STEP_TIMEOUT: Duration = Duration::from_secs(45);

/// Blocks mined before ldk-node starts: enough for the first coinbase to be
/// spendable (100 confirmations) by a transaction in the next block.
const INITIAL_BLOCKS: u64 = 101;

/// Blocks mined in one go while ldk-node runs, which it must then connect
/// one by one from their headers.
const CATCH_UP_BLOCKS: u64 = 10;

/// Blocks mined while ldk-node is stopped, which it must catch up on when
/// it starts again.
const RESTART_BLOCKS: u64 = 5;

/// What the test pays ldk-node's wallet; an odd amount so a match cannot be a
/// coincidence (a coinbase, a round number).
const DEPOSIT: Amount = Amount::from_sat(1_234_567);

/// Fee of the deposit transaction (about 7 sat/vB for its ~141 vB).
const FEE: Amount = Amount::from_sat(1_000);

/// Key of the test's own miner wallet; fixed so runs are reproducible.
const MINER_SECRET: [u8; 32] = [0x55; 32];

/// ldk-node's wallet seed; fixed so runs are reproducible.
const LDK_SEED: [u8; 64] = [0x42; 64];

#[test]
fn ldk_node_syncs_and_sees_deposit() {
    let daemon = Arc::new(ChainDaemon::start(&[]));
    let tmp = tempfile_dir();
    let log_path = tmp.join("ldk-node.log");

    let (done_tx, done_rx) = mpsc::channel();
    let worker = {
        let daemon = Arc::clone(&daemon);
        let tmp = tmp.clone();
        thread::spawn(move || {
            scenario(&daemon, &tmp);
            let _ = done_tx.send(());
        })
    };

    match done_rx.recv_timeout(TEST_TIMEOUT) {
        Ok(()) => {
            worker.join().expect("scenario thread");
        }
        Err(RecvTimeoutError::Disconnected) => {
            // The scenario panicked: show ldk-node's side, then its panic.
            let panic = worker.join().expect_err("scenario ended without reporting");
            print_log(&log_path);
            panic::resume_unwind(panic);
        }
        Err(RecvTimeoutError::Timeout) => {
            print_log(&log_path);
            // The stuck thread still holds the daemon: stop it over RPC so no
            // process outlives the test.
            let _ = panic::catch_unwind(AssertUnwindSafe(|| daemon.call("stop", json!([]))));
            panic!("test did not finish within {TEST_TIMEOUT:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The test proper, run on its own thread under the overall timeout.
fn scenario(daemon: &ChainDaemon, tmp: &Path) {
    let secp = Secp256k1::new();
    let miner_key = SecretKey::from_slice(&MINER_SECRET).expect("valid secret");
    let miner_pubkey = CompressedPublicKey(miner_key.public_key(&secp));
    let miner_address = Address::p2wpkh(&miner_pubkey, Network::Regtest);

    let mined = daemon.call(
        "generatetoaddress",
        json!([INITIAL_BLOCKS, miner_address.to_string()]),
    );
    assert_eq!(
        mined.as_array().map(Vec::len),
        Some(INITIAL_BLOCKS as usize)
    );

    let node = start_node(daemon, tmp);

    wait_for("ldk-node to sync to the initial tip", || {
        at_chain_tip(&node, daemon)
    });
    assert_eq!(
        u64::from(node.status().current_best_block.height),
        INITIAL_BLOCKS
    );
    assert_eq!(node.list_balances().total_onchain_balance_sats, 0);

    daemon.call(
        "generatetoaddress",
        json!([CATCH_UP_BLOCKS, miner_address.to_string()]),
    );
    wait_for("ldk-node to follow the new blocks", || {
        at_chain_tip(&node, daemon)
    });
    let tip_height = INITIAL_BLOCKS + CATCH_UP_BLOCKS;
    assert_eq!(
        u64::from(node.status().current_best_block.height),
        tip_height
    );

    let ldk_address = node
        .onchain_payment()
        .new_address()
        .expect("ldk-node address");
    let deposit = miner::pay_from_coinbase(
        daemon,
        &miner_key,
        &miner_address,
        &ldk_address.script_pubkey(),
        DEPOSIT,
        FEE,
    );
    let txid: Txid = daemon
        .call("sendrawtransaction", json!([serialize_hex(&deposit)]))
        .as_str()
        .expect("txid string")
        .parse()
        .expect("txid");
    assert_eq!(txid, deposit.compute_txid());
    let mempool = daemon.call("getrawmempool", json!([]));
    assert_eq!(mempool, json!([txid.to_string()]));

    // Unconfirmed and paid by someone else: counted, not yet spendable.
    wait_for("ldk-node to see the deposit in the mempool", || {
        let b = node.list_balances();
        b.total_onchain_balance_sats == DEPOSIT.to_sat() && b.spendable_onchain_balance_sats == 0
    });

    let block = daemon.call("generatetoaddress", json!([1, miner_address.to_string()]));
    let block_hash = block[0].as_str().expect("block hash").to_owned();
    let mined_txs = daemon.call("getblock", json!([block_hash, 1]))["tx"].clone();
    assert_eq!(mined_txs[1], json!(txid.to_string()), "deposit mined");

    wait_for("ldk-node to see the deposit confirmed", || {
        let b = node.list_balances();
        at_chain_tip(&node, daemon)
            && b.total_onchain_balance_sats == DEPOSIT.to_sat()
            && b.spendable_onchain_balance_sats == DEPOSIT.to_sat()
    });
    let status = node.status();
    assert_eq!(u64::from(status.current_best_block.height), tip_height + 1);
    assert_eq!(status.current_best_block.block_hash.to_string(), block_hash);
    assert!(status.latest_onchain_wallet_sync_timestamp.is_some());
    let balances = node.list_balances();
    assert_eq!(balances.total_onchain_balance_sats, DEPOSIT.to_sat());
    assert_eq!(balances.spendable_onchain_balance_sats, DEPOSIT.to_sat());
    assert_eq!(balances.total_lightning_balance_sats, 0);

    // A restart catches up from its stored best block, through the start-up
    // path (finding where its view and the chain's meet) rather than polling.
    node.stop().expect("ldk-node stops");
    daemon.call(
        "generatetoaddress",
        json!([RESTART_BLOCKS, miner_address.to_string()]),
    );
    node.start().expect("ldk-node restarts");
    wait_for("ldk-node to catch up after a restart", || {
        at_chain_tip(&node, daemon)
    });
    assert_eq!(
        u64::from(node.status().current_best_block.height),
        tip_height + 1 + RESTART_BLOCKS
    );
    let balances = node.list_balances();
    assert_eq!(balances.total_onchain_balance_sats, DEPOSIT.to_sat());
    assert_eq!(balances.spendable_onchain_balance_sats, DEPOSIT.to_sat());

    node.stop().expect("ldk-node stops");
}

/// Builds and starts an ldk-node on regtest with `daemon` as its bitcoind
/// RPC chain source, its storage and debug log in `tmp`.
fn start_node(daemon: &ChainDaemon, tmp: &Path) -> Node {
    let (user, password) = daemon.cookie();
    let mut builder = Builder::new();
    builder
        .set_network(Network::Regtest)
        .set_entropy_seed_bytes(LDK_SEED)
        .set_storage_dir_path(tmp.join("ldk").to_string_lossy().into_owned())
        .set_filesystem_logger(
            Some(tmp.join("ldk-node.log").to_string_lossy().into_owned()),
            Some(LogLevel::Debug),
        )
        .set_chain_source_bitcoind_rpc("127.0.0.1".to_owned(), daemon.port, user, password);
    let node = builder.build().expect("ldk-node builds");
    node.start().expect("ldk-node starts");
    node
}

/// Whether ldk-node's best block is the chain's tip (same hash and height).
fn at_chain_tip(node: &Node, daemon: &ChainDaemon) -> bool {
    let best = node.status().current_best_block;
    let tip: BlockHash = daemon
        .call("getbestblockhash", json!([]))
        .as_str()
        .expect("hash string")
        .parse()
        .expect("block hash");
    let height = daemon.call("getblockcount", json!([])).as_u64();
    best.block_hash == tip && Some(u64::from(best.height)) == height
}

/// Polls `ready` until it holds, panicking after [`STEP_TIMEOUT`] with what
/// was awaited.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < STEP_TIMEOUT,
            "timed out after {STEP_TIMEOUT:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(200));
    }
    eprintln!("{what}: {:.1?}", start.elapsed());
}

/// A fresh temporary directory for ldk-node's storage and log.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rayo-ldk-node-chain-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Prints ldk-node's log (the last lines), so a failure shows which RPC call
/// or answer it stumbled on.
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
