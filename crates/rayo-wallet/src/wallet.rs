//! The wallet state: derived scripts, the transaction graph, locks and the
//! sync tip; and the queries on it (balance, unspent outputs, history).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{
    Address, Amount, Block, BlockHash, Network, NetworkKind, OutPoint, Script, ScriptBuf,
    SignedAmount, Transaction, TxOut, Txid,
};
use serde::{Deserialize, Serialize};

use crate::error::WalletError;
use crate::keys::{address_for, Account, AddressType, MAX_INDEX};
use crate::record::{TxStatus, WalletRecord};

/// How many scripts past the last revealed index of each keychain the
/// wallet watches, so that payments to addresses it has not handed out yet
/// (another instance of the same seed, a restore) are still found.
pub const LOOKAHEAD: u32 = 50;

/// How many recent block hashes the wallet keeps to find a fork point.
pub const CHECKPOINT_WINDOW: usize = 1000;

/// Confirmations a coinbase output needs before it can be spent (in the
/// next block), as consensus counts them.
pub const COINBASE_MATURITY: u32 = 100;

/// A block: height and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlockId {
    /// Height.
    pub height: u32,
    /// Hash.
    pub hash: BlockHash,
}

/// Where a wallet script comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Derivation {
    /// Address type (and so account).
    pub kind: AddressType,
    /// Internal (change) keychain.
    pub change: bool,
    /// Child index on the keychain.
    pub index: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptInfo {
    pub(crate) derivation: Derivation,
    pub(crate) address: Address,
}

/// Per keychain: how far it is revealed and derived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Keychain {
    /// Highest index handed out or seen used.
    revealed: Option<u32>,
    /// Scripts of indexes `0..derived` are in the script index.
    derived: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxEntry {
    pub(crate) tx: Transaction,
    pub(crate) status: TxStatus,
}

/// The wallet's balance, in lnd's `walletbalance` terms.
///
/// Each unspent wallet output counts in exactly one field:
/// * `locked`: the outpoint is locked ([`Wallet::lock`]), whatever its
///   confirmations; lnd likewise leaves leased outputs out of the others.
/// * `immature`: a coinbase output with fewer than [`COINBASE_MATURITY`]
///   confirmations. lnd (btcwallet) leaves these out of every figure; Core
///   shows them as "immature"; here they are their own field, outside
///   `confirmed` and `unconfirmed`.
/// * `confirmed`: at least one confirmation.
/// * `unconfirmed`: no confirmation yet (incoming payments and our own
///   change).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Spendable outputs with one confirmation or more.
    pub confirmed: Amount,
    /// Outputs with no confirmation.
    pub unconfirmed: Amount,
    /// Coinbase outputs that cannot be spent yet.
    pub immature: Amount,
    /// Locked outputs.
    pub locked: Amount,
}

impl Balance {
    /// `confirmed + unconfirmed`: lnd's `total_balance`.
    pub fn total(&self) -> Amount {
        self.confirmed + self.unconfirmed
    }
}

/// An unspent wallet output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utxo {
    /// The outpoint.
    pub outpoint: OutPoint,
    /// Its address.
    pub address: Address,
    /// Its script.
    pub script_pubkey: ScriptBuf,
    /// Where its key comes from.
    pub derivation: Derivation,
    /// Its value.
    pub amount: Amount,
    /// Confirmations (0 if unconfirmed).
    pub confirmations: u32,
}

/// A transaction in the wallet's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTx {
    /// Its txid.
    pub txid: Txid,
    /// Net change to the wallet: outputs to us minus our outputs it spends
    /// (negative for a payment, fee included).
    pub amount: SignedAmount,
    /// The fee, when the value of every input is known to the wallet.
    pub fee: Option<Amount>,
    /// Confirmations (0 if unconfirmed).
    pub confirmations: u32,
    /// Block height, if confirmed.
    pub block_height: Option<u32>,
    /// Block hash, if confirmed.
    pub block_hash: Option<BlockHash>,
    /// Block time if confirmed, else when first seen.
    pub time: u64,
    /// The addresses of all its outputs (outputs without an address, such
    /// as OP_RETURN, are left out).
    pub dest_addresses: Vec<Address>,
    /// Whether it is a coinbase.
    pub is_coinbase: bool,
    /// The transaction.
    pub raw: Transaction,
}

