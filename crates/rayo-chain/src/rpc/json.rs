//! Blocks, transactions and scripts as Bitcoin Core's RPC shows them, with
//! Core's field names, so clients written for bitcoind decode them as is.

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hex::DisplayHex;
use bitcoin::{Address, Amount, Network, Script, Transaction};
use serde_json::{json, Map, Value};

use crate::chain::BlockEntry;
use crate::mempool::{Mempool, MempoolEntry};

/// The public key of a pay-to-pubkey script, as Core's `Solver` matches
/// it: a 33- or 65-byte push whose first byte announces that length.
fn p2pk_key(script: &Script) -> Option<&[u8]> {
    let key = match script.as_bytes() {
        [33, key @ .., 0xac] if key.len() == 33 => key,
        [65, key @ .., 0xac] if key.len() == 65 => key,
        _ => return None,
    };
    valid_key_size(key).then_some(key)
}

/// Core's `CPubKey::ValidSize`: the header byte matches the length.
fn valid_key_size(key: &[u8]) -> bool {
    match key.first() {
        Some(2 | 3) => key.len() == 33,
        Some(4 | 6 | 7) => key.len() == 65,
        _ => false,
    }
}

/// The threshold and keys of a bare multisig script, as Core's `Solver`
/// matches it: `k <keys> n OP_CHECKMULTISIG` with 1 <= k <= n <= 20.
fn multisig(script: &Script) -> Option<(u8, Vec<&[u8]>)> {
    use bitcoin::opcodes::all::OP_CHECKMULTISIG;
    use bitcoin::script::Instruction;
    let number = |i: &Instruction<'_>| match i {
        Instruction::Op(op) => match op.to_u8() {
            n @ 0x51..=0x60 => Some(n - 0x50),
            _ => None,
        },
        Instruction::PushBytes(b) => match b.as_bytes() {
            [n @ 17..=20] => Some(*n),
            _ => None,
        },
    };
    let instructions: Vec<Instruction<'_>> =
        script.instructions().collect::<Result<_, _>>().ok()?;
    let [first, middle @ .., count, Instruction::Op(last)] = instructions.as_slice() else {
        return None;
    };
    if *last != OP_CHECKMULTISIG {
        return None;
    }
    let required = number(first)?;
    let keys: Vec<&[u8]> = middle
        .iter()
        .map(|i| match i {
            Instruction::PushBytes(b) if valid_key_size(b.as_bytes()) => Some(b.as_bytes()),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let n = number(count)?;
    (usize::from(n) == keys.len() && required <= n && n <= 20).then_some((required, keys))
}

/// Core's `IsPushOnly` for what follows `OP_RETURN`.
fn is_null_data(script: &Script) -> bool {
    use bitcoin::opcodes::all::OP_PUSHNUM_16;
    use bitcoin::script::Instruction;
    script.is_op_return()
        && script.instructions().skip(1).all(|i| match i {
            Ok(Instruction::PushBytes(_)) => true,
            Ok(Instruction::Op(op)) => op.to_u8() <= OP_PUSHNUM_16.to_u8(),
            Err(_) => false,
        })
}

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
    } else if is_null_data(script) {
        "nulldata"
    } else if p2pk_key(script).is_some() {
        "pubkey"
    } else if multisig(script).is_some() {
        "multisig"
    } else {
        "nonstandard"
    }
}

/// The BIP 380 checksum of a descriptor.
fn descriptor_checksum(descriptor: &str) -> String {
    const INPUT: &str =
        "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";
    const CHECKSUM: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    fn polymod(c: u64, value: u64) -> u64 {
        const GENERATORS: [u64; 5] = [
            0xf5_dee5_1989,
            0xa9_fdca_3312,
            0x1b_ab10_e32d,
            0x37_06b1_677a,
            0x64_4d62_6ffd,
        ];
        let top = c >> 35;
        let mut c = ((c & 0x7_ffff_ffff) << 5) ^ value;
        for (bit, generator) in GENERATORS.iter().enumerate() {
            if top >> bit & 1 == 1 {
                c ^= generator;
            }
        }
        c
    }
    let (mut c, mut class, mut count) = (1u64, 0u64, 0);
    for ch in descriptor.chars() {
        // Descriptors built here only hold hex, addresses and punctuation.
        let position = INPUT
            .find(ch)
            .expect("descriptor character in the BIP 380 set") as u64;
        c = polymod(c, position & 31);
        class = class * 3 + (position >> 5);
        count += 1;
        if count == 3 {
            c = polymod(c, class);
            (class, count) = (0, 0);
        }
    }
    if count > 0 {
        c = polymod(c, class);
    }
    for _ in 0..8 {
        c = polymod(c, 0);
    }
    c ^= 1;
    (0..8)
        .map(|j| char::from(CHECKSUM[(c >> (5 * (7 - j)) & 31) as usize]))
        .collect()
}

