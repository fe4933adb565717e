//! Blocks, transactions and scripts as Bitcoin Core's RPC shows them, with
//! Core's field names, so clients written for bitcoind decode them as is.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hex::DisplayHex;
use bitcoin::{Address, Amount, Network, Script, Transaction};
use serde_json::{json, Map, Value};

use crate::chain::BlockEntry;
use crate::mempool::{Mempool, MempoolEntry};

/// Core's name for the type of an output script.
pub fn script_type(script: &Script) -> &'static str {
    if script.is_p2pkh() {
        "pubkeyhash"
    } else if script.is_p2sh() {
        "scripthash"
    } else if script.is_p2wpkh() {
        "witness_v0_keyhash"
    } else if script.is_p2wsh() {
        "witness_v0_scripthash"
    } else if script.is_p2tr() {
        "witness_v1_taproot"
    } else if script.as_bytes() == [0x51, 0x02, 0x4e, 0x73] {
        "anchor"
    } else if script.is_witness_program() {
        "witness_unknown"
    } else if script.is_op_return() {
        "nulldata"
    } else if script.is_p2pk() {
        "pubkey"
    } else if script.is_multisig() {
        "multisig"
    } else {
        "nonstandard"
    }
}

/// A script in Bitcoin Core's asm notation: pushes as hex, small numbers
/// as numbers (`0`, `1`..`16`, `-1`), other opcodes by name.
pub fn asm(script: &Script) -> String {
    use bitcoin::opcodes::all::{OP_PUSHNUM_1, OP_PUSHNUM_16, OP_PUSHNUM_NEG1};
    use bitcoin::script::Instruction;
    let mut parts = Vec::new();
    for instruction in script.instructions() {
        match instruction {
            Ok(Instruction::PushBytes(bytes)) if bytes.is_empty() => parts.push("0".to_owned()),
            Ok(Instruction::PushBytes(bytes)) => parts.push(bytes.as_bytes().to_lower_hex_string()),
            Ok(Instruction::Op(op)) if op == OP_PUSHNUM_NEG1 => parts.push("-1".to_owned()),
            Ok(Instruction::Op(op))
                if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&op.to_u8()) =>
            {
                parts.push((op.to_u8() - OP_PUSHNUM_1.to_u8() + 1).to_string())
            }
            Ok(Instruction::Op(op)) => parts.push(op.to_string()),
            Err(_) => {
                parts.push("[error]".to_owned());
                break;
            }
        }
    }
    parts.join(" ")
}

/// `scriptPubKey` as Core shows it: asm, hex, type and, when the script has
/// one, its regtest address.
pub fn script_pubkey(script: &Script) -> Value {
    let mut obj = Map::new();
    obj.insert("asm".into(), asm(script).into());
    obj.insert("hex".into(), script.to_hex_string().into());
    if let Ok(address) = Address::from_script(script, Network::Regtest) {
        obj.insert("address".into(), address.to_string().into());
    }
    obj.insert("type".into(), script_type(script).into());
    Value::Object(obj)
}

/// A BTC amount as a JSON number (Core prints 8 decimals; the value is the
/// same).
pub fn btc(amount: Amount) -> Value {
    json!(amount.to_btc())
}

/// A transaction as `decoderawtransaction` shows it.
pub fn transaction(tx: &Transaction) -> Map<String, Value> {
    let vin: Vec<Value> = tx
        .input
        .iter()
        .map(|input| {
            let mut obj = Map::new();
            if tx.is_coinbase() {
                obj.insert(
                    "coinbase".into(),
                    input.script_sig.as_bytes().to_lower_hex_string().into(),
                );
            } else {
                obj.insert("txid".into(), input.previous_output.txid.to_string().into());
                obj.insert("vout".into(), input.previous_output.vout.into());
                obj.insert(
                    "scriptSig".into(),
                    json!({
                        "asm": asm(&input.script_sig),
                        "hex": input.script_sig.to_hex_string(),
                    }),
                );
            }
            if !input.witness.is_empty() {
                let items: Vec<String> = input
                    .witness
                    .iter()
                    .map(|w| w.to_lower_hex_string())
                    .collect();
                obj.insert("txinwitness".into(), items.into());
            }
            obj.insert("sequence".into(), input.sequence.to_consensus_u32().into());
            Value::Object(obj)
        })
        .collect();
    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(n, out)| {
            json!({
                "value": btc(out.value),
                "n": n,
                "scriptPubKey": script_pubkey(&out.script_pubkey),
            })
        })
        .collect();
    let mut obj = Map::new();
    obj.insert("txid".into(), tx.compute_txid().to_string().into());
    obj.insert("hash".into(), tx.compute_wtxid().to_string().into());
    obj.insert("version".into(), tx.version.0.into());
    obj.insert("size".into(), tx.total_size().into());
    obj.insert("vsize".into(), tx.vsize().into());
    obj.insert("weight".into(), tx.weight().to_wu().into());
    obj.insert("locktime".into(), tx.lock_time.to_consensus_u32().into());
    obj.insert("vin".into(), vin.into());
    obj.insert("vout".into(), vout.into());
    obj
}

