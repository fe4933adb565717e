//! The wallet's transactions under real consensus: coins mined on the
//! embedded chain (rayo-chain, scripts checked by libbitcoinconsensus) to
//! each address type, spent alone and mixed, swept, reorged, and the
//! balance checked to the satoshi after every block.

use bitcoin::{Amount, FeeRate, Network, OutPoint, ScriptBuf, Transaction};
use rayo_chain::chain::{anyone_can_spend, Accepted, Chain};
use rayo_chain::params::block_subsidy;
use rayo_chain::store::SqliteStore;
use rayo_wallet::{
    AddressType, Balance, Recipients, Seed, UnsignedSpend, Wallet, WalletError, WalletRecord,
};

const WORDS: &str =
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const START: u32 = 1_700_000_000;

struct Harness {
    chain: Chain<SqliteStore>,
    wallet: Wallet,
    log: Vec<WalletRecord>,
    now: u32,
    /// Where mined coins we do not own go.
    sink: ScriptBuf,
}

fn master() -> bitcoin::bip32::Xpriv {
    Seed::from_mnemonic(WORDS, "")
        .unwrap()
        .master_key(Network::Regtest)
        .unwrap()
}

fn btc(n: u64) -> Amount {
    Amount::from_sat(n * 100_000_000)
}

fn feerate() -> FeeRate {
    FeeRate::from_sat_per_vb(5).unwrap()
}

impl Harness {
    fn new() -> Harness {
        let chain = Chain::open(SqliteStore::in_memory().unwrap(), START).unwrap();
        let mut h = Harness {
            chain,
            wallet: Wallet::new(&master(), Network::Regtest).unwrap(),
            log: Vec::new(),
            now: START,
            sink: anyone_can_spend().0,
        };
        h.sync();
        h
    }

    fn keep(&mut self, records: impl IntoIterator<Item = WalletRecord>) {
        self.log.extend(records);
    }

    fn tip(&self) -> u32 {
        self.chain.height()
    }

    fn balance(&self) -> Balance {
        self.wallet.balance(self.tip())
    }

    /// Feeds the wallet every chain block it has not seen, handling a reorg
    /// the way the node will: find the fork with the checkpoints,
    /// disconnect, reapply.
    fn sync(&mut self) {
        if let Some(tip) = self.wallet.sync_tip() {
            if self.chain.hash_at(tip.height) != Some(tip.hash) {
                let mut fork = tip.height;
                while fork > 0 && self.chain.hash_at(fork) != self.wallet.checkpoint(fork) {
                    fork -= 1;
                }
                let records = self.wallet.disconnect_to(fork);
                self.keep(records);
            }
        }
        let from = self.wallet.sync_tip().map_or(0, |t| t.height + 1);
        for height in from..=self.chain.height() {
            let hash = self.chain.hash_at(height).unwrap();
            let block = self.chain.block(&hash).unwrap();
            let records = self.wallet.apply_block(&block, height).unwrap();
            self.keep(records);
        }
        // The mempool, as the node will see it.
        let mempool: Vec<Transaction> = self
            .chain
            .mempool()
            .entries()
            .into_iter()
            .map(|e| e.tx.clone())
            .collect();
        for tx in mempool {
            let records = self.wallet.apply_unconfirmed(&tx, u64::from(self.now));
            self.keep(records);
        }
    }

    fn mine(&mut self, n: u32, script: &ScriptBuf) {
        self.now += 600;
        self.chain.generate(n, script, self.now).unwrap();
        self.sync();
    }

    fn mine_to_sink(&mut self, n: u32) {
        let sink = self.sink.clone();
        self.mine(n, &sink);
    }

    fn receive(&mut self, kind: AddressType) -> ScriptBuf {
        let (address, record) = self.wallet.reveal_address(kind, false).unwrap();
        self.keep([record]);
        address.script_pubkey()
    }

    fn utxo(&self, kind: AddressType) -> OutPoint {
        self.wallet
            .list_unspent(self.tip(), 1, u32::MAX)
            .into_iter()
            .find(|u| u.derivation.kind == kind)
            .unwrap_or_else(|| panic!("no mature {kind} coin"))
            .outpoint
    }

