//! Consensus and mempool rules of the embedded chain, exercised through the
//! same `Chain` the daemon runs, on an in-memory SQLite store.

use bitcoin::blockdata::opcodes::all::{OP_CLTV, OP_CSV, OP_DROP};
use bitcoin::blockdata::script::Builder;
use bitcoin::hashes::Hash;
use bitcoin::key::{CompressedPublicKey, Secp256k1};
use bitcoin::secp256k1::{Message, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use rayo_chain::chain::{anyone_can_spend, Chain, ChainError};
use rayo_chain::params::block_subsidy;
use rayo_chain::store::SqliteStore;
use rayo_chain::validation::RejectKind;

const NOW: u32 = 1_700_000_000;

fn chain() -> Chain<SqliteStore> {
    Chain::open(SqliteStore::in_memory().unwrap(), NOW).unwrap()
}

/// A spend of `outpoints` (anyone-can-spend P2WSH) to one output.
fn spend(outpoints: &[OutPoint], value: Amount, script_pubkey: ScriptBuf) -> Transaction {
    let (_, witness_script) = anyone_can_spend();
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: outpoints
            .iter()
            .map(|o| TxIn {
                previous_output: *o,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[witness_script.as_bytes()]),
            })
            .collect(),
        output: vec![TxOut {
            value,
            script_pubkey,
        }],
    }
}

fn coinbase_outpoint(chain: &Chain<SqliteStore>, height: u32) -> OutPoint {
    let block = chain.block(&chain.hash_at(height).unwrap()).unwrap();
    OutPoint {
        txid: block.txdata[0].compute_txid(),
        vout: 0,
    }
}

fn rejection(result: Result<impl std::fmt::Debug, ChainError>) -> (RejectKind, String) {
    match result {
        Err(ChainError::Rejected(r)) => (r.kind, r.reason),
        Err(ChainError::MinedInvalid(r)) => (r.kind, r.reason),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

/// A chain where the coinbases of blocks 1..=n are mature and anyone can
/// spend them.
fn funded_chain(mature: u32) -> Chain<SqliteStore> {
    let mut chain = chain();
    let (script, _) = anyone_can_spend();
    chain.generate(mature + 99, &script, NOW).unwrap();
    chain
}

const FIFTY: Amount = Amount::from_sat(50 * 100_000_000);
const FEE: Amount = Amount::from_sat(1_000);

#[test]
fn genesis_and_mining_follow_regtest() {
    let mut chain = chain();
    assert_eq!(chain.height(), 0);
    assert_eq!(
        chain.tip().hash.to_string(),
        "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
    );
    let (script, _) = anyone_can_spend();
    let hashes = chain.generate(151, &script, NOW).unwrap();
    assert_eq!(chain.height(), 151);
    // BIP34: block 5 encodes its height as OP_5, as Core writes it; block
    // 20 as a one-byte push.
    let b5 = chain.block(&hashes[4]).unwrap();
    assert_eq!(b5.txdata[0].input[0].script_sig.as_bytes()[0], 0x55);
    let b20 = chain.block(&hashes[19]).unwrap();
    assert_eq!(b20.bip34_block_height().unwrap(), 20);
    // Halving at 150.
    let b150 = chain.block(&hashes[149]).unwrap();
    assert_eq!(b150.txdata[0].output[0].value, block_subsidy(150));
    assert_eq!(block_subsidy(150), Amount::from_sat(25 * 100_000_000));
    assert!(b150.check_witness_commitment());
    // Chainwork: 2 per block including genesis.
    let work = chain.tip().chainwork.to_be_bytes();
    assert_eq!(u16::from_be_bytes([work[30], work[31]]), 2 * 152);
}

#[test]
fn immature_coinbase_cannot_be_spent() {
    let mut chain = chain();
    let (script, _) = anyone_can_spend();
    chain.generate(99, &script, NOW).unwrap();
    let tx = spend(&[coinbase_outpoint(&chain, 1)], FIFTY - FEE, script.clone());
    let (_, reason) = rejection(chain.accept_transaction(tx.clone(), NOW.into(), false));
    assert_eq!(reason, "bad-txns-premature-spend-of-coinbase");
    chain.generate(1, &script, NOW).unwrap();
    chain.accept_transaction(tx, NOW.into(), false).unwrap();
}

#[test]
fn bad_signature_is_rejected_by_libbitcoinconsensus() {
    let secp = Secp256k1::new();
    let secret = SecretKey::from_slice(&[0x42; 32]).unwrap();
    let public = CompressedPublicKey(secret.public_key(&secp));
    let p2wpkh = ScriptBuf::new_p2wpkh(&public.wpubkey_hash());
    let mut chain = chain();
    chain.generate(1, &p2wpkh, NOW).unwrap();
    let (anyone, _) = anyone_can_spend();
    chain.generate(100, &anyone, NOW).unwrap();

    let mut tx = Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: coinbase_outpoint(&chain, 1),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: FIFTY - FEE,
            script_pubkey: anyone,
        }],
    };
    let sighash = SighashCache::new(&tx)
        .p2wpkh_signature_hash(0, &p2wpkh, FIFTY, EcdsaSighashType::All)
        .unwrap();
    let sig = secp.sign_ecdsa(&Message::from_digest(sighash.to_byte_array()), &secret);
    let good = bitcoin::ecdsa::Signature::sighash_all(sig);
    // Signature over another amount: valid encoding, wrong message.
    let wrong_sighash = SighashCache::new(&tx)
        .p2wpkh_signature_hash(0, &p2wpkh, FIFTY - FEE, EcdsaSighashType::All)
        .unwrap();
    let bad = bitcoin::ecdsa::Signature::sighash_all(secp.sign_ecdsa(
        &Message::from_digest(wrong_sighash.to_byte_array()),
        &secret,
    ));
    tx.input[0].witness = Witness::p2wpkh(&bad, &public.0);
    let (kind, reason) = rejection(chain.accept_transaction(tx.clone(), NOW.into(), false));
    assert_eq!(kind, RejectKind::Invalid);
    assert!(
        reason.starts_with("mandatory-script-verify-flag-failed"),
        "{reason}"
    );
    assert!(chain.mempool().is_empty());

    tx.input[0].witness = Witness::p2wpkh(&good, &public.0);
    chain.accept_transaction(tx, NOW.into(), false).unwrap();
    assert_eq!(chain.mempool().len(), 1);
}

