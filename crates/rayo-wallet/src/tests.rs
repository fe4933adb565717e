//! Wallet behaviour on hand-made blocks: addresses and lookahead, balance
//! semantics, conflicts, reorgs, restore, coin selection.

use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::hashes::Hash;
use bitcoin::{
    absolute, transaction, Amount, Block, BlockHash, CompactTarget, FeeRate, Network, OutPoint,
    ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};

use crate::*;

const ABANDON: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const T0: u32 = 1_700_000_000;

fn master() -> bitcoin::bip32::Xpriv {
    Seed::from_mnemonic(ABANDON, "")
        .unwrap()
        .master_key(Network::Regtest)
        .unwrap()
}

fn wallet() -> Wallet {
    Wallet::new(&master(), Network::Regtest).unwrap()
}

/// A script that is not the wallet's.
fn foreign(n: u8) -> ScriptBuf {
    ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([n; 32]))
}

fn btc(n: u64) -> Amount {
    Amount::from_sat(n * 100_000_000)
}

/// A chain of hand-made blocks (no proof of work: the wallet does not check
/// it), remembering every record the wallet returned.
struct Sim {
    wallet: Wallet,
    hashes: Vec<BlockHash>,
    log: Vec<WalletRecord>,
    nonce: u32,
}

impl Sim {
    fn new() -> Sim {
        let mut sim = Sim {
            wallet: wallet(),
            hashes: Vec::new(),
            log: Vec::new(),
            nonce: 0,
        };
        // Genesis-like first block at height 0.
        sim.mine(vec![]);
        sim
    }

    fn height(&self) -> u32 {
        self.hashes.len() as u32 - 1
    }

    fn keep(&mut self, records: Vec<WalletRecord>) -> Vec<WalletRecord> {
        self.log.extend(records.iter().cloned());
        records
    }

    fn block(&mut self, prev: BlockHash, height: u32, txs: Vec<Transaction>) -> Block {
        self.nonce += 1;
        let coinbase = coinbase(height, self.nonce, vec![]);
        let mut block = Block {
            header: Header {
                version: BlockVersion::TWO,
                prev_blockhash: prev,
                merkle_root: TxMerkleNode::all_zeros(),
                time: T0 + height * 600,
                bits: CompactTarget::from_consensus(0x207fffff),
                nonce: self.nonce,
            },
            txdata: std::iter::once(coinbase).chain(txs).collect(),
        };
        block.header.merkle_root = block.compute_merkle_root().unwrap();
        block
    }

    /// Mines a block holding `txs` after its own (non-wallet) coinbase.
    fn mine(&mut self, txs: Vec<Transaction>) -> Block {
        let prev = self
            .hashes
            .last()
            .copied()
            .unwrap_or(BlockHash::all_zeros());
        let height = self.hashes.len() as u32;
        let block = self.block(prev, height, txs);
        self.connect(block.clone());
        block
    }

    fn connect(&mut self, block: Block) {
        let height = self.hashes.len() as u32;
        let records = self.wallet.apply_block(&block, height).unwrap();
        self.keep(records);
        self.hashes.push(block.block_hash());
    }

    fn mine_empty(&mut self, n: u32) {
        for _ in 0..n {
            self.mine(vec![]);
        }
    }

    fn reveal(&mut self, kind: AddressType) -> ScriptBuf {
        let (address, record) = self.wallet.reveal_address(kind, false).unwrap();
        self.keep(vec![record]);
        address.script_pubkey()
    }

    fn unconfirmed(&mut self, tx: &Transaction, seen: u64) -> Vec<WalletRecord> {
        let records = self.wallet.apply_unconfirmed(tx, seen);
        self.keep(records)
    }

    fn disconnect_to(&mut self, height: u32) {
        let records = self.wallet.disconnect_to(height);
        self.keep(records);
        self.hashes.truncate(height as usize + 1);
    }

    fn tip(&self) -> u32 {
        self.height()
    }
}

fn coinbase(height: u32, nonce: u32, outputs: Vec<TxOut>) -> Transaction {
    let mut script_sig = height.to_le_bytes().to_vec();
    script_sig.extend_from_slice(&nonce.to_le_bytes());
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: if outputs.is_empty() {
            vec![TxOut {
                value: btc(50),
                script_pubkey: foreign(0xcb),
            }]
        } else {
            outputs
        },
    }
}

/// A transaction from unknown (foreign) outpoints to these outputs.
fn payment(from: u8, outputs: Vec<TxOut>) -> Transaction {
    spend(
        vec![OutPoint::new(Txid::from_byte_array([from; 32]), 0)],
        outputs,
    )
}

