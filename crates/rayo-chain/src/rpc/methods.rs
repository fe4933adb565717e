//! The RPC methods: each takes the chain and checked parameters and returns
//! Bitcoin Core's result shape.

use std::str::FromStr;

use bitcoin::consensus::encode::{deserialize_hex, serialize_hex};
use bitcoin::{Address, Amount, BlockHash, FeeRate, Network, OutPoint, Transaction, Txid};
use serde_json::{json, Map, Value};

use super::json::{self, btc};
use super::params::{code, Params};
use super::{RpcError, RpcState};
use crate::chain::{Chain, ChainError};
use crate::params::REGTEST_BITS;
use crate::policy::MIN_RELAY_FEERATE;
use crate::store::SqliteStore;
use crate::validation::RejectKind;

/// The chain as the RPC layer sees it.
pub type RpcChain = Chain<SqliteStore>;

/// A method: its name, parameter names, how many are required, and usage.
pub struct Method {
    /// The method name.
    pub name: &'static str,
    /// Parameter names, for named-parameter calls.
    pub params: &'static [&'static str],
    /// How many leading parameters are mandatory.
    pub required: usize,
    /// The usage shown for a wrong parameter count.
    pub usage: &'static str,
    /// The implementation.
    pub run: fn(&mut Call<'_>, &Params) -> Result<Value, RpcError>,
}

/// What a method may touch while it runs.
pub struct Call<'a> {
    /// The chain, locked for the call.
    pub chain: &'a mut RpcChain,
    /// Daemon-wide settings and controls.
    pub state: &'a RpcState,
    /// The current time (unix seconds).
    pub now: u32,
}

macro_rules! method {
    ($name:literal, [$($p:literal),*], $req:expr, $usage:literal, $run:expr) => {
        Method { name: $name, params: &[$($p),*], required: $req, usage: $usage, run: $run }
    };
}

/// Every method the server answers.
pub const METHODS: &[Method] = &[
    method!(
        "getblockchaininfo",
        [],
        0,
        "getblockchaininfo",
        getblockchaininfo
    ),
    method!("getblockcount", [], 0, "getblockcount", |c, _| Ok(c
        .chain
        .height()
        .into())),
    method!("getbestblockhash", [], 0, "getbestblockhash", |c, _| Ok(c
        .chain
        .tip()
        .hash
        .to_string()
        .into())),
    method!(
        "getblockhash",
        ["height"],
        1,
        "getblockhash height",
        getblockhash
    ),
    method!(
        "getblockheader",
        ["blockhash", "verbose"],
        1,
        "getblockheader \"blockhash\" ( verbose )",
        getblockheader
    ),
    method!(
        "getblock",
        ["blockhash", "verbosity"],
        1,
        "getblock \"blockhash\" ( verbosity )",
        getblock
    ),
    method!("getchaintips", [], 0, "getchaintips", getchaintips),
    method!("getdifficulty", [], 0, "getdifficulty", |c, _| Ok(json!(c
        .chain
        .tip()
        .header
        .difficulty_float()))),
    method!(
        "getdeploymentinfo",
        ["blockhash"],
        0,
        "getdeploymentinfo ( \"blockhash\" )",
        getdeploymentinfo
    ),
    method!(
        "getrawtransaction",
        ["txid", "verbose", "blockhash"],
        1,
        "getrawtransaction \"txid\" ( verbose \"blockhash\" )",
        getrawtransaction
    ),
    method!(
        "decoderawtransaction",
        ["hexstring", "iswitness"],
        1,
        "decoderawtransaction \"hexstring\" ( iswitness )",
        decoderawtransaction
    ),
    method!(
        "sendrawtransaction",
        ["hexstring", "maxfeerate", "maxburnamount"],
        1,
        "sendrawtransaction \"hexstring\" ( maxfeerate maxburnamount )",
        sendrawtransaction
    ),
    method!(
        "testmempoolaccept",
        ["rawtxs", "maxfeerate"],
        1,
        "testmempoolaccept [\"rawtx\",...] ( maxfeerate )",
        testmempoolaccept
    ),
    method!(
        "getrawmempool",
        ["verbose", "mempool_sequence"],
        0,
        "getrawmempool ( verbose mempool_sequence )",
        getrawmempool
    ),
    method!(
        "getmempoolentry",
        ["txid"],
        1,
        "getmempoolentry \"txid\"",
        getmempoolentry
    ),
    method!("getmempoolinfo", [], 0, "getmempoolinfo", getmempoolinfo),
    method!(
        "gettxout",
        ["txid", "n", "include_mempool"],
        2,
        "gettxout \"txid\" n ( include_mempool )",
        gettxout
    ),
    method!(
        "estimatesmartfee",
        ["conf_target", "estimate_mode"],
        1,
        "estimatesmartfee conf_target ( \"estimate_mode\" )",
        estimatesmartfee
    ),
    method!(
        "generatetoaddress",
        ["nblocks", "address", "maxtries"],
        2,
        "generatetoaddress nblocks \"address\" ( maxtries )",
        generatetoaddress
    ),
    method!(
        "generate",
        ["nblocks", "maxtries"],
        0,
        "generate ( nblocks maxtries )",
        generate
    ),
    method!(
        "submitblock",
        ["hexdata", "dummy"],
        1,
        "submitblock \"hexdata\" ( \"dummy\" )",
        submitblock
    ),
    method!(
        "invalidateblock",
        ["blockhash"],
        1,
        "invalidateblock \"blockhash\"",
        invalidateblock
    ),
    method!(
        "reconsiderblock",
        ["blockhash"],
        1,
        "reconsiderblock \"blockhash\"",
        reconsiderblock
    ),
    method!("getmininginfo", [], 0, "getmininginfo", getmininginfo),
    method!("getnetworkinfo", [], 0, "getnetworkinfo", getnetworkinfo),
    method!(
        "getindexinfo",
        ["index_name"],
        0,
        "getindexinfo ( \"index_name\" )",
        getindexinfo
    ),
    method!("uptime", [], 0, "uptime", |c, _| Ok(c
        .state
        .started
        .elapsed()
        .as_secs()
        .into())),
    method!("help", ["command"], 0, "help ( \"command\" )", help),
    method!("stop", ["wait"], 0, "stop", |c, _| {
        c.state.request_stop();
        Ok("rayo-chaind stopping".into())
    }),
];