#[test]
fn double_spend_in_the_mempool_needs_a_better_fee() {
    let mut chain = funded_chain(1);
    let (script, _) = anyone_can_spend();
    let coin = coinbase_outpoint(&chain, 1);
    let first = spend(&[coin], FIFTY - FEE, script.clone());
    chain
        .accept_transaction(first.clone(), NOW.into(), false)
        .unwrap();
    let same_fee = spend(&[coin], FIFTY - FEE, ScriptBuf::new_op_return([1u8; 4]));
    let (_, reason) = rejection(chain.accept_transaction(same_fee, NOW.into(), false));
    assert_eq!(reason, "insufficient fee");
    assert!(chain.mempool().get(&first.compute_txid()).is_some());

    // Full RBF: a higher fee (and fee rate) replaces the first spend.
    let better = spend(&[coin], FIFTY - FEE * 3, script);
    chain
        .accept_transaction(better.clone(), NOW.into(), false)
        .unwrap();
    assert!(chain.mempool().get(&first.compute_txid()).is_none());
    assert!(chain.mempool().get(&better.compute_txid()).is_some());
}

#[test]
fn unconfirmed_chains_and_missing_inputs() {
    let mut chain = funded_chain(1);
    let (script, _) = anyone_can_spend();
    let parent = spend(&[coinbase_outpoint(&chain, 1)], FIFTY - FEE, script.clone());
    chain
        .accept_transaction(parent.clone(), NOW.into(), false)
        .unwrap();
    // CPFP: the child spends the unconfirmed parent.
    let parent_out = OutPoint {
        txid: parent.compute_txid(),
        vout: 0,
    };
    let child = spend(&[parent_out], FIFTY - FEE * 2, script.clone());
    chain
        .accept_transaction(child.clone(), NOW.into(), false)
        .unwrap();
    let orphan = spend(
        &[OutPoint {
            txid: child.compute_txid(),
            vout: 7,
        }],
        FEE,
        script.clone(),
    );
    let (kind, reason) = rejection(chain.accept_transaction(orphan, NOW.into(), false));
    assert_eq!(
        (kind, reason.as_str()),
        (RejectKind::MissingInputs, "bad-txns-inputs-missingorspent")
    );

    let block = chain.mine_block(&script, NOW).unwrap();
    assert_eq!(chain.block(&block).unwrap().txdata.len(), 3);
    assert!(chain.mempool().is_empty());
    // Sent again once confirmed: Core's -27.
    let (kind, _) = rejection(chain.accept_transaction(child, NOW.into(), false));
    assert_eq!(kind, RejectKind::AlreadyInChain);
}

