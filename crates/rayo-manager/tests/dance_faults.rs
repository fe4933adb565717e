//! A peer that breaks BOLT 2 in the middle of the commitment dance gets the
//! consequence the spec gives (a warning and a disconnection, a failed
//! HTLC, or a failed channel), and nothing is lost: after a reconnection the
//! honest messages go through and every balance adds up. Each test puts a
//! man in the middle between two managers and changes one message.

mod support;

use rayo_manager::{Command, PaymentState, SendPaymentCommand};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::message::Message;
use rayo_wire::update::{RevokeAndAck, UpdateFee};
use support::Sim;

const ALICE: usize = 0;
const BOB: usize = 1;
const CAPACITY: Sat = Sat(1_000_000);
const PUSH: Msat = Msat(100_000_000);

fn warned(sim: &Sim, from: usize) -> bool {
    sim.sent
        .iter()
        .any(|(f, _, m)| *f == from && matches!(m, Message::Warning(_)))
}

fn failed_channel(sim: &Sim, from: usize) -> bool {
    sim.sent
        .iter()
        .any(|(f, _, m)| *f == from && matches!(m, Message::Error(_)))
}

/// Reconnects Alice and Bob after a warning dropped the link, and lets the
/// dance finish.
fn reconnect(sim: &mut Sim) {
    sim.settle();
    sim.connect(ALICE, BOB);
    sim.settle();
}

/// Bob was paid `sat` exactly once, and both sides agree.
fn assert_paid(sim: &mut Sim, sat: u64) {
    let (a, b) = (sim.channel(ALICE), sim.channel(BOB));
    let (ca, cb) = (&a.phase.commitments, &b.phase.commitments);
    assert!(ca.is_quiescent() && cb.is_quiescent());
    assert_eq!(ca.local.spec.to_remote, cb.local.spec.to_local);
    assert_eq!(cb.local.spec.to_local, Msat(PUSH.0 + sat * 1000));
    let paid = sim.payments(ALICE);
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].state, PaymentState::Succeeded);
}

#[test]
fn a_bad_commitment_signature_gets_a_warning_and_the_retransmission_pays() {
    let mut sim = Sim::open_pair(1, CAPACITY, PUSH);
    let invoice = sim.invoice(BOB, 20_000);
    sim.pay(ALICE, &invoice);
    sim.tamper(ALICE, BOB, |m| {
        if let Message::CommitmentSigned(cs) = m {
            cs.htlc_signatures[0] = cs.signature;
        }
    });
    sim.settle();
    assert!(warned(&sim, BOB));
    assert!(!failed_channel(&sim, BOB));
    reconnect(&mut sim);
    assert_paid(&mut sim, 20_000);
}

#[test]
fn an_htlc_under_the_minimum_gets_a_warning_and_nothing_is_lost() {
    let mut sim = Sim::open_pair(2, CAPACITY, PUSH);
    let invoice = sim.invoice(BOB, 20_000);
    sim.pay(ALICE, &invoice);
    sim.tamper(ALICE, BOB, |m| {
        if let Message::UpdateAddHtlc(add) = m {
            add.amount_msat = Msat(0);
        }
    });
    sim.settle();
    assert!(warned(&sim, BOB));
    reconnect(&mut sim);
    assert_paid(&mut sim, 20_000);
}

#[test]
fn an_onion_bob_cannot_read_fails_the_htlc_back_and_refunds_alice() {
    let mut sim = Sim::open_pair(3, CAPACITY, PUSH);
    let invoice = sim.invoice(BOB, 20_000);
    let request = sim.pay(ALICE, &invoice);
    sim.tamper(ALICE, BOB, |m| {
        if let Message::UpdateAddHtlc(add) = m {
            add.onion_routing_packet[100] ^= 1;
        }
    });
    sim.settle();
    assert!(!warned(&sim, BOB));
    let malformed = sim
        .sent
        .iter()
        .any(|(f, _, m)| *f == BOB && matches!(m, Message::UpdateFailMalformedHtlc(_)));
    assert!(
        malformed,
        "BOLT 2: an unparsable onion is failed as malformed"
    );
    let paid = sim.payments(ALICE);
    assert_eq!(paid[0].state, PaymentState::Failed);
    assert_eq!(paid[0].failure.as_deref(), Some("invalid_onion_hmac"));
    assert!(sim.nodes[ALICE].replies.contains_key(&request));
    let (a, b) = (sim.channel(ALICE), sim.channel(BOB));
    assert!(a.phase.commitments.is_quiescent());
    assert_eq!(b.phase.commitments.local.spec.to_local, PUSH);
    // The invoice is still open: paying again works.
    let again = sim.ask(
        ALICE,
        Command::SendPayment(SendPaymentCommand {
            payment_request: Some(invoice),
            ..SendPaymentCommand::default()
        }),
    );
    sim.settle();
    assert!(sim.nodes[ALICE].replies.contains_key(&again));
    assert_eq!(
        sim.channel(BOB).phase.commitments.local.spec.to_local,
        Msat(PUSH.0 + 20_000_000)
    );
}

