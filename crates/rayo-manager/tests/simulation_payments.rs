//! The deterministic simulation over payments: on an open channel, Alice
//! pays Bob's invoice, Bob pays Alice's at the same time, and Alice sends a
//! keysend; the run is repeated with a crash at every action boundary (of
//! either node). After every crash and at the end:
//! * each side's commitment accounts for the whole capacity (balances plus
//!   HTLCs in flight);
//! * no node holds a commitment older than one its peer has a revocation
//!   secret for (no revoked commitment is ever signed or held again);
//!
//! and once the network is quiet:
//! * both sides agree (mirrored commitments, nothing in flight);
//! * every payment ended succeeded or failed, and a payment succeeded
//!   exactly when its invoice was settled (no preimage is lost);
//! * Bob's balance moved by exactly what was paid.
//!
//! `RAYO_SIM_SEEDS=a,b,c` runs other seeds.

mod support;

use rayo_manager::{Command, InvoiceState, PaymentState, SendPaymentCommand};
use rayo_wire::amount::{Msat, Sat};
use support::{CrashPlan, Sim};

const ALICE: usize = 0;
const BOB: usize = 1;
const CAPACITY: Sat = Sat(1_000_000);
const PUSH: Msat = Msat(200_000_000);

/// The invariants that hold at any instant.
fn check_anytime(sim: &Sim, what: &str) {
    for (i, peer) in [(ALICE, BOB), (BOB, ALICE)] {
        let (Some(me), Some(them)) = (&sim.nodes[i].manager, &sim.nodes[peer].manager) else {
            continue;
        };
        for record in me.channels() {
            let Some(ours) = record.funded() else {
                continue;
            };
            let c = &ours.phase.commitments;
            assert_eq!(
                c.local.spec.total(),
                Msat(CAPACITY.0 * 1000),
                "{what}: {} local commitment",
                sim.nodes[i].name
            );
            assert_eq!(c.remote.spec.total(), Msat(CAPACITY.0 * 1000));
            let Some(theirs) = them
                .channels()
                .find(|r| r.channel_id() == record.channel_id())
                .and_then(|r| r.funded())
            else {
                continue;
            };
            // The peer holds secrets for our commitments 0..revealed: we
            // must hold a newer one, and never sign an older one again.
            let revealed = theirs.phase.commitments.their_secrets.revealed_count();
            assert!(
                c.local.number >= revealed,
                "{what}: {} holds commitment {} but its peer has {revealed} revocations",
                sim.nodes[i].name,
                c.local.number
            );
        }
    }
}

/// Runs the payments under `crash`; returns the simulation at the end.
fn run(seed: u64, crash: CrashPlan) -> Sim {
    let mut sim = Sim::open_pair(seed, CAPACITY, PUSH);
    let bob_id = sim.nodes[BOB].id;
    let to_bob = sim.invoice(BOB, 10_000);
    let to_alice = sim.invoice(ALICE, 3_000);
    sim.crash = Some(crash);
    sim.pay(ALICE, &to_bob);
    sim.pay(BOB, &to_alice);
    sim.ask(
        ALICE,
        Command::SendPayment(SendPaymentCommand {
            destination: Some(bob_id),
            amount: Some(Msat(1_234_000)),
            keysend: true,
            ..SendPaymentCommand::default()
        }),
    );
    for _ in 0..50 {
        sim.settle();
        check_anytime(&sim, &format!("seed {seed} {crash:?}"));
        sim.advance(5);
    }
    sim.settle();
    sim
}

/// The end state: quiet, agreed, every payment ended, nothing lost.
fn check_end(sim: &mut Sim, seed: u64, crash: CrashPlan) {
    let what = format!("seed {seed} {crash:?}");
    check_anytime(sim, &what);
    let (a, b) = (sim.channel(ALICE), sim.channel(BOB));
    let (ca, cb) = (&a.phase.commitments, &b.phase.commitments);
    assert!(
        ca.is_quiescent() && cb.is_quiescent(),
        "{what}: still in flight\nalice {:?}\nbob {:?}",
        ca.local_changes,
        cb.local_changes
    );
    assert_eq!(ca.local.spec.to_local, cb.local.spec.to_remote, "{what}");
    assert_eq!(ca.local.spec.to_remote, cb.local.spec.to_local, "{what}");
    assert!(ca.local.spec.htlcs.is_empty(), "{what}: HTLCs left");
    // Every payment ended; a payment succeeded iff its invoice settled.
    let mut bob_gain: i64 = 0;
    for (payer, payee, sign) in [(ALICE, BOB, 1i64), (BOB, ALICE, -1)] {
        let paid = sim.payments(payer);
        let issued = sim.invoices(payee);
        for p in &paid {
            assert_ne!(p.state, PaymentState::InFlight, "{what}: {p:?} never ended");
            let settled = issued
                .iter()
                .find(|i| i.payment_hash == p.payment_hash)
                .is_some_and(|i| i.state == InvoiceState::Settled);
            assert_eq!(
                p.state == PaymentState::Succeeded,
                settled,
                "{what}: payment {:?} vs its invoice",
                p.state
            );
            if p.state == PaymentState::Succeeded {
                bob_gain += sign * p.value_msat.0 as i64;
            }
        }
        for i in issued.iter().filter(|i| i.state == InvoiceState::Settled) {
            assert!(
                paid.iter().any(|p| p.payment_hash == i.payment_hash
                    && p.state == PaymentState::Succeeded
                    && p.preimage == Some(i.preimage)),
                "{what}: invoice settled but its payer lost the preimage"
            );
        }
    }
    assert_eq!(
        cb.local.spec.to_local.0 as i64,
        PUSH.0 as i64 + bob_gain,
        "{what}: Bob's balance moved by what was paid"
    );
}

