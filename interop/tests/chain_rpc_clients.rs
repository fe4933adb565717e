//! `rayo-chaind` against two Bitcoin Core RPC client crates that nobody here
//! wrote: `corepc-client` (its `client_sync::v28` client, the Core version
//! the daemon claims in `getnetworkinfo`) and `bitcoincore-rpc` 0.19 (what
//! BDK's `bdk_bitcoind_rpc` uses).
//!
//! Each test runs the real daemon, authenticates with its cookie file, and
//! decodes every answer into the crate's own typed result, so a field Core
//! 28 sends that the daemon misses, misnames or mistypes fails the test.
//! The values are then checked against what the chain really did: a key we
//! hold receives 101 coinbases, a signed P2WPKH spend and its child go
//! through `testmempoolaccept`, `sendrawtransaction`, the mempool views and
//! into a block; `gettxout` follows the coins as they are spent; an
//! `invalidateblock`/`reconsiderblock` round trip moves the tip and the
//! transactions back and forth; unknown blocks and transactions, bad
//! heights and invalid transactions get Core's error codes.
//!
//! * [`corepc_v28_client_decodes_and_agrees_with_the_chain`]
//! * [`bitcoincore_rpc_client_decodes_and_agrees_with_the_chain`]

// `corepc-client`'s `client_sync` is deprecated in favour of a crate that
// downloads a Core binary; the typed client itself is what is tested here.
#![allow(deprecated)]

use std::time::{SystemTime, UNIX_EPOCH};

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{All, Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    absolute, transaction, Address, Amount, BlockHash, CompressedPublicKey, Network, OutPoint,
    ScriptBuf, Sequence, Transaction, TxIn, TxOut, Txid, Witness, Work,
};
use rayo_e2e::ChainDaemon;

/// A key we hold and its regtest P2WPKH address.
struct Signer {
    secp: Secp256k1<All>,
    secret: SecretKey,
    public: CompressedPublicKey,
    address: Address,
}

impl Signer {
    fn new(seed: u8) -> Self {
        let secp = Secp256k1::new();
        let secret = SecretKey::from_slice(&[seed; 32]).expect("valid secret key");
        let public = CompressedPublicKey(secret.public_key(&secp));
        let address = Address::p2wpkh(&public, Network::Regtest);
        Signer {
            secp,
            secret,
            public,
            address,
        }
    }

    fn script(&self) -> ScriptBuf {
        self.address.script_pubkey()
    }

    /// A version 2 transaction spending our output `prev` (worth `value`)
    /// to `outputs`, signed with SIGHASH_ALL.
    fn spend(&self, prev: OutPoint, value: Amount, outputs: Vec<TxOut>) -> Transaction {
        let mut tx = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: prev,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            }],
            output: outputs,
        };
        let sighash = SighashCache::new(&tx)
            .p2wpkh_signature_hash(0, &self.script(), value, EcdsaSighashType::All)
            .expect("sighash of input 0");
        let signature = bitcoin::ecdsa::Signature {
            signature: self
                .secp
                .sign_ecdsa(&Message::from_digest(sighash.to_byte_array()), &self.secret),
            sighash_type: EcdsaSighashType::All,
        };
        tx.input[0].witness = Witness::p2wpkh(&signature, &self.public.0);
        tx
    }

    /// One output paying `value` to us.
    fn pay(&self, value: Amount) -> TxOut {
        TxOut {
            value,
            script_pubkey: self.script(),
        }
    }
}

/// The scenario's transactions: `parent` spends the coinbase of block 1 to
/// us (two outputs), `child` spends the parent's output 0; both pay
/// [`FEE`]. `bad_signature` is the parent with a corrupted signature and
/// `double_spend` spends the same coinbase elsewhere.
struct Spends {
    coinbase: OutPoint,
    parent: Transaction,
    child: Transaction,
    bad_signature: Transaction,
    double_spend: Transaction,
}

const FEE: Amount = Amount::from_sat(10_000);
const SUBSIDY: Amount = Amount::from_sat(50 * 100_000_000);
const SECOND_OUTPUT: Amount = Amount::from_sat(100_000_000);

