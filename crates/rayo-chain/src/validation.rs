//! Consensus rules for transactions and blocks, as Bitcoin Core applies them
//! on regtest, with Core's reject reasons so RPC clients see the same text.
//!
//! Pure functions: coins, heights and times are arguments. Script
//! verification goes through libbitcoinconsensus (Bitcoin Core's own
//! interpreter), never through code of ours.

use std::collections::HashSet;

use bitcoin::blockdata::script::{Builder, Instruction};
use bitcoin::consensus::serialize;
use bitcoin::{Amount, Block, Script, Transaction, Weight, WitnessVersion};

use crate::coins::Coin;
use crate::params::{
    COINBASE_MATURITY, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, REGTEST_BITS, WITNESS_SCALE_FACTOR,
};

/// How a rejection maps onto Bitcoin Core's RPC error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// An input is unknown or already spent (RPC -25).
    MissingInputs,
    /// The transaction is already confirmed (RPC -27).
    AlreadyInChain,
    /// Breaks a consensus or policy rule (RPC -26).
    Invalid,
}

/// A refused transaction or block: Core's short reason (`bad-txns-...`) and
/// an optional detail, shown as `reason, detail` or `reason (detail)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct Rejection {
    /// Which RPC error class this is.
    pub kind: RejectKind,
    /// The reject reason, e.g. `bad-txns-inputs-missingorspent`.
    pub reason: String,
    /// Extra detail, if any.
    pub detail: Option<String>,
}

impl Rejection {
    /// A consensus or policy failure.
    pub fn invalid(reason: &str) -> Self {
        Self {
            kind: RejectKind::Invalid,
            reason: reason.to_owned(),
            detail: None,
        }
    }

    /// Adds a detail, as Core's `state.Invalid(.., reason, debug)`.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The message Core's RPC shows: `reason, detail` (script failures use
    /// `reason (detail)`, which is built into the reason itself).
    pub fn message(&self) -> String {
        match &self.detail {
            Some(d) => format!("{}, {d}", self.reason),
            None => self.reason.clone(),
        }
    }
}

/// Script verification flags: everything regtest activates from the start.
pub const SCRIPT_FLAGS: u32 = bitcoinconsensus::VERIFY_P2SH
    | bitcoinconsensus::VERIFY_DERSIG
    | bitcoinconsensus::VERIFY_NULLDUMMY
    | bitcoinconsensus::VERIFY_CHECKLOCKTIMEVERIFY
    | bitcoinconsensus::VERIFY_CHECKSEQUENCEVERIFY
    | bitcoinconsensus::VERIFY_WITNESS
    | bitcoinconsensus::VERIFY_TAPROOT;

/// Context-free transaction checks (Core's `CheckTransaction`).
pub fn check_transaction(tx: &Transaction) -> Result<(), Rejection> {
    if tx.input.is_empty() {
        return Err(Rejection::invalid("bad-txns-vin-empty"));
    }
    if tx.output.is_empty() {
        return Err(Rejection::invalid("bad-txns-vout-empty"));
    }
    if tx.base_size() as u64 * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT {
        return Err(Rejection::invalid("bad-txns-oversize"));
    }
    let mut total = Amount::ZERO;
    for out in &tx.output {
        if out.value > Amount::MAX_MONEY {
            return Err(Rejection::invalid("bad-txns-vout-toolarge"));
        }
        total = total
            .checked_add(out.value)
            .filter(|t| *t <= Amount::MAX_MONEY)
            .ok_or_else(|| Rejection::invalid("bad-txns-txouttotal-toolarge"))?;
    }
    let mut seen = HashSet::with_capacity(tx.input.len());
    if !tx.input.iter().all(|i| seen.insert(i.previous_output)) {
        return Err(Rejection::invalid("bad-txns-inputs-duplicate"));
    }
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(Rejection::invalid("bad-cb-length"));
        }
    } else if tx.input.iter().any(|i| i.previous_output.is_null()) {
        return Err(Rejection::invalid("bad-txns-prevout-null"));
    }
    Ok(())
}

/// Core's `IsFinalTx`: the lock time has passed at `height` and `time`
/// (the median time past, BIP113), or every input opts out of it.
pub fn is_final_tx(tx: &Transaction, height: u32, median_time_past: u32) -> bool {
    let lock = tx.lock_time.to_consensus_u32();
    if lock == 0 {
        return true;
    }
    let threshold = if lock < bitcoin::absolute::LOCK_TIME_THRESHOLD {
        height
    } else {
        median_time_past
    };
    lock < threshold || tx.input.iter().all(|i| i.sequence.is_final())
}

const SEQUENCE_DISABLE_FLAG: u32 = 1 << 31;
const SEQUENCE_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_MASK: u32 = 0x0000_ffff;
const SEQUENCE_GRANULARITY: u32 = 9;