    /// Locks, signs, broadcasts (the chain runs every script through
    /// libbitcoinconsensus) and tells the wallet; checks the fee the chain
    /// sees and the size estimate.
    fn sign_and_broadcast(&mut self, spend: &UnsignedSpend) -> Accepted {
        let records = spend.records.clone();
        self.keep(records);
        let records = self.wallet.lock_inputs(spend);
        self.keep(records);
        let tx = self.wallet.sign(spend).unwrap();
        // The chain really checks our signatures: one satoshi less in an
        // output breaks every one of them.
        let mut tampered = tx.clone();
        tampered.output[0].value -= Amount::ONE_SAT;
        let refused = self
            .chain
            .accept_transaction(tampered, u64::from(self.now), true)
            .unwrap_err();
        assert!(
            refused.to_string().contains("script-verify"),
            "refused for {refused}"
        );
        let accepted = self
            .chain
            .accept_transaction(tx.clone(), u64::from(self.now), false)
            .unwrap_or_else(|e| panic!("chain refused the wallet's transaction: {e}"));
        assert_eq!(
            accepted.fee, spend.fee,
            "the chain sees the fee we computed"
        );
        assert!(
            accepted.vsize <= spend.vsize(),
            "estimate {} vB is an upper bound of {} vB",
            spend.vsize(),
            accepted.vsize
        );
        assert!(
            spend.vsize() - accepted.vsize <= spend.inputs.len() as u64,
            "estimate {} vB close to {} vB",
            spend.vsize(),
            accepted.vsize
        );
        assert!(accepted.fee >= feerate().fee_vb(accepted.vsize).unwrap());
        let records = self.wallet.apply_unconfirmed(&tx, u64::from(self.now));
        self.keep(records);
        accepted
    }

    fn assert_restores(&self) {
        let restored = Wallet::restore(&master(), Network::Regtest, self.log.clone()).unwrap();
        assert_eq!(restored, self.wallet);
    }
}

/// Mines one coinbase to a new address of each type (heights 1, 2, 3).
fn one_coinbase_each(h: &mut Harness) -> Amount {
    let mut total = Amount::ZERO;
    for kind in AddressType::ALL {
        let script = h.receive(kind);
        h.mine(1, &script);
        total += block_subsidy(h.tip());
    }
    total
}

#[test]
fn coinbase_maturity_matches_consensus() {
    let mut h = Harness::new();
    one_coinbase_each(&mut h);
    // Tip 100: the height-1 coinbase has 100 confirmations, the others 99
    // and 98.
    h.mine_to_sink(97);
    assert_eq!(h.tip(), 100);
    let b = h.balance();
    assert_eq!(b.confirmed, block_subsidy(1));
    assert_eq!(b.immature, block_subsidy(2) + block_subsidy(3));
    assert_eq!(b.unconfirmed, Amount::ZERO);

    // The wallet refuses the immature one...
    let immature = h
        .wallet
        .transactions(h.tip())
        .into_iter()
        .find(|t| t.block_height == Some(2))
        .map(|t| OutPoint::new(t.txid, 0))
        .unwrap();
    let pay = Recipients::Pay(vec![(h.sink.clone(), btc(1))]);
    assert_eq!(
        h.wallet
            .build_transaction_with_inputs(&[immature], &pay, feerate(), AddressType::P2wkh),
        Err(WalletError::ImmatureInput(immature))
    );
    // ...and the mature one is accepted by the chain at exactly this depth.
    let mature = h.utxo(AddressType::P2wkh);
    let spend = h
        .wallet
        .build_transaction_with_inputs(&[mature], &pay, feerate(), AddressType::P2wkh)
        .unwrap();
    let accepted = h.sign_and_broadcast(&spend);
    h.mine_to_sink(1);
    let b = h.balance();
    assert_eq!(
        b.confirmed,
        block_subsidy(1) + block_subsidy(2) - btc(1) - accepted.fee
    );
    assert_eq!(b.immature, block_subsidy(3));
    h.assert_restores();
}

#[test]
fn each_address_type_spends_under_consensus() {
    let mut h = Harness::new();
    let total = one_coinbase_each(&mut h);
    h.mine_to_sink(100);
    assert_eq!(
        h.balance(),
        Balance {
            confirmed: total,
            ..Balance::default()
        }
    );

    let mut expected = total;
    for (i, kind) in AddressType::ALL.into_iter().enumerate() {
        let coin = h.utxo(kind);
        let amount = btc(10 + i as u64);
        let spend = h
            .wallet
            .build_transaction_with_inputs(
                &[coin],
                &Recipients::Pay(vec![(h.sink.clone(), amount)]),
                feerate(),
                kind,
            )
            .unwrap();
        assert_eq!(spend.inputs.len(), 1);
        let change = spend.change.expect("change of a 50 BTC coin");
        assert_eq!(change.derivation.kind, kind);

        let accepted = h.sign_and_broadcast(&spend);
        // In the mempool: the coin is spent, its change unconfirmed.
        let b = h.balance();
        assert_eq!(b.unconfirmed, change.amount);
        assert_eq!(b.confirmed, expected - block_subsidy(1 + i as u32));
        assert_eq!(b.locked, Amount::ZERO, "a spent locked coin is no balance");

        h.mine_to_sink(1);
        expected = expected - amount - accepted.fee;
        let b = h.balance();
        assert_eq!(b.confirmed, expected, "{kind}: amount minus fee, exactly");
        assert_eq!((b.unconfirmed, b.locked), (Amount::ZERO, Amount::ZERO));
        assert_eq!(h.wallet.locked().count(), 0, "the block released the locks");
        let history = h.wallet.transactions(h.tip());
        let sent = history.iter().find(|t| t.txid == accepted.txid).unwrap();
        assert_eq!(sent.confirmations, 1);
        assert_eq!(sent.fee, Some(accepted.fee));
        assert_eq!(
            sent.amount.to_sat(),
            -((amount + accepted.fee).to_sat() as i64)
        );
    }
    h.assert_restores();
}