#[test]
fn payments_both_ways_work_without_crashes() {
    let mut sim = run(7, CrashPlan::Count);
    check_end(&mut sim, 7, CrashPlan::Count);
    for (i, n) in [(ALICE, 2), (BOB, 1)] {
        let paid = sim.payments(i);
        assert_eq!(paid.len(), n);
        assert!(
            paid.iter().all(|p| p.state == PaymentState::Succeeded),
            "{paid:?}"
        );
    }
    assert_eq!(
        sim.channel(BOB).phase.commitments.local.spec.to_local,
        Msat(PUSH.0 + 10_000_000 + 1_234_000 - 3_000_000)
    );
}

#[test]
fn payments_survive_a_crash_at_every_action_boundary() {
    let mut explored = 0;
    for seed in support::seeds(&[3]) {
        let counted = run(seed, CrashPlan::Count);
        let boundaries = counted.boundaries;
        assert!(boundaries > 50, "the payments have {boundaries} boundaries");
        for at in 0..boundaries {
            let mut sim = run(seed, CrashPlan::At(at));
            assert_eq!(sim.crashes.len(), 1, "seed {seed}: crash {at} happened");
            check_end(&mut sim, seed, CrashPlan::At(at));
            explored += 1;
        }
        eprintln!("seed {seed}: {boundaries} action boundaries, each crashed once");
    }
    eprintln!("{explored} crash points explored");
}

/// The flaky network of `simulation_network.rs`: about one delivery in
/// seven drops its connection, redialled 1-10 s later.
const NETWORK: support::Flaky = support::Flaky {
    drop_per_mille: 150,
    reconnect_secs: (1, 10),
    max_delay_secs: 2,
};

/// A stream of payments both ways over a flaky network with random
/// crashes: invoices and keysends asked at random moments. Once the network
/// is stable again and quiet, everything above holds.
#[test]
fn a_payment_stream_survives_a_flaky_network_and_random_crashes() {
    let (mut payments, mut crashes, mut drops) = (0, 0, 0);
    for seed in support::seeds(&[11, 12, 13, 14, 15, 16, 17, 18]) {
        let mut sim = Sim::open_pair(seed, CAPACITY, PUSH);
        let bob_id = sim.nodes[BOB].id;
        let invoices: Vec<(usize, String)> = (0..12)
            .map(|n| {
                let (payer, payee) = if n % 3 == 2 {
                    (BOB, ALICE)
                } else {
                    (ALICE, BOB)
                };
                (payer, sim.invoice(payee, 1_000 + 10 * n))
            })
            .collect();
        sim.flaky = Some(NETWORK);
        sim.crash = Some(CrashPlan::Random { one_in: 20, max: 3 });
        for (n, (payer, invoice)) in invoices.iter().enumerate() {
            sim.pay(*payer, invoice);
            if n % 4 == 0 {
                sim.ask(
                    ALICE,
                    Command::SendPayment(SendPaymentCommand {
                        destination: Some(bob_id),
                        amount: Some(Msat(500_000 + n as u64)),
                        keysend: true,
                        ..SendPaymentCommand::default()
                    }),
                );
            }
            sim.run_steps(20);
            check_anytime(&sim, &format!("seed {seed}"));
        }
        sim.run_steps(2_000);
        // The network heals; what is in flight finishes.
        sim.flaky = None;
        sim.crash = None;
        sim.settle();
        sim.connect(ALICE, BOB);
        for _ in 0..20 {
            sim.settle();
            sim.advance(5);
        }
        check_end(&mut sim, seed, CrashPlan::Count);
        payments += sim.payments(ALICE).len() + sim.payments(BOB).len();
        crashes += sim.crashes.len();
        drops += sim.drops;
    }
    eprintln!("{payments} payments, {crashes} crashes, {drops} dropped connections");
    assert!(crashes > 0 && drops > 0, "the run was not flaky");
}