/// BIP68 relative lock times: may `tx` (version 2 or more) go in a block at
/// `height` whose predecessor has median time `prev_median_time`?
/// `median_time_at(h)` gives the median time past of the block at height `h`
/// (the block before a coin's, for time-based locks).
pub fn sequence_locks_satisfied(
    tx: &Transaction,
    coins: &[Coin],
    height: u32,
    prev_median_time: u32,
    median_time_at: impl Fn(u32) -> u32,
) -> bool {
    if tx.version.0 < 2 {
        return true;
    }
    let (mut min_height, mut min_time) = (-1i64, -1i64);
    for (input, coin) in tx.input.iter().zip(coins) {
        let seq = input.sequence.to_consensus_u32();
        if seq & SEQUENCE_DISABLE_FLAG != 0 {
            continue;
        }
        let value = i64::from(seq & SEQUENCE_MASK);
        if seq & SEQUENCE_TYPE_FLAG != 0 {
            let coin_time = i64::from(median_time_at(coin.height.saturating_sub(1)));
            min_time = min_time.max(coin_time + (value << SEQUENCE_GRANULARITY) - 1);
        } else {
            min_height = min_height.max(i64::from(coin.height) + value - 1);
        }
    }
    min_height < i64::from(height) && min_time < i64::from(prev_median_time)
}

/// Core's `Consensus::CheckTxInputs`: maturity and amounts. Returns the fee.
pub fn check_tx_inputs(
    tx: &Transaction,
    coins: &[Coin],
    spend_height: u32,
) -> Result<Amount, Rejection> {
    let mut value_in = Amount::ZERO;
    for coin in coins {
        let depth = spend_height.saturating_sub(coin.height);
        if coin.is_coinbase && depth < COINBASE_MATURITY {
            return Err(Rejection::invalid("bad-txns-premature-spend-of-coinbase")
                .with_detail(format!("tried to spend coinbase at depth {depth}")));
        }
        value_in = value_in
            .checked_add(coin.output.value)
            .filter(|v| *v <= Amount::MAX_MONEY)
            .ok_or_else(|| Rejection::invalid("bad-txns-inputvalues-outofrange"))?;
    }
    let value_out: Amount = tx.output.iter().map(|o| o.value).sum();
    value_in.checked_sub(value_out).ok_or_else(|| {
        Rejection::invalid("bad-txns-in-belowout").with_detail(format!(
            "value in ({}) < value out ({})",
            value_in.to_btc(),
            value_out.to_btc()
        ))
    })
}

fn legacy_sigops(tx: &Transaction) -> u64 {
    let inputs: usize = tx
        .input
        .iter()
        .map(|i| i.script_sig.count_sigops_legacy())
        .sum();
    let outputs: usize = tx
        .output
        .iter()
        .map(|o| o.script_pubkey.count_sigops_legacy())
        .sum();
    (inputs + outputs) as u64
}

fn witness_program_sigops(
    version: WitnessVersion,
    program: &[u8],
    witness: &bitcoin::Witness,
) -> u64 {
    if version != WitnessVersion::V0 {
        return 0;
    }
    match program.len() {
        20 => 1,
        32 => witness
            .last()
            .map_or(0, |script| Script::from_bytes(script).count_sigops() as u64),
        _ => 0,
    }
}

fn witness_sigops(script_sig: &Script, prev: &Script, witness: &bitcoin::Witness) -> u64 {
    if let Some(version) = prev.witness_version() {
        return witness_program_sigops(version, &prev.as_bytes()[2..], witness);
    }
    if prev.is_p2sh() && script_sig.is_push_only() {
        if let Some(Ok(Instruction::PushBytes(redeem))) = script_sig.instructions().last() {
            let redeem = Script::from_bytes(redeem.as_bytes());
            if let Some(version) = redeem.witness_version() {
                return witness_program_sigops(version, &redeem.as_bytes()[2..], witness);
            }
        }
    }
    0
}

/// Core's `GetTransactionSigOpCost`: legacy sigops and P2SH sigops count
/// four times, witness sigops once.
pub fn sigop_cost(tx: &Transaction, coins: &[Coin]) -> u64 {
    let mut cost = legacy_sigops(tx) * WITNESS_SCALE_FACTOR;
    if tx.is_coinbase() {
        return cost;
    }
    for (input, coin) in tx.input.iter().zip(coins) {
        let prev = coin.output.script_pubkey.as_script();
        if prev.is_p2sh() {
            if let Some(redeem) = input.script_sig.redeem_script() {
                cost += redeem.count_sigops() as u64 * WITNESS_SCALE_FACTOR;
            }
        }
        cost += witness_sigops(&input.script_sig, prev, &input.witness);
    }
    cost
}