/// An unspent wallet output, borrowed from the graph.
pub(crate) struct Coin<'a> {
    pub(crate) outpoint: OutPoint,
    pub(crate) txout: &'a TxOut,
    pub(crate) info: &'a ScriptInfo,
    pub(crate) entry: &'a TxEntry,
}

impl Coin<'_> {
    pub(crate) fn confirmations(&self, tip_height: u32) -> u32 {
        confirmations(&self.entry.status, tip_height)
    }

    pub(crate) fn is_immature(&self, tip_height: u32) -> bool {
        self.entry.tx.is_coinbase() && self.confirmations(tip_height) < COINBASE_MATURITY
    }
}

/// Confirmations at `tip_height`: 0 if unconfirmed, at least 1 if confirmed.
pub(crate) fn confirmations(status: &TxStatus, tip_height: u32) -> u32 {
    match status {
        TxStatus::Confirmed { height, .. } => {
            tip_height.saturating_add(1).saturating_sub(*height).max(1)
        }
        TxStatus::Unconfirmed { .. } => 0,
    }
}

/// An on-chain wallet over three accounts (p2wkh, np2wkh, p2tr) that share
/// one pool of coins and one signer.
///
/// Pure: blocks, mempool transactions, time and the chain tip come in as
/// arguments; every change returns the [`WalletRecord`]s to persist.
///
/// The state is:
/// * per (address type, keychain): the highest revealed index, and the
///   scripts of every index up to [`LOOKAHEAD`] past it;
/// * the transaction graph: every transaction that pays one of those
///   scripts or spends one of the wallet's outputs, confirmed (height, block
///   hash, block time) or unconfirmed (first seen); unspent outputs are
///   derived from it: an output to a wallet script that no transaction in
///   the graph spends. The graph holds no two transactions spending the
///   same outpoint: a new one evicts the unconfirmed ones it conflicts with;
/// * locked outpoints;
/// * the hashes of the last [`CHECKPOINT_WINDOW`] blocks applied (the
///   highest is the sync tip).
#[derive(Clone)]
pub struct Wallet {
    pub(crate) network: Network,
    pub(crate) secp: Secp256k1<All>,
    pub(crate) accounts: [Account; 3],
    keychains: [[Keychain; 2]; 3],
    pub(crate) scripts: HashMap<ScriptBuf, ScriptInfo>,
    pub(crate) txs: BTreeMap<Txid, TxEntry>,
    spent_by: HashMap<OutPoint, BTreeSet<Txid>>,
    pub(crate) locked: BTreeSet<OutPoint>,
    checkpoints: BTreeMap<u32, BlockHash>,
}

impl PartialEq for Wallet {
    fn eq(&self, other: &Self) -> bool {
        self.network == other.network
            && self.accounts == other.accounts
            && self.keychains == other.keychains
            && self.scripts == other.scripts
            && self.txs == other.txs
            && self.spent_by == other.spent_by
            && self.locked == other.locked
            && self.checkpoints == other.checkpoints
    }
}