/// The descriptor Core infers for an output script when it knows no keys
/// (`InferDescriptor` with an empty signing provider): `pk()` for P2PK,
/// `multi()` for bare multisig, `rawtr()` for taproot with a valid output
/// key, `addr()` for anything with an address, else `raw()`; with its
/// checksum.
pub fn descriptor(script: &Script) -> String {
    let body = if let Some(key) = p2pk_key(script) {
        format!("pk({})", key.to_lower_hex_string())
    } else if let Some((required, keys)) = multisig(script) {
        let keys: Vec<String> = keys.iter().map(|k| k.to_lower_hex_string()).collect();
        format!("multi({required},{})", keys.join(","))
    } else if let Some(key) = script
        .is_p2tr()
        .then(|| bitcoin::secp256k1::XOnlyPublicKey::from_slice(&script.as_bytes()[2..]).ok())
        .flatten()
    {
        format!("rawtr({key})")
    } else if let Ok(address) = Address::from_script(script, Network::Regtest) {
        format!("addr({address})")
    } else {
        format!("raw({})", script.to_hex_string())
    };
    let checksum = descriptor_checksum(&body);
    format!("{body}#{checksum}")
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

/// `scriptPubKey` as Core shows it (`ScriptToUniv`): asm, the inferred
/// descriptor, hex, type and, when the script has one (never for P2PK), its
/// regtest address.
pub fn script_pubkey(script: &Script) -> Value {
    let mut obj = Map::new();
    obj.insert("asm".into(), asm(script).into());
    obj.insert("desc".into(), descriptor(script).into());
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
    // Core 28 keeps the version as `uint32_t` and prints it unsigned.
    obj.insert("version".into(), (tx.version.0 as u32).into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    fn script(hex: &str) -> ScriptBuf {
        ScriptBuf::from_hex(hex).expect("hex script")
    }

    #[test]
    fn checksum_matches_the_bip380_vector() {
        assert_eq!(descriptor_checksum("raw(deadbeef)"), "89f8spxm");
        assert_eq!(descriptor(&script("deadbeef")), "raw(deadbeef)#89f8spxm");
    }

    #[test]
    fn descriptors_are_inferred_as_core_does_without_keys() {
        let key = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";
        let p2pk = script(&format!("21{key}ac"));
        assert!(descriptor(&p2pk).starts_with(&format!("pk({key})#")));
        assert_eq!(script_type(&p2pk), "pubkey");
        assert!(script_pubkey(&p2pk).get("address").is_none());
        let bare = script(&format!("5121{key}51ae"));
        assert!(descriptor(&bare).starts_with(&format!("multi(1,{key})#")));
        assert_eq!(script_type(&bare), "multisig");
        let p2wpkh = script("0014751e76e8199196d454941c45d1b3a323f1433bd6");
        assert!(descriptor(&p2wpkh).starts_with("addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7k"));
        let p2tr = script(&format!("5120{}", &key[2..]));
        assert!(descriptor(&p2tr).starts_with(&format!("rawtr({})#", &key[2..])));
        let op_return = script("6a0401020304");
        assert!(descriptor(&op_return).starts_with("raw(6a0401020304)#"));
        assert_eq!(script_type(&op_return), "nulldata");
        // A 33-byte push whose header announces 65 bytes is no P2PK to Core.
        let bad = script(&format!("2104{}ac", &key[2..]));
        assert_eq!(script_type(&bad), "nonstandard");
    }
}
