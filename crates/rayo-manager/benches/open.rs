//! What the manager costs per channel open, without I/O: the whole BOLT 2
//! exchange between two managers (open_channel, accept_channel, a funding
//! transaction built and signed from the wallet, funding_created,
//! funding_signed, each message through the wire codec), and the fundee's
//! answer to one `open_channel` it refuses (what a flooding peer costs).

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::{PublicKey, Secp256k1};
use bitcoin::{FeeRate, Network};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rayo_chain::chain::Chain;
use rayo_chain::store::SqliteStore;
use rayo_channel::establish::ChannelPolicy;
use rayo_manager::{
    Action, Command, Event, Manager, ManagerConfig, OpenChannelCommand, Reply, RequestId,
    StoredState,
};
use rayo_wallet::AddressType;
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::features::Features;
use rayo_wire::message::Message;

const NOW: u64 = 1_700_000_000;

fn manager(seed: u8) -> (Manager, PublicKey) {
    let master = Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap();
    let id = rayo_wallet::node_secret(&master)
        .unwrap()
        .public_key(&Secp256k1::new());
    let config = ManagerConfig::new(Network::Regtest, ChannelPolicy::new(ChainHash::REGTEST));
    let (manager, _) = Manager::restore(config, master, StoredState::default(), NOW).unwrap();
    (manager, id)
}

/// Alice with mature coins, and Bob, connected.
fn world() -> (Manager, PublicKey, Manager, PublicKey) {
    let (mut alice, alice_id) = manager(1);
    let (mut bob, bob_id) = manager(2);
    let address = match reply(alice.handle(
        Event::Command {
            id: RequestId(0),
            command: Command::NewAddress {
                kind: AddressType::P2wkh,
            },
        },
        NOW,
        [0; 32],
    )) {
        Some(Reply::Address(a)) => a,
        other => panic!("{other:?}"),
    };
    let mut chain = Chain::open(SqliteStore::in_memory().unwrap(), NOW as u32).unwrap();
    chain
        .generate(110, &address.script_pubkey(), NOW as u32)
        .unwrap();
    for height in 0..=chain.height() {
        let block = chain.block(&chain.hash_at(height).unwrap()).unwrap();
        for m in [&mut alice, &mut bob] {
            m.handle(
                Event::BlockConnected {
                    height,
                    block: block.clone(),
                },
                NOW,
                [0; 32],
            );
        }
    }
    for (m, peer) in [(&mut alice, bob_id), (&mut bob, alice_id)] {
        m.handle(
            Event::PeerConnected {
                peer,
                features: Features::rayo_init(),
            },
            NOW,
            [0; 32],
        );
    }
    (alice, alice_id, bob, bob_id)
}

fn reply(actions: Vec<Action>) -> Option<Reply> {
    actions.into_iter().find_map(|a| match a {
        Action::Reply { reply, .. } => reply.ok(),
        _ => None,
    })
}

fn sends(actions: &[Action]) -> Vec<Message> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { message, .. } => {
                Some(Message::decode(&message.encode().unwrap()).unwrap())
            }
            _ => None,
        })
        .collect()
}

/// `openchannel` of 1,000,000 sat to `peer`.
fn open_command(peer: PublicKey) -> Event {
    Event::Command {
        id: RequestId(1),
        command: Command::OpenChannel(OpenChannelCommand {
            peer,
            capacity: Sat(1_000_000),
            push: Msat(0),
            announce: false,
            funding_feerate: FeeRate::from_sat_per_vb_u32(2),
            commitment_feerate_per_kw: 2_500,
        }),
    }
}

/// One full open, every message through the wire codec.
fn open(alice: &mut Manager, alice_id: PublicKey, bob: &mut Manager, bob_id: PublicKey, n: u8) {
    let mut to_bob = sends(&alice.handle(open_command(bob_id), NOW, [n; 32]));
    let mut opened = false;
    while let Some(message) = to_bob.pop() {
        let to_alice = sends(&bob.handle(
            Event::PeerMessage {
                peer: alice_id,
                message,
            },
            NOW,
            [0; 32],
        ));
        for message in to_alice {
            let actions = alice.handle(
                Event::PeerMessage {
                    peer: bob_id,
                    message,
                },
                NOW,
                [0; 32],
            );
            to_bob.extend(sends(&actions));
            // The chain takes the funding; the call is answered then.
            for action in actions {
                if let Action::Broadcast { tx, report: true } = action {
                    let answer = alice.handle(
                        Event::BroadcastResult {
                            txid: tx.compute_txid(),
                            result: Ok(()),
                        },
                        NOW,
                        [0; 32],
                    );
                    opened |= matches!(reply(answer), Some(Reply::ChannelOpened(_)));
                }
            }
        }
    }
    assert!(opened, "the channel opened");
}

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
