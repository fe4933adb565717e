//! The mempool: unconfirmed transactions, who spends what, and the choice of
//! what goes into the next block (highest ancestor fee rate first, so a child
//! paying for its parent is honoured).
//!
//! This module keeps the data structure consistent; the acceptance rules
//! (consensus, policy, replacement) live in `chain`, which owns the UTXO set.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap, HashSet};

use bitcoin::{Amount, OutPoint, Transaction, Txid, Wtxid};

/// One unconfirmed transaction and what acceptance learned about it.
#[derive(Debug, Clone)]
pub struct MempoolEntry {
    /// The transaction.
    pub tx: Transaction,
    /// Its txid.
    pub txid: Txid,
    /// Its wtxid.
    pub wtxid: Wtxid,
    /// Inputs minus outputs.
    pub fee: Amount,
    /// Virtual size in vbytes.
    pub vsize: u64,
    /// Weight units.
    pub weight: u64,
    /// Signature operation cost.
    pub sigop_cost: u64,
    /// When it arrived (unix seconds).
    pub time: u64,
    /// Chain height when it arrived.
    pub height: u32,
    /// Arrival order; parents always arrive before children.
    pub sequence: u64,
}

/// Fee and size of a set of transactions, compared by fee rate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Package {
    /// Total fee.
    pub fee: Amount,
    /// Total virtual size.
    pub vsize: u64,
}

impl Package {
    /// True if this package's fee rate is higher than `other`'s.
    fn better_than(&self, other: &Package) -> bool {
        (u128::from(self.fee.to_sat()) * u128::from(other.vsize))
            .cmp(&(u128::from(other.fee.to_sat()) * u128::from(self.vsize)))
            == Ordering::Greater
    }
}

/// The set of unconfirmed transactions.
#[derive(Debug, Default)]
pub struct Mempool {
    entries: HashMap<Txid, MempoolEntry>,
    spenders: HashMap<OutPoint, Txid>,
    next_sequence: u64,
}

impl Mempool {
    /// An entry by txid.
    pub fn get(&self, txid: &Txid) -> Option<&MempoolEntry> {
        self.entries.get(txid)
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, oldest first.
    pub fn entries(&self) -> Vec<&MempoolEntry> {
        let mut all: Vec<_> = self.entries.values().collect();
        all.sort_by_key(|e| e.sequence);
        all
    }

    /// The mempool transaction spending `outpoint`, if any.
    pub fn spender(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.spenders.get(outpoint).copied()
    }

    /// Adds an entry; the caller has checked it against every rule. Its
    /// sequence number is assigned here.
    pub fn insert(&mut self, mut entry: MempoolEntry) {
        entry.sequence = self.next_sequence;
        self.next_sequence += 1;
        for input in &entry.tx.input {
            self.spenders.insert(input.previous_output, entry.txid);
        }
        self.entries.insert(entry.txid, entry);
    }

    /// Removes one entry (not its descendants).
    pub fn remove(&mut self, txid: &Txid) -> Option<MempoolEntry> {
        let entry = self.entries.remove(txid)?;
        for input in &entry.tx.input {
            if self.spenders.get(&input.previous_output) == Some(txid) {
                self.spenders.remove(&input.previous_output);
            }
        }
        Some(entry)
    }

    /// Direct children: mempool transactions spending an output of `txid`.
    pub fn children(&self, txid: &Txid) -> Vec<Txid> {
        let Some(entry) = self.entries.get(txid) else {
            return Vec::new();
        };
        (0..entry.tx.output.len() as u32)
            .filter_map(|vout| self.spender(&OutPoint { txid: *txid, vout }))
            .collect()
    }

    /// Direct parents: mempool transactions whose outputs `tx` spends.
    pub fn parents(&self, tx: &Transaction) -> BTreeSet<Txid> {
        tx.input
            .iter()
            .map(|i| i.previous_output.txid)
            .filter(|t| self.entries.contains_key(t))
            .collect()
    }

    /// `txid` and everything that descends from it in the mempool.
    pub fn with_descendants(&self, txid: &Txid) -> HashSet<Txid> {
        let mut seen = HashSet::new();
        let mut stack = vec![*txid];
        while let Some(t) = stack.pop() {
            if self.entries.contains_key(&t) && seen.insert(t) {
                stack.extend(self.children(&t));
            }
        }
        seen
    }

    /// The in-mempool ancestors of `tx` (not `tx` itself).
    pub fn ancestors(&self, tx: &Transaction) -> HashSet<Txid> {
        let mut seen = HashSet::new();
        let mut stack: Vec<Txid> = self.parents(tx).into_iter().collect();
        while let Some(t) = stack.pop() {
            if seen.insert(t) {
                stack.extend(self.parents(&self.entries[&t].tx));
            }
        }
        seen
    }

    /// Removes `txid` and its descendants, returning them.
    pub fn remove_with_descendants(&mut self, txid: &Txid) -> Vec<MempoolEntry> {
        let doomed = self.with_descendants(txid);
        doomed.iter().filter_map(|t| self.remove(t)).collect()
    }

    /// Total virtual size of all entries.
    pub fn total_vsize(&self) -> u64 {
        self.entries.values().map(|e| e.vsize).sum()
    }

    /// Total fees of all entries.
    pub fn total_fee(&self) -> Amount {
        self.entries.values().map(|e| e.fee).sum()
    }

    /// Transactions for the next block, parents before children, within the
    /// weight and sigop budgets. When everything fits (the usual case on a
    /// private chain) that is every transaction in arrival order; otherwise
    /// packages are taken greedily by ancestor fee rate.
    pub fn select_for_block(&self, max_weight: u64, max_sigops: u64) -> Vec<Txid> {
        let all = self.entries();
        let weight: u64 = all.iter().map(|e| e.weight).sum();
        let sigops: u64 = all.iter().map(|e| e.sigop_cost).sum();
        if weight <= max_weight && sigops <= max_sigops {
            return all.iter().map(|e| e.txid).collect();
        }
        let mut chosen: HashSet<Txid> = HashSet::new();
        let mut skipped: HashSet<Txid> = HashSet::new();
        let mut order = Vec::new();
        let (mut used_weight, mut used_sigops) = (0u64, 0u64);
        loop {
            let mut best: Option<(Package, Vec<Txid>)> = None;
            for entry in &all {
                if chosen.contains(&entry.txid) || skipped.contains(&entry.txid) {
                    continue;
                }
                let mut members: Vec<Txid> = self
                    .ancestors(&entry.tx)
                    .into_iter()
                    .filter(|t| !chosen.contains(t))
                    .collect();
                members.push(entry.txid);
                let package = members.iter().fold(Package::default(), |p, t| Package {
                    fee: p.fee + self.entries[t].fee,
                    vsize: p.vsize + self.entries[t].vsize,
                });
                if best.as_ref().is_none_or(|(b, _)| package.better_than(b)) {
                    best = Some((package, members));
                }
            }
            let Some((_, mut members)) = best else { break };
            let w: u64 = members.iter().map(|t| self.entries[t].weight).sum();
            let s: u64 = members.iter().map(|t| self.entries[t].sigop_cost).sum();
            if used_weight + w > max_weight || used_sigops + s > max_sigops {
                skipped.insert(*members.last().expect("package holds its tip"));
                continue;
            }
            used_weight += w;
            used_sigops += s;
            members.sort_by_key(|t| self.entries[t].sequence);
            chosen.extend(members.iter().copied());
            order.extend(members);
        }
        order
    }
}