/// Looks a method up by name.
pub fn find(name: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.name == name)
}

fn chain_error(e: ChainError) -> RpcError {
    match e {
        ChainError::Rejected(r) => {
            let code = match r.kind {
                RejectKind::MissingInputs => code::VERIFY_ERROR,
                RejectKind::AlreadyInChain => code::VERIFY_ALREADY_IN_CHAIN,
                RejectKind::Invalid => code::VERIFY_REJECTED,
            };
            RpcError::new(code, r.message())
        }
        ChainError::UnknownBlock => RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Block not found"),
        other => RpcError::new(code::MISC, other.to_string()),
    }
}

fn known_block(chain: &RpcChain, hash: &BlockHash) -> Result<(), RpcError> {
    chain
        .entry(hash)
        .map(|_| ())
        .ok_or_else(|| RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Block not found"))
}

fn chainwork_hex(chain: &RpcChain) -> String {
    use bitcoin::hex::DisplayHex;
    chain.tip().chainwork.to_be_bytes().to_lower_hex_string()
}

fn softforks() -> Value {
    let buried = |height: u32| json!({"type": "buried", "active": true, "height": height});
    json!({
        "bip34": buried(1),
        "bip66": buried(1),
        "bip65": buried(1),
        "csv": buried(1),
        "segwit": buried(0),
        "taproot": buried(0),
    })
}

fn getblockchaininfo(c: &mut Call<'_>, _: &Params) -> Result<Value, RpcError> {
    let tip = c.chain.tip();
    Ok(json!({
        "chain": "regtest",
        "blocks": c.chain.height(),
        "headers": c.chain.height(),
        "bestblockhash": tip.hash.to_string(),
        "bits": format!("{REGTEST_BITS:08x}"),
        "target": json::header(tip, 1, None)["target"],
        "difficulty": tip.header.difficulty_float(),
        "time": tip.header.time,
        "mediantime": tip.median_time_past,
        "verificationprogress": 1.0,
        "initialblockdownload": false,
        "chainwork": chainwork_hex(c.chain),
        "size_on_disk": c.chain.size_on_disk(),
        "pruned": false,
        "softforks": softforks(),
        "warnings": [],
    }))
}

fn getdeploymentinfo(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let hash = match p.get(0) {
        Some(_) => p.hash::<BlockHash>(0, "blockhash")?,
        None => c.chain.tip().hash,
    };
    known_block(c.chain, &hash)?;
    let height = c.chain.entry(&hash).map_or(0, |e| e.height);
    Ok(json!({"hash": hash.to_string(), "height": height, "deployments": softforks()}))
}

fn getblockhash(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let height = p.u64_or(0, 0)?;
    u32::try_from(height)
        .ok()
        .and_then(|h| c.chain.hash_at(h))
        .map(|h| h.to_string().into())
        .ok_or_else(|| RpcError::new(code::INVALID_PARAMETER, "Block height out of range"))
}

fn header_json(chain: &RpcChain, hash: &BlockHash) -> Map<String, Value> {
    let entry = chain
        .entry(hash)
        .expect("caller checked the block is known");
    let next = chain
        .is_active(hash)
        .then(|| chain.hash_at(entry.height + 1))
        .flatten();
    json::header(entry, chain.confirmations(hash), next)
}

fn getblockheader(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0, "hash")?;
    known_block(c.chain, &hash)?;
    if !p.bool_or(1, true)? {
        return Ok(json::hex(&c.chain.entry(&hash).expect("known").header));
    }
    Ok(Value::Object(header_json(c.chain, &hash)))
}