fn spend(inputs: Vec<OutPoint>, outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: inputs
            .into_iter()
            .map(|previous_output| TxIn {
                previous_output,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

fn out(script: &ScriptBuf, value: Amount) -> TxOut {
    TxOut {
        value,
        script_pubkey: script.clone(),
    }
}

fn rate(sat_vb: u64) -> FeeRate {
    FeeRate::from_sat_per_vb(sat_vb).unwrap()
}

// ------------------------------------------------------------ addresses

#[test]
fn reveal_hands_out_each_address_once() {
    let mut w = wallet();
    let (a0, r0) = w.reveal_address(AddressType::P2wkh, false).unwrap();
    let (a1, r1) = w.reveal_address(AddressType::P2wkh, false).unwrap();
    assert_ne!(a0, a1);
    assert_eq!(
        r0,
        WalletRecord::RevealedIndex {
            kind: AddressType::P2wkh,
            change: false,
            index: 0
        }
    );
    assert_eq!(
        r1,
        WalletRecord::RevealedIndex {
            kind: AddressType::P2wkh,
            change: false,
            index: 1
        }
    );
    // Keychains are independent.
    let (c0, _) = w.reveal_address(AddressType::P2wkh, true).unwrap();
    let (n0, _) = w.reveal_address(AddressType::Np2wkh, false).unwrap();
    let (t0, _) = w.reveal_address(AddressType::P2tr, false).unwrap();
    assert!(a0.to_string().starts_with("bcrt1q"));
    assert!(c0.to_string().starts_with("bcrt1q"));
    assert!(n0.to_string().starts_with('2'));
    assert!(t0.to_string().starts_with("bcrt1p"));
    assert_eq!(
        w.derivation_of(&t0.script_pubkey()),
        Some(Derivation {
            kind: AddressType::P2tr,
            change: false,
            index: 0
        })
    );
    assert_eq!(w.peek_address(AddressType::P2wkh, false, 1).unwrap(), a1);
}

#[test]
fn payment_to_an_unrevealed_address_within_lookahead_is_found() {
    let mut sim = Sim::new();
    let far = sim
        .wallet
        .peek_address(AddressType::Np2wkh, false, LOOKAHEAD - 1)
        .unwrap()
        .script_pubkey();
    let beyond = sim
        .wallet
        .peek_address(AddressType::Np2wkh, false, 2 * LOOKAHEAD + 10)
        .unwrap()
        .script_pubkey();
    assert!(sim.wallet.is_mine(&far));
    assert!(!sim.wallet.is_mine(&beyond));
    let tx = payment(1, vec![out(&far, btc(1))]);
    sim.mine(vec![tx]);
    assert_eq!(sim.wallet.balance(sim.tip()).confirmed, btc(1));
    // The index is now revealed, the lookahead moved past it, and the next
    // address handed out is after it.
    assert_eq!(
        sim.wallet.revealed_index(AddressType::Np2wkh, false),
        Some(LOOKAHEAD - 1)
    );
    assert!(sim.log.contains(&WalletRecord::RevealedIndex {
        kind: AddressType::Np2wkh,
        change: false,
        index: LOOKAHEAD - 1
    }));
    let (next, _) = sim
        .wallet
        .reveal_address(AddressType::Np2wkh, false)
        .unwrap();
    assert_eq!(
        sim.wallet
            .derivation_of(&next.script_pubkey())
            .unwrap()
            .index,
        LOOKAHEAD
    );
    // Another keychain's lookahead is unchanged.
    assert!(!sim.wallet.is_mine(
        &sim.wallet
            .peek_address(AddressType::P2wkh, false, LOOKAHEAD)
            .unwrap()
            .script_pubkey()
    ));
}

#[test]
fn master_key_of_another_network_is_refused() {
    let mainnet = Seed::from_mnemonic(ABANDON, "")
        .unwrap()
        .master_key(Network::Bitcoin)
        .unwrap();
    assert_eq!(
        Wallet::new(&mainnet, Network::Regtest).unwrap_err(),
        WalletError::NetworkMismatch(Network::Regtest)
    );
    // Testnet, signet and regtest share tprv keys.
    assert!(Wallet::new(&master(), Network::Signet).is_ok());
}

// ------------------------------------------------------------ balance

#[test]
fn balance_semantics() {
    let mut sim = Sim::new();
    let p2wkh = sim.reveal(AddressType::P2wkh);
    let p2tr = sim.reveal(AddressType::P2tr);

    // A coinbase to us: immature for 99 confirmations, then confirmed.
    let h = sim.height() + 1;
    let prev = *sim.hashes.last().unwrap();
    let mut block = sim.block(prev, h, vec![]);
    block.txdata[0] = coinbase(h, 999, vec![out(&p2wkh, btc(50))]);
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    sim.connect(block);
    let b = sim.wallet.balance(sim.tip());
    assert_eq!(b.immature, btc(50));
    assert_eq!(b.confirmed, Amount::ZERO);
    assert_eq!(b.total(), Amount::ZERO);
    assert!(sim.wallet.list_unspent(sim.tip(), 0, u32::MAX).is_empty());
    sim.mine_empty(COINBASE_MATURITY - 2); // 99 confirmations
    assert_eq!(sim.wallet.balance(sim.tip()).immature, btc(50));
    sim.mine_empty(1); // 100: spendable in the next block
    let b = sim.wallet.balance(sim.tip());
    assert_eq!((b.immature, b.confirmed), (Amount::ZERO, btc(50)));
    // The tip given is what counts.
    assert_eq!(sim.wallet.balance(h + 98).immature, btc(50));

    // An unconfirmed incoming payment.
    let incoming = payment(7, vec![out(&p2tr, btc(2)), out(&foreign(1), btc(1))]);
    sim.unconfirmed(&incoming, 10);
    let b = sim.wallet.balance(sim.tip());
    assert_eq!((b.confirmed, b.unconfirmed), (btc(50), btc(2)));
    assert_eq!(b.total(), btc(52));
    assert_eq!(sim.wallet.list_unspent(sim.tip(), 0, 0).len(), 1);
    assert_eq!(sim.wallet.list_unspent(sim.tip(), 1, u32::MAX).len(), 1);

    // Locked: out of confirmed, into locked.
    let cb = sim.wallet.list_unspent(sim.tip(), 1, u32::MAX)[0].outpoint;
    assert_eq!(
        sim.wallet.lock(cb),
        Some(WalletRecord::Lock { outpoint: cb })
    );
    assert_eq!(sim.wallet.lock(cb), None);
    let b = sim.wallet.balance(sim.tip());
    assert_eq!(
        (b.confirmed, b.locked, b.unconfirmed),
        (Amount::ZERO, btc(50), btc(2))
    );
    assert!(sim
        .wallet
        .list_unspent(sim.tip(), 0, u32::MAX)
        .iter()
        .all(|u| u.outpoint != cb));
    assert_eq!(
        sim.wallet.unlock(cb),
        Some(WalletRecord::Unlock { outpoint: cb })
    );
    assert_eq!(sim.wallet.unlock(cb), None);

    // Our own spend, unconfirmed: the coin is gone, the change unconfirmed.
    let change = sim
        .wallet
        .peek_address(AddressType::P2wkh, true, 0)
        .unwrap()
        .script_pubkey();
    let pay = spend(
        vec![cb],
        vec![
            out(&foreign(2), btc(10)),
            out(&change, btc(40) - Amount::from_sat(1000)),
        ],
    );
    sim.unconfirmed(&pay, 20);
    let b = sim.wallet.balance(sim.tip());
    assert_eq!(b.confirmed, Amount::ZERO);
    assert_eq!(b.unconfirmed, btc(42) - Amount::from_sat(1000));
    // Both confirm.
    sim.mine(vec![incoming.clone(), pay.clone()]);
    let b = sim.wallet.balance(sim.tip());
    assert_eq!(b.confirmed, btc(42) - Amount::from_sat(1000));
    assert_eq!(b.unconfirmed, Amount::ZERO);

    // History: amounts are net, fees known where every input is ours.
    let txs = sim.wallet.transactions(sim.tip());
    assert_eq!(txs.len(), 3);
    let find = |txid| txs.iter().find(|t| t.txid == txid).unwrap();
    let pay_tx = find(pay.compute_txid());
    assert_eq!(pay_tx.amount.to_sat(), -(btc(10).to_sat() as i64) - 1000);
    assert_eq!(pay_tx.fee, Some(Amount::from_sat(1000)));
    assert_eq!(pay_tx.confirmations, 1);
    assert_eq!(pay_tx.dest_addresses.len(), 2);
    let in_tx = find(incoming.compute_txid());
    assert_eq!(in_tx.amount.to_sat(), btc(2).to_sat() as i64);
    assert_eq!(in_tx.fee, None);
    let cb_tx = &txs[0];
    assert!(cb_tx.is_coinbase);
    assert_eq!(cb_tx.fee, None);
    assert_eq!(cb_tx.confirmations, 101);
    assert_eq!(cb_tx.block_height, Some(h));
}

#[test]
fn a_block_spending_a_locked_outpoint_unlocks_it() {
    let mut sim = Sim::new();
    let addr = sim.reveal(AddressType::P2wkh);
    let fund = payment(1, vec![out(&addr, btc(1))]);
    sim.mine(vec![fund.clone()]);
    let op = OutPoint::new(fund.compute_txid(), 0);
    sim.wallet.lock(op).unwrap();
    sim.mine(vec![spend(vec![op], vec![out(&foreign(1), btc(1))])]);
    assert!(!sim.wallet.is_locked(&op));
    assert!(sim.log.contains(&WalletRecord::Unlock { outpoint: op }));
    assert_eq!(sim.wallet.balance(sim.tip()), Balance::default());
}

// ------------------------------------------------------------ conflicts

#[test]
fn conflicts_evict_unconfirmed_transactions_and_their_descendants() {
    let mut sim = Sim::new();
    let a = sim.reveal(AddressType::P2wkh);
    let b = sim.reveal(AddressType::P2tr);
    let fund = payment(1, vec![out(&a, btc(3))]);
    sim.mine(vec![fund.clone()]);
    let coin = OutPoint::new(fund.compute_txid(), 0);

    // Spend to ourselves, then a child of that spend.
    let first = spend(vec![coin], vec![out(&b, btc(2))]);
    let child = spend(
        vec![OutPoint::new(first.compute_txid(), 0)],
        vec![out(&foreign(3), btc(1))],
    );
    sim.unconfirmed(&first, 1);
    sim.unconfirmed(&child, 2);
    assert_eq!(sim.wallet.transactions(sim.tip()).len(), 3);

    // A replacement of `first` (RBF) evicts it and its child.
    let replacement = spend(vec![coin], vec![out(&foreign(4), btc(2))]);
    let records = sim.unconfirmed(&replacement, 3);
    assert!(records.contains(&WalletRecord::TxRemoved {
        txid: first.compute_txid()
    }));
    assert!(records.contains(&WalletRecord::TxRemoved {
        txid: child.compute_txid()
    }));
    assert!(sim.wallet.transaction(&first.compute_txid()).is_none());
    assert_eq!(sim.wallet.balance(sim.tip()), Balance::default());

    // The original confirms after all: the replacement goes.
    sim.mine(vec![first.clone()]);
    assert!(sim
        .wallet
        .transaction(&replacement.compute_txid())
        .is_none());
    assert_eq!(sim.wallet.balance(sim.tip()).confirmed, btc(2));

    // A transaction conflicting with a confirmed one is ignored.
    let late = spend(vec![coin], vec![out(&foreign(5), btc(1))]);
    assert!(sim.unconfirmed(&late, 9).is_empty());

    // An unconfirmed incoming payment double-spent by its sender (a block
    // transaction that does not concern us) goes too.
    let incoming = payment(8, vec![out(&b, btc(1))]);
    sim.unconfirmed(&incoming, 10);
    assert_eq!(sim.wallet.balance(sim.tip()).unconfirmed, btc(1));
    let double = payment(8, vec![out(&foreign(6), btc(1))]);
    sim.mine(vec![double]);
    assert_eq!(sim.wallet.balance(sim.tip()).unconfirmed, Amount::ZERO);
    assert!(sim.log.contains(&WalletRecord::TxRemoved {
        txid: incoming.compute_txid()
    }));
}

#[test]
fn drop_unconfirmed_forgets_only_unconfirmed_transactions() {
    let mut sim = Sim::new();
    let a = sim.reveal(AddressType::Np2wkh);
    let confirmed = payment(1, vec![out(&a, btc(1))]);
    sim.mine(vec![confirmed.clone()]);
    let pending = payment(2, vec![out(&a, btc(2))]);
    sim.unconfirmed(&pending, 5);
    assert!(sim
        .wallet
        .drop_unconfirmed(confirmed.compute_txid())
        .is_empty());
    assert!(sim.wallet.drop_unconfirmed(Txid::all_zeros()).is_empty());
    assert_eq!(
        sim.wallet.drop_unconfirmed(pending.compute_txid()),
        vec![WalletRecord::TxRemoved {
            txid: pending.compute_txid()
        }]
    );
    assert_eq!(sim.wallet.balance(sim.tip()).total(), btc(1));
    // Seen again: it comes back; seen twice: no new record.
    assert_eq!(sim.wallet.apply_unconfirmed(&pending, 6).len(), 1);
    assert!(sim.wallet.apply_unconfirmed(&pending, 7).is_empty());
}

#[test]
fn irrelevant_and_odd_input_is_ignored_without_panicking() {
    let mut sim = Sim::new();
    let a = sim.reveal(AddressType::P2wkh);
    // Odd scripts, an empty transaction, an out-of-range outpoint spend,
    // a huge vout, zero-value outputs.
    let odd = vec![
        spend(vec![], vec![]),
        payment(
            3,
            vec![out(
                &ScriptBuf::from_bytes(vec![0xff; 20_000]),
                Amount::ZERO,
            )],
        ),
        spend(
            vec![OutPoint::new(Txid::all_zeros(), u32::MAX)],
            vec![out(&ScriptBuf::new(), Amount::MAX_MONEY)],
        ),
        payment(4, vec![out(&a, Amount::ZERO)]),
    ];
    for tx in &odd {
        sim.wallet.apply_unconfirmed(tx, 1);
    }
    sim.mine(odd.clone());
    // Only the zero-value payment to us is kept.
    assert_eq!(sim.wallet.transactions(sim.tip()).len(), 1);
    assert_eq!(sim.wallet.balance(sim.tip()), Balance::default());
    // Spending a non-existent output of a wallet transaction.
    let wallet_tx = odd[3].compute_txid();
    sim.wallet
        .apply_unconfirmed(&spend(vec![OutPoint::new(wallet_tx, 7)], vec![]), 2);
    let _ = sim.wallet.transactions(sim.tip());
    // A block that does not connect is refused and changes nothing.
    let before = sim.wallet.clone();
    let stray = sim.block(BlockHash::all_zeros(), sim.height() + 1, vec![]);
    assert!(matches!(
        sim.wallet.apply_block(&stray, sim.height() + 1),
        Err(WalletError::BlockDoesNotConnect { .. })
    ));
    let next = sim.block(*sim.hashes.last().unwrap(), sim.height() + 5, vec![]);
    assert!(sim.wallet.apply_block(&next, sim.height() + 5).is_err());
    assert_eq!(sim.wallet, before);
}

// ------------------------------------------------------------ reorgs

#[test]
fn disconnect_unconfirms_and_removes_coinbases() {
    let mut sim = Sim::new();
    let a = sim.reveal(AddressType::P2wkh);
    let b = sim.reveal(AddressType::P2tr);
    sim.mine_empty(3);
    let fork = sim.height();
    let fork_hash = *sim.hashes.last().unwrap();

    // Above the fork: a payment to us, and a coinbase to us.
    let pay = payment(1, vec![out(&a, btc(1))]);
    sim.mine(vec![pay.clone()]);
    let h = sim.height() + 1;
    let prev = *sim.hashes.last().unwrap();
    let mut block = sim.block(prev, h, vec![]);
    let cb = coinbase(h, 77, vec![out(&b, btc(50))]);
    block.txdata[0] = cb.clone();
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    sim.connect(block);
    let b1 = sim.wallet.balance(sim.tip());
    assert_eq!((b1.confirmed, b1.immature), (btc(1), btc(50)));

    sim.disconnect_to(fork);
    assert_eq!(
        sim.wallet.sync_tip(),
        Some(BlockId {
            height: fork,
            hash: fork_hash
        })
    );
    assert!(sim
        .log
        .contains(&WalletRecord::Disconnected { height: fork }));
    assert!(sim.log.contains(&WalletRecord::TxRemoved {
        txid: cb.compute_txid()
    }));
    let (_, status) = sim.wallet.transaction(&pay.compute_txid()).unwrap();
    assert_eq!(
        *status,
        TxStatus::Unconfirmed {
            first_seen: u64::from(T0 + (fork + 1) * 600)
        }
    );
    let b2 = sim.wallet.balance(fork);
    assert_eq!(
        (b2.confirmed, b2.unconfirmed, b2.immature),
        (Amount::ZERO, btc(1), Amount::ZERO)
    );
    // Nothing above the tip: a second call changes nothing.
    assert!(sim.wallet.disconnect_to(fork).is_empty());
    assert!(sim.wallet.disconnect_to(fork + 10).is_empty());

    // The new branch confirms the payment two blocks later.
    sim.mine_empty(1);
    sim.mine(vec![pay.clone()]);
    assert_eq!(
        sim.wallet
            .transaction(&pay.compute_txid())
            .unwrap()
            .1
            .height(),
        Some(fork + 2)
    );
    assert_eq!(sim.wallet.balance(sim.tip()).confirmed, btc(1));
}

#[test]
fn disconnect_below_the_birthday_leaves_no_tip() {
    let mut w = wallet();
    let mut sim = Sim::new();
    // The wallet starts at height 10 of some chain.
    sim.mine_empty(10);
    let block = sim.block(*sim.hashes.last().unwrap(), 11, vec![]);
    w.apply_block(&block, 11).unwrap();
    assert_eq!(w.sync_tip().unwrap().height, 11);
    assert_eq!(
        w.disconnect_to(5),
        vec![WalletRecord::Disconnected { height: 5 }]
    );
    assert_eq!(w.sync_tip(), None);
    // Any block is accepted next.
    let other = sim.block(BlockHash::all_zeros(), 6, vec![]);
    w.apply_block(&other, 6).unwrap();
    assert_eq!(w.sync_tip().unwrap().height, 6);
}

#[test]
fn checkpoints_keep_a_window() {
    let mut sim = Sim::new();
    sim.mine_empty(CHECKPOINT_WINDOW as u32 + 5);
    let tip = sim.height();
    assert_eq!(sim.wallet.checkpoint(tip), sim.hashes.last().copied());
    assert!(sim
        .wallet
        .checkpoint(tip + 1 - CHECKPOINT_WINDOW as u32)
        .is_some());
    assert!(sim
        .wallet
        .checkpoint(tip - CHECKPOINT_WINDOW as u32)
        .is_none());
    let restored = Wallet::restore(&master(), Network::Regtest, sim.log.clone()).unwrap();
    assert_eq!(restored, sim.wallet);
}

// ------------------------------------------------------------ restore

/// A busy history: reveals, payments, spends, replacements, locks, a reorg.
fn busy() -> Sim {
    let mut sim = Sim::new();
    let a = sim.reveal(AddressType::P2wkh);
    let n = sim.reveal(AddressType::Np2wkh);
    let t = sim.reveal(AddressType::P2tr);
    let far = sim
        .wallet
        .peek_address(AddressType::P2tr, false, 20)
        .unwrap()
        .script_pubkey();
    let f1 = payment(1, vec![out(&a, btc(1)), out(&n, btc(2))]);
    let f2 = payment(2, vec![out(&t, btc(3)), out(&far, btc(4))]);
    sim.mine(vec![f1.clone()]);
    sim.unconfirmed(&f2, 100);
    sim.mine(vec![f2.clone()]);
    let s1 = spend(
        vec![OutPoint::new(f1.compute_txid(), 0)],
        vec![out(&foreign(9), Amount::from_sat(90_000_000))],
    );
    sim.unconfirmed(&s1, 200);
    let s1b = spend(
        vec![OutPoint::new(f1.compute_txid(), 0)],
        vec![out(&foreign(9), Amount::from_sat(80_000_000))],
    );
    sim.unconfirmed(&s1b, 201);
    let lock = OutPoint::new(f2.compute_txid(), 1);
    let r = sim.wallet.lock(lock).unwrap();
    sim.keep(vec![r]);
    let r = sim
        .wallet
        .lock(OutPoint::new(f1.compute_txid(), 1))
        .unwrap();
    sim.keep(vec![r]);
    let r = sim
        .wallet
        .unlock(OutPoint::new(f1.compute_txid(), 1))
        .unwrap();
    sim.keep(vec![r]);
    sim.mine_empty(2);
    let fork = sim.height() - 2;
    sim.mine(vec![s1b.clone()]);
    sim.disconnect_to(fork);
    sim.mine_empty(1);
    let (_, r) = sim.wallet.reveal_address(AddressType::P2wkh, true).unwrap();
    sim.keep(vec![r]);
    sim
}

#[test]
fn restore_from_the_log_equals_the_original() {
    let sim = busy();
    let restored = Wallet::restore(&master(), Network::Regtest, sim.log.clone()).unwrap();
    assert_eq!(restored, sim.wallet);
    assert_eq!(restored.balance(sim.tip()), sim.wallet.balance(sim.tip()));
    assert_eq!(
        restored.transactions(sim.tip()),
        sim.wallet.transactions(sim.tip())
    );
    // Through JSON too.
    let json: Vec<String> = sim
        .log
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let back = json
        .iter()
        .map(|s| serde_json::from_str::<WalletRecord>(s).unwrap());
    assert_eq!(
        Wallet::restore(&master(), Network::Regtest, back).unwrap(),
        sim.wallet
    );
}

#[test]
fn restore_from_a_compacted_table_in_any_order_equals_the_original() {
    use std::collections::BTreeMap;
    let sim = busy();
    // What a keyed store holds after applying the log as the record module
    // says.
    let mut revealed = BTreeMap::new();
    let mut txs = BTreeMap::new();
    let mut locks = BTreeMap::new();
    let mut blocks = BTreeMap::new();
    for record in &sim.log {
        match record.clone() {
            WalletRecord::RevealedIndex {
                kind,
                change,
                index,
            } => {
                let e = revealed.entry((kind, change)).or_insert(index);
                *e = (*e).max(index);
            }
            WalletRecord::Tx { tx, status } => {
                txs.insert(tx.compute_txid(), WalletRecord::Tx { tx, status });
            }
            WalletRecord::TxRemoved { txid } => {
                txs.remove(&txid);
            }
            WalletRecord::Lock { outpoint } => {
                locks.insert(outpoint, ());
            }
            WalletRecord::Unlock { outpoint } => {
                locks.remove(&outpoint);
            }
            WalletRecord::Block { height, hash } => {
                blocks.insert(height, hash);
            }
            WalletRecord::Disconnected { height } => {
                blocks.split_off(&(height + 1));
            }
        }
    }
    let mut rows: Vec<WalletRecord> = Vec::new();
    rows.extend(
        revealed
            .into_iter()
            .map(|((kind, change), index)| WalletRecord::RevealedIndex {
                kind,
                change,
                index,
            }),
    );
    rows.extend(txs.into_values());
    rows.extend(
        locks
            .into_keys()
            .map(|outpoint| WalletRecord::Lock { outpoint }),
    );
    rows.extend(
        blocks
            .into_iter()
            .map(|(height, hash)| WalletRecord::Block { height, hash }),
    );
    let forward = Wallet::restore(&master(), Network::Regtest, rows.clone()).unwrap();
    assert_eq!(forward, sim.wallet);
    rows.reverse();
    let backward = Wallet::restore(&master(), Network::Regtest, rows.clone()).unwrap();
    assert_eq!(backward, sim.wallet);
    // Interleaved.
    let (even, odd): (Vec<_>, Vec<_>) = rows.into_iter().enumerate().partition(|(i, _)| i % 2 == 0);
    let mixed = odd.into_iter().chain(even).map(|(_, r)| r);
    assert_eq!(
        Wallet::restore(&master(), Network::Regtest, mixed).unwrap(),
        sim.wallet
    );
}

#[test]
fn a_restored_wallet_without_records_is_new() {
    assert_eq!(
        Wallet::restore(&master(), Network::Regtest, Vec::new()).unwrap(),
        wallet()
    );
}

// ------------------------------------------------------------ coin selection

/// A wallet holding confirmed coins of these values and address types.
fn funded(coins: &[(AddressType, u64)]) -> Sim {
    let mut sim = Sim::new();
    let mut txs = Vec::new();
    for (i, (kind, sats)) in coins.iter().enumerate() {
        let script = sim.reveal(*kind);
        txs.push(payment(
            100 + i as u8,
            vec![out(&script, Amount::from_sat(*sats))],
        ));
    }
    sim.mine(txs);
    sim
}

fn expected_fee(inputs: &[AddressType], outputs: &[&ScriptBuf], feerate: FeeRate) -> Amount {
    let mut tx = spend(vec![], vec![]);
    tx.output = outputs.iter().map(|s| out(s, Amount::ZERO)).collect();
    // Unsigned size with no inputs, plus marker/flag, plus each input's
    // signed weight, computed independently of the selector.
    let base = tx.base_size() as u64; // counts an input-count byte
    let weight = base * 4 + 2 + inputs.iter().map(|k| input_weight(*k).to_wu()).sum::<u64>();
    feerate.fee_vb(weight.div_ceil(4)).unwrap()
}

#[test]
fn input_weights_are_the_documented_sizes() {
    assert_eq!(input_weight(AddressType::P2wkh).to_wu(), 68 * 4);
    assert_eq!(input_weight(AddressType::Np2wkh).to_wu(), 91 * 4);
    assert_eq!(input_weight(AddressType::P2tr).to_wu(), 230); // 57.5 vB
}

#[test]
fn largest_first_with_change_and_an_exact_fee() {
    let mut sim = funded(&[
        (AddressType::P2wkh, 100_000),
        (AddressType::P2tr, 500_000),
        (AddressType::Np2wkh, 300_000),
    ]);
    let dest = foreign(1);
    let spend = sim
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(dest.clone(), Amount::from_sat(600_000))]),
            rate(10),
            AddressType::P2tr,
            1,
        )
        .unwrap();
    // 500k (p2tr) then 300k (np2wkh): enough.
    let kinds: Vec<AddressType> = spend.inputs.iter().map(|i| i.derivation.kind).collect();
    assert_eq!(kinds, vec![AddressType::P2tr, AddressType::Np2wkh]);
    let change = spend.change.unwrap();
    assert_eq!(change.vout, 1);
    assert_eq!(change.derivation.kind, AddressType::P2tr);
    assert!(change.derivation.change);
    let change_script = &spend.tx.output[1].script_pubkey;
    let fee = expected_fee(&kinds, &[&dest, change_script], rate(10));
    assert_eq!(spend.fee, fee);
    assert_eq!(change.amount, Amount::from_sat(800_000 - 600_000) - fee);
    assert_eq!(spend.tx.output[0], out(&dest, Amount::from_sat(600_000)));
    // 10.5 (overhead) + 43 (p2wsh) + 43 (p2tr change) + 57.5 + 91 vB.
    assert_eq!(spend.vsize(), 245);
    assert_eq!(
        spend.records,
        vec![WalletRecord::RevealedIndex {
            kind: AddressType::P2tr,
            change: true,
            index: 0
        }]
    );
    assert_eq!(sim.wallet.revealed_index(AddressType::P2tr, true), Some(0));
    // RBF and anti-fee-sniping.
    assert_eq!(spend.tx.lock_time.to_consensus_u32(), sim.height());
    assert!(spend.tx.input.iter().all(|i| i.sequence.is_rbf()));
    // Building does not lock or spend anything.
    assert_eq!(
        sim.wallet.balance(sim.tip()).confirmed,
        Amount::from_sat(900_000)
    );
}