#[test]
fn mixed_inputs_chained_change_and_sweep() {
    let mut h = Harness::new();
    let total = one_coinbase_each(&mut h);
    h.mine_to_sink(100);

    // One transaction spending all three input types, change to p2tr.
    let inputs: Vec<OutPoint> = AddressType::ALL.iter().map(|k| h.utxo(*k)).collect();
    let amount = btc(120);
    let spend = h
        .wallet
        .build_transaction_with_inputs(
            &inputs,
            &Recipients::Pay(vec![(h.sink.clone(), amount)]),
            feerate(),
            AddressType::P2tr,
        )
        .unwrap();
    let kinds: Vec<AddressType> = spend.inputs.iter().map(|i| i.derivation.kind).collect();
    assert_eq!(kinds, AddressType::ALL.to_vec());
    let accepted = h.sign_and_broadcast(&spend);
    h.mine_to_sink(1);
    let mut expected = total - amount - accepted.fee;
    assert_eq!(h.balance().confirmed, expected);

    // Coin selection on its own (the p2tr change is the only coin), paying
    // two outputs, change to np2wkh.
    let (bob, _) = h.wallet.reveal_address(AddressType::P2wkh, false).unwrap();
    let bob = bob.script_pubkey();
    let spend = h
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(h.sink.clone(), btc(5)), (bob.clone(), btc(1))]),
            feerate(),
            AddressType::Np2wkh,
            1,
        )
        .unwrap();
    assert_eq!(spend.inputs[0].derivation.kind, AddressType::P2tr);
    let accepted = h.sign_and_broadcast(&spend);
    // Spend the unconfirmed change at once (min_conf 0), from np2wkh.
    let spend2 = h
        .wallet
        .build_transaction(
            &Recipients::Pay(vec![(h.sink.clone(), btc(2))]),
            feerate(),
            AddressType::P2wkh,
            0,
        )
        .unwrap();
    assert!(spend2
        .inputs
        .iter()
        .any(|i| i.derivation.kind == AddressType::Np2wkh && i.derivation.change));
    let accepted2 = h.sign_and_broadcast(&spend2);
    h.mine_to_sink(1);
    // The 1 BTC to ourselves stays; the rest left with the fees.
    expected = expected - btc(5) - accepted.fee - btc(2) - accepted2.fee;
    assert_eq!(h.balance().confirmed, expected);

    // Sweep everything.
    let spend = h
        .wallet
        .build_transaction(
            &Recipients::SweepAll(h.sink.clone()),
            feerate(),
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    assert!(spend.change.is_none());
    let accepted = h.sign_and_broadcast(&spend);
    assert_eq!(spend.tx.output[0].value, expected - accepted.fee);
    h.mine_to_sink(1);
    assert_eq!(h.balance(), Balance::default());
    assert!(h.wallet.list_unspent(h.tip(), 0, u32::MAX).is_empty());
    h.assert_restores();
}

#[test]
fn a_reorg_unconfirms_and_the_new_chain_reconfirms() {
    let mut h = Harness::new();
    let total = one_coinbase_each(&mut h);
    h.mine_to_sink(100);
    let coin = h.utxo(AddressType::Np2wkh);
    let spend = h
        .wallet
        .build_transaction_with_inputs(
            &[coin],
            &Recipients::Pay(vec![(h.sink.clone(), btc(7))]),
            feerate(),
            AddressType::P2tr,
        )
        .unwrap();
    let accepted = h.sign_and_broadcast(&spend);
    h.mine_to_sink(1);
    let after = total - btc(7) - accepted.fee;
    assert_eq!(h.balance().confirmed, after);
    let change = spend.change.unwrap().amount;

    // Invalidate the block: the chain puts the transaction back in its
    // mempool; the wallet finds the fork and unconfirms it.
    let tip_hash = h.chain.hash_at(h.tip()).unwrap();
    h.now += 1;
    h.chain.invalidate_block(&tip_hash, h.now).unwrap();
    h.sync();
    assert_eq!(h.wallet.sync_tip().unwrap().height, h.tip());
    let b = h.balance();
    assert_eq!((b.confirmed, b.unconfirmed), (after - change, change));
    let (_, status) = h.wallet.transaction(&accepted.txid).unwrap();
    assert!(!status.is_confirmed());

    // A longer branch confirms it again.
    h.mine_to_sink(2);
    assert_eq!(h.balance().confirmed, after);
    assert_eq!(h.balance().unconfirmed, Amount::ZERO);
    assert_eq!(
        h.wallet.transaction(&accepted.txid).unwrap().1.height(),
        Some(h.tip() - 1)
    );
    h.assert_restores();
}