#[test]
fn double_spend_inside_a_block_is_invalid() {
    let mut chain = funded_chain(1);
    let (script, _) = anyone_can_spend();
    let coin = coinbase_outpoint(&chain, 1);
    let a = spend(&[coin], FIFTY - FEE, script.clone());
    let b = spend(&[coin], FIFTY - FEE * 2, script.clone());
    let block = chain.assemble_block(vec![a, b], block_subsidy(101), &script, NOW);
    let height = chain.height();
    let (_, reason) = rejection(chain.submit_block(block, NOW));
    assert_eq!(reason, "bad-txns-inputs-missingorspent");
    assert_eq!(chain.height(), height);
}

#[test]
fn coinbase_paying_too_much_is_invalid() {
    let mut chain = chain();
    let (script, _) = anyone_can_spend();
    let block = chain.assemble_block(vec![], block_subsidy(1) + Amount::from_sat(1), &script, NOW);
    let (_, reason) = rejection(chain.submit_block(block, NOW));
    assert_eq!(reason, "bad-cb-amount");
    assert_eq!(chain.height(), 0);
    // Exactly the subsidy is fine.
    let block = chain.assemble_block(vec![], block_subsidy(1), &script, NOW);
    chain.submit_block(block, NOW).unwrap();
    assert_eq!(chain.height(), 1);
}

#[test]
fn over_weight_block_is_invalid() {
    let mut chain = funded_chain(5);
    let (script, _) = anyone_can_spend();
    // Five transactions of ~900 kB base size: 4.5 MWU together.
    let big: Vec<Transaction> = (1..=5)
        .map(|h| {
            let mut tx = spend(&[coinbase_outpoint(&chain, h)], FIFTY - FEE, script.clone());
            tx.output.push(TxOut {
                value: Amount::ZERO,
                script_pubkey: ScriptBuf::from_bytes(vec![0x6a; 900_000]),
            });
            tx
        })
        .collect();
    let block = chain.assemble_block(big, block_subsidy(105), &script, NOW);
    let (_, reason) = rejection(chain.submit_block(block, NOW));
    assert!(
        reason == "bad-blk-length" || reason == "bad-blk-weight",
        "{reason}"
    );
}

/// Funds a P2WSH output locked by `lock` (CSV or CLTV), confirms it, and
/// returns a sweep of it (its witness set) for the test to adjust.
fn fund_timelocked(
    chain: &mut Chain<SqliteStore>,
    lock: i64,
    opcode: bitcoin::Opcode,
) -> Transaction {
    let (anyone, _) = anyone_can_spend();
    let witness_script = Builder::new()
        .push_int(lock)
        .push_opcode(opcode)
        .push_opcode(OP_DROP)
        .push_opcode(bitcoin::opcodes::OP_TRUE)
        .into_script();
    let locked = ScriptBuf::new_p2wsh(&witness_script.wscript_hash());
    let fund = spend(&[coinbase_outpoint(chain, 1)], FIFTY - FEE, locked);
    chain
        .accept_transaction(fund.clone(), NOW.into(), false)
        .unwrap();
    chain.mine_block(&anyone, NOW).unwrap();
    let mut sweep = spend(
        &[OutPoint {
            txid: fund.compute_txid(),
            vout: 0,
        }],
        FIFTY - FEE * 2,
        anyone,
    );
    sweep.input[0].witness = Witness::from_slice(&[witness_script.as_bytes()]);
    sweep
}