#[test]
fn insufficient_funds_says_what_is_needed() {
    let mut sim = funded(&[(AddressType::P2wkh, 100_000), (AddressType::P2wkh, 50_000)]);
    let dest = foreign(1);
    let err = sim
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(dest.clone(), Amount::from_sat(150_000))]),
            rate(2),
            AddressType::P2wkh,
            1,
        )
        .unwrap_err();
    let fee = expected_fee(&[AddressType::P2wkh; 2], &[&dest], rate(2));
    assert_eq!(
        err,
        WalletError::InsufficientFunds {
            needed: Amount::from_sat(150_000) + fee,
            available: Amount::from_sat(150_000),
        }
    );
    // min_conf counts: with 2 confirmations required nothing is available.
    let err = sim
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(dest.clone(), Amount::from_sat(1_000))]),
            rate(2),
            AddressType::P2wkh,
            2,
        )
        .unwrap_err();
    assert!(
        matches!(err, WalletError::InsufficientFunds { available, .. } if available == Amount::ZERO)
    );
    // Nothing was revealed by the failures.
    assert_eq!(sim.wallet.revealed_index(AddressType::P2wkh, true), None);
    // An empty wallet.
    let mut empty = Sim::new();
    assert!(matches!(
        empty.wallet.build_transaction(
            &Recipients::SweepAll(dest.clone()),
            rate(1),
            AddressType::P2wkh,
            0
        ),
        Err(WalletError::InsufficientFunds { .. })
    ));
    assert_eq!(
        empty
            .wallet
            .build_transaction(&Recipients::Pay(vec![]), rate(1), AddressType::P2wkh, 0),
        Err(WalletError::NoRecipients)
    );
}