impl fmt::Debug for Wallet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wallet")
            .field("network", &self.network)
            .field("keychains", &self.keychains)
            .field("scripts", &self.scripts.len())
            .field("txs", &self.txs.len())
            .field("locked", &self.locked)
            .field("tip", &self.sync_tip())
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// A new empty wallet on `network` from the BIP32 master key (which must
    /// be for the same kind of network: xprv for mainnet, tprv otherwise).
    /// It has no tip yet: the first block applied may be at any height (the
    /// wallet's birthday).
    pub fn new(master: &Xpriv, network: Network) -> Result<Wallet, WalletError> {
        if master.network != NetworkKind::from(network) {
            return Err(WalletError::NetworkMismatch(network));
        }
        let secp = Secp256k1::new();
        let accounts = [
            Account::new(&secp, master, AddressType::P2wkh)?,
            Account::new(&secp, master, AddressType::Np2wkh)?,
            Account::new(&secp, master, AddressType::P2tr)?,
        ];
        let mut wallet = Wallet {
            network,
            secp,
            accounts,
            keychains: Default::default(),
            scripts: HashMap::new(),
            txs: BTreeMap::new(),
            spent_by: HashMap::new(),
            locked: BTreeSet::new(),
            checkpoints: BTreeMap::new(),
        };
        for kind in AddressType::ALL {
            for change in [false, true] {
                wallet.fill_lookahead(kind, change);
            }
        }
        Ok(wallet)
    }

    /// Rebuilds a wallet from its persisted records: either the full log in
    /// order, or the latest record per key in any order (see
    /// [`crate::record`]). The result equals the wallet that returned them.
    pub fn restore(
        master: &Xpriv,
        network: Network,
        records: impl IntoIterator<Item = WalletRecord>,
    ) -> Result<Wallet, WalletError> {
        let mut wallet = Wallet::new(master, network)?;
        let mut revealed: BTreeMap<(AddressType, bool), u32> = BTreeMap::new();
        let mut txs: BTreeMap<Txid, TxEntry> = BTreeMap::new();
        for record in records {
            match record {
                WalletRecord::RevealedIndex {
                    kind,
                    change,
                    index,
                } => {
                    let slot = revealed.entry((kind, change)).or_insert(index);
                    *slot = (*slot).max(index);
                }
                WalletRecord::Tx { tx, status } => {
                    txs.insert(tx.compute_txid(), TxEntry { tx, status });
                }
                WalletRecord::TxRemoved { txid } => {
                    txs.remove(&txid);
                }
                WalletRecord::Lock { outpoint } => {
                    wallet.locked.insert(outpoint);
                }
                WalletRecord::Unlock { outpoint } => {
                    wallet.locked.remove(&outpoint);
                }
                WalletRecord::Block { height, hash } => {
                    wallet.checkpoints.insert(height, hash);
                }
                WalletRecord::Disconnected { height } => {
                    wallet.checkpoints.split_off(&height.saturating_add(1));
                }
            }
        }
        for ((kind, change), index) in revealed {
            wallet.set_revealed(kind, change, index);
        }
        for (_, entry) in txs {
            // Outputs past the revealed indexes (records lost) still bump
            // them, as they did when first seen.
            wallet.note_outputs(&entry.tx, &mut Vec::new());
            wallet.insert_tx(entry.tx, entry.status);
        }
        wallet.prune_checkpoints();
        Ok(wallet)
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The last block applied, if any.
    pub fn sync_tip(&self) -> Option<BlockId> {
        self.checkpoints
            .last_key_value()
            .map(|(height, hash)| BlockId {
                height: *height,
                hash: *hash,
            })
    }

    /// The hash the wallet applied at `height`, if it is among the last
    /// [`CHECKPOINT_WINDOW`] blocks. A node that finds its chain's hash at
    /// the wallet tip differs walks down with this to the fork point.
    pub fn checkpoint(&self, height: u32) -> Option<BlockHash> {
        self.checkpoints.get(&height).copied()
    }

    // ------------------------------------------------------------ addresses

    fn keychain(&self, kind: AddressType, change: bool) -> &Keychain {
        &self.keychains[kind.slot()][usize::from(change)]
    }

    fn keychain_mut(&mut self, kind: AddressType, change: bool) -> &mut Keychain {
        &mut self.keychains[kind.slot()][usize::from(change)]
    }

    /// The highest revealed index of a keychain.
    pub fn revealed_index(&self, kind: AddressType, change: bool) -> Option<u32> {
        self.keychain(kind, change).revealed
    }

    /// The index the next [`Wallet::reveal_address`] hands out.
    pub(crate) fn next_index(&self, kind: AddressType, change: bool) -> Result<u32, WalletError> {
        match self.keychain(kind, change).revealed {
            None => Ok(0),
            Some(i) if i < MAX_INDEX => Ok(i + 1),
            Some(_) => Err(WalletError::IndexExhausted { kind, change }),
        }
    }

    /// The address at a derivation path, revealed or not.
    pub fn peek_address(
        &self,
        kind: AddressType,
        change: bool,
        index: u32,
    ) -> Result<Address, WalletError> {
        let pk = self.accounts[kind.slot()].public_key(&self.secp, change, index)?;
        Ok(address_for(&self.secp, kind, pk, self.network))
    }

    /// Hands out the next address of `kind` (on the change keychain if
    /// `change`): the index after the highest revealed or seen used one, so
    /// no address is given twice.
    pub fn reveal_address(
        &mut self,
        kind: AddressType,
        change: bool,
    ) -> Result<(Address, WalletRecord), WalletError> {
        let index = self.next_index(kind, change)?;
        let address = self.peek_address(kind, change, index)?;
        self.set_revealed(kind, change, index);
        Ok((
            address,
            WalletRecord::RevealedIndex {
                kind,
                change,
                index,
            },
        ))
    }

    /// Where a script comes from, if it is one the wallet watches.
    pub fn derivation_of(&self, script: &Script) -> Option<Derivation> {
        self.scripts.get(script).map(|info| info.derivation)
    }

    /// Whether the wallet watches this script.
    pub fn is_mine(&self, script: &Script) -> bool {
        self.scripts.contains_key(script)
    }

    /// Every script the wallet recognises (revealed addresses and their
    /// lookahead): what a chain source must watch for payments to us.
    pub fn script_pubkeys(&self) -> impl Iterator<Item = &Script> + '_ {
        self.scripts.keys().map(|s| s.as_script())
    }

    /// Raises the revealed index (never lowers it) and derives the
    /// lookahead past it. Returns whether it rose.
    fn set_revealed(&mut self, kind: AddressType, change: bool, index: u32) -> bool {
        let chain = self.keychain_mut(kind, change);
        if chain.revealed.is_some_and(|r| r >= index) {
            return false;
        }
        chain.revealed = Some(index.min(MAX_INDEX));
        self.fill_lookahead(kind, change);
        true
    }

    /// Derives scripts up to [`LOOKAHEAD`] past the revealed index.
    fn fill_lookahead(&mut self, kind: AddressType, change: bool) {
        let chain = *self.keychain(kind, change);
        let first_unrevealed = chain.revealed.map_or(0, |r| u64::from(r) + 1);
        let target = (first_unrevealed + u64::from(LOOKAHEAD)).min(u64::from(MAX_INDEX) + 1);
        let mut derived = u64::from(chain.derived);
        while derived < target {
            let index = derived as u32;
            // BIP32: an index whose key is invalid is skipped.
            if let Ok(address) = self.peek_address(kind, change, index) {
                self.scripts.insert(
                    address.script_pubkey(),
                    ScriptInfo {
                        derivation: Derivation {
                            kind,
                            change,
                            index,
                        },
                        address,
                    },
                );
            }
            derived += 1;
        }
        // `target` is at most 2^31.
        self.keychain_mut(kind, change).derived = u32::try_from(derived).unwrap_or(u32::MAX);
    }

    /// Reveals the indexes a transaction's outputs use.
    fn note_outputs(&mut self, tx: &Transaction, records: &mut Vec<WalletRecord>) {
        let used: Vec<Derivation> = tx
            .output
            .iter()
            .filter_map(|out| self.derivation_of(&out.script_pubkey))
            .collect();
        for d in used {
            if self.set_revealed(d.kind, d.change, d.index) {
                records.push(WalletRecord::RevealedIndex {
                    kind: d.kind,
                    change: d.change,
                    index: d.index,
                });
            }
        }
    }

    // ------------------------------------------------------------ graph

    /// The wallet output at `outpoint`, spent or not.
    pub(crate) fn owned_output(&self, outpoint: &OutPoint) -> Option<(&TxOut, &ScriptInfo)> {
        let entry = self.txs.get(&outpoint.txid)?;
        let out = entry.tx.output.get(usize::try_from(outpoint.vout).ok()?)?;
        let info = self.scripts.get(&out.script_pubkey)?;
        Some((out, info))
    }

    fn is_relevant(&self, txid: &Txid, tx: &Transaction) -> bool {
        self.txs.contains_key(txid)
            || tx.output.iter().any(|o| self.is_mine(&o.script_pubkey))
            || (!tx.is_coinbase()
                && tx
                    .input
                    .iter()
                    .any(|i| self.owned_output(&i.previous_output).is_some()))
    }

    /// Other graph transactions spending an input of `tx`.
    fn conflicts(&self, txid: &Txid, tx: &Transaction) -> Vec<Txid> {
        if tx.is_coinbase() {
            return Vec::new();
        }
        let mut out: Vec<Txid> = tx
            .input
            .iter()
            .filter_map(|i| self.spent_by.get(&i.previous_output))
            .flatten()
            .filter(|other| *other != txid)
            .copied()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn is_confirmed(&self, txid: &Txid) -> bool {
        self.txs.get(txid).is_some_and(|e| e.status.is_confirmed())
    }

    fn insert_tx(&mut self, tx: Transaction, status: TxStatus) {
        let txid = tx.compute_txid();
        if let Some(entry) = self.txs.get_mut(&txid) {
            entry.status = status;
            return;
        }
        if !tx.is_coinbase() {
            for input in &tx.input {
                self.spent_by
                    .entry(input.previous_output)
                    .or_default()
                    .insert(txid);
            }
        }
        self.txs.insert(txid, TxEntry { tx, status });
    }

    /// Removes a transaction and everything in the graph that spends its
    /// outputs, recording each removal.
    fn remove_with_descendants(&mut self, txid: Txid, records: &mut Vec<WalletRecord>) {
        let mut stack = vec![txid];
        while let Some(txid) = stack.pop() {
            let Some(entry) = self.txs.remove(&txid) else {
                continue;
            };
            if !entry.tx.is_coinbase() {
                for input in &entry.tx.input {
                    if let Some(set) = self.spent_by.get_mut(&input.previous_output) {
                        set.remove(&txid);
                        if set.is_empty() {
                            self.spent_by.remove(&input.previous_output);
                        }
                    }
                }
            }
            for vout in 0..entry.tx.output.len() {
                let outpoint = OutPoint::new(txid, vout as u32);
                if let Some(children) = self.spent_by.get(&outpoint) {
                    stack.extend(children.iter().copied());
                }
            }
            records.push(WalletRecord::TxRemoved { txid });
        }
    }

    /// Applies the next block: records the wallet's transactions in it as
    /// confirmed, evicts unconfirmed transactions it conflicts with, unlocks
    /// locked outpoints it spends, and makes it the sync tip.
    ///
    /// A wallet without a tip accepts a block at any height; otherwise the
    /// block must be at `tip + 1` and build on the tip, else
    /// [`WalletError::BlockDoesNotConnect`] (nothing changes): the caller
    /// finds the fork point (see [`Wallet::checkpoint`]), calls
    /// [`Wallet::disconnect_to`], then applies the new blocks.
    pub fn apply_block(
        &mut self,
        block: &Block,
        height: u32,
    ) -> Result<Vec<WalletRecord>, WalletError> {
        if let Some(tip) = self.sync_tip() {
            if Some(height) != tip.height.checked_add(1) || block.header.prev_blockhash != tip.hash
            {
                return Err(WalletError::BlockDoesNotConnect {
                    tip,
                    height,
                    prev_blockhash: block.header.prev_blockhash,
                });
            }
        }
        let hash = block.block_hash();
        let status = TxStatus::Confirmed {
            height,
            block_hash: hash,
            time: u64::from(block.header.time),
        };
        let mut records = Vec::new();
        for tx in &block.txdata {
            let txid = tx.compute_txid();
            for other in self.conflicts(&txid, tx) {
                if !self.is_confirmed(&other) {
                    self.remove_with_descendants(other, &mut records);
                }
            }
            if !tx.is_coinbase() {
                for input in &tx.input {
                    if self.locked.remove(&input.previous_output) {
                        records.push(WalletRecord::Unlock {
                            outpoint: input.previous_output,
                        });
                    }
                }
            }
            if !self.is_relevant(&txid, tx) {
                continue;
            }
            self.note_outputs(tx, &mut records);
            if self.txs.get(&txid).map(|e| &e.status) != Some(&status) {
                self.insert_tx(tx.clone(), status.clone());
                records.push(WalletRecord::Tx {
                    tx: tx.clone(),
                    status: status.clone(),
                });
            }
        }
        self.checkpoints.insert(height, hash);
        self.prune_checkpoints();
        records.push(WalletRecord::Block { height, hash });
        Ok(records)
    }

    fn prune_checkpoints(&mut self) {
        while self.checkpoints.len() > CHECKPOINT_WINDOW {
            self.checkpoints.pop_first();
        }
    }

    /// Disconnects every block above `height` (a reorg; the caller then
    /// applies the new chain's blocks from `height + 1`). Transactions
    /// confirmed above it become unconfirmed (first seen = their old block's
    /// time); coinbases above it are removed with their descendants.
    ///
    /// The new tip is the block the wallet applied at `height`; if that is
    /// older than the checkpoint window or the wallet's birthday, the
    /// wallet has no tip and accepts the next block at any height.
    pub fn disconnect_to(&mut self, height: u32) -> Vec<WalletRecord> {
        let above: Vec<(Txid, bool, u64)> = self
            .txs
            .iter()
            .filter_map(|(txid, entry)| match entry.status {
                TxStatus::Confirmed {
                    height: h, time, ..
                } if h > height => Some((*txid, entry.tx.is_coinbase(), time)),
                _ => None,
            })
            .collect();
        let blocks_above = self
            .checkpoints
            .last_key_value()
            .is_some_and(|(h, _)| *h > height);
        if above.is_empty() && !blocks_above {
            return Vec::new();
        }
        let mut records = Vec::new();
        for (txid, _, _) in above.iter().filter(|(_, coinbase, _)| *coinbase) {
            self.remove_with_descendants(*txid, &mut records);
        }
        for (txid, _, time) in above.iter().filter(|(_, coinbase, _)| !*coinbase) {
            if let Some(entry) = self.txs.get_mut(txid) {
                entry.status = TxStatus::Unconfirmed { first_seen: *time };
                records.push(WalletRecord::Tx {
                    tx: entry.tx.clone(),
                    status: entry.status.clone(),
                });
            }
        }
        self.checkpoints.split_off(&height.saturating_add(1));
        records.push(WalletRecord::Disconnected { height });
        records
    }

    /// Records an unconfirmed transaction seen at `seen` (from the mempool,
    /// or one the wallet built, signed and is about to broadcast). Ignored
    /// (no records) if it does not concern the wallet, is already known, is
    /// a coinbase, or conflicts with a confirmed wallet transaction;
    /// unconfirmed wallet transactions it conflicts with are removed (it
    /// replaced them).
    pub fn apply_unconfirmed(&mut self, tx: &Transaction, seen: u64) -> Vec<WalletRecord> {
        let txid = tx.compute_txid();
        if tx.is_coinbase() || self.txs.contains_key(&txid) || !self.is_relevant(&txid, tx) {
            return Vec::new();
        }
        let conflicts = self.conflicts(&txid, tx);
        if conflicts.iter().any(|c| self.is_confirmed(c)) {
            return Vec::new();
        }
        let mut records = Vec::new();
        for other in conflicts {
            self.remove_with_descendants(other, &mut records);
        }
        self.note_outputs(tx, &mut records);
        let status = TxStatus::Unconfirmed { first_seen: seen };
        self.insert_tx(tx.clone(), status.clone());
        records.push(WalletRecord::Tx {
            tx: tx.clone(),
            status,
        });
        records
    }

    /// Forgets an unconfirmed transaction that left the mempool (evicted,
    /// replaced, expired, or never broadcast), with its unconfirmed
    /// descendants. Confirmed or unknown transactions are left alone.
    pub fn drop_unconfirmed(&mut self, txid: Txid) -> Vec<WalletRecord> {
        let mut records = Vec::new();
        if self
            .txs
            .get(&txid)
            .is_some_and(|e| !e.status.is_confirmed())
        {
            self.remove_with_descendants(txid, &mut records);
        }
        records
    }

    /// A transaction of the graph and its status.
    pub fn transaction(&self, txid: &Txid) -> Option<(&Transaction, &TxStatus)> {
        self.txs.get(txid).map(|e| (&e.tx, &e.status))
    }

    // ------------------------------------------------------------ locks

    /// Locks an outpoint so coin selection leaves it alone (e.g. the inputs
    /// of a channel funding transaction between building and broadcasting).
    /// `None` if it was already locked. A lock stays until [`Wallet::unlock`]
    /// or until a block spends the outpoint.
    pub fn lock(&mut self, outpoint: OutPoint) -> Option<WalletRecord> {
        self.locked
            .insert(outpoint)
            .then_some(WalletRecord::Lock { outpoint })
    }

    /// Unlocks an outpoint; `None` if it was not locked.
    pub fn unlock(&mut self, outpoint: OutPoint) -> Option<WalletRecord> {
        self.locked
            .remove(&outpoint)
            .then_some(WalletRecord::Unlock { outpoint })
    }

    /// Whether an outpoint is locked.
    pub fn is_locked(&self, outpoint: &OutPoint) -> bool {
        self.locked.contains(outpoint)
    }

    /// The locked outpoints.
    pub fn locked(&self) -> impl Iterator<Item = OutPoint> + '_ {
        self.locked.iter().copied()
    }

    // ------------------------------------------------------------ queries

    /// Every unspent wallet output in the graph (locked and immature ones
    /// included).
    pub(crate) fn coins(&self) -> impl Iterator<Item = Coin<'_>> + '_ {
        self.txs.iter().flat_map(move |(txid, entry)| {
            entry
                .tx
                .output
                .iter()
                .enumerate()
                .filter_map(move |(vout, txout)| {
                    let info = self.scripts.get(&txout.script_pubkey)?;
                    let outpoint = OutPoint::new(*txid, vout as u32);
                    if self.spent_by.contains_key(&outpoint) {
                        return None;
                    }
                    Some(Coin {
                        outpoint,
                        txout,
                        info,
                        entry,
                    })
                })
        })
    }

    /// The balance at chain height `tip_height` (see [`Balance`] for what
    /// each figure holds).
    pub fn balance(&self, tip_height: u32) -> Balance {
        let mut balance = Balance::default();
        for coin in self.coins() {
            let value = coin.txout.value;
            let field = if self.locked.contains(&coin.outpoint) {
                &mut balance.locked
            } else if coin.is_immature(tip_height) {
                &mut balance.immature
            } else if coin.confirmations(tip_height) >= 1 {
                &mut balance.confirmed
            } else {
                &mut balance.unconfirmed
            };
            *field = field.checked_add(value).unwrap_or(Amount::MAX);
        }
        balance
    }

    /// The spendable outputs with `min_conf..=max_conf` confirmations at
    /// `tip_height`, most confirmed first. Locked outputs and immature
    /// coinbase outputs are left out, as lnd's `listunspent` does.
    pub fn list_unspent(&self, tip_height: u32, min_conf: u32, max_conf: u32) -> Vec<Utxo> {
        let mut utxos: Vec<Utxo> = self
            .coins()
            .filter(|c| !self.locked.contains(&c.outpoint) && !c.is_immature(tip_height))
            .filter_map(|c| {
                let confirmations = c.confirmations(tip_height);
                (min_conf..=max_conf)
                    .contains(&confirmations)
                    .then(|| Utxo {
                        outpoint: c.outpoint,
                        address: c.info.address.clone(),
                        script_pubkey: c.txout.script_pubkey.clone(),
                        derivation: c.info.derivation,
                        amount: c.txout.value,
                        confirmations,
                    })
            })
            .collect();
        utxos.sort_by(|a, b| {
            b.confirmations
                .cmp(&a.confirmations)
                .then(a.outpoint.cmp(&b.outpoint))
        });
        utxos
    }

    /// The wallet's transactions at `tip_height`, oldest first (confirmed by
    /// height, then unconfirmed by first seen).
    pub fn transactions(&self, tip_height: u32) -> Vec<WalletTx> {
        let mut list: Vec<WalletTx> = self
            .txs
            .iter()
            .map(|(txid, entry)| self.wallet_tx(*txid, entry, tip_height))
            .collect();
        list.sort_by_key(|t| (t.block_height.is_none(), t.block_height, t.time, t.txid));
        list
    }

    fn wallet_tx(&self, txid: Txid, entry: &TxEntry, tip_height: u32) -> WalletTx {
        let tx = &entry.tx;
        let is_coinbase = tx.is_coinbase();
        let received: u64 = tx
            .output
            .iter()
            .filter(|o| self.is_mine(&o.script_pubkey))
            .map(|o| o.value.to_sat())
            .fold(0, u64::saturating_add);
        let mut sent: u64 = 0;
        let mut inputs_value: Option<u64> = (!is_coinbase).then_some(0);
        for input in &tx.input {
            let prevout = self
                .txs
                .get(&input.previous_output.txid)
                .and_then(|p| p.tx.output.get(input.previous_output.vout as usize));
            match prevout {
                Some(out) => {
                    if self.is_mine(&out.script_pubkey) {
                        sent = sent.saturating_add(out.value.to_sat());
                    }
                    inputs_value = inputs_value.map(|v| v.saturating_add(out.value.to_sat()));
                }
                None => inputs_value = None,
            }
        }
        let outputs_value: u64 = tx
            .output
            .iter()
            .map(|o| o.value.to_sat())
            .fold(0, u64::saturating_add);
        let fee = inputs_value
            .and_then(|v| v.checked_sub(outputs_value))
            .map(Amount::from_sat);
        let amount = SignedAmount::from_sat(
            i64::try_from(received)
                .unwrap_or(i64::MAX)
                .saturating_sub(i64::try_from(sent).unwrap_or(i64::MAX)),
        );
        let (block_height, block_hash, time) = match &entry.status {
            TxStatus::Confirmed {
                height,
                block_hash,
                time,
            } => (Some(*height), Some(*block_hash), *time),
            TxStatus::Unconfirmed { first_seen } => (None, None, *first_seen),
        };
        WalletTx {
            txid,
            amount,
            fee,
            confirmations: confirmations(&entry.status, tip_height),
            block_height,
            block_hash,
            time,
            dest_addresses: tx
                .output
                .iter()
                .filter_map(|o| Address::from_script(&o.script_pubkey, self.network).ok())
                .collect(),
            is_coinbase,
            raw: tx.clone(),
        }
    }
}
