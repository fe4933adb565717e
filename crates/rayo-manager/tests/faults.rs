//! Bad peers and bad timing against the manager: each test is one point of
//! the node review (issue 8), and each would fail on the node as it was.
//! A "raw" peer here is a key pair that speaks establishment messages built
//! by hand with `rayo-channel`, so it can lie, stall and repeat itself.

mod support;

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{PublicKey, Secp256k1};
use bitcoin::{FeeRate, Network, OutPoint, Txid};
use rayo_channel::channel::{OpenRequest, Outbound};
use rayo_channel::establish::ChannelPolicy;
use rayo_channel::keys::ChannelKeys;
use rayo_manager::record::ChannelPhase;
use rayo_manager::{Command, CommandError, Event, OpenChannelCommand, Reply};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::establish::AcceptChannel;
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Message};
use support::Sim;

const ALICE: usize = 0;
const BOB: usize = 1;

/// A peer that is not a manager: it builds its messages by hand.
struct RawPeer {
    id: PublicKey,
    keys: ChannelKeys,
}

impl RawPeer {
    fn new(seed: u8) -> RawPeer {
        let secp = Secp256k1::new();
        let master = Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap();
        RawPeer {
            id: rayo_wallet::node_secret(&master).unwrap().public_key(&secp),
            keys: ChannelKeys::derive(&secp, &master, Network::Regtest, 0).unwrap(),
        }
    }

    fn open(&self, temporary: u8) -> (Outbound, Message) {
        let request = OpenRequest {
            temporary_channel_id: ChannelId([temporary; 32]),
            capacity: Sat(100_000),
            push: Msat(0),
            feerate_per_kw: 2_500,
            announce: false,
        };
        let (phase, open) = Outbound::new(
            &Secp256k1::new(),
            &ChannelPolicy::new(ChainHash::REGTEST),
            &self.keys,
            &request,
        )
        .unwrap();
        (phase, Message::OpenChannel(Box::new(open)))
    }

    /// A `funding_created` for a made-up funding transaction, with a valid
    /// signature.
    fn fake_funding(&self, phase: Outbound, accept: &AcceptChannel, txid_byte: u8) -> Message {
        let secp = Secp256k1::new();
        let awaiting = phase
            .on_accept_channel(accept, &ChannelPolicy::new(ChainHash::REGTEST))
            .unwrap();
        let funding = OutPoint {
            txid: Txid::from_byte_array([txid_byte; 32]),
            vout: 0,
        };
        let (_, created) = awaiting
            .funding_created(&secp, &self.keys, funding)
            .unwrap();
        Message::FundingCreated(created)
    }
}

fn say(sim: &mut Sim, to: usize, from: &RawPeer, message: Message) {
    sim.deliver(
        to,
        Event::PeerMessage {
            peer: from.id,
            message,
        },
    );
}

fn hello(sim: &mut Sim, to: usize, from: &RawPeer) {
    sim.deliver(
        to,
        Event::PeerConnected {
            peer: from.id,
            features: Features::rayo_init(),
        },
    );
}

fn last_to(sim: &Sim, from: usize, peer: &RawPeer) -> Option<Message> {
    sim.sent_to(from, &peer.id).last().cloned()
}

fn accept_of(message: Option<Message>) -> AcceptChannel {
    match message {
        Some(Message::AcceptChannel(accept)) => *accept,
        other => panic!("expected accept_channel, got {other:?}"),
    }
}

fn error_text(message: Option<Message>) -> String {
    match message {
        Some(Message::Error(e)) => e.printable_data(),
        other => panic!("expected error, got {other:?}"),
    }
}