#[test]
fn sweep_all_spends_everything_to_one_output() {
    let mut sim = funded(&[
        (AddressType::P2wkh, 100_000),
        (AddressType::Np2wkh, 200_000),
        (AddressType::P2tr, 300_000),
    ]);
    let dest = foreign(2);
    let estimate = sim
        .wallet
        .estimate_fee(
            &Recipients::SweepAll(dest.clone()),
            rate(3),
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    let spend = sim
        .wallet
        .build_transaction(
            &Recipients::SweepAll(dest.clone()),
            rate(3),
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    assert_eq!(spend.inputs.len(), 3);
    assert_eq!(spend.tx.output.len(), 1);
    assert!(spend.change.is_none());
    assert!(spend.records.is_empty());
    let kinds: Vec<AddressType> = spend.inputs.iter().map(|i| i.derivation.kind).collect();
    let fee = expected_fee(&kinds, &[&dest], rate(3));
    assert_eq!(spend.fee, fee);
    assert_eq!(estimate, fee);
    assert_eq!(spend.tx.output[0].value, Amount::from_sat(600_000) - fee);
}

#[test]
fn dust_change_goes_to_the_fee() {
    let mut sim = funded(&[(AddressType::P2wkh, 100_000)]);
    let dest = foreign(3);
    let feerate = rate(1);
    let fee_no_change = expected_fee(&[AddressType::P2wkh], &[&dest], feerate);
    // Leave 200 sat over the no-change fee: below any change dust limit.
    let amount = Amount::from_sat(100_000) - fee_no_change - Amount::from_sat(200);
    let spend = sim
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(dest.clone(), amount)]),
            feerate,
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    assert!(spend.change.is_none());
    assert_eq!(spend.tx.output.len(), 1);
    assert_eq!(spend.fee, fee_no_change + Amount::from_sat(200));
    assert!(spend.records.is_empty());
    // With 2000 sat over, change is worth making.
    let amount = Amount::from_sat(100_000) - fee_no_change - Amount::from_sat(2_000);
    let spend = sim
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(dest.clone(), amount)]),
            feerate,
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    let change = spend.change.unwrap();
    assert!(change.amount >= spend.tx.output[1].script_pubkey.minimal_non_dust());
    assert_eq!(
        spend.fee + change.amount + amount,
        Amount::from_sat(100_000)
    );
}