#[test]
fn a_wrong_revocation_secret_fails_the_channel() {
    let mut sim = Sim::open_pair(4, CAPACITY, PUSH);
    let invoice = sim.invoice(BOB, 20_000);
    sim.pay(ALICE, &invoice);
    // Alice's add and signature reach Bob; his revoke_and_ack is forged.
    sim.deliver_until(ALICE, BOB, |_| false);
    sim.tamper(BOB, ALICE, |m| {
        if let Message::RevokeAndAck(RevokeAndAck {
            per_commitment_secret,
            ..
        }) = m
        {
            *per_commitment_secret = [0x42; 32];
        }
    });
    sim.settle();
    assert!(failed_channel(&sim, ALICE));
    let alice = sim.channel(ALICE);
    assert!(alice.failure.is_some(), "BOLT 2: fail the channel");
    // What Alice holds is intact: her current commitment is Bob-signed and
    // the HTLC is in it (it is resolved on chain, by closing).
    assert_eq!(alice.phase.commitments.local.number, 0);
    assert_eq!(sim.nodes[ALICE].store.channels().len(), 1);
}

#[test]
fn update_fee_out_of_bounds_warns_and_from_the_fundee_fails() {
    let mut sim = Sim::open_pair(5, CAPACITY, PUSH);
    let id = sim.channel(ALICE).phase.channel_id;
    sim.inject(
        ALICE,
        BOB,
        Message::UpdateFee(UpdateFee {
            channel_id: id,
            feerate_per_kw: 5_000_000,
        }),
    );
    sim.settle();
    assert!(warned(&sim, BOB));
    assert!(sim.channel(BOB).failure.is_none());
    reconnect(&mut sim);
    // The fundee may not set the fee at all.
    sim.inject(
        BOB,
        ALICE,
        Message::UpdateFee(UpdateFee {
            channel_id: id,
            feerate_per_kw: 3_000,
        }),
    );
    sim.settle();
    assert!(failed_channel(&sim, ALICE));
    assert!(sim.channel(ALICE).failure.is_some());
}

#[test]
fn the_funder_follows_the_fee_estimate() {
    let mut sim = Sim::open_pair(6, CAPACITY, PUSH);
    sim.deliver(
        ALICE,
        rayo_manager::Event::FeeEstimate {
            feerate_per_kw: 10_000,
        },
    );
    sim.settle();
    let (a, b) = (sim.channel(ALICE), sim.channel(BOB));
    assert_eq!(a.phase.commitments.local.spec.feerate_per_kw, 10_000);
    assert_eq!(b.phase.commitments.local.spec.feerate_per_kw, 10_000);
    // A small move is noise; the fundee never sends update_fee.
    sim.deliver(
        ALICE,
        rayo_manager::Event::FeeEstimate {
            feerate_per_kw: 11_000,
        },
    );
    sim.deliver(
        BOB,
        rayo_manager::Event::FeeEstimate {
            feerate_per_kw: 50_000,
        },
    );
    sim.settle();
    assert_eq!(
        sim.channel(BOB).phase.commitments.local.spec.feerate_per_kw,
        10_000
    );
}

#[test]
fn htlcs_over_the_dust_exposure_limit_are_failed_back() {
    let mut sim = Sim::open_pair(7, CAPACITY, PUSH);
    // Bob lets little sit in trimmed HTLCs: 1,000 sat.
    sim.configure(BOB, |c| c.policy.max_dust_htlc_exposure = Msat(1_000_000));
    sim.connect(ALICE, BOB);
    sim.settle();
    // Alice holds two dust-sized payments in flight at once (500 sat each
    // is under the dust limit plus the HTLC fee), then a third.
    let invoices: Vec<String> = (0..3).map(|_| sim.invoice(BOB, 600)).collect();
    for invoice in &invoices {
        sim.pay(ALICE, invoice);
    }
    sim.settle();
    let paid = sim.payments(ALICE);
    assert_eq!(paid.len(), 3);
    let failed = paid
        .iter()
        .filter(|p| p.failure.as_deref() == Some("temporary_channel_failure"))
        .count();
    assert!(failed >= 1, "{paid:?}");
    let (a, b) = (sim.channel(ALICE), sim.channel(BOB));
    assert!(a.phase.commitments.is_quiescent() && b.phase.commitments.is_quiescent());
    let succeeded = paid
        .iter()
        .filter(|p| p.state == PaymentState::Succeeded)
        .count() as u64;
    assert_eq!(
        b.phase.commitments.local.spec.to_local,
        Msat(PUSH.0 + succeeded * 600_000)
    );
}