fn getblock(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0, "blockhash")?;
    known_block(c.chain, &hash)?;
    let verbosity = p.verbosity_or(1, 1)?;
    let block = c.chain.block(&hash).map_err(chain_error)?;
    if verbosity == 0 {
        return Ok(json::hex(&block));
    }
    let mut obj = header_json(c.chain, &hash);
    let entry = c.chain.entry(&hash).expect("known");
    let stripped = (entry.weight - entry.size as u64) / 3;
    obj.insert("strippedsize".into(), stripped.into());
    obj.insert("size".into(), entry.size.into());
    obj.insert("weight".into(), entry.weight.into());
    let txs: Vec<Value> = if verbosity == 1 {
        block
            .txdata
            .iter()
            .map(|tx| tx.compute_txid().to_string().into())
            .collect()
    } else {
        let fees = c.chain.block_fees(&hash).map_err(chain_error)?;
        block
            .txdata
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let mut t = json::transaction(tx);
                if let Some(fee) = i.checked_sub(1).and_then(|i| fees.as_ref().map(|f| f[i])) {
                    t.insert("fee".into(), btc(fee));
                }
                t.insert("hex".into(), serialize_hex(tx).into());
                Value::Object(t)
            })
            .collect()
    };
    obj.insert("tx".into(), txs.into());
    Ok(Value::Object(obj))
}

fn getchaintips(c: &mut Call<'_>, _: &Params) -> Result<Value, RpcError> {
    // As Core: the active tip (even when an invalidated block builds on
    // it), plus every block off the active chain that no other such block
    // builds on; highest first.
    let active = c.chain.tip();
    let mut tips: Vec<_> = c
        .chain
        .tips()
        .into_iter()
        .filter(|tip| !c.chain.is_active(&tip.hash))
        .chain(std::iter::once(active))
        .collect();
    tips.sort_by(|a, b| b.height.cmp(&a.height).then(a.hash.cmp(&b.hash)));
    let tips: Vec<Value> = tips
        .into_iter()
        .map(|tip| {
            let mut cursor = tip;
            while !c.chain.is_active(&cursor.hash) {
                cursor = c
                    .chain
                    .entry(&cursor.header.prev_blockhash)
                    .expect("ancestors are known");
            }
            let status = if c.chain.is_active(&tip.hash) {
                "active"
            } else if tip.status != crate::store::BlockStatus::Valid {
                "invalid"
            } else {
                "valid-fork"
            };
            json!({
                "height": tip.height,
                "hash": tip.hash.to_string(),
                "branchlen": tip.height - cursor.height,
                "status": status,
            })
        })
        .collect();
    Ok(tips.into())
}

fn decode_tx(hex: &str) -> Result<Transaction, RpcError> {
    deserialize_hex(hex).map_err(|_| {
        RpcError::new(
            code::DESERIALIZATION,
            "TX decode failed. Make sure the tx has at least one input.",
        )
    })
}