/// Header fields shared by `getblockheader` and `getblock`.
pub fn header(
    entry: &BlockEntry,
    confirmations: i64,
    next: Option<bitcoin::BlockHash>,
) -> Map<String, Value> {
    let h = &entry.header;
    let mut obj = Map::new();
    obj.insert("hash".into(), entry.hash.to_string().into());
    obj.insert("confirmations".into(), confirmations.into());
    obj.insert("height".into(), entry.height.into());
    obj.insert("version".into(), h.version.to_consensus().into());
    obj.insert(
        "versionHex".into(),
        format!("{:08x}", h.version.to_consensus()).into(),
    );
    obj.insert("merkleroot".into(), h.merkle_root.to_string().into());
    obj.insert("time".into(), h.time.into());
    obj.insert("mediantime".into(), entry.median_time_past.into());
    obj.insert("nonce".into(), h.nonce.into());
    obj.insert(
        "bits".into(),
        format!("{:08x}", h.bits.to_consensus()).into(),
    );
    obj.insert(
        "target".into(),
        h.target().to_be_bytes().to_lower_hex_string().into(),
    );
    obj.insert("difficulty".into(), json!(h.difficulty_float()));
    obj.insert(
        "chainwork".into(),
        entry.chainwork.to_be_bytes().to_lower_hex_string().into(),
    );
    obj.insert("nTx".into(), entry.tx_count.into());
    if entry.height > 0 {
        obj.insert(
            "previousblockhash".into(),
            h.prev_blockhash.to_string().into(),
        );
    }
    if let Some(next) = next {
        obj.insert("nextblockhash".into(), next.to_string().into());
    }
    obj
}

/// A mempool entry as `getmempoolentry` and verbose `getrawmempool` show it.
pub fn mempool_entry(mempool: &Mempool, entry: &MempoolEntry) -> Value {
    let ancestors = mempool.ancestors(&entry.tx);
    let descendants = mempool.with_descendants(&entry.txid);
    let sum = |set: &mut dyn Iterator<Item = &bitcoin::Txid>| {
        set.filter_map(|t| mempool.get(t))
            .fold((0u64, Amount::ZERO), |(size, fee), e| {
                (size + e.vsize, fee + e.fee)
            })
    };
    let (anc_size, anc_fee) = sum(&mut ancestors.iter().chain(std::iter::once(&entry.txid)));
    let (desc_size, desc_fee) = sum(&mut descendants.iter());
    let depends: Vec<String> = mempool
        .parents(&entry.tx)
        .iter()
        .map(|t| t.to_string())
        .collect();
    let spent_by: Vec<String> = mempool
        .children(&entry.txid)
        .iter()
        .map(|t| t.to_string())
        .collect();
    json!({
        "vsize": entry.vsize,
        "weight": entry.weight,
        "time": entry.time,
        "height": entry.height,
        "descendantcount": descendants.len(),
        "descendantsize": desc_size,
        "ancestorcount": ancestors.len() + 1,
        "ancestorsize": anc_size,
        "wtxid": entry.wtxid.to_string(),
        "fees": {
            "base": btc(entry.fee),
            "modified": btc(entry.fee),
            "ancestor": btc(anc_fee),
            "descendant": btc(desc_fee),
        },
        "depends": depends,
        "spentby": spent_by,
        "bip125-replaceable": true,
        "unbroadcast": false,
    })
}

/// Hex of any consensus-encodable value.
pub fn hex<T: bitcoin::consensus::Encodable>(value: &T) -> Value {
    serialize_hex(value).into()
}
