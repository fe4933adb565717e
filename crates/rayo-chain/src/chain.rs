//! The chain: block tree, active chain, UTXO set and mempool, owned in one
//! place and changed only through the methods here, each of which persists
//! its effect atomically before returning.
//!
//! Time is an argument (`now`, unix seconds) so tests can drive it.

use std::collections::{HashMap, HashSet};

use bitcoin::blockdata::constants::genesis_block;
use bitcoin::blockdata::script::Builder;
use bitcoin::hashes::Hash;
use bitcoin::pow::Work;
use bitcoin::{
    absolute, block, transaction, Amount, Block, BlockHash, FeeRate, Network, OutPoint, Script,
    ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness, Wtxid,
};

use crate::coins::Coin;
use crate::mempool::{Mempool, MempoolEntry};
use crate::params::{
    block_subsidy, MAX_BLOCK_SIGOPS_COST, MAX_BLOCK_WEIGHT, MEDIAN_TIME_SPAN, REGTEST_BITS,
};
use crate::policy::{self, fee_for, MAX_STANDARD_TX_SIGOPS_COST, MIN_RELAY_FEERATE};
use crate::store::{BlockStatus, ChainStore, StoreBatch, StoreError, StoredBlock};
use crate::validation::{
    bip34_prefix, check_block, check_transaction, check_tx_inputs, contextual_check_block,
    is_final_tx, sequence_locks_satisfied, sigop_cost, verify_scripts, RejectKind, Rejection,
};

/// Replacements may evict at most this many transactions (BIP125 rule 5).
const MAX_REPLACEMENT_EVICTIONS: usize = 100;

/// Why a chain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The input was refused by a consensus or policy rule.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Storage failed; the chain state in memory may be ahead of the disk,
    /// so the daemon should stop.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No block with this hash is known.
    #[error("Block not found")]
    UnknownBlock,
    /// Mining could not build a valid block (a bug, reported not hidden).
    #[error("mined block was invalid: {0}")]
    MinedInvalid(Rejection),
}

/// A block in the tree.
#[derive(Debug, Clone)]
pub struct BlockEntry {
    /// Its hash.
    pub hash: BlockHash,
    /// Its header.
    pub header: block::Header,
    /// Its height.
    pub height: u32,
    /// Total work of the chain ending here.
    pub chainwork: Work,
    /// Validity.
    pub status: BlockStatus,
    /// Arrival order (first seen wins a chainwork tie).
    pub sequence: u64,
    /// Median time of the 11 blocks ending here (BIP113).
    pub median_time_past: u32,
    /// Number of transactions.
    pub tx_count: u32,
    /// Serialized size.
    pub size: u32,
    /// Weight.
    pub weight: u64,
}

/// What acceptance learned about a transaction.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its txid.
    pub txid: Txid,
    /// Its wtxid.
    pub wtxid: Wtxid,
    /// Virtual size.
    pub vsize: u64,
    /// Fee paid.
    pub fee: Amount,
}

/// The embedded regtest chain.
pub struct Chain<S: ChainStore> {
    store: S,
    blocks: HashMap<BlockHash, BlockEntry>,
    children: HashMap<BlockHash, Vec<BlockHash>>,
    active: Vec<BlockHash>,
    utxos: HashMap<OutPoint, Coin>,
    mempool: Mempool,
    verified_scripts: HashSet<Wtxid>,
    next_sequence: u64,
    /// Why the most recent block connection failed, for `submit_block`.
    last_failure: Option<Rejection>,
}

/// Which outputs go into the UTXO set: Core never stores provably
/// unspendable ones.
fn is_spendable(out: &TxOut) -> bool {
    !out.script_pubkey.is_op_return() && out.script_pubkey.len() <= 10_000
}