fn getrawtransaction(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let txid: Txid = p.hash(0, "parameter 1")?;
    let verbose = p.verbosity_or(1, 0)? > 0;
    let in_block: Option<BlockHash> = match p.get(2) {
        Some(_) => Some(p.hash(2, "parameter 3")?),
        None => None,
    };
    let found = match in_block {
        Some(hash) => {
            known_block(c.chain, &hash)?;
            let block = c.chain.block(&hash).map_err(chain_error)?;
            block
                .txdata
                .into_iter()
                .find(|tx| tx.compute_txid() == txid)
                .map(|tx| (tx, Some(hash)))
        }
        None => c.chain.transaction(&txid).map_err(chain_error)?,
    };
    let Some((tx, block)) = found else {
        let message = match in_block {
            Some(_) => "No such transaction found in the provided block. Use gettransaction for wallet transactions.",
            None => "No such mempool or blockchain transaction. Use gettransaction for wallet transactions.",
        };
        return Err(RpcError::new(code::INVALID_ADDRESS_OR_KEY, message));
    };
    if !verbose {
        return Ok(json::hex(&tx));
    }
    let mut obj = json::transaction(&tx);
    obj.insert("hex".into(), serialize_hex(&tx).into());
    // As Core's TxToJSON: `in_active_chain` only when the caller named the
    // block; a block off the active chain has 0 confirmations and no times.
    if let Some(hash) = in_block {
        obj.insert("in_active_chain".into(), c.chain.is_active(&hash).into());
    }
    if let Some(hash) = block {
        obj.insert("blockhash".into(), hash.to_string().into());
        if c.chain.is_active(&hash) {
            let time = c.chain.entry(&hash).expect("known").header.time;
            obj.insert("confirmations".into(), c.chain.confirmations(&hash).into());
            obj.insert("time".into(), time.into());
            obj.insert("blocktime".into(), time.into());
        } else {
            obj.insert("confirmations".into(), 0.into());
        }
    }
    Ok(Value::Object(obj))
}

fn decoderawtransaction(_: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    Ok(Value::Object(json::transaction(&decode_tx(
        p.required_str(0)?,
    )?)))
}

/// `maxfeerate` in BTC/kvB; Core's default is 0.10.
fn max_feerate(p: &Params, i: usize) -> Result<Option<FeeRate>, RpcError> {
    let btc_per_kvb = match p.get(i) {
        None => 0.10,
        Some(v) => v.as_f64().ok_or_else(|| {
            RpcError::new(code::TYPE, "JSON value is not of expected type number")
        })?,
    };
    if btc_per_kvb < 0.0 {
        return Err(RpcError::new(
            code::INVALID_PARAMETER,
            "Fee rates must not be negative",
        ));
    }
    // 0 means no limit.
    Ok((btc_per_kvb > 0.0).then(|| FeeRate::from_sat_per_kwu((btc_per_kvb * 1e8 / 4.0) as u64)))
}

fn exceeds(fee: Amount, vsize: u64, max: Option<FeeRate>) -> bool {
    max.is_some_and(|m| fee > crate::policy::fee_for(m, vsize))
}

fn sendrawtransaction(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let tx = decode_tx(p.required_str(0)?)?;
    let max = max_feerate(p, 1)?;
    let txid = tx.compute_txid();
    if c.chain.mempool().get(&txid).is_some() {
        // Already there: Core answers with the txid (both peers of a close
        // broadcast the same transaction).
        return Ok(txid.to_string().into());
    }
    let checked = c
        .chain
        .accept_transaction(tx.clone(), c.now.into(), true)
        .map_err(chain_error)?;
    if exceeds(checked.fee, checked.vsize, max) {
        return Err(RpcError::new(
            code::VERIFY_ERROR,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        ));
    }
    c.chain
        .accept_transaction(tx, c.now.into(), false)
        .map_err(chain_error)?;
    Ok(txid.to_string().into())
}

fn testmempoolaccept(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let raw = p
        .get(0)
        .and_then(Value::as_array)
        .ok_or_else(|| RpcError::new(code::TYPE, "JSON value is not of expected type array"))?;
    if raw.is_empty() || raw.len() > 25 {
        return Err(RpcError::new(
            code::INVALID_PARAMETER,
            "Array must contain between 1 and 25 transactions.",
        ));
    }
    let max = max_feerate(p, 1)?;
    let mut results = Vec::with_capacity(raw.len());
    for item in raw {
        let hex = item.as_str().ok_or_else(|| {
            RpcError::new(code::TYPE, "JSON value is not of expected type string")
        })?;
        let tx = decode_tx(hex)?;
        let mut obj = Map::new();
        obj.insert("txid".into(), tx.compute_txid().to_string().into());
        obj.insert("wtxid".into(), tx.compute_wtxid().to_string().into());
        match c.chain.accept_transaction(tx, c.now.into(), true) {
            Ok(ok) if exceeds(ok.fee, ok.vsize, max) => {
                obj.insert("allowed".into(), false.into());
                obj.insert("reject-reason".into(), "max-fee-exceeded".into());
            }
            Ok(ok) => {
                // Core 25+: the fee rate the transaction was judged at and
                // the transactions it includes (here, itself alone).
                let per_kvb = Amount::from_sat(ok.fee.to_sat() * 1000 / ok.vsize.max(1));
                obj.insert("allowed".into(), true.into());
                obj.insert("vsize".into(), ok.vsize.into());
                obj.insert(
                    "fees".into(),
                    json!({
                        "base": btc(ok.fee),
                        "effective-feerate": btc(per_kvb),
                        "effective-includes": [obj["wtxid"].clone()],
                    }),
                );
            }
            Err(ChainError::Rejected(r)) => {
                let reason = match r.kind {
                    RejectKind::MissingInputs => "missing-inputs".to_owned(),
                    _ => r.message(),
                };
                obj.insert("allowed".into(), false.into());
                obj.insert("reject-reason".into(), reason.into());
            }
            Err(e) => return Err(chain_error(e)),
        }
        results.push(Value::Object(obj));
    }
    Ok(results.into())
}