fn spends(signer: &Signer, coinbase_txid: Txid) -> Spends {
    let coinbase = OutPoint::new(coinbase_txid, 0);
    let change = SUBSIDY - SECOND_OUTPUT - FEE;
    let parent = signer.spend(
        coinbase,
        SUBSIDY,
        vec![signer.pay(change), signer.pay(SECOND_OUTPUT)],
    );
    let child = signer.spend(
        OutPoint::new(parent.compute_txid(), 0),
        change,
        vec![signer.pay(change - FEE)],
    );
    let mut bad_signature = parent.clone();
    let mut items: Vec<Vec<u8>> = bad_signature.input[0].witness.to_vec();
    items[0][10] ^= 1;
    bad_signature.input[0].witness = Witness::from_slice(&items);
    let elsewhere = Signer::new(0x42);
    let double_spend = signer.spend(coinbase, SUBSIDY, vec![elsewhere.pay(SUBSIDY - FEE)]);
    Spends {
        coinbase,
        parent,
        child,
        bad_signature,
        double_spend,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time after 1970")
        .as_secs()
}

/// The JSON-RPC error code inside a `corepc-client` error. The crate does
/// not re-export its `jsonrpc` dependency, so the code is read from the
/// error's `Debug` form, `JsonRpc(Rpc(RpcError { code: -5, .. }))`.
fn corepc_code<T: std::fmt::Debug>(result: Result<T, corepc_client::client_sync::Error>) -> i32 {
    let error = format!("{:?}", result.expect_err("an RPC error"));
    let rest = error
        .split_once("Rpc(RpcError { code: ")
        .unwrap_or_else(|| panic!("not an RPC error response: {error}"))
        .1;
    let digits: String = rest
        .chars()
        .take_while(|c| *c == '-' || c.is_ascii_digit())
        .collect();
    digits.parse().expect("numeric error code")
}

/// The JSON-RPC error code inside a `bitcoincore-rpc` error.
fn core_rpc_code<T: std::fmt::Debug>(result: bitcoincore_rpc::Result<T>) -> i32 {
    match result.expect_err("an RPC error") {
        bitcoincore_rpc::Error::JsonRpc(bitcoincore_rpc::jsonrpc::Error::Rpc(e)) => e.code,
        other => panic!("not an RPC error response: {other:?}"),
    }
}

/// `work` as the 32 big-endian bytes of a `chainwork`.
fn work_bytes(work: u64) -> [u8; 32] {
    let mut bytes = [0; 32];
    bytes[24..].copy_from_slice(&work.to_be_bytes());
    bytes
}

const UNKNOWN_HASH: &str = "00000000000000000000000000000000000000000000000000000000000000aa";

#[test]
fn corepc_v28_client_decodes_and_agrees_with_the_chain() {
    use corepc_client::client_sync::v28::Client;
    use corepc_client::client_sync::Auth;
    use corepc_client::types::model::ChainTipsStatus;
    use corepc_client::types::{v28, v29};

    let daemon = ChainDaemon::start(&[]);
    let rpc = Client::new_with_auth(&daemon.url(), Auth::CookieFile(daemon.cookie_path()))
        .expect("cookie auth");
    let signer = Signer::new(0x11);

    // The client's own version check accepts the daemon as Core 28.
    rpc.check_expected_server_version()
        .expect("daemon claims a Core 28 version");
    let network = rpc
        .get_network_info()
        .expect("getnetworkinfo")
        .into_model()
        .expect("model");
    assert_eq!(network.version, 280_000);
    assert!(network.relay_fee.expect("relay fee") > bitcoin::FeeRate::ZERO);
    assert!(network.warnings.is_empty());
    assert!(rpc.uptime().expect("uptime") < 600);

    // Genesis only.
    let genesis = rpc.best_block_hash().expect("getbestblockhash");
    let info = rpc
        .get_blockchain_info()
        .expect("getblockchaininfo")
        .into_model()
        .expect("model");
    assert_eq!(info.chain, Network::Regtest);
    assert_eq!((info.blocks, info.headers), (0, 0));
    assert_eq!(info.best_block_hash, genesis);
    assert_eq!(rpc.get_block_count().expect("getblockcount").0, 0);

    // 101 blocks to our key: the first coinbase becomes spendable.
    let mined = rpc
        .generate_to_address(101, &signer.address)
        .expect("generatetoaddress")
        .into_model()
        .expect("model")
        .0;
    assert_eq!(mined.len(), 101);
    assert_eq!(rpc.get_block_count().expect("getblockcount").0, 101);
    assert_eq!(rpc.best_block_hash().expect("getbestblockhash"), mined[100]);
    for (i, hash) in mined.iter().enumerate() {
        let at = rpc.get_block_hash(i as u64 + 1).expect("getblockhash");
        assert_eq!(at.block_hash().expect("hash"), *hash, "height {}", i + 1);
    }
    let info = rpc
        .get_blockchain_info()
        .expect("getblockchaininfo")
        .into_model()
        .expect("model");
    assert_eq!((info.blocks, info.best_block_hash), (101, mined[100]));
    assert_eq!(info.chain_work, Work::from_be_bytes(work_bytes(2 * 102)));
    let difficulty = rpc.get_difficulty().expect("getdifficulty").0;
    assert!(difficulty > 0.0 && difficulty == info.difficulty);

    // Block 1: header (verbose and hex) and block at verbosity 0, 1, 2.
    let block1 = mined[0];
    let header = rpc
        .get_block_header_verbose(&block1)
        .expect("getblockheader verbose");
    // corepc-types 0.16's `GetBlockHeaderVerbose::into_model` parses
    // `chainwork` from the `bits` field (a crate bug), so the work is read
    // from the decoded string: 2 per regtest block, genesis and block 1.
    let chain_work = Work::from_unprefixed_hex(&header.chain_work).expect("chainwork hex");
    assert_eq!(chain_work, Work::from_be_bytes(work_bytes(4)));
    let header = header.into_model().expect("model");
    assert_eq!(
        (header.hash, header.height, header.confirmations),
        (block1, 1, 101)
    );
    assert_eq!(header.previous_block_hash, Some(genesis));
    assert_eq!(header.next_block_hash, Some(mined[1]));
    assert_eq!(header.n_tx, 1);
    assert_eq!(header.bits.to_consensus(), 0x207f_ffff);
    let raw_header = rpc
        .get_block_header(&block1)
        .expect("getblockheader hex")
        .into_model()
        .expect("model")
        .0;
    assert_eq!(raw_header.block_hash(), block1);
    assert_eq!(raw_header.merkle_root, header.merkle_root);
    let block = rpc.get_block(block1).expect("getblock 0");
    assert_eq!(block.block_hash(), block1);
    assert!(block.check_merkle_root() && block.check_witness_commitment());
    let coinbase = &block.txdata[0];
    // BIP 34 height 1 is OP_1, as Core writes it (rust-bitcoin's
    // `bip34_block_height` only reads pushes; it is checked at 102 below).
    assert_eq!(coinbase.input[0].script_sig.as_bytes()[0], 0x51);
    assert_eq!(coinbase.output[0].script_pubkey, signer.script());
    assert_eq!(coinbase.output[0].value, SUBSIDY);
    let verbose = rpc
        .get_block_verbose_one(block1)
        .expect("getblock 1")
        .into_model()
        .expect("model");
    assert_eq!(verbose.tx, vec![coinbase.compute_txid()]);
    assert_eq!((verbose.height, verbose.confirmations), (1, 101));
    assert_eq!(verbose.weight, block.weight());
    assert_eq!(verbose.size as usize, block.total_size());
    assert_eq!(verbose.chain_work, chain_work);

    // The coinbase output, unspent and confirmed 101 times.
    let txout = rpc
        .get_tx_out(coinbase.compute_txid(), 0)
        .expect("gettxout")
        .into_model()
        .expect("model");
    assert_eq!((txout.best_block, txout.confirmations), (mined[100], 101));
    assert_eq!(txout.tx_out, coinbase.output[0]);
    assert!(txout.coinbase);
    assert_eq!(
        txout.address.expect("address").assume_checked(),
        signer.address
    );

    // Spends of it, checked before they are sent.
    let s = spends(&signer, coinbase.compute_txid());
    let (parent_id, child_id) = (s.parent.compute_txid(), s.child.compute_txid());
    let decoded = rpc
        .decode_raw_transaction(&s.parent)
        .expect("decoderawtransaction");
    assert_eq!(decoded.0.txid, parent_id.to_string());
    assert_eq!(decoded.0.vsize as usize, s.parent.vsize());
    // Core 23+ gives every scriptPubKey its inferred descriptor.
    let desc = decoded.0.outputs[0].script_pubkey.descriptor.as_deref();
    assert!(
        desc.expect("desc")
            .starts_with(&format!("addr({})#", signer.address)),
        "{desc:?}"
    );
    assert_eq!(decoded.into_model().expect("model").0, s.parent);
    let accept = rpc
        .test_mempool_accept(std::slice::from_ref(&s.parent))
        .expect("testmempoolaccept")
        .into_model()
        .expect("model");
    let [verdict] = accept.results.as_slice() else {
        panic!("one result per transaction")
    };
    assert!(verdict.allowed, "{verdict:?}");
    assert_eq!(verdict.txid, parent_id);
    assert_eq!(verdict.vsize, Some(s.parent.vsize() as u32));
    let fees = verdict.fees.as_ref().expect("fees when allowed");
    assert_eq!(fees.base, FEE);
    let per_kvb = FEE.to_sat() * 1000 / s.parent.vsize() as u64;
    assert_eq!(
        fees.effective_fee_rate,
        bitcoin::FeeRate::from_sat_per_vb(per_kvb).and_then(|r| r.checked_div(1000))
    );
    assert_eq!(
        fees.effective_includes.as_deref(),
        Some(&[s.parent.compute_wtxid()][..])
    );
    let rejected = rpc
        .test_mempool_accept(std::slice::from_ref(&s.bad_signature))
        .expect("testmempoolaccept")
        .into_model()
        .expect("model");
    assert!(!rejected.results[0].allowed);
    assert!(rejected.results[0].reject_reason.is_some());
    assert_eq!(corepc_code(rpc.send_raw_transaction(&s.bad_signature)), -26);

    // Into the mempool: parent, then its child.
    let sent = rpc
        .send_raw_transaction(&s.parent)
        .expect("sendrawtransaction");
    assert_eq!(sent.txid().expect("txid"), parent_id);
    let sent = rpc
        .send_raw_transaction(&s.child)
        .expect("sendrawtransaction");
    assert_eq!(sent.txid().expect("txid"), child_id);
    // The same coinbase spent elsewhere conflicts with the mempool parent.
    assert_eq!(corepc_code(rpc.send_raw_transaction(&s.double_spend)), -26);

    let mut pool = rpc
        .get_raw_mempool()
        .expect("getrawmempool")
        .into_model()
        .expect("model")
        .0;
    pool.sort();
    let mut expected = vec![parent_id, child_id];
    expected.sort();
    assert_eq!(pool, expected);
    let verbose_pool = rpc
        .get_raw_mempool_verbose()
        .expect("getrawmempool verbose")
        .into_model()
        .expect("model")
        .0;
    let parent_entry = &verbose_pool[&parent_id];
    assert_eq!(parent_entry.spent_by, vec![child_id]);
    assert_eq!(parent_entry.descendant_count, 2);
    assert_eq!(parent_entry.fees.descendant, FEE + FEE);
    let entry = rpc
        .get_mempool_entry(child_id)
        .expect("getmempoolentry")
        .into_model()
        .expect("model")
        .0;
    assert_eq!(entry.depends, vec![parent_id]);
    assert_eq!((entry.ancestor_count, entry.height), (2, 101));
    assert_eq!(entry.wtxid, s.child.compute_wtxid());
    assert_eq!(entry.vsize, Some(s.child.vsize() as u32));
    assert_eq!(entry.fees.base, FEE);
    assert!(u64::from(entry.time).abs_diff(now()) < 120);
    assert_eq!(
        corepc_code(rpc.get_mempool_entry(coinbase.compute_txid())),
        -5
    );
    let mempool = rpc
        .get_mempool_info()
        .expect("getmempoolinfo")
        .into_model()
        .expect("model");
    assert_eq!(mempool.size, 2);
    assert_eq!(mempool.bytes as usize, s.parent.vsize() + s.child.vsize());
    assert_eq!(mempool.total_fee, Some((FEE + FEE).to_btc()));
    assert!(mempool.mempool_min_fee.is_some());

    // A mempool transaction: hex and verbose, without a block.
    let hex = rpc
        .get_raw_transaction(parent_id)
        .expect("getrawtransaction");
    assert_eq!(hex.0, serialize_hex(&s.parent));
    let in_pool = rpc
        .get_raw_transaction_verbose(parent_id)
        .expect("getrawtransaction verbose")
        .into_model()
        .expect("model");
    assert_eq!(in_pool.transaction, s.parent);
    assert_eq!((in_pool.block_hash, in_pool.confirmations), (None, None));

    // gettxout with and without the mempool.
    let unconfirmed: Option<v28::GetTxOut> = rpc
        .call(
            "gettxout",
            &[parent_id.to_string().into(), 1.into(), true.into()],
        )
        .expect("gettxout mempool");
    let unconfirmed = unconfirmed
        .expect("output in mempool")
        .into_model()
        .expect("model");
    assert_eq!(unconfirmed.confirmations, 0);
    assert_eq!(unconfirmed.tx_out.value, SECOND_OUTPUT);
    let chain_only: Option<v28::GetTxOut> = rpc
        .call(
            "gettxout",
            &[parent_id.to_string().into(), 1.into(), false.into()],
        )
        .expect("gettxout chain");
    assert!(chain_only.is_none());
    let spent_in_pool: Option<v28::GetTxOut> = rpc
        .call(
            "gettxout",
            &[s.coinbase.txid.to_string().into(), 0.into(), true.into()],
        )
        .expect("gettxout spent in mempool");
    assert!(spent_in_pool.is_none());
    let still_in_chain: Option<v28::GetTxOut> = rpc
        .call(
            "gettxout",
            &[s.coinbase.txid.to_string().into(), 0.into(), false.into()],
        )
        .expect("gettxout chain");
    assert_eq!(
        still_in_chain.expect("unspent in the chain").confirmations,
        101
    );

    let mining = rpc.get_mining_info().expect("getmininginfo").into_model();
    assert_eq!((mining.blocks, mining.pooled_tx), (101, 2));
    assert_eq!(mining.chain, "regtest");
    assert!(mining.warnings.is_empty());
    let fee = rpc
        .estimate_smart_fee(6)
        .expect("estimatesmartfee")
        .into_model()
        .expect("model");
    assert!(fee.fee_rate.expect("a fee rate") > bitcoin::FeeRate::ZERO);
    assert!(fee.errors.is_none());
    assert!(fee.blocks >= 2);
    // Core answers a target of 1 as 2.
    let next_block = rpc.estimate_smart_fee(1).expect("estimatesmartfee");
    assert_eq!(next_block.blocks, 2);

    // Mine them.
    let block102 = rpc
        .generate_to_address(1, &signer.address)
        .expect("generatetoaddress")
        .into_model()
        .expect("model")
        .0[0];
    let block = rpc.get_block(block102).expect("getblock 0");
    assert_eq!(block.bip34_block_height().expect("BIP34 height"), 102);
    assert!(block.check_merkle_root() && block.check_witness_commitment());
    assert_eq!(&block.txdata[1..], &[s.parent.clone(), s.child.clone()]);
    let verbose = rpc
        .get_block_verbose_one(block102)
        .expect("getblock 1")
        .into_model()
        .expect("model");
    assert_eq!(&verbose.tx[1..], &[parent_id, child_id]);
    assert_eq!(verbose.previous_block_hash, Some(mined[100]));
    assert!(rpc.get_raw_mempool().expect("getrawmempool").0.is_empty());
    // Verbosity 2 has no typed call for v28; v29's type is Core's shape
    // (v28's plus `target`, which the daemon also sends).
    let full: v29::GetBlockVerboseTwo = rpc
        .call("getblock", &[block102.to_string().into(), 2.into()])
        .expect("getblock 2");
    let full = full.into_model().expect("model");
    assert_eq!(full.tx.len(), 3);
    assert_eq!(full.tx[0].fee, None, "the coinbase has no fee");
    assert_eq!(full.tx[1].transaction.transaction, s.parent);
    assert_eq!(full.tx[1].fee, Some(FEE));
    assert_eq!(full.tx[2].fee, Some(FEE));

    let confirmed = rpc
        .get_raw_transaction_verbose(parent_id)
        .expect("getrawtransaction verbose")
        .into_model()
        .expect("model");
    assert_eq!(confirmed.block_hash, Some(block102));
    assert_eq!(confirmed.confirmations, Some(1));
    assert_eq!(confirmed.in_active_chain, None, "only with a blockhash");
    let named: v28::GetRawTransactionVerbose = rpc
        .call(
            "getrawtransaction",
            &[
                parent_id.to_string().into(),
                true.into(),
                block102.to_string().into(),
            ],
        )
        .expect("getrawtransaction in block");
    assert_eq!(named.in_active_chain, Some(true));
    let spent: Option<v28::GetTxOut> = rpc
        .call("gettxout", &[parent_id.to_string().into(), 0.into()])
        .expect("gettxout");
    assert!(spent.is_none(), "spent by the child");
    let child_out = rpc
        .get_tx_out(child_id, 0)
        .expect("gettxout")
        .into_model()
        .expect("model");
    assert_eq!((child_out.confirmations, child_out.coinbase), (1, false));
    assert_eq!(child_out.best_block, block102);
    // Once confirmed, a conflicting spend misses its input.
    assert_eq!(corepc_code(rpc.send_raw_transaction(&s.double_spend)), -25);

    let tips = rpc
        .get_chain_tips()
        .expect("getchaintips")
        .into_model()
        .expect("model")
        .0;
    assert_eq!(tips.len(), 1);
    assert_eq!((tips[0].height, tips[0].hash), (102, block102));
    assert_eq!(
        (tips[0].branch_length, tips[0].status),
        (0, ChainTipsStatus::Active)
    );

    // invalidateblock moves the tip back and the transactions to the pool.
    rpc.invalidate_block(block102).expect("invalidateblock");
    assert_eq!(rpc.get_block_count().expect("getblockcount").0, 101);
    assert_eq!(rpc.best_block_hash().expect("getbestblockhash"), mined[100]);
    let mut pool = rpc
        .get_raw_mempool()
        .expect("getrawmempool")
        .into_model()
        .expect("model")
        .0;
    pool.sort();
    assert_eq!(pool, expected);
    let tips = rpc
        .get_chain_tips()
        .expect("getchaintips")
        .into_model()
        .expect("model")
        .0;
    let invalid = tips
        .iter()
        .find(|t| t.hash == block102)
        .expect("invalid tip");
    assert_eq!(
        (invalid.status, invalid.branch_length),
        (ChainTipsStatus::Invalid, 1)
    );
    let active = tips
        .iter()
        .find(|t| t.status == ChainTipsStatus::Active)
        .expect("active tip");
    assert_eq!((active.hash, active.height), (mined[100], 101));
    let stale = rpc
        .get_block_header_verbose(&block102)
        .expect("getblockheader")
        .into_model()
        .expect("model");
    assert_eq!(stale.confirmations, -1);
    let off_chain: v28::GetRawTransactionVerbose = rpc
        .call(
            "getrawtransaction",
            &[
                parent_id.to_string().into(),
                true.into(),
                block102.to_string().into(),
            ],
        )
        .expect("getrawtransaction in a stale block");
    assert_eq!(off_chain.in_active_chain, Some(false));
    assert_eq!(off_chain.confirmations, Some(0));
    assert_eq!(off_chain.block_time, None);

    // reconsiderblock restores it.
    rpc.reconsider_block(block102).expect("reconsiderblock");
    assert_eq!(rpc.get_block_count().expect("getblockcount").0, 102);
    assert_eq!(rpc.best_block_hash().expect("getbestblockhash"), block102);
    assert!(rpc.get_raw_mempool().expect("getrawmempool").0.is_empty());
    let tips = rpc
        .get_chain_tips()
        .expect("getchaintips")
        .into_model()
        .expect("model")
        .0;
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].status, ChainTipsStatus::Active);

    // Core's error codes for what does not exist or is out of range.
    let unknown_block: BlockHash = UNKNOWN_HASH.parse().expect("hash");
    let unknown_tx: Txid = UNKNOWN_HASH.parse().expect("txid");
    assert_eq!(corepc_code(rpc.get_block_hash(103)), -8);
    assert_eq!(
        corepc_code(rpc.get_block_header_verbose(&unknown_block)),
        -5
    );
    assert_eq!(corepc_code(rpc.get_block_verbose_one(unknown_block)), -5);
    assert_eq!(corepc_code(rpc.get_raw_transaction(unknown_tx)), -5);
    assert_eq!(corepc_code(rpc.get_mempool_entry(unknown_tx)), -5);
    assert_eq!(corepc_code(rpc.invalidate_block(unknown_block)), -5);
}