#[test]
fn dust_outputs_are_refused() {
    let mut sim = funded(&[(AddressType::P2wkh, 100_000)]);
    let p2wpkh = sim
        .wallet
        .peek_address(AddressType::P2wkh, false, 9)
        .unwrap()
        .script_pubkey();
    assert_eq!(
        sim.wallet.build_transaction(
            &Recipients::Pay(vec![(p2wpkh.clone(), Amount::from_sat(293))]),
            rate(1),
            AddressType::P2wkh,
            1
        ),
        Err(WalletError::Dust {
            amount: Amount::from_sat(293),
            minimum: Amount::from_sat(294)
        })
    );
    assert!(sim
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(p2wpkh, Amount::from_sat(294))]),
            rate(1),
            AddressType::P2wkh,
            1
        )
        .is_ok());
    // A sweep that leaves only dust after the fee.
    let mut small = funded(&[(AddressType::P2wkh, 400)]);
    assert!(matches!(
        small.wallet.build_transaction(
            &Recipients::SweepAll(foreign(1)),
            rate(1),
            AddressType::P2wkh,
            1
        ),
        Err(WalletError::InsufficientFunds { .. })
    ));
}

#[test]
fn locked_and_immature_coins_are_never_selected() {
    let mut sim = funded(&[(AddressType::P2wkh, 500_000), (AddressType::P2tr, 100_000)]);
    let big = sim
        .wallet
        .list_unspent(sim.tip(), 0, u32::MAX)
        .into_iter()
        .find(|u| u.amount == Amount::from_sat(500_000))
        .unwrap()
        .outpoint;
    sim.wallet.lock(big).unwrap();
    // A fresh coinbase to us.
    let cb_script = sim.reveal(AddressType::P2wkh);
    let h = sim.height() + 1;
    let prev = *sim.hashes.last().unwrap();
    let mut block = sim.block(prev, h, vec![]);
    block.txdata[0] = coinbase(h, 5, vec![out(&cb_script, btc(50))]);
    block.header.merkle_root = block.compute_merkle_root().unwrap();
    let cb = OutPoint::new(block.txdata[0].compute_txid(), 0);
    sim.connect(block);

    let dest = foreign(4);
    let spend = sim
        .wallet
        .build_transaction(
            &Recipients::SweepAll(dest.clone()),
            rate(1),
            AddressType::P2wkh,
            0,
        )
        .unwrap();
    assert_eq!(spend.inputs.len(), 1);
    assert_eq!(spend.inputs[0].prevout.value, Amount::from_sat(100_000));
    assert!(matches!(
        sim.wallet.build_transaction(
            &Recipients::Pay(vec![(dest.clone(), Amount::from_sat(200_000))]),
            rate(1),
            AddressType::P2wkh,
            0
        ),
        Err(WalletError::InsufficientFunds { available, .. }) if available == Amount::from_sat(100_000)
    ));
    // Asking for them explicitly is refused too.
    let pay = Recipients::Pay(vec![(dest.clone(), Amount::from_sat(10_000))]);
    assert_eq!(
        sim.wallet
            .build_transaction_with_inputs(&[big], &pay, rate(1), AddressType::P2wkh),
        Err(WalletError::LockedInput(big))
    );
    assert_eq!(
        sim.wallet
            .build_transaction_with_inputs(&[cb], &pay, rate(1), AddressType::P2wkh),
        Err(WalletError::ImmatureInput(cb))
    );
    let unknown = OutPoint::new(Txid::all_zeros(), 0);
    assert_eq!(
        sim.wallet
            .build_transaction_with_inputs(&[unknown], &pay, rate(1), AddressType::P2wkh),
        Err(WalletError::UnknownInput(unknown))
    );
    let small = spend.inputs[0].outpoint;
    assert_eq!(
        sim.wallet.build_transaction_with_inputs(
            &[small, small],
            &pay,
            rate(1),
            AddressType::P2wkh
        ),
        Err(WalletError::DuplicateInput(small))
    );
    // Unlocked, it is chosen first (largest).
    sim.wallet.unlock(big).unwrap();
    let spend = sim
        .wallet
        .build_transaction(&pay, rate(1), AddressType::P2wkh, 0)
        .unwrap();
    assert_eq!(spend.inputs[0].outpoint, big);
    assert_eq!(spend.inputs.len(), 1);
}