fn getrawmempool(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let mempool = c.chain.mempool();
    if !p.bool_or(0, false)? {
        let txids: Vec<String> = mempool
            .entries()
            .iter()
            .map(|e| e.txid.to_string())
            .collect();
        return Ok(txids.into());
    }
    let map: Map<String, Value> = mempool
        .entries()
        .iter()
        .map(|e| (e.txid.to_string(), json::mempool_entry(mempool, e)))
        .collect();
    Ok(Value::Object(map))
}

fn getmempoolentry(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let txid: Txid = p.hash(0, "txid")?;
    let mempool = c.chain.mempool();
    mempool
        .get(&txid)
        .map(|e| json::mempool_entry(mempool, e))
        .ok_or_else(|| RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Transaction not in mempool"))
}

fn min_relay_btc_per_kvb() -> Value {
    btc(Amount::from_sat(MIN_RELAY_FEERATE.to_sat_per_kwu() * 4))
}

fn getmempoolinfo(c: &mut Call<'_>, _: &Params) -> Result<Value, RpcError> {
    let mempool = c.chain.mempool();
    Ok(json!({
        "loaded": true,
        "size": mempool.len(),
        "bytes": mempool.total_vsize(),
        "usage": mempool.entries().iter().map(|e| e.weight as usize * 2).sum::<usize>(),
        "total_fee": btc(mempool.total_fee()),
        "maxmempool": 300_000_000u64,
        "mempoolminfee": min_relay_btc_per_kvb(),
        "minrelaytxfee": min_relay_btc_per_kvb(),
        "incrementalrelayfee": min_relay_btc_per_kvb(),
        "unbroadcastcount": 0,
        "fullrbf": true,
    }))
}

fn gettxout(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let txid: Txid = p.hash(0, "txid")?;
    let vout = u32::try_from(p.u64_or(1, 0)?).map_err(|_| {
        RpcError::new(
            code::INVALID_PARAMETER,
            "Invalid parameter, vout out of range",
        )
    })?;
    let include_mempool = p.bool_or(2, true)?;
    let Some(coin) = c.chain.coin(&OutPoint { txid, vout }, include_mempool) else {
        return Ok(Value::Null);
    };
    let confirmations = if coin.height > c.chain.height() {
        0
    } else {
        c.chain.height() - coin.height + 1
    };
    Ok(json!({
        "bestblock": c.chain.tip().hash.to_string(),
        "confirmations": confirmations,
        "value": btc(coin.output.value),
        "scriptPubKey": json::script_pubkey(&coin.output.script_pubkey),
        "coinbase": coin.is_coinbase,
    }))
}

fn estimatesmartfee(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let target = p.u64_or(0, 1)?;
    if !(1..=1008).contains(&target) {
        return Err(RpcError::new(
            code::INVALID_PARAMETER,
            "Invalid conf_target, must be between 1 and 1008",
        ));
    }
    if let Some(mode) = p.str(1)? {
        if !["unset", "economical", "conservative"].contains(&mode.to_ascii_lowercase().as_str()) {
            return Err(RpcError::new(code::INVALID_PARAMETER, "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\""));
        }
    }
    let rate = c.chain.estimate_feerate(c.state.fallback_feerate);
    // Core's estimator answers a target of 1 as 2 ("not possible to get
    // reasonable estimates for confTarget of 1") and reports that target.
    Ok(json!({
        "feerate": btc(Amount::from_sat(rate.to_sat_per_kwu() * 4)),
        "blocks": target.max(2),
    }))
}

fn parse_address(s: &str) -> Result<Address, RpcError> {
    Address::from_str(s)
        .ok()
        .and_then(|a| a.require_network(Network::Regtest).ok())
        .ok_or_else(|| RpcError::new(code::INVALID_ADDRESS_OR_KEY, "Error: Invalid address"))
}

fn mine(c: &mut Call<'_>, count: u64, script: &bitcoin::Script) -> Result<Value, RpcError> {
    let count = u32::try_from(count)
        .map_err(|_| RpcError::new(code::INVALID_PARAMETER, "nblocks out of range"))?;
    let hashes = c
        .chain
        .generate(count, script, c.now)
        .map_err(chain_error)?;
    Ok(hashes
        .iter()
        .map(|h| h.to_string())
        .collect::<Vec<_>>()
        .into())
}

fn generatetoaddress(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let count = p.u64_or(0, 1)?;
    let address = parse_address(p.required_str(1)?)?;
    mine(c, count, &address.script_pubkey())
}

fn generate(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let count = p.u64_or(0, 1)?;
    let script = c.state.mining_script.clone().ok_or_else(|| {
        RpcError::new(
            code::MISC,
            "No payment addresses specified via --miningaddr; use generatetoaddress",
        )
    })?;
    mine(c, count, &script)
}

fn submitblock(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let block: bitcoin::Block = deserialize_hex(p.required_str(0)?)
        .map_err(|_| RpcError::new(code::DESERIALIZATION, "Block decode failed"))?;
    // Core answers null on success and the reject reason as a string.
    match c.chain.submit_block(block, c.now) {
        Ok(()) => Ok(Value::Null),
        Err(ChainError::Rejected(r)) => Ok(match r.reason.as_str() {
            "duplicate" => "duplicate".into(),
            "duplicate-invalid" => "duplicate-invalid".into(),
            "prev-blk-not-found" => "inconclusive".into(),
            _ => r.reason.into(),
        }),
        Err(e) => Err(chain_error(e)),
    }
}

fn invalidateblock(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0, "blockhash")?;
    c.chain
        .invalidate_block(&hash, c.now)
        .map_err(chain_error)?;
    Ok(Value::Null)
}