impl<S: ChainStore> Chain<S> {
    /// Opens the chain from `store`, creating the regtest genesis block on
    /// first use, and reloads the saved mempool.
    pub fn open(mut store: S, now: u32) -> Result<Self, ChainError> {
        let loaded = store.load()?;
        let mut chain = Chain {
            store,
            blocks: HashMap::new(),
            children: HashMap::new(),
            active: Vec::new(),
            utxos: loaded.utxos.into_iter().collect(),
            mempool: Mempool::default(),
            verified_scripts: HashSet::new(),
            next_sequence: 0,
            last_failure: None,
        };
        if loaded.blocks.is_empty() {
            let genesis = genesis_block(Network::Regtest);
            let info = chain.new_block_info(&genesis, 0);
            let hash = genesis.block_hash();
            chain.index_block(hash, &info);
            chain.active.push(hash);
            chain.store.apply(&StoreBatch {
                new_blocks: vec![(genesis, info)],
                tip: Some(hash),
                ..StoreBatch::default()
            })?;
        } else {
            for (hash, info) in &loaded.blocks {
                chain.index_block(*hash, info);
            }
            let tip = loaded
                .tip
                .filter(|t| chain.blocks.contains_key(t))
                .ok_or_else(|| StoreError::Corrupt("tip is not a stored block".into()))?;
            chain.active = chain.path_from_genesis(tip);
        }
        chain.activate_best_chain(now)?;
        for (tx, time) in loaded.mempool {
            // Transactions that no longer fit (e.g. after a crash between a
            // block and its mempool cleanup) are dropped, as Core does.
            let _ = chain.accept_transaction(tx, u64::from(now).max(time), false);
        }
        Ok(chain)
    }

    fn new_block_info(&mut self, block: &Block, height: u32) -> StoredBlock {
        self.next_sequence += 1;
        StoredBlock {
            header: block.header,
            height,
            status: BlockStatus::Valid,
            sequence: self.next_sequence,
            tx_count: block.txdata.len() as u32,
            size: block.total_size() as u32,
            weight: block.weight().to_wu(),
        }
    }

    fn index_block(&mut self, hash: BlockHash, info: &StoredBlock) {
        let prev = self.blocks.get(&info.header.prev_blockhash);
        let chainwork =
            prev.map_or(Work::from_be_bytes([0; 32]), |p| p.chainwork) + info.header.work();
        let mut times: Vec<u32> = vec![info.header.time];
        let mut cursor = prev;
        while let Some(p) = cursor.filter(|_| times.len() < MEDIAN_TIME_SPAN) {
            times.push(p.header.time);
            cursor = self.blocks.get(&p.header.prev_blockhash);
        }
        times.sort_unstable();
        let entry = BlockEntry {
            hash,
            header: info.header,
            height: info.height,
            chainwork,
            status: info.status,
            sequence: info.sequence,
            median_time_past: times[times.len() / 2],
            tx_count: info.tx_count,
            size: info.size,
            weight: info.weight,
        };
        self.next_sequence = self.next_sequence.max(info.sequence);
        if info.height > 0 {
            self.children
                .entry(info.header.prev_blockhash)
                .or_default()
                .push(hash);
        }
        self.blocks.insert(hash, entry);
    }

    fn path_from_genesis(&self, tip: BlockHash) -> Vec<BlockHash> {
        let mut path = Vec::new();
        let mut cursor = Some(tip);
        while let Some(hash) = cursor {
            path.push(hash);
            let entry = &self.blocks[&hash];
            cursor = (entry.height > 0).then_some(entry.header.prev_blockhash);
        }
        path.reverse();
        path
    }

    // ------------------------------------------------------------ queries

    /// Height of the active tip.
    pub fn height(&self) -> u32 {
        (self.active.len() - 1) as u32
    }

    /// The active tip.
    pub fn tip(&self) -> &BlockEntry {
        &self.blocks[self.active.last().expect("genesis is always active")]
    }

    /// The active block at `height`.
    pub fn hash_at(&self, height: u32) -> Option<BlockHash> {
        self.active.get(height as usize).copied()
    }

    /// Any known block.
    pub fn entry(&self, hash: &BlockHash) -> Option<&BlockEntry> {
        self.blocks.get(hash)
    }

    /// True if `hash` is on the active chain.
    pub fn is_active(&self, hash: &BlockHash) -> bool {
        self.blocks
            .get(hash)
            .is_some_and(|e| self.hash_at(e.height) == Some(*hash))
    }

    /// Confirmations as Core counts them: depth on the active chain, or -1
    /// for a block off it.
    pub fn confirmations(&self, hash: &BlockHash) -> i64 {
        match self.blocks.get(hash) {
            Some(e) if self.is_active(hash) => i64::from(self.height() - e.height) + 1,
            _ => -1,
        }
    }

    /// A block's full data.
    pub fn block(&self, hash: &BlockHash) -> Result<Block, ChainError> {
        self.store.block(hash)?.ok_or(ChainError::UnknownBlock)
    }

    /// Median time past of the active block at `height`.
    pub fn median_time_past(&self, height: u32) -> u32 {
        self.hash_at(height)
            .map_or(0, |h| self.blocks[&h].median_time_past)
    }