#[test]
fn funding_flow_build_lock_sign_unlock() {
    let mut sim = funded(&[
        (AddressType::P2wkh, 1_000_000),
        (AddressType::P2tr, 900_000),
    ]);
    let funding_script = foreign(0xfd);
    let pay = Recipients::Pay(vec![(funding_script.clone(), Amount::from_sat(800_000))]);
    let spend = sim
        .wallet
        .build_transaction(&pay, rate(5), AddressType::P2tr, 1)
        .unwrap();
    let locks = sim.wallet.lock_inputs(&spend);
    assert_eq!(locks.len(), spend.inputs.len());
    // While locked, another build picks other coins.
    let other = sim
        .wallet
        .build_transaction(&pay, rate(5), AddressType::P2tr, 1)
        .unwrap();
    assert!(other
        .inputs
        .iter()
        .all(|i| spend.inputs.iter().all(|s| s.outpoint != i.outpoint)));
    let signed = sim.wallet.sign(&spend).unwrap();
    assert_eq!(signed.compute_txid(), spend.tx.compute_txid());
    assert!(signed.input.iter().all(|i| !i.witness.is_empty()));
    assert!(signed.weight() <= spend.weight);
    // Funding failed: unlock.
    assert_eq!(sim.wallet.unlock_inputs(&spend).len(), spend.inputs.len());
    assert_eq!(sim.wallet.locked().count(), 0);
}