fn reconsiderblock(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let hash: BlockHash = p.hash(0, "blockhash")?;
    c.chain
        .reconsider_block(&hash, c.now)
        .map_err(chain_error)?;
    Ok(Value::Null)
}

fn getmininginfo(c: &mut Call<'_>, _: &Params) -> Result<Value, RpcError> {
    let tip = c.chain.tip();
    Ok(json!({
        "blocks": c.chain.height(),
        "currentblockweight": tip.weight,
        "currentblocktx": tip.tx_count.saturating_sub(1),
        "bits": format!("{REGTEST_BITS:08x}"),
        "difficulty": tip.header.difficulty_float(),
        "networkhashps": 0,
        "pooledtx": c.chain.mempool().len(),
        "chain": "regtest",
        "warnings": [],
    }))
}

fn getnetworkinfo(_: &mut Call<'_>, _: &Params) -> Result<Value, RpcError> {
    Ok(json!({
        "version": super::CORE_COMPAT_VERSION,
        "subversion": format!("/rayo-chaind:{}/", env!("CARGO_PKG_VERSION")),
        "protocolversion": 70016,
        "localservices": "0000000000000409",
        "localservicesnames": ["NETWORK", "WITNESS", "NETWORK_LIMITED"],
        "localrelay": true,
        "timeoffset": 0,
        "networkactive": true,
        "connections": 0,
        "connections_in": 0,
        "connections_out": 0,
        "networks": [],
        "relayfee": min_relay_btc_per_kvb(),
        "incrementalfee": min_relay_btc_per_kvb(),
        "localaddresses": [],
        "warnings": [],
    }))
}

fn getindexinfo(c: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    let info = json!({"synced": true, "best_block_height": c.chain.height()});
    let all = json!({"txindex": info});
    Ok(match p.str(0)? {
        Some("txindex") | None => all,
        Some(_) => json!({}),
    })
}

fn help(_: &mut Call<'_>, p: &Params) -> Result<Value, RpcError> {
    if let Some(name) = p.str(0)? {
        return find(name)
            .map(|m| m.usage.into())
            .ok_or_else(|| RpcError::new(code::MISC, format!("help: unknown command: {name}")));
    }
    let usages: Vec<&str> = METHODS.iter().map(|m| m.usage).collect();
    Ok(usages.join("\n").into())
}