    /// Every known block that has no children: the tips Core's
    /// `getchaintips` lists.
    pub fn tips(&self) -> Vec<&BlockEntry> {
        self.blocks
            .values()
            .filter(|e| self.children.get(&e.hash).is_none_or(|c| c.is_empty()))
            .collect()
    }

    /// The mempool.
    pub fn mempool(&self) -> &Mempool {
        &self.mempool
    }

    /// An unspent output of the active chain, or of the mempool when
    /// `include_mempool` (where outputs spent in the mempool count as spent).
    pub fn coin(&self, outpoint: &OutPoint, include_mempool: bool) -> Option<Coin> {
        if include_mempool {
            if self.mempool.spender(outpoint).is_some() {
                return None;
            }
            if let Some(entry) = self.mempool.get(&outpoint.txid) {
                return entry.tx.output.get(outpoint.vout as usize).map(|o| Coin {
                    output: o.clone(),
                    height: self.height() + 1,
                    is_coinbase: false,
                });
            }
        }
        self.utxos.get(outpoint).cloned()
    }

    /// A transaction by txid: from the mempool, or confirmed on the active
    /// chain (with its block).
    pub fn transaction(
        &self,
        txid: &Txid,
    ) -> Result<Option<(Transaction, Option<BlockHash>)>, ChainError> {
        if let Some(entry) = self.mempool.get(txid) {
            return Ok(Some((entry.tx.clone(), None)));
        }
        let Some(hash) = self.store.tx_block(txid)? else {
            return Ok(None);
        };
        let block = self.block(&hash)?;
        Ok(block
            .txdata
            .into_iter()
            .find(|tx| tx.compute_txid() == *txid)
            .map(|tx| (tx, Some(hash))))
    }

