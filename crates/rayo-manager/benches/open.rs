//! What the manager costs per channel open, without I/O: the whole BOLT 2
//! exchange between two managers (open_channel, accept_channel, a funding
//! transaction built and signed from the wallet, funding_created,
//! funding_signed, each message through the wire codec), and the fundee's
//! answer to one `open_channel` it refuses (what a flooding peer costs).

#![allow(missing_docs)] // criterion_group! generates an undocumented function

mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rayo_manager::Event;
use rayo_wire::message::Message;
use support::{open, open_command, sends, world, NOW};

fn bench(c: &mut Criterion) {
    let (alice, alice_id, bob, bob_id) = world();
    c.bench_function("manager: one channel open (both sides, no I/O)", |b| {
        b.iter_batched(
            || (alice.clone(), bob.clone()),
            |(mut alice, mut bob)| open(&mut alice, alice_id, &mut bob, bob_id, 7),
            criterion::BatchSize::SmallInput,
        )
    });
    // Bob with one pending inbound channel from Alice refuses the next
    // open_channel: the per-message cost of a flooding peer.
    let (mut alice_full, mut bob_full) = (alice.clone(), bob.clone());
    let first = sends(&alice_full.handle(open_command(bob_id), NOW, [9; 32]));
    let open_channel = first[0].clone();
    let mut refused_open = open_channel.clone();
    if let Message::OpenChannel(o) = &mut refused_open {
        o.temporary_channel_id = rayo_wire::ids::ChannelId([10; 32]);
    }
    bob_full.handle(
        Event::PeerMessage {
            peer: alice_id,
            message: open_channel,
        },
        NOW,
        [0; 32],
    );
    c.bench_function(
        "manager: refuse an open_channel over the pending limit",
        |b| {
            b.iter(|| {
                black_box(bob_full.handle(
                    Event::PeerMessage {
                        peer: alice_id,
                        message: refused_open.clone(),
                    },
                    NOW,
                    [0; 32],
                ))
            })
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