#[test]
fn sign_refuses_tampered_spends() {
    let mut sim = funded(&[(AddressType::Np2wkh, 1_000_000)]);
    let spend = sim
        .wallet
        .build_transaction(
            &Recipients::SweepAll(foreign(1)),
            rate(1),
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    let mut wrong_key = spend.clone();
    wrong_key.inputs[0].derivation.index += 1;
    assert_eq!(
        sim.wallet.sign(&wrong_key),
        Err(WalletError::ForeignInput(spend.inputs[0].outpoint))
    );
    let mut missing = spend.clone();
    missing.inputs.clear();
    assert!(matches!(
        sim.wallet.sign(&missing),
        Err(WalletError::MalformedSpend(_))
    ));
    let mut swapped = spend.clone();
    swapped.tx.input[0].previous_output.vout = 9;
    assert!(matches!(
        sim.wallet.sign(&swapped),
        Err(WalletError::MalformedSpend(_))
    ));
    // Another seed's wallet cannot sign it.
    let other_master = Seed::generate([3u8; 32])
        .master_key(Network::Regtest)
        .unwrap();
    let other = Wallet::new(&other_master, Network::Regtest).unwrap();
    assert!(matches!(
        other.sign(&spend),
        Err(WalletError::ForeignInput(_))
    ));
    // The np2wkh input gets its redeem script push.
    let signed = sim.wallet.sign(&spend).unwrap();
    assert_eq!(signed.input[0].script_sig.len(), 23);
    assert_eq!(signed.input[0].witness.len(), 2);
}