    /// Bytes the store uses on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.store.size_on_disk()
    }

    /// The fee of each non-coinbase transaction of an active block, from its
    /// undo data; `None` for a block off the active chain.
    pub fn block_fees(&self, hash: &BlockHash) -> Result<Option<Vec<Amount>>, ChainError> {
        if !self.is_active(hash) {
            return Ok(None);
        }
        let Some(undo) = self.store.undo(hash)? else {
            return Ok(None);
        };
        let block = self.block(hash)?;
        let mut spent = undo.into_iter();
        let fees = block
            .txdata
            .iter()
            .skip(1)
            .map(|tx| {
                let value_in: Amount = spent
                    .by_ref()
                    .take(tx.input.len())
                    .map(|c| c.output.value)
                    .sum();
                let value_out: Amount = tx.output.iter().map(|o| o.value).sum();
                value_in.checked_sub(value_out).unwrap_or(Amount::ZERO)
            })
            .collect();
        Ok(Some(fees))
    }

    /// A fee rate estimate for `estimatesmartfee`: the median fee rate of
    /// the mempool when it holds anything, else `fallback` (a quiet private
    /// chain has nothing to measure). Never below the minimum relay fee.
    pub fn estimate_feerate(&self, fallback: FeeRate) -> FeeRate {
        let mut rates: Vec<u64> = self
            .mempool
            .entries()
            .iter()
            .map(|e| e.fee.to_sat() * 250 / e.vsize.max(1))
            .collect();
        rates.sort_unstable();
        let rate = rates
            .get(rates.len() / 2)
            .map_or(fallback, |r| FeeRate::from_sat_per_kwu(*r));
        rate.max(MIN_RELAY_FEERATE)
    }

    /// Number of unspent outputs in the active chain.
    pub fn utxo_count(&self) -> usize {
        self.utxos.len()
    }

    // ------------------------------------------------------------ mempool

    /// Validates `tx` against consensus and relay policy for the next block
    /// and, unless `test_only`, adds it to the mempool (replacing conflicts
    /// that it outbids, as Core's full-RBF does).
    pub fn accept_transaction(
        &mut self,
        tx: Transaction,
        now: u64,
        test_only: bool,
    ) -> Result<Accepted, ChainError> {
        let txid = tx.compute_txid();
        check_transaction(&tx)?;
        if tx.is_coinbase() {
            return Err(Rejection::invalid("coinbase").into());
        }
        policy::check_standard(&tx)?;
        if self.mempool.get(&txid).is_some() {
            return Err(Rejection::invalid("txn-already-in-mempool").into());
        }
        let next_height = self.height() + 1;
        let tip_mtp = self.tip().median_time_past;
        if !is_final_tx(&tx, next_height, tip_mtp) {
            return Err(Rejection::invalid("non-final").into());
        }

        // Inputs: from the chain or the mempool; a spent or unknown one is
        // either a conflict (replaceable) or missing.
        let mut coins = Vec::with_capacity(tx.input.len());
        let mut conflicts: HashSet<Txid> = HashSet::new();
        for input in &tx.input {
            let outpoint = &input.previous_output;
            if let Some(spender) = self.mempool.spender(outpoint) {
                conflicts.insert(spender);
            }
            let coin = self.utxos.get(outpoint).cloned().or_else(|| {
                self.mempool.get(&outpoint.txid).and_then(|e| {
                    e.tx.output.get(outpoint.vout as usize).map(|o| Coin {
                        output: o.clone(),
                        height: next_height,
                        is_coinbase: false,
                    })
                })
            });
            match coin {
                Some(coin) => coins.push(coin),
                None => {
                    let confirmed = (0..tx.output.len() as u32)
                        .any(|vout| self.utxos.contains_key(&OutPoint { txid, vout }));
                    if confirmed {
                        return Err(Rejection {
                            kind: RejectKind::AlreadyInChain,
                            reason: "Transaction outputs already in utxo set".into(),
                            detail: None,
                        }
                        .into());
                    }
                    return Err(Rejection {
                        kind: RejectKind::MissingInputs,
                        reason: "bad-txns-inputs-missingorspent".into(),
                        detail: None,
                    }
                    .into());
                }
            }
        }

        let fee = check_tx_inputs(&tx, &coins, next_height)?;
        let mtp_at = |h: u32| self.median_time_past(h.min(self.height()));
        if !sequence_locks_satisfied(&tx, &coins, next_height, tip_mtp, mtp_at) {
            return Err(Rejection::invalid("non-BIP68-final").into());
        }
        let sigops = sigop_cost(&tx, &coins);
        if sigops > MAX_STANDARD_TX_SIGOPS_COST {
            return Err(Rejection::invalid("bad-txns-too-many-sigops")
                .with_detail(sigops.to_string())
                .into());
        }
        let vsize = tx.vsize() as u64;
        let min_fee = fee_for(MIN_RELAY_FEERATE, vsize);
        if fee < min_fee {
            return Err(Rejection::invalid("min relay fee not met")
                .with_detail(format!("{} < {}", fee.to_sat(), min_fee.to_sat()))
                .into());
        }
        let evicted = self.check_replacement(&tx, txid, fee, vsize, &conflicts)?;

        let wtxid = tx.compute_wtxid();
        if !self.verified_scripts.contains(&wtxid) {
            verify_scripts(&tx, &coins)?;
        }
        let accepted = Accepted {
            txid,
            wtxid,
            vsize,
            fee,
        };
        if test_only {
            return Ok(accepted);
        }
        self.verified_scripts.insert(wtxid);
        let mut batch = StoreBatch::default();
        for doomed in &evicted {
            for entry in self.mempool.remove_with_descendants(doomed) {
                batch.mempool_removed.push(entry.txid);
            }
        }
        batch.mempool_added.push((tx.clone(), now));
        self.mempool.insert(MempoolEntry {
            weight: tx.weight().to_wu(),
            tx,
            txid,
            wtxid,
            fee,
            vsize,
            sigop_cost: sigops,
            time: now,
            height: self.height(),
            sequence: 0,
        });
        self.store.apply(&batch)?;
        Ok(accepted)
    }

    /// BIP125-style replacement checks (full-RBF: no signalling needed).
    /// Returns the transactions to evict.
    fn check_replacement(
        &self,
        tx: &Transaction,
        txid: Txid,
        fee: Amount,
        vsize: u64,
        conflicts: &HashSet<Txid>,
    ) -> Result<Vec<Txid>, Rejection> {
        if conflicts.is_empty() {
            return Ok(Vec::new());
        }
        let mut evicted: HashSet<Txid> = HashSet::new();
        for conflict in conflicts {
            evicted.extend(self.mempool.with_descendants(conflict));
        }
        if evicted.len() > MAX_REPLACEMENT_EVICTIONS {
            return Err(Rejection::invalid("too many potential replacements"));
        }
        if self
            .mempool
            .ancestors(tx)
            .iter()
            .any(|a| evicted.contains(a))
        {
            return Err(Rejection::invalid("bad-txns-spends-conflicting-tx"));
        }
        let new_rate = FeeRate::from_sat_per_kwu(fee.to_sat() * 250 / vsize.max(1));
        for conflict in conflicts {
            let old = self
                .mempool
                .get(conflict)
                .expect("conflicts are in the mempool");
            let old_rate = FeeRate::from_sat_per_kwu(old.fee.to_sat() * 250 / old.vsize.max(1));
            if u128::from(fee.to_sat()) * u128::from(old.vsize)
                <= u128::from(old.fee.to_sat()) * u128::from(vsize)
            {
                return Err(Rejection::invalid("insufficient fee").with_detail(format!(
                    "rejecting replacement {txid}; new feerate {} sat/kvB <= old feerate {} sat/kvB",
                    new_rate.to_sat_per_kwu() * 4,
                    old_rate.to_sat_per_kwu() * 4
                )));
            }
        }
        let evicted_fees: Amount = evicted
            .iter()
            .map(|t| self.mempool.get(t).expect("in mempool").fee)
            .sum();
        let needed = evicted_fees + fee_for(MIN_RELAY_FEERATE, vsize);
        if fee < needed {
            return Err(Rejection::invalid("insufficient fee").with_detail(format!(
                "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
                fee.to_btc(),
                needed.to_btc()
            )));
        }
        Ok(evicted.into_iter().collect())
    }

    // ------------------------------------------------------------ blocks

    /// Accepts a block from outside (mining or `submitblock`): checks it,
    /// stores it and makes the chain with the most work active.
    pub fn submit_block(&mut self, block: Block, now: u32) -> Result<(), ChainError> {
        let hash = block.block_hash();
        if let Some(existing) = self.blocks.get(&hash) {
            let reason = match existing.status {
                BlockStatus::Valid => "duplicate",
                _ => "duplicate-invalid",
            };
            return Err(Rejection::invalid(reason).into());
        }
        check_block(&block)?;
        let prev = self
            .blocks
            .get(&block.header.prev_blockhash)
            .ok_or_else(|| Rejection::invalid("prev-blk-not-found"))?;
        if prev.status != BlockStatus::Valid {
            return Err(Rejection::invalid("bad-prevblk").into());
        }
        let height = prev.height + 1;
        contextual_check_block(&block, height, prev.median_time_past, now)?;
        let info = self.new_block_info(&block, height);
        self.index_block(hash, &info);
        self.store.apply(&StoreBatch {
            new_blocks: vec![(block, info)],
            ..StoreBatch::default()
        })?;
        self.activate_best_chain(now)?;
        match self.blocks[&hash].status {
            BlockStatus::Valid => Ok(()),
            _ => Err(self
                .last_failure
                .take()
                .unwrap_or_else(|| Rejection::invalid("block-validation-failed"))
                .into()),
        }
    }

    /// The valid block with the most work (first seen wins ties); the
    /// current tip keeps its place against equal work.
    fn best_candidate(&self) -> BlockHash {
        let tip = self.tip();
        let mut best = tip;
        for entry in self.blocks.values() {
            if entry.status != BlockStatus::Valid {
                continue;
            }
            let better = entry.chainwork > best.chainwork
                || (entry.chainwork == best.chainwork
                    && best.hash != tip.hash
                    && entry.sequence < best.sequence);
            if better {
                best = entry;
            }
        }
        best.hash
    }

    /// Moves the active chain to the best valid tip, disconnecting and
    /// connecting blocks one persisted step at a time. A block that fails
    /// to connect is marked invalid and the search starts again.
    fn activate_best_chain(&mut self, now: u32) -> Result<(), ChainError> {
        let mut disconnected: Vec<Transaction> = Vec::new();
        loop {
            let target = self.best_candidate();
            if target == self.tip().hash {
                break;
            }
            let path = self.path_from_genesis(target);
            let fork = path
                .iter()
                .zip(&self.active)
                .take_while(|(a, b)| a == b)
                .count();
            while self.active.len() > fork {
                let mut txs = self.disconnect_tip()?;
                txs.append(&mut disconnected);
                disconnected = txs;
            }
            for hash in &path[fork..] {
                if let Err(rejection) = self.connect_block(*hash)? {
                    self.mark_failed(*hash)?;
                    self.last_failure = Some(rejection);
                    break;
                }
            }
        }
        if !disconnected.is_empty() {
            self.rebuild_mempool(disconnected, now)?;
        }
        Ok(())
    }

    /// Connects the block `hash` (whose parent is the tip). The outer
    /// `Result` is a storage failure, the inner one a rule the block breaks.
    fn connect_block(&mut self, hash: BlockHash) -> Result<Result<(), Rejection>, ChainError> {
        let block = self.block(&hash)?;
        let entry = &self.blocks[&hash];
        let height = entry.height;
        let prev_mtp = self.tip().median_time_past;

        let mut created: HashMap<OutPoint, Coin> = HashMap::new();
        let mut spent: HashSet<OutPoint> = HashSet::new();
        let mut undo: Vec<Coin> = Vec::new();
        let mut fees = Amount::ZERO;
        let mut sigops = 0u64;
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            let mut coins = Vec::with_capacity(tx.input.len());
            if !tx.is_coinbase() {
                for input in &tx.input {
                    let outpoint = input.previous_output;
                    let coin = if spent.insert(outpoint) {
                        created
                            .remove(&outpoint)
                            .or_else(|| self.utxos.get(&outpoint).cloned())
                    } else {
                        None
                    };
                    match coin {
                        Some(coin) => coins.push(coin),
                        None => {
                            return Ok(Err(Rejection::invalid("bad-txns-inputs-missingorspent")
                                .with_detail(format!(
                                    "CheckTxInputs: inputs missing/spent in {txid}"
                                ))))
                        }
                    }
                }
                let fee = match check_tx_inputs(tx, &coins, height) {
                    Ok(fee) => fee,
                    Err(e) => return Ok(Err(e)),
                };
                fees = fees
                    .checked_add(fee)
                    .expect("fees are bounded by MAX_MONEY");
                let mtp_at = |h: u32| self.median_time_past(h.min(height - 1));
                if !sequence_locks_satisfied(tx, &coins, height, prev_mtp, mtp_at) {
                    return Ok(Err(Rejection::invalid("bad-txns-nonfinal")
                        .with_detail("contains a non-BIP68-final transaction")));
                }
            }
            sigops += sigop_cost(tx, &coins);
            if sigops > MAX_BLOCK_SIGOPS_COST {
                return Ok(Err(Rejection::invalid("bad-blk-sigops")));
            }
            if !tx.is_coinbase() && !self.verified_scripts.contains(&tx.compute_wtxid()) {
                if let Err(e) = verify_scripts(tx, &coins) {
                    return Ok(Err(
                        Rejection::invalid(&e.reason).with_detail(format!("in transaction {txid}"))
                    ));
                }
            }
            for (vout, output) in tx.output.iter().enumerate() {
                if is_spendable(output) {
                    let coin = Coin {
                        output: output.clone(),
                        height,
                        is_coinbase: tx.is_coinbase(),
                    };
                    created.insert(
                        OutPoint {
                            txid,
                            vout: vout as u32,
                        },
                        coin,
                    );
                }
            }
            undo.extend(coins);
        }
        let coinbase_value: Amount = block.txdata[0].output.iter().map(|o| o.value).sum();
        let limit = block_subsidy(height) + fees;
        if coinbase_value > limit {
            return Ok(Err(Rejection::invalid("bad-cb-amount").with_detail(
                format!(
                    "coinbase pays too much (actual={} vs limit={})",
                    coinbase_value.to_sat(),
                    limit.to_sat()
                ),
            )));
        }

        // Valid: apply in memory and on disk in one batch.
        let mut batch = StoreBatch {
            tip: Some(hash),
            ..StoreBatch::default()
        };
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            batch.txindex_added.push((txid, hash));
            if !tx.is_coinbase() {
                for input in &tx.input {
                    self.utxos.remove(&input.previous_output);
                    batch.utxo_changes.push((input.previous_output, None));
                }
            }
            for vout in 0..tx.output.len() as u32 {
                let outpoint = OutPoint { txid, vout };
                if let Some(coin) = created.remove(&outpoint) {
                    self.utxos.insert(outpoint, coin.clone());
                    batch.utxo_changes.push((outpoint, Some(coin)));
                }
            }
        }
        batch.undo.push((hash, undo));
        self.active.push(hash);
        self.remove_for_block(&block, &mut batch);
        self.store.apply(&batch)?;
        Ok(Ok(()))
    }

    /// After a block connects: its transactions leave the mempool, and so do
    /// mempool transactions spending the same outputs (and their children).
    fn remove_for_block(&mut self, block: &Block, batch: &mut StoreBatch) {
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            if self.mempool.remove(&txid).is_some() {
                batch.mempool_removed.push(txid);
            }
            for input in &tx.input {
                if let Some(conflict) = self.mempool.spender(&input.previous_output) {
                    for entry in self.mempool.remove_with_descendants(&conflict) {
                        batch.mempool_removed.push(entry.txid);
                    }
                }
            }
            self.verified_scripts.remove(&tx.compute_wtxid());
        }
    }

    /// Disconnects the tip using its undo data; returns its non-coinbase
    /// transactions so they can go back to the mempool.
    fn disconnect_tip(&mut self) -> Result<Vec<Transaction>, ChainError> {
        let hash = *self.active.last().expect("genesis is always active");
        let block = self.block(&hash)?;
        let undo = self
            .store
            .undo(&hash)?
            .ok_or_else(|| StoreError::Corrupt(format!("no undo data for {hash}")))?;
        let mut undo = undo.into_iter().rev();
        let mut batch = StoreBatch::default();
        for tx in block.txdata.iter().rev() {
            let txid = tx.compute_txid();
            batch.txindex_removed.push(txid);
            for (vout, output) in tx.output.iter().enumerate() {
                if is_spendable(output) {
                    let outpoint = OutPoint {
                        txid,
                        vout: vout as u32,
                    };
                    self.utxos.remove(&outpoint);
                    batch.utxo_changes.push((outpoint, None));
                }
            }
            if tx.is_coinbase() {
                continue;
            }
            for input in tx.input.iter().rev() {
                let coin = undo
                    .next()
                    .ok_or_else(|| StoreError::Corrupt(format!("short undo data for {hash}")))?;
                self.utxos.insert(input.previous_output, coin.clone());
                batch.utxo_changes.push((input.previous_output, Some(coin)));
            }
        }
        self.active.pop();
        batch.tip = Some(self.tip().hash);
        self.store.apply(&batch)?;
        Ok(block.txdata.into_iter().skip(1).collect())
    }

    /// After a reorg: the disconnected blocks' transactions and the old
    /// mempool are re-validated against the new chain, in order.
    fn rebuild_mempool(
        &mut self,
        disconnected: Vec<Transaction>,
        now: u32,
    ) -> Result<(), ChainError> {
        let old: Vec<MempoolEntry> = self.mempool.entries().into_iter().cloned().collect();
        let mut batch = StoreBatch::default();
        for entry in &old {
            self.mempool.remove(&entry.txid);
            batch.mempool_removed.push(entry.txid);
        }
        self.store.apply(&batch)?;
        let candidates = disconnected
            .into_iter()
            .map(|tx| (tx, u64::from(now)))
            .chain(old.into_iter().map(|e| (e.tx, e.time)));
        for (tx, time) in candidates {
            match self.accept_transaction(tx, time, false) {
                Ok(_) | Err(ChainError::Rejected(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Marks `hash` failed and its descendants failed-child.
    fn mark_failed(&mut self, hash: BlockHash) -> Result<(), ChainError> {
        let mut batch = StoreBatch::default();
        let mut stack = vec![(hash, BlockStatus::Failed)];
        while let Some((h, status)) = stack.pop() {
            if let Some(entry) = self.blocks.get_mut(&h) {
                entry.status = status;
                batch.statuses.push((h, status));
            }
            for child in self.children.get(&h).into_iter().flatten() {
                stack.push((*child, BlockStatus::FailedChild));
            }
        }
        self.store.apply(&batch)?;
        Ok(())
    }

    /// `invalidateblock`: treats the block as invalid, moving the tip back
    /// to its parent (or to a better valid chain).
    pub fn invalidate_block(&mut self, hash: &BlockHash, now: u32) -> Result<(), ChainError> {
        let entry = self.blocks.get(hash).ok_or(ChainError::UnknownBlock)?;
        let parent = entry.header.prev_blockhash;
        if entry.height == 0 {
            return Err(Rejection::invalid("cannot invalidate the genesis block").into());
        }
        let mut disconnected = Vec::new();
        if self.is_active(hash) {
            while self.tip().hash != parent {
                let mut txs = self.disconnect_tip()?;
                txs.append(&mut disconnected);
                disconnected = txs;
            }
        }
        self.mark_failed(*hash)?;
        if !disconnected.is_empty() {
            self.rebuild_mempool(disconnected, now)?;
        }
        self.activate_best_chain(now)
    }

    /// `reconsiderblock`: clears the invalid marks on the block, its
    /// ancestors and its descendants, then activates the best chain.
    pub fn reconsider_block(&mut self, hash: &BlockHash, now: u32) -> Result<(), ChainError> {
        if !self.blocks.contains_key(hash) {
            return Err(ChainError::UnknownBlock);
        }
        let mut batch = StoreBatch::default();
        let mut marks: Vec<BlockHash> = self.path_from_genesis(*hash);
        let mut stack = vec![*hash];
        while let Some(h) = stack.pop() {
            for child in self.children.get(&h).into_iter().flatten() {
                marks.push(*child);
                stack.push(*child);
            }
        }
        for h in marks {
            let entry = self.blocks.get_mut(&h).expect("marks are known blocks");
            if entry.status != BlockStatus::Valid {
                entry.status = BlockStatus::Valid;
                batch.statuses.push((h, BlockStatus::Valid));
            }
        }
        self.store.apply(&batch)?;
        self.activate_best_chain(now)
    }

    // ------------------------------------------------------------ mining

    /// Builds, solves and connects a block on the tip paying its subsidy and
    /// fees to `script_pubkey`, taking mempool transactions by fee rate.
    pub fn mine_block(
        &mut self,
        script_pubkey: &Script,
        now: u32,
    ) -> Result<BlockHash, ChainError> {
        // Room for the coinbase, as Core's miner reserves.
        let selected = self
            .mempool
            .select_for_block(MAX_BLOCK_WEIGHT - 4_000, MAX_BLOCK_SIGOPS_COST - 400);
        let mut txdata = Vec::with_capacity(selected.len());
        let mut fees = Amount::ZERO;
        for txid in &selected {
            let entry = self.mempool.get(txid).expect("selected from the mempool");
            fees += entry.fee;
            txdata.push(entry.tx.clone());
        }
        let reward = block_subsidy(self.height() + 1) + fees;
        let block = self.assemble_block(txdata, reward, script_pubkey, now);
        let hash = block.block_hash();
        self.submit_block(block, now).map_err(|e| match e {
            ChainError::Rejected(r) => ChainError::MinedInvalid(r),
            other => other,
        })?;
        Ok(hash)
    }

    /// Builds a solved block on the tip holding `txdata` after a coinbase
    /// that pays `reward` to `script_pubkey`, with BIP34 height and witness
    /// commitment as Core's miner writes them. It is not checked or
    /// connected: [`Chain::submit_block`] does that.
    pub fn assemble_block(
        &self,
        txdata: Vec<Transaction>,
        reward: Amount,
        script_pubkey: &Script,
        now: u32,
    ) -> Block {
        let height = self.height() + 1;
        let prev = self.tip();
        // Height first (BIP34), then an extra nonce that makes every block
        // unique, as Core's miner appends one.
        let mut script_sig = bip34_prefix(height).into_bytes();
        let extra_nonce = Builder::new()
            .push_int(self.next_sequence as i64 + 1)
            .into_script();
        script_sig.extend_from_slice(extra_nonce.as_bytes());
        let coinbase = Transaction {
            version: transaction::Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::from_bytes(script_sig),
                sequence: Sequence::MAX,
                witness: Witness::from_slice(&[[0u8; 32]]),
            }],
            output: vec![TxOut {
                value: reward,
                script_pubkey: script_pubkey.to_owned(),
            }],
        };
        let mut block = Block {
            header: block::Header {
                version: block::Version::from_consensus(0x2000_0000),
                prev_blockhash: prev.hash,
                merkle_root: TxMerkleNode::all_zeros(),
                time: now.max(prev.median_time_past + 1),
                bits: bitcoin::CompactTarget::from_consensus(REGTEST_BITS),
                nonce: 0,
            },
            txdata: std::iter::once(coinbase).chain(txdata).collect(),
        };
        let witness_root = block.witness_root().expect("a block has a coinbase");
        let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
        let mut commitment_script = vec![0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];
        commitment_script.extend_from_slice(commitment.as_byte_array());
        block.txdata[0].output.push(TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(commitment_script),
        });
        block.header.merkle_root = block.compute_merkle_root().expect("a block has a coinbase");
        let target = block.header.target();
        while !target.is_met_by(block.header.block_hash()) {
            block.header.nonce = block.header.nonce.wrapping_add(1);
            if block.header.nonce == 0 {
                block.header.time += 1;
            }
        }
        block
    }

    /// Mines `count` blocks to `script_pubkey`.
    pub fn generate(
        &mut self,
        count: u32,
        script_pubkey: &Script,
        now: u32,
    ) -> Result<Vec<BlockHash>, ChainError> {
        (0..count)
            .map(|_| self.mine_block(script_pubkey, now))
            .collect()
    }
}

/// A script for tests and examples that anyone can spend: `OP_TRUE` wrapped
/// in P2WSH, so it is standard and needs no signature.
pub fn anyone_can_spend() -> (ScriptBuf, ScriptBuf) {
    let witness_script = Builder::new()
        .push_opcode(bitcoin::opcodes::OP_TRUE)
        .into_script();
    (
        ScriptBuf::new_p2wsh(&witness_script.wscript_hash()),
        witness_script,
    )
}
