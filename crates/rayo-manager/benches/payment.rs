//! What a payment costs the two managers, without I/O: Bob issues an
//! invoice, Alice pays it over their channel, and the whole commitment
//! dance (add, two signatures each way, two revocations; fulfill, the
//! same again) runs through the wire codec until both are quiet; then Bob
//! pays Alice back the same way. Also printed once: signatures,
//! persisted batches (fsyncs) and messages per payment.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use rayo_manager::{
    AddInvoiceCommand, Command, Event, Manager, Reply, RequestId, SendPaymentCommand,
};
use rayo_wire::amount::Msat;
use secp256k1::PublicKey;
use support::{pump, reply, usable_channel, Exchange, NOW};

use bitcoin::secp256k1;

/// Payments of 10,000 sat: untrimmed, so each carries an HTLC signature.
const AMOUNT: Msat = Msat(10_000_000);

/// `payee` issues an invoice; `payer` pays it; both run until quiet.
fn pay(
    payer: &mut Manager,
    payer_id: PublicKey,
    payee: &mut Manager,
    payee_id: PublicKey,
    n: u64,
) -> Exchange {
    let mut entropy = [0u8; 32];
    entropy[..8].copy_from_slice(&n.to_le_bytes());
    let invoice = match reply(payee.handle(
        Event::Command {
            id: RequestId(n),
            command: Command::AddInvoice(AddInvoiceCommand {
                value_msat: Some(AMOUNT),
                memo: "bench".into(),
                ..AddInvoiceCommand::default()
            }),
        },
        NOW,
        entropy,
    )) {
        Some(Reply::Invoice(record)) => record.payment_request,
        other => panic!("addinvoice: {other:?}"),
    };
    let actions = payer.handle(
        Event::Command {
            id: RequestId(n),
            command: Command::SendPayment(SendPaymentCommand {
                payment_request: Some(invoice),
                ..SendPaymentCommand::default()
            }),
        },
        NOW,
        entropy,
    );
    let stats = pump(payer, payer_id, payee, payee_id, actions);
    assert_eq!(stats.succeeded, 1, "the payment succeeded");
    stats
}

fn bench(c: &mut Criterion) {
    let (mut alice, alice_id, mut bob, bob_id) = usable_channel();
    let once = pay(&mut alice, alice_id, &mut bob, bob_id, 0);
    eprintln!(
        "one payment: {} signatures (as many verifications), {} persisted batches (fsyncs), {} messages",
        once.signatures, once.persists, once.messages
    );
    let mut n = 1;
    c.bench_function(
        "manager: a payment each way (invoice, dance, settle; no I/O)",
        |b| {
            b.iter(|| {
                n += 2;
                pay(&mut alice, alice_id, &mut bob, bob_id, n);
                pay(&mut bob, bob_id, &mut alice, alice_id, n + 1);
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
