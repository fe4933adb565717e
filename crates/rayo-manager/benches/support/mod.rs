//! What the benchmarks share: two managers with a funded wallet and a
//! connection, the message pump between them, and a full channel open.

#![allow(dead_code)] // each bench uses its own part

use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::{PublicKey, Secp256k1};
use bitcoin::{FeeRate, Network};
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

pub const NOW: u64 = 1_700_000_000;

pub fn manager(seed: u8) -> (Manager, PublicKey) {
    let master = Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap();
    let id = rayo_wallet::node_secret(&master)
        .unwrap()
        .public_key(&Secp256k1::new());
    let config = ManagerConfig::new(Network::Regtest, ChannelPolicy::new(ChainHash::REGTEST));
    let (manager, _) = Manager::restore(config, master, StoredState::default(), NOW).unwrap();
    (manager, id)
}

/// Alice with mature coins, and Bob, connected.
pub fn world() -> (Manager, PublicKey, Manager, PublicKey) {
    let (_, alice, alice_id, bob, bob_id) = world_with_chain();
    (alice, alice_id, bob, bob_id)
}

/// [`world`] and the chain it was mined on.
pub fn world_with_chain() -> (Chain<SqliteStore>, Manager, PublicKey, Manager, PublicKey) {
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
    (chain, alice, alice_id, bob, bob_id)
}

pub fn reply(actions: Vec<Action>) -> Option<Reply> {
    actions.into_iter().find_map(|a| match a {
        Action::Reply { reply, .. } => reply.ok(),
        _ => None,
    })
}

pub fn sends(actions: &[Action]) -> Vec<Message> {
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
pub fn open_command(peer: PublicKey) -> Event {
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
pub fn open(
    alice: &mut Manager,
    alice_id: PublicKey,
    bob: &mut Manager,
    bob_id: PublicKey,
    n: u8,
) -> bitcoin::Transaction {
    let mut funding = None;
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
                    funding = Some(tx.clone());
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
    funding.expect("the funding was broadcast")
}

/// What a message exchange cost.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    /// Handled events whose batch persisted something (one store
    /// transaction, one fsync, each).
    pub persists: u64,
    /// ECDSA signatures sent in `commitment_signed` (commitment and HTLC
    /// signatures; the receiver verifies as many).
    pub signatures: u64,
    /// Messages sent.
    pub messages: u64,
    /// `sendpayment` calls answered with a succeeded payment.
    pub succeeded: u64,
}

/// Delivers messages both ways, in order per direction, until neither
/// side has anything to send. `from_alice` are Alice's first actions.
pub fn pump(
    alice: &mut Manager,
    alice_id: PublicKey,
    bob: &mut Manager,
    bob_id: PublicKey,
    from_alice: Vec<Action>,
) -> Exchange {
    let mut stats = Exchange::default();
    let count = |actions: &[Action], stats: &mut Exchange| {
        if actions.iter().any(|a| matches!(a, Action::Persist(_))) {
            stats.persists += 1;
        }
        for a in actions {
            if let Action::Reply {
                reply: Ok(Reply::Payment(p)),
                ..
            } = a
            {
                if p.state == rayo_manager::PaymentState::Succeeded {
                    stats.succeeded += 1;
                }
            }
            if let Action::Send { message, .. } = a {
                stats.messages += 1;
                if let Message::CommitmentSigned(cs) = message {
                    stats.signatures += 1 + cs.htlc_signatures.len() as u64;
                }
            }
        }
    };
    count(&from_alice, &mut stats);
    let mut to_bob: std::collections::VecDeque<Message> = sends(&from_alice).into();
    let mut to_alice: std::collections::VecDeque<Message> = Default::default();
    while !to_bob.is_empty() || !to_alice.is_empty() {
        if let Some(message) = to_bob.pop_front() {
            let actions = bob.handle(
                Event::PeerMessage {
                    peer: alice_id,
                    message,
                },
                NOW,
                [1; 32],
            );
            count(&actions, &mut stats);
            to_alice.extend(sends(&actions));
        }
        if let Some(message) = to_alice.pop_front() {
            let actions = alice.handle(
                Event::PeerMessage {
                    peer: bob_id,
                    message,
                },
                NOW,
                [2; 32],
            );
            count(&actions, &mut stats);
            to_bob.extend(sends(&actions));
        }
    }
    stats
}

/// Alice and Bob with a usable channel of 1,000,000 sat from Alice.
pub fn usable_channel() -> (Manager, PublicKey, Manager, PublicKey) {
    let (mut chain, mut alice, alice_id, mut bob, bob_id) = world_with_chain();
    let funding = open(&mut alice, alice_id, &mut bob, bob_id, 7);
    chain.accept_transaction(funding, NOW, false).unwrap();
    let miner = rayo_chain::chain::anyone_can_spend().1;
    chain.generate(4, &miner, NOW as u32).unwrap();
    let tip = chain.height();
    let mut readies = Vec::new();
    for height in tip - 3..=tip {
        let block = chain.block(&chain.hash_at(height).unwrap()).unwrap();
        for (m, from_alice) in [(&mut alice, true), (&mut bob, false)] {
            let actions = m.handle(
                Event::BlockConnected {
                    height,
                    block: block.clone(),
                },
                NOW,
                [0; 32],
            );
            readies.push((from_alice, actions));
        }
    }
    for (from_alice, actions) in readies {
        if from_alice {
            pump(&mut alice, alice_id, &mut bob, bob_id, actions);
        } else {
            pump(&mut bob, bob_id, &mut alice, alice_id, actions);
        }
    }
    (alice, alice_id, bob, bob_id)
}