#[test]
fn csv_locked_output_waits_for_its_relative_delay() {
    let mut chain = funded_chain(1);
    let (anyone, _) = anyone_can_spend();
    let mut sweep = fund_timelocked(&mut chain, 10, OP_CSV);
    sweep.input[0].sequence = Sequence::from_height(10);
    // One confirmation so far; it needs ten.
    let (_, reason) = rejection(chain.accept_transaction(sweep.clone(), NOW.into(), false));
    assert_eq!(reason, "non-BIP68-final");
    // A sequence below the script's delay fails the script itself.
    let mut short = sweep.clone();
    short.input[0].sequence = Sequence::from_height(1);
    let (_, reason) = rejection(chain.accept_transaction(short, NOW.into(), false));
    assert!(
        reason.starts_with("mandatory-script-verify-flag-failed"),
        "{reason}"
    );
    // The same lock inside a block is invalid too.
    let block = chain.assemble_block(vec![sweep.clone()], block_subsidy(102) + FEE, &anyone, NOW);
    let (_, reason) = rejection(chain.submit_block(block, NOW));
    assert_eq!(reason, "bad-txns-nonfinal");

    chain.generate(8, &anyone, NOW).unwrap();
    let (_, reason) = rejection(chain.accept_transaction(sweep.clone(), NOW.into(), false));
    assert_eq!(reason, "non-BIP68-final", "nine confirmations are not ten");
    chain.generate(1, &anyone, NOW).unwrap();
    chain.accept_transaction(sweep, NOW.into(), false).unwrap();
}

#[test]
fn cltv_locked_output_waits_for_its_height() {
    let mut chain = funded_chain(1);
    let (anyone, _) = anyone_can_spend();
    let unlock_height = 120;
    let mut sweep = fund_timelocked(&mut chain, unlock_height, OP_CLTV);
    sweep.lock_time = absolute::LockTime::from_height(unlock_height as u32).unwrap();
    let (_, reason) = rejection(chain.accept_transaction(sweep.clone(), NOW.into(), false));
    assert_eq!(reason, "non-final");
    // A lock time below the script's fails the script.
    let mut early = sweep.clone();
    early.lock_time = absolute::LockTime::from_height(100).unwrap();
    let (_, reason) = rejection(chain.accept_transaction(early, NOW.into(), false));
    assert!(
        reason.starts_with("mandatory-script-verify-flag-failed"),
        "{reason}"
    );

    while chain.height() < unlock_height as u32 {
        chain.mine_block(&anyone, NOW).unwrap();
    }
    chain.accept_transaction(sweep, NOW.into(), false).unwrap();
}

#[test]
fn invalidate_and_reconsider_reorganise_the_chain() {
    let mut chain = funded_chain(1);
    let (anyone, _) = anyone_can_spend();
    let tx = spend(&[coinbase_outpoint(&chain, 1)], FIFTY - FEE, anyone.clone());
    chain
        .accept_transaction(tx.clone(), NOW.into(), false)
        .unwrap();
    let confirmed = chain.mine_block(&anyone, NOW).unwrap();
    let tip = chain.mine_block(&anyone, NOW).unwrap();
    assert!(chain.mempool().is_empty());

    chain.invalidate_block(&confirmed, NOW).unwrap();
    assert_eq!(chain.height(), 100);
    assert!(
        chain.mempool().get(&tx.compute_txid()).is_some(),
        "tx back in the mempool"
    );
    assert_eq!(chain.confirmations(&tip), -1);

    // A competing branch, then reconsider: the longer old branch wins back.
    chain.mine_block(&anyone, NOW + 1).unwrap();
    assert_eq!(chain.height(), 101);
    chain.reconsider_block(&confirmed, NOW).unwrap();
    assert_eq!(chain.tip().hash, tip);
    assert!(chain.mempool().is_empty(), "tx confirmed again");
}

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.sqlite");
    let (anyone, _) = anyone_can_spend();
    let (tip, txid) = {
        let mut chain = Chain::open(SqliteStore::open(&path).unwrap(), NOW).unwrap();
        chain.generate(101, &anyone, NOW).unwrap();
        let tx = spend(&[coinbase_outpoint(&chain, 1)], FIFTY - FEE, anyone.clone());
        chain
            .accept_transaction(tx.clone(), NOW.into(), false)
            .unwrap();
        (chain.tip().hash, tx.compute_txid())
    };
    let chain = Chain::open(SqliteStore::open(&path).unwrap(), NOW).unwrap();
    assert_eq!(chain.tip().hash, tip);
    assert_eq!(chain.height(), 101);
    assert!(chain.mempool().get(&txid).is_some(), "mempool kept");
    assert_eq!(chain.utxo_count(), 101);
    assert!(chain
        .transaction(&chain.block(&tip).unwrap().txdata[0].compute_txid())
        .unwrap()
        .is_some());
}