/// Verifies every input's scripts with libbitcoinconsensus (Bitcoin Core's
/// interpreter) under [`SCRIPT_FLAGS`], giving it all spent outputs so
/// taproot is checked too.
pub fn verify_scripts(tx: &Transaction, coins: &[Coin]) -> Result<(), Rejection> {
    let raw = serialize(tx);
    let spent: Vec<bitcoinconsensus::Utxo> = coins
        .iter()
        .map(|c| bitcoinconsensus::Utxo {
            script_pubkey: c.output.script_pubkey.as_bytes().as_ptr(),
            script_pubkey_len: c.output.script_pubkey.len() as u32,
            value: c.output.value.to_sat() as i64,
        })
        .collect();
    for (index, coin) in coins.iter().enumerate() {
        bitcoinconsensus::verify_with_flags(
            coin.output.script_pubkey.as_bytes(),
            coin.output.value.to_sat(),
            &raw,
            Some(&spent),
            index,
            SCRIPT_FLAGS,
        )
        .map_err(|e| {
            Rejection::invalid(&format!(
                "mandatory-script-verify-flag-failed (input {index}: {})",
                script_error_text(e)
            ))
        })?;
    }
    Ok(())
}

/// libbitcoinconsensus reports only that evaluation failed, not why.
fn script_error_text(e: bitcoinconsensus::Error) -> String {
    match e {
        bitcoinconsensus::Error::ERR_SCRIPT => "script evaluation failed".to_owned(),
        other => other.to_string(),
    }
}

/// The BIP34 prefix a coinbase script at `height` must start with, as
/// Bitcoin Core's miner writes it (`OP_1`..`OP_16` for small heights).
pub fn bip34_prefix(height: u32) -> bitcoin::ScriptBuf {
    Builder::new().push_int(i64::from(height)).into_script()
}

/// Context-free block checks (Core's `CheckBlock`): proof of work, merkle
/// root, duplicates, coinbase placement, size and legacy sigop limits.
pub fn check_block(block: &Block) -> Result<(), Rejection> {
    if block.header.bits.to_consensus() != REGTEST_BITS {
        return Err(Rejection::invalid("bad-diffbits"));
    }
    if block.header.validate_pow(block.header.target()).is_err() {
        return Err(Rejection::invalid("high-hash"));
    }
    if !block.check_merkle_root() {
        return Err(Rejection::invalid("bad-txnmrklroot"));
    }
    let mut txids = HashSet::with_capacity(block.txdata.len());
    if !block
        .txdata
        .iter()
        .all(|tx| txids.insert(tx.compute_txid()))
    {
        return Err(Rejection::invalid("bad-txns-duplicate"));
    }
    if block.txdata.is_empty()
        || block.txdata.len() as u64 * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
        || block_base_size(block) as u64 * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT
    {
        return Err(Rejection::invalid("bad-blk-length"));
    }
    if !block.txdata[0].is_coinbase() {
        return Err(Rejection::invalid("bad-cb-missing"));
    }
    if block.txdata[1..].iter().any(|tx| tx.is_coinbase()) {
        return Err(Rejection::invalid("bad-cb-multiple"));
    }
    for tx in &block.txdata {
        check_transaction(tx).map_err(|e| {
            Rejection::invalid(&e.reason).with_detail(format!(
                "Transaction check failed (tx hash {})",
                tx.compute_txid()
            ))
        })?;
    }
    let legacy: u64 = block.txdata.iter().map(legacy_sigops).sum();
    if legacy * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST {
        return Err(Rejection::invalid("bad-blk-sigops"));
    }
    Ok(())
}

/// A block's size without witness data.
fn block_base_size(block: &Block) -> usize {
    let count = bitcoin::VarInt::from(block.txdata.len()).size();
    80 + count + block.txdata.iter().map(|tx| tx.base_size()).sum::<usize>()
}

/// Block checks that need the block's height and its predecessor's median
/// time (Core's `ContextualCheckBlockHeader` and `ContextualCheckBlock`).
pub fn contextual_check_block(
    block: &Block,
    height: u32,
    prev_median_time: u32,
    now: u32,
) -> Result<(), Rejection> {
    let time = block.header.time;
    if time <= prev_median_time {
        return Err(Rejection::invalid("time-too-old"));
    }
    if time > now.saturating_add(crate::params::MAX_FUTURE_BLOCK_TIME) {
        return Err(Rejection::invalid("time-too-new"));
    }
    let version = block.header.version.to_consensus();
    if version < 4 {
        return Err(Rejection::invalid(&format!("bad-version(0x{version:08x})")));
    }
    if let Some(tx) = block
        .txdata
        .iter()
        .find(|tx| !is_final_tx(tx, height, prev_median_time))
    {
        return Err(Rejection::invalid("bad-txns-nonfinal")
            .with_detail(format!("non-final transaction {}", tx.compute_txid())));
    }
    let prefix = bip34_prefix(height);
    if !block.txdata[0].input[0]
        .script_sig
        .as_bytes()
        .starts_with(prefix.as_bytes())
    {
        return Err(Rejection::invalid("bad-cb-height"));
    }
    if !block.check_witness_commitment() {
        return Err(Rejection::invalid("bad-witness-merkle-match"));
    }
    if block.weight() > Weight::from_wu(MAX_BLOCK_WEIGHT) {
        return Err(Rejection::invalid("bad-blk-weight"));
    }
    Ok(())
}