#[test]
fn inbound_opens_are_keyed_by_peer_and_temporary_id() {
    let mut sim = Sim::synced(1, &["bob"]);
    let (p, q) = (RawPeer::new(7), RawPeer::new(8));
    hello(&mut sim, 0, &p);
    hello(&mut sim, 0, &q);
    // Both peers pick the same temporary id: two separate opens.
    let (phase_p, open_p) = p.open(1);
    let (phase_q, open_q) = q.open(1);
    say(&mut sim, 0, &p, open_p);
    say(&mut sim, 0, &q, open_q);
    let accept_p = accept_of(last_to(&sim, 0, &p));
    let accept_q = accept_of(last_to(&sim, 0, &q));
    // Each funding_created reaches its own open: both become channels.
    say(&mut sim, 0, &p, p.fake_funding(phase_p, &accept_p, 1));
    say(&mut sim, 0, &q, q.fake_funding(phase_q, &accept_q, 2));
    assert!(matches!(
        last_to(&sim, 0, &p),
        Some(Message::FundingSigned(_))
    ));
    assert!(matches!(
        last_to(&sim, 0, &q),
        Some(Message::FundingSigned(_))
    ));
    assert_eq!(sim.manager(0).channels().count(), 2);
}

#[test]
fn a_thousand_fake_funding_created_leave_one_channel_per_peer() {
    let mut sim = Sim::synced(1, &["bob"]);
    let mallory = RawPeer::new(9);
    hello(&mut sim, 0, &mallory);
    for n in 0..1000u32 {
        let (phase, open) = mallory.open((n % 250) as u8 + 1);
        say(&mut sim, 0, &mallory, open);
        match last_to(&sim, 0, &mallory) {
            Some(Message::AcceptChannel(accept)) => {
                say(
                    &mut sim,
                    0,
                    &mallory,
                    mallory.fake_funding(phase, &accept, (n % 250) as u8),
                );
            }
            Some(Message::Error(e)) => {
                assert!(
                    e.printable_data().contains("too many pending channels"),
                    "{e:?}"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    // One unconfirmed inbound channel per peer (lnd's --maxpendingchannels
    // default): the other 999 were refused before any row was written.
    assert_eq!(sim.manager(0).channels().count(), 1);
    assert_eq!(sim.nodes[0].store.channels().len(), 1);
    // Another peer is not blocked by Mallory.
    let honest = RawPeer::new(10);
    hello(&mut sim, 0, &honest);
    say(&mut sim, 0, &honest, honest.open(1).1);
    accept_of(last_to(&sim, 0, &honest));
}

#[test]
fn the_global_pending_limit_holds_across_peers() {
    let mut sim = Sim::synced(1, &["bob"]);
    sim.configure(0, |c| c.max_pending_total = 2);
    for seed in 20..22 {
        let peer = RawPeer::new(seed);
        hello(&mut sim, 0, &peer);
        say(&mut sim, 0, &peer, peer.open(1).1);
        accept_of(last_to(&sim, 0, &peer));
    }
    let third = RawPeer::new(23);
    hello(&mut sim, 0, &third);
    say(&mut sim, 0, &third, third.open(1).1);
    assert!(error_text(last_to(&sim, 0, &third)).contains("in total"));
}

#[test]
fn an_idle_peer_holding_an_open_times_out_and_frees_its_slot() {
    let mut sim = Sim::synced(1, &["bob"]);
    let idle = RawPeer::new(11);
    hello(&mut sim, 0, &idle);
    say(&mut sim, 0, &idle, idle.open(1).1);
    accept_of(last_to(&sim, 0, &idle));
    // Its second open waits for the first.
    say(&mut sim, 0, &idle, idle.open(2).1);
    assert!(error_text(last_to(&sim, 0, &idle)).contains("per peer"));
    // It never sends funding_created: after the timeout the open is failed.
    sim.advance(61);
    let text = error_text(last_to(&sim, 0, &idle));
    assert!(text.contains("timed out"), "{text}");
    say(&mut sim, 0, &idle, idle.open(3).1);
    accept_of(last_to(&sim, 0, &idle));
}

#[test]
fn unknown_channels_get_error_and_out_of_phase_messages_a_warning() {
    let mut sim = Sim::synced(1, &["bob"]);
    let peer = RawPeer::new(12);
    hello(&mut sim, 0, &peer);
    // BOLT 1: a channel message for an unknown channel gets an error
    // naming it.
    let (phase, open) = peer.open(5);
    let accept = accept_for(&mut sim, &peer, open);
    say(&mut sim, 0, &peer, peer.fake_funding(phase, &accept, 3));
    let Some(Message::FundingSigned(signed)) = last_to(&sim, 0, &peer) else {
        panic!("funding_signed expected");
    };
    let ready = Message::ChannelReady(rayo_wire::establish::ChannelReady {
        channel_id: ChannelId([0x44; 32]),
        second_per_commitment_point: peer
            .keys
            .per_commitment_point(&Secp256k1::new(), 1)
            .unwrap(),
        short_channel_id_alias: None,
    });
    say(&mut sim, 0, &peer, ready);
    let Some(Message::Error(e)) = last_to(&sim, 0, &peer) else {
        panic!("error expected");
    };
    assert_eq!(e.channel_id, ChannelId([0x44; 32]));
    // A second funding_signed for our funded channel is out of phase: a
    // warning and a disconnect, and the channel is kept.
    say(&mut sim, 0, &peer, Message::FundingSigned(signed));
    let Some(Message::Warning(w)) = last_to(&sim, 0, &peer) else {
        panic!("warning expected");
    };
    assert_eq!(w.channel_id, signed.channel_id);
    assert_eq!(sim.disconnects, vec![(0, peer.id)]);
    assert_eq!(sim.manager(0).channels().count(), 1);
}

fn accept_for(sim: &mut Sim, peer: &RawPeer, open: Message) -> AcceptChannel {
    say(sim, 0, peer, open);
    accept_of(last_to(sim, 0, peer))
}

#[test]
fn a_fundee_forgets_a_channel_whose_funding_never_confirms_in_2016_blocks() {
    let mut sim = Sim::synced(1, &["bob"]);
    let funded_at = sim.chain.height();
    let peer = RawPeer::new(13);
    hello(&mut sim, 0, &peer);
    let (phase, open) = peer.open(1);
    let accept = accept_for(&mut sim, &peer, open);
    say(&mut sim, 0, &peer, peer.fake_funding(phase, &accept, 4));
    assert_eq!(sim.manager(0).channels().count(), 1);
    sim.mine(2015);
    sim.sync_all();
    assert_eq!(sim.chain.height(), funded_at + 2015);
    assert_eq!(sim.manager(0).channels().count(), 1, "kept for 2015 blocks");
    sim.mine(1);
    sim.sync_all();
    assert_eq!(sim.manager(0).channels().count(), 0, "forgotten at 2016");
    assert!(sim.nodes[0].store.channels().is_empty());
    assert!(error_text(last_to(&sim, 0, &peer)).contains("timed out"));
}

/// Alice and Bob with a confirmed, usable channel.
fn open_channel() -> (Sim, ChannelId) {
    let mut sim = Sim::funded_pair(3);
    let bob = sim.nodes[BOB].id;
    let id = sim.ask(ALICE, open_to(bob, Sat(500_000)));
    sim.settle();
    assert!(matches!(
        sim.nodes[ALICE].replies.get(&id),
        Some(Ok(Reply::ChannelOpened(_)))
    ));
    sim.mine(3);
    sim.sync_all();
    sim.settle();
    let channel = sim.manager(ALICE).channels().next().unwrap().channel_id();
    assert!(sim
        .manager(ALICE)
        .channels()
        .next()
        .unwrap()
        .funded()
        .unwrap()
        .is_usable());
    (sim, channel)
}

fn open_to(peer: PublicKey, capacity: Sat) -> Command {
    Command::OpenChannel(OpenChannelCommand {
        peer,
        capacity,
        push: Msat(0),
        announce: false,
        funding_feerate: FeeRate::from_sat_per_vb_u32(1),
        commitment_feerate_per_kw: 253,
    })
}

#[test]
fn a_peer_error_on_a_funded_channel_is_recorded_and_shown() {
    let (mut sim, id) = open_channel();
    let bob = sim.nodes[BOB].id;
    sim.deliver(
        ALICE,
        Event::PeerMessage {
            peer: bob,
            message: Message::Error(ErrorMessage {
                channel_id: id,
                data: b"internal error, sorry".to_vec(),
            }),
        },
    );
    let record = sim.manager(ALICE).channels().next().unwrap().clone();
    let channel = record.funded().unwrap();
    assert!(!channel.is_usable());
    assert_eq!(
        channel.failure.as_ref().unwrap().reason,
        "internal error, sorry"
    );
    assert_eq!(
        channel.status_flags(),
        "ChanStatusBorked|ChanStatusRemoteCloseInitiator"
    );
    // Durable: a restart shows it too, and the reconnected peer's
    // channel_reestablish is answered with an error, not channel_ready.
    let before = sim.sent_to(ALICE, &bob).len();
    sim.crash_node(ALICE);
    let channel = sim.manager(ALICE).channels().next().unwrap().clone();
    assert!(channel.funded().unwrap().failure.is_some());
    sim.settle();
    let to_bob = sim.sent_to(ALICE, &bob);
    let after_restart = &to_bob[before..];
    assert!(
        after_restart
            .iter()
            .any(|m| matches!(m, Message::Error(e) if e.channel_id == id)),
        "{after_restart:?}"
    );
    assert!(!after_restart
        .iter()
        .any(|m| matches!(m, Message::ChannelReady(_) | Message::ChannelReestablish(_))));
}

#[test]
fn a_spent_funding_output_marks_the_channel_closed_on_chain() {
    let (mut sim, id) = open_channel();
    // Bob broadcasts his commitment (signed by Alice at funding): the
    // funding output is spent.
    let bob_record = sim.manager(BOB).channels().next().unwrap().clone();
    let ChannelPhase::Funded(channel) = &bob_record.phase else {
        panic!()
    };
    let secp = Secp256k1::new();
    let master = Xpriv::new_master(Network::Regtest, &[2; 32]).unwrap();
    let keys = ChannelKeys::derive(&secp, &master, Network::Regtest, bob_record.key_index).unwrap();
    let commitment = channel.phase.signed_local_commitment(&secp, &keys).unwrap();
    let txid = commitment.compute_txid();
    sim.chain
        .accept_transaction(commitment, sim.now, false)
        .unwrap();
    sim.mine(1);
    sim.sync_all();
    for i in [ALICE, BOB] {
        let record = sim
            .manager(i)
            .channels()
            .find(|c| c.channel_id() == id)
            .unwrap()
            .clone();
        match &record.phase {
            ChannelPhase::ClosedOnChain {
                spending_txid,
                height,
                ..
            } => {
                assert_eq!(*spending_txid, txid);
                assert_eq!(*height, sim.chain.height());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn no_open_completes_after_its_call_timed_out() {
    let mut sim = Sim::funded_pair(4);
    let bob = sim.nodes[BOB].id;
    let request = sim.ask(ALICE, open_to(bob, Sat(300_000)));
    // Deliver until Bob's funding_signed is on its way, then stall it past
    // Alice's timeout.
    while !sim
        .sent
        .iter()
        .any(|(_, _, m)| matches!(m, Message::FundingSigned(_)))
    {
        assert!(sim.step_network());
    }
    sim.advance(61);
    match sim.nodes[ALICE].replies.get(&request) {
        Some(Err(CommandError::FailedPrecondition(text))) => {
            assert!(text.contains("timed out"), "{text}")
        }
        other => panic!("{other:?}"),
    }
    sim.settle();
    // The late funding_signed found nothing: no broadcast, coins unlocked.
    assert_eq!(sim.chain.mempool().len(), 0);
    assert_eq!(sim.manager(ALICE).wallet().locked().count(), 0);
    assert_eq!(sim.manager(ALICE).channels().count(), 0);
}

#[test]
fn openchannel_refuses_a_channel_under_the_minimum_size() {
    let mut sim = Sim::new(5, &["alice", "bob"]);
    sim.connect(ALICE, BOB);
    sim.settle();
    let bob = sim.nodes[BOB].id;
    match sim.call(ALICE, open_to(bob, Sat(100))) {
        Some(Err(CommandError::InvalidArgument(text))) => {
            assert!(
                text.contains("under the minimum channel size of 20000 sat"),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_peer_cannot_fail_another_peers_channel() {
    let (mut sim, id) = open_channel();
    // Mallory names Alice and Bob's channel id as her temporary id, twice
    // (the second is refused as a duplicate, with an error for that id).
    let mallory = RawPeer::new(14);
    hello(&mut sim, ALICE, &mallory);
    let (_, open) = mallory.open(1);
    let Message::OpenChannel(mut open) = open else {
        unreachable!()
    };
    open.temporary_channel_id = id;
    for _ in 0..2 {
        say(
            &mut sim,
            ALICE,
            &mallory,
            Message::OpenChannel(open.clone()),
        );
    }
    assert!(matches!(
        last_to(&sim, ALICE, &mallory),
        Some(Message::Error(_))
    ));
    // An error from Mallory naming it does nothing either.
    say(
        &mut sim,
        ALICE,
        &mallory,
        Message::Error(ErrorMessage {
            channel_id: id,
            data: b"closing your channel".to_vec(),
        }),
    );
    let record = sim
        .manager(ALICE)
        .channels()
        .find(|c| c.channel_id() == id)
        .unwrap();
    let channel = record.funded().unwrap();
    assert!(channel.is_usable(), "{:?}", channel.failure);
    assert_eq!(channel.status_flags(), "ChanStatusDefault");
}

#[test]
fn a_node_not_synced_refuses_inbound_opens() {
    let mut sim = Sim::new(1, &["bob"]);
    let peer = RawPeer::new(15);
    hello(&mut sim, 0, &peer);
    say(&mut sim, 0, &peer, peer.open(1).1);
    assert!(error_text(last_to(&sim, 0, &peer)).contains("not synced"));
    sim.mine(1);
    sim.sync_all();
    say(&mut sim, 0, &peer, peer.open(2).1);
    accept_of(last_to(&sim, 0, &peer));
}

#[test]
fn failing_a_fake_inbound_channel_forgets_it_so_fakes_cannot_pile_up() {
    let mut sim = Sim::synced(1, &["bob"]);
    let mallory = RawPeer::new(16);
    hello(&mut sim, 0, &mallory);
    for round in 1..=20u8 {
        let (phase, open) = mallory.open(round);
        let accept = accept_for(&mut sim, &mallory, open);
        say(
            &mut sim,
            0,
            &mallory,
            mallory.fake_funding(phase, &accept, round),
        );
        let Some(Message::FundingSigned(signed)) = last_to(&sim, 0, &mallory) else {
            panic!("round {round}: funding_signed expected");
        };
        // A reestablish that fails the channel (next_commitment_number 0).
        say(
            &mut sim,
            0,
            &mallory,
            Message::ChannelReestablish(rayo_wire::establish::ChannelReestablish {
                channel_id: signed.channel_id,
                next_commitment_number: 0,
                next_revocation_number: 0,
                your_last_per_commitment_secret: [0; 32],
                my_current_per_commitment_point: mallory
                    .keys
                    .per_commitment_point(&Secp256k1::new(), 0)
                    .unwrap(),
                next_funding: None,
                my_current_funding_locked: None,
            }),
        );
        assert!(matches!(
            last_to(&sim, 0, &mallory),
            Some(Message::Error(_))
        ));
    }
    assert!(
        sim.manager(0).channels().count() <= 1,
        "failed fakes are forgotten"
    );
    assert!(sim.nodes[0].store.channels().len() <= 1);
    // And so are their watches.
    let outpoints = sim.nodes[0]
        .watches
        .iter()
        .filter(|w| matches!(w, rayo_manager::Watch::Outpoint(_)))
        .count();
    assert!(
        outpoints <= 1,
        "{outpoints} funding outpoints still watched"
    );
}

#[test]
fn a_message_naming_the_all_zero_channel_gets_a_warning_not_an_error() {
    let mut sim = Sim::synced(1, &["bob"]);
    let peer = RawPeer::new(17);
    hello(&mut sim, 0, &peer);
    let ready = Message::ChannelReady(rayo_wire::establish::ChannelReady {
        channel_id: ChannelId::ALL,
        second_per_commitment_point: peer
            .keys
            .per_commitment_point(&Secp256k1::new(), 1)
            .unwrap(),
        short_channel_id_alias: None,
    });
    say(&mut sim, 0, &peer, ready);
    // BOLT 1: an error with id 0 would fail every channel with us.
    assert!(matches!(last_to(&sim, 0, &peer), Some(Message::Warning(_))));
}

#[test]
fn a_reorged_out_funding_is_pending_again_and_confirms_anew() {
    let (mut sim, id) = open_channel();
    let confirmed_at = sim.chain.height() - 2;
    // Take the three blocks away (from the funding's block up).
    let first = sim.chain.hash_at(confirmed_at).unwrap();
    sim.chain.invalidate_block(&first, sim.now as u32).unwrap();
    for i in [ALICE, BOB] {
        let tip_height = sim.chain.height();
        sim.deliver(
            i,
            rayo_manager::Event::BlocksDisconnected { height: tip_height },
        );
        let record = sim
            .manager(i)
            .channels()
            .find(|c| c.channel_id() == id)
            .unwrap();
        let channel = record.funded().unwrap();
        assert!(channel.confirmation.is_none());
        assert!(channel.phase.short_channel_id.is_none());
        assert!(!channel.is_usable());
    }
    // The funding is back in the mempool; mined again, it confirms again.
    sim.mine(3);
    sim.sync_all();
    sim.settle();
    for i in [ALICE, BOB] {
        let record = sim
            .manager(i)
            .channels()
            .find(|c| c.channel_id() == id)
            .unwrap();
        let channel = record.funded().unwrap();
        assert!(channel.is_usable());
        let scid = channel.phase.short_channel_id.unwrap();
        assert_eq!(scid.block(), channel.confirmation.unwrap().height);
    }
}

#[test]
fn an_open_whose_caller_went_away_never_completes() {
    let mut sim = Sim::funded_pair(6);
    let bob = sim.nodes[BOB].id;
    let request = sim.ask(ALICE, open_to(bob, Sat(300_000)));
    // The REST connection closes before Bob answers.
    sim.deliver(ALICE, Event::CallDropped { id: request });
    sim.settle();
    assert_eq!(sim.chain.mempool().len(), 0, "nothing broadcast");
    assert_eq!(sim.manager(ALICE).channels().count(), 0);
    assert_eq!(sim.manager(ALICE).wallet().locked().count(), 0);
    assert!(sim
        .sent_to(ALICE, &bob)
        .iter()
        .any(|m| matches!(m, Message::Error(e) if e.printable_data().contains("cancelled"))));
}

#[test]
fn a_double_spent_funding_forgets_its_channel() {
    let mut sim = Sim::funded_pair(7);
    let bob = sim.nodes[BOB].id;
    let request = sim.ask(ALICE, open_to(bob, Sat(300_000)));
    sim.settle();
    let Some(Ok(Reply::ChannelOpened(funding))) = sim.nodes[ALICE].replies.get(&request).cloned()
    else {
        panic!("the open completes");
    };
    // The chain says the funding can never confirm (its inputs are spent).
    sim.deliver(
        ALICE,
        Event::TransactionRejected {
            txid: funding.txid,
            reason: "bad-txns-inputs-missingorspent".into(),
        },
    );
    sim.settle();
    assert_eq!(sim.manager(ALICE).channels().count(), 0);
    assert!(sim
        .manager(ALICE)
        .wallet()
        .transaction(&funding.txid)
        .is_none());
    // Bob was told, and forgot his side (nothing of his was at stake).
    assert_eq!(sim.manager(BOB).channels().count(), 0);
}
