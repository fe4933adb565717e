//! Chain speed: mining the tutorial's 400 blocks, and accepting then mining
//! 1,000 transactions, on an on-disk SQLite store as the daemon runs it.
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::time::Duration;

use bitcoin::{
    absolute, transaction, Amount, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rayo_chain::chain::{anyone_can_spend, Chain};
use rayo_chain::store::SqliteStore;

const NOW: u32 = 1_700_000_000;

fn open(dir: &tempfile::TempDir) -> Chain<SqliteStore> {
    Chain::open(
        SqliteStore::open(&dir.path().join("chain.sqlite")).unwrap(),
        NOW,
    )
    .unwrap()
}

fn spend(input: OutPoint, value: Amount, outputs: usize) -> Transaction {
    let (script, witness_script) = anyone_can_spend();
    Transaction {
        version: transaction::Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: input,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::from_slice(&[witness_script.as_bytes()]),
        }],
        output: vec![
            TxOut {
                value,
                script_pubkey: script
            };
            outputs
        ],
    }
}

/// A chain with 1,000 mature anyone-can-spend outputs of 0.04 BTC.
fn chain_with_1000_coins() -> (tempfile::TempDir, Chain<SqliteStore>, Vec<OutPoint>) {
    let dir = tempfile::tempdir().unwrap();
    let mut chain = open(&dir);
    let (script, _) = anyone_can_spend();
    chain.generate(101, &script, NOW).unwrap();
    let coinbase = chain.block(&chain.hash_at(1).unwrap()).unwrap().txdata[0].compute_txid();
    let fanout = spend(
        OutPoint {
            txid: coinbase,
            vout: 0,
        },
        Amount::from_sat(4_000_000),
        1000,
    );
    let txid = fanout.compute_txid();
    chain.accept_transaction(fanout, NOW.into(), false).unwrap();
    chain.mine_block(&script, NOW).unwrap();
    let coins = (0..1000).map(|vout| OutPoint { txid, vout }).collect();
    (dir, chain, coins)
}

fn mining(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    let address: bitcoin::Address = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
        .parse::<bitcoin::Address<_>>()
        .unwrap()
        .assume_checked();
    group.bench_function("generatetoaddress 400", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let chain = open(&dir);
                (dir, chain)
            },
            |(_dir, mut chain)| chain.generate(400, &address.script_pubkey(), NOW).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("accept 1000 txs then mine them", |b| {
        b.iter_batched(
            chain_with_1000_coins,
            |(_dir, mut chain, coins)| {
                for coin in coins {
                    let tx = spend(coin, Amount::from_sat(3_990_000), 1);
                    chain.accept_transaction(tx, NOW.into(), false).unwrap();
                }
                let (script, _) = anyone_can_spend();
                chain.mine_block(&script, NOW).unwrap();
                assert!(chain.mempool().is_empty());
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, mining);
criterion_main!(benches);
