//! The interop tests' own miner wallet: one key, coinbases mined to it, and
//! a signed P2WPKH spend of the block-1 coinbase to pay an independent
//! wallet (ldk-node's) through `sendrawtransaction`.
//!
//! Shared by `tests/` through `#[path]`.

use bitcoin::absolute::LockTime;
use bitcoin::consensus::encode::deserialize_hex;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::transaction::Version;
use bitcoin::{
    Address, Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use rayo_e2e::ChainDaemon;
use serde_json::json;

/// A signed transaction spending the miner's block-1 coinbase: `amount` to
/// `to`, the rest less `fee` back to the miner.
pub fn pay_from_coinbase(
    chain: &ChainDaemon,
    key: &SecretKey,
    miner: &Address,
    to: &ScriptBuf,
    amount: Amount,
    fee: Amount,
) -> Transaction {
    let hash = chain.call("getblockhash", json!([1]));
    let hex = chain.call("getblock", json!([hash, 0]));
    let block: Block = deserialize_hex(hex.as_str().expect("block hex")).expect("block");
    let coinbase = &block.txdata[0];
    let miner_script = miner.script_pubkey();
    let vout = coinbase
        .output
        .iter()
        .position(|o| o.script_pubkey == miner_script)
        .expect("coinbase pays the miner");
    let value = coinbase.output[vout].value;
    let mut tx = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(coinbase.compute_txid(), vout as u32),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        }],
        output: vec![
            TxOut {
                value: amount,
                script_pubkey: to.clone(),
            },
            TxOut {
                value: value - amount - fee,
                script_pubkey: miner_script.clone(),
            },
        ],
    };
    let secp = Secp256k1::new();
    let sighash = SighashCache::new(&tx)
        .p2wpkh_signature_hash(0, &miner_script, value, EcdsaSighashType::All)
        .expect("sighash");
    let signature = bitcoin::ecdsa::Signature {
        signature: secp.sign_ecdsa(&Message::from(sighash), key),
        sighash_type: EcdsaSighashType::All,
    };
    tx.input[0].witness = Witness::p2wpkh(&signature, &key.public_key(&secp));
    tx
}