#[test]
fn bitcoincore_rpc_client_decodes_and_agrees_with_the_chain() {
    use bitcoincore_rpc::json::{GetChainTipsResultStatus, StringOrStringArray};
    use bitcoincore_rpc::{Auth, Client, RpcApi};

    let daemon = ChainDaemon::start(&[]);
    let rpc = Client::new(&daemon.url(), Auth::CookieFile(daemon.cookie_path())).expect("client");
    let signer = Signer::new(0x22);

    assert_eq!(rpc.version().expect("version"), 280_000);
    let network = rpc.get_network_info().expect("getnetworkinfo");
    assert!(network.relay_fee > Amount::ZERO);
    assert_eq!(network.warnings, StringOrStringArray::StringArray(vec![]));
    assert!(rpc.uptime().expect("uptime") < 600);

    let genesis = rpc.get_best_block_hash().expect("getbestblockhash");
    let info = rpc.get_blockchain_info().expect("getblockchaininfo");
    assert_eq!(info.chain, Network::Regtest);
    assert_eq!((info.blocks, info.best_block_hash), (0, genesis));

    let mined = rpc
        .generate_to_address(101, &signer.address)
        .expect("generatetoaddress");
    assert_eq!(mined.len(), 101);
    assert_eq!(rpc.get_block_count().expect("getblockcount"), 101);
    assert_eq!(
        rpc.get_best_block_hash().expect("getbestblockhash"),
        mined[100]
    );
    for (i, hash) in mined.iter().enumerate() {
        assert_eq!(
            rpc.get_block_hash(i as u64 + 1).expect("getblockhash"),
            *hash
        );
    }
    let info = rpc.get_blockchain_info().expect("getblockchaininfo");
    assert_eq!((info.blocks, info.headers), (101, 101));
    assert_eq!(info.best_block_hash, mined[100]);
    let difficulty = rpc.get_difficulty().expect("getdifficulty");
    assert!(difficulty > 0.0 && difficulty == info.difficulty);

    let block1 = mined[0];
    let header = rpc
        .get_block_header_info(&block1)
        .expect("getblockheader verbose");
    assert_eq!(
        (header.hash, header.height, header.confirmations),
        (block1, 1, 101)
    );
    assert_eq!(header.previous_block_hash, Some(genesis));
    assert_eq!(header.next_block_hash, Some(mined[1]));
    // Regtest work is 2 per block: genesis and block 1 make 4, the tip 204.
    assert_eq!(header.chainwork.len(), 32);
    assert_eq!(header.chainwork[31], 4);
    assert_eq!(info.chain_work[30..], [0, 204]);
    let raw_header = rpc.get_block_header(&block1).expect("getblockheader hex");
    assert_eq!(raw_header.block_hash(), block1);
    assert_eq!(raw_header.merkle_root, header.merkle_root);
    let block = rpc.get_block(&block1).expect("getblock 0");
    assert_eq!(block.block_hash(), block1);
    assert_eq!(
        rpc.get_block_hex(&block1).expect("getblock 0"),
        serialize_hex(&block)
    );
    let coinbase = block.txdata[0].clone();
    assert_eq!(coinbase.output[0].script_pubkey, signer.script());
    let verbose = rpc.get_block_info(&block1).expect("getblock 1");
    assert_eq!(verbose.tx, vec![coinbase.compute_txid()]);
    assert_eq!(
        (verbose.height, verbose.confirmations, verbose.n_tx),
        (1, 101, 1)
    );
    assert_eq!(verbose.size, block.total_size());
    assert_eq!(verbose.weight as u64, block.weight().to_wu());
    assert_eq!(verbose.nextblockhash, Some(mined[1]));

    let txout = rpc
        .get_tx_out(&coinbase.compute_txid(), 0, None)
        .expect("gettxout")
        .expect("unspent");
    assert_eq!((txout.bestblock, txout.confirmations), (mined[100], 101));
    assert_eq!(txout.value, SUBSIDY);
    assert!(txout.coinbase);
    assert_eq!(
        txout
            .script_pub_key
            .address
            .expect("address")
            .assume_checked(),
        signer.address
    );

    let s = spends(&signer, coinbase.compute_txid());
    let (parent_id, child_id) = (s.parent.compute_txid(), s.child.compute_txid());
    let decoded = rpc
        .decode_raw_transaction(&s.parent, None)
        .expect("decoderawtransaction");
    assert_eq!(
        (decoded.txid, decoded.hash),
        (parent_id, s.parent.compute_wtxid())
    );
    assert_eq!(decoded.vin[0].txid, Some(s.coinbase.txid));
    assert_eq!(
        decoded.vin[0].txinwitness.as_ref(),
        Some(&s.parent.input[0].witness.to_vec())
    );
    assert_eq!(decoded.vout[1].value, SECOND_OUTPUT);
    assert_eq!(
        decoded.vout[1].script_pub_key.hex,
        signer.script().to_bytes()
    );
    let verdicts = rpc
        .test_mempool_accept(&[&s.parent, &s.bad_signature])
        .expect("testmempoolaccept");
    assert!(verdicts[0].allowed, "{:?}", verdicts[0]);
    assert_eq!(verdicts[0].txid, parent_id);
    assert_eq!(verdicts[0].vsize, Some(s.parent.vsize() as u64));
    assert_eq!(verdicts[0].fees.as_ref().map(|f| f.base), Some(FEE));
    assert!(!verdicts[1].allowed);
    assert!(verdicts[1].reject_reason.is_some());
    assert_eq!(
        core_rpc_code(rpc.send_raw_transaction(&s.bad_signature)),
        -26
    );

    assert_eq!(
        rpc.send_raw_transaction(&s.parent).expect("send"),
        parent_id
    );
    assert_eq!(rpc.send_raw_transaction(&s.child).expect("send"), child_id);
    // Sent again while in the mempool: Core answers with the txid.
    assert_eq!(
        rpc.send_raw_transaction(&s.parent).expect("resend"),
        parent_id
    );
    assert_eq!(
        core_rpc_code(rpc.send_raw_transaction(&s.double_spend)),
        -26
    );

    let mut pool = rpc.get_raw_mempool().expect("getrawmempool");
    pool.sort();
    let mut expected = vec![parent_id, child_id];
    expected.sort();
    assert_eq!(pool, expected);
    let verbose_pool = rpc
        .get_raw_mempool_verbose()
        .expect("getrawmempool verbose");
    assert_eq!(verbose_pool[&parent_id].spent_by, vec![child_id]);
    assert_eq!(verbose_pool[&child_id].depends, vec![parent_id]);
    let entry = rpc.get_mempool_entry(&parent_id).expect("getmempoolentry");
    assert_eq!((entry.vsize, entry.height), (s.parent.vsize() as u64, 101));
    assert_eq!(entry.fees.base, FEE);
    assert_eq!((entry.descendant_count, entry.ancestor_count), (2, 1));
    assert!(entry.time.abs_diff(now()) < 120);
    let mempool = rpc.get_mempool_info().expect("getmempoolinfo");
    assert_eq!(mempool.size, 2);
    assert_eq!(mempool.bytes, s.parent.vsize() + s.child.vsize());
    assert_eq!(mempool.total_fee, Some(FEE + FEE));

    assert_eq!(
        rpc.get_raw_transaction(&parent_id, None)
            .expect("getrawtransaction"),
        s.parent
    );
    let in_pool = rpc
        .get_raw_transaction_info(&parent_id, None)
        .expect("getrawtransaction verbose");
    assert_eq!(in_pool.hex, bitcoin::consensus::serialize(&s.parent));
    assert_eq!((in_pool.blockhash, in_pool.confirmations), (None, None));

    let unconfirmed = rpc
        .get_tx_out(&parent_id, 1, Some(true))
        .expect("gettxout")
        .expect("in mempool");
    assert_eq!(
        (unconfirmed.confirmations, unconfirmed.value),
        (0, SECOND_OUTPUT)
    );
    assert!(rpc
        .get_tx_out(&parent_id, 1, Some(false))
        .expect("gettxout")
        .is_none());
    assert!(rpc
        .get_tx_out(&s.coinbase.txid, 0, Some(true))
        .expect("gettxout")
        .is_none());
    assert!(rpc
        .get_tx_out(&s.coinbase.txid, 0, Some(false))
        .expect("gettxout")
        .is_some());

    let mining = rpc.get_mining_info().expect("getmininginfo");
    assert_eq!((mining.blocks, mining.pooled_tx), (101, 2));
    assert_eq!(mining.chain, Network::Regtest);
    let fee = rpc.estimate_smart_fee(6, None).expect("estimatesmartfee");
    assert!(fee.fee_rate.expect("a fee rate") > Amount::ZERO);
    assert!(fee.errors.is_none());

    let block102 = rpc
        .generate_to_address(1, &signer.address)
        .expect("generatetoaddress")[0];
    let verbose = rpc.get_block_info(&block102).expect("getblock 1");
    assert_eq!(&verbose.tx[1..], &[parent_id, child_id]);
    assert!(rpc.get_raw_mempool().expect("getrawmempool").is_empty());
    let confirmed = rpc
        .get_raw_transaction_info(&parent_id, None)
        .expect("getrawtransaction verbose");
    assert_eq!(
        (confirmed.blockhash, confirmed.confirmations),
        (Some(block102), Some(1))
    );
    assert_eq!(confirmed.in_active_chain, None, "only with a blockhash");
    assert_eq!(confirmed.blocktime, Some(verbose.time));
    let named = rpc
        .get_raw_transaction_info(&parent_id, Some(&block102))
        .expect("getrawtransaction in block");
    assert_eq!(named.in_active_chain, Some(true));
    assert!(
        rpc.get_tx_out(&parent_id, 0, None)
            .expect("gettxout")
            .is_none(),
        "spent"
    );
    let child_out = rpc
        .get_tx_out(&child_id, 0, Some(false))
        .expect("gettxout")
        .expect("unspent");
    assert_eq!(
        (child_out.confirmations, child_out.bestblock),
        (1, block102)
    );
    assert_eq!(
        core_rpc_code(rpc.send_raw_transaction(&s.double_spend)),
        -25
    );

    let tips = rpc.get_chain_tips().expect("getchaintips");
    assert_eq!(tips.len(), 1);
    assert_eq!((tips[0].height, tips[0].hash), (102, block102));
    assert_eq!(tips[0].status, GetChainTipsResultStatus::Active);

    rpc.invalidate_block(&block102).expect("invalidateblock");
    assert_eq!(rpc.get_block_count().expect("getblockcount"), 101);
    assert_eq!(
        rpc.get_best_block_hash().expect("getbestblockhash"),
        mined[100]
    );
    let mut pool = rpc.get_raw_mempool().expect("getrawmempool");
    pool.sort();
    assert_eq!(pool, expected);
    let tips = rpc.get_chain_tips().expect("getchaintips");
    let invalid = tips
        .iter()
        .find(|t| t.hash == block102)
        .expect("invalid tip");
    assert_eq!(
        (invalid.status, invalid.branch_length),
        (GetChainTipsResultStatus::Invalid, 1)
    );
    let active = tips
        .iter()
        .find(|t| t.status == GetChainTipsResultStatus::Active)
        .expect("active tip");
    assert_eq!((active.hash, active.height), (mined[100], 101));
    assert_eq!(tips[0].height, 102, "highest first, as Core sorts them");
    assert_eq!(
        rpc.get_block_header_info(&block102)
            .expect("getblockheader")
            .confirmations,
        -1
    );
    let off_chain = rpc
        .get_raw_transaction_info(&parent_id, Some(&block102))
        .expect("getrawtransaction in a stale block");
    assert_eq!(
        (off_chain.in_active_chain, off_chain.confirmations),
        (Some(false), Some(0))
    );
    assert_eq!(off_chain.blocktime, None);
    assert!(rpc
        .get_tx_out(&s.coinbase.txid, 0, Some(false))
        .expect("gettxout")
        .is_some());

    rpc.reconsider_block(&block102).expect("reconsiderblock");
    assert_eq!(rpc.get_block_count().expect("getblockcount"), 102);
    assert_eq!(
        rpc.get_best_block_hash().expect("getbestblockhash"),
        block102
    );
    assert!(rpc.get_raw_mempool().expect("getrawmempool").is_empty());
    assert!(rpc
        .get_tx_out(&s.coinbase.txid, 0, Some(false))
        .expect("gettxout")
        .is_none());

    let unknown_block: BlockHash = UNKNOWN_HASH.parse().expect("hash");
    let unknown_tx: Txid = UNKNOWN_HASH.parse().expect("txid");
    assert_eq!(core_rpc_code(rpc.get_block_hash(103)), -8);
    assert_eq!(core_rpc_code(rpc.get_block_header_info(&unknown_block)), -5);
    assert_eq!(core_rpc_code(rpc.get_block_info(&unknown_block)), -5);
    assert_eq!(
        core_rpc_code(rpc.get_raw_transaction(&unknown_tx, None)),
        -5
    );
    assert_eq!(core_rpc_code(rpc.get_mempool_entry(&unknown_tx)), -5);
    assert_eq!(core_rpc_code(rpc.reconsider_block(&unknown_block)), -5);
}
