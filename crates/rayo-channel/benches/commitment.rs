//! Commitment transaction throughput: what one `commitment_signed` costs a
//! node. Each iteration builds the holder's commitment, signs it with the
//! funding key, verifies the peer's signature on it, and (with HTLCs)
//! builds every HTLC transaction, signs it and verifies the peer's HTLC
//! signature, which is the work of sending and of receiving one update.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{OutPoint, Txid};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rayo_channel::commitment::{
    CommitmentBuilder, CommitmentFormat, CommitmentKeys, FeeShortfall, FundingOutput, Htlc,
    HtlcDirection, Side,
};
use rayo_wire::amount::{Msat, Sat};

const CAPACITY_SAT: u64 = 10_000_000;

fn secret(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).expect("valid secret")
}

struct Fixture {
    htlcs: Vec<Htlc>,
    to_local: Msat,
    to_remote: Msat,
    local_funding: SecretKey,
    remote_funding: SecretKey,
    local_htlc: SecretKey,
    remote_htlc: SecretKey,
    pubkeys: [PublicKey; 8],
}

impl Fixture {
    fn new(htlc_count: usize) -> Self {
        let secp = Secp256k1::new();
        let pubkeys = core::array::from_fn(|i| secret(i as u8 + 1).public_key(&secp));
        let htlcs: Vec<Htlc> = (0..htlc_count)
            .map(|i| Htlc {
                direction: if i % 2 == 0 {
                    HtlcDirection::Offered
                } else {
                    HtlcDirection::Received
                },
                amount: Msat(50_000_000 + i as u64 * 1_000_000),
                payment_hash: bitcoin::hashes::sha256::Hash::hash(&[i as u8; 32]).to_byte_array(),
                cltv_expiry: 500_000 + i as u32,
            })
            .collect();
        let in_htlcs: u64 = htlcs.iter().map(|h| h.amount.0).sum();
        let remote = 3_000_000_000;
        Fixture {
            to_local: Msat(CAPACITY_SAT * 1000 - remote - in_htlcs),
            to_remote: Msat(remote),
            htlcs,
            local_funding: secret(1),
            remote_funding: secret(2),
            local_htlc: secret(3),
            remote_htlc: secret(4),
            pubkeys,
        }
    }

    fn builder(&self) -> CommitmentBuilder<'_> {
        let [local_funding, remote_funding, local_htlc, remote_htlc, revocation, delayed, local_payment, remote_payment] =
            self.pubkeys;
        CommitmentBuilder {
            format: CommitmentFormat::StaticRemoteKey,
            funding: FundingOutput {
                outpoint: OutPoint {
                    txid: Txid::from_byte_array([7; 32]),
                    vout: 0,
                },
                amount: Sat(CAPACITY_SAT),
                local_funding_pubkey: local_funding,
                remote_funding_pubkey: remote_funding,
            },
            commitment_number: 1_000,
            local_payment_basepoint: local_payment,
            remote_payment_basepoint: remote_payment,
            opener: Side::Local,
            to_self_delay: 144,
            dust_limit: Sat(546),
            feerate_per_kw: 2_500,
            to_local: self.to_local,
            to_remote: self.to_remote,
            htlcs: &self.htlcs,
            keys: CommitmentKeys {
                revocation_pubkey: revocation,
                local_delayed_pubkey: delayed,
                remote_payment_pubkey: remote_payment,
                local_htlc_pubkey: local_htlc,
                remote_htlc_pubkey: remote_htlc,
            },
            fee_shortfall: FeeShortfall::Reject,
        }
    }
}

fn bench_commitment(c: &mut Criterion) {
    let secp = Secp256k1::new();
    for htlc_count in [0usize, 20] {
        let fixture = Fixture::new(htlc_count);
        // The peer's signatures arrive with the update: make them once.
        let commitment = fixture.builder().build().expect("builds");
        assert_eq!(commitment.htlc_outputs().len(), htlc_count);
        let remote_sig = commitment.sign(&secp, &fixture.remote_funding);
        let remote_htlc_sigs: Vec<_> = commitment
            .htlc_txs()
            .iter()
            .map(|tx| tx.sign(&secp, &fixture.remote_htlc))
            .collect();
        let remote_funding_pubkey = fixture.pubkeys[1];
        let remote_htlc_pubkey = fixture.pubkeys[3];

        c.bench_function(
            &format!("commitment/build_sign_verify/{htlc_count}_htlcs"),
            |b| {
                b.iter(|| {
                    let commitment = fixture.builder().build().expect("builds");
                    let local_sig = commitment.sign(&secp, &fixture.local_funding);
                    commitment
                        .verify(&secp, &remote_sig, &remote_funding_pubkey)
                        .expect("remote signature");
                    for (htlc_tx, remote) in commitment.htlc_txs().iter().zip(&remote_htlc_sigs) {
                        black_box(htlc_tx.sign(&secp, &fixture.local_htlc));
                        htlc_tx
                            .verify(&secp, remote, &remote_htlc_pubkey)
                            .expect("remote HTLC signature");
                    }
                    black_box(commitment.signed_tx(&local_sig, &remote_sig))
                })
            },
        );
        c.bench_function(&format!("commitment/build_only/{htlc_count}_htlcs"), |b| {
            b.iter(|| black_box(fixture.builder().build().expect("builds")))
        });
    }
}

criterion_group!(benches, bench_commitment);
criterion_main!(benches);
