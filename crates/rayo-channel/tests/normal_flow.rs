//! The BOLT 2 commitment dance between two in-process channels, every
//! message through the wire codec: HTLCs both ways at once, several adds
//! under one `commitment_signed`, fulfills and failures, `update_fee`,
//! retransmission after a disconnection at each point of the dance, and
//! the consequence of each kind of misbehaviour. Every commitment either
//! side ends up holding is checked under Bitcoin Core's consensus code.

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::{Amount, Network, OutPoint, Transaction, TxOut, Txid};
use rayo_chain::coins::Coin;
use rayo_chain::validation::verify_scripts;
use rayo_channel::channel::{accept_channel, Funded, OpenRequest, Outbound};
use rayo_channel::establish::{ChannelPolicy, Consequence};
use rayo_channel::keys::ChannelKeys;
use rayo_channel::normal::{AddHtlcError, FailReason, OutgoingHtlc, UpdateError};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::secp256k1::{All, Secp256k1};
use rayo_wire::update::{RevokeAndAck, UpdateFee, ONION_PACKET_LEN};

const CAPACITY: u64 = 1_000_000;

struct Node {
    channel: Funded,
    keys: ChannelKeys,
    /// Messages to deliver to the other node, in order.
    outbox: Vec<Message>,
    /// Preimages of payments this node was paid, by payment hash.
    paid: Vec<[u8; 32]>,
    /// Payment hashes of our HTLCs the peer claimed (with the preimage).
    succeeded: Vec<[u8; 32]>,
    /// Payment hashes of our HTLCs the peer failed.
    failed: Vec<[u8; 32]>,
    /// Fail incoming HTLCs instead of claiming them.
    refuse: bool,
}

fn keys(seed: u8) -> ChannelKeys {
    let master = Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap();
    ChannelKeys::derive(&Secp256k1::new(), &master, Network::Regtest, 0).unwrap()
}

fn wire(msg: Message) -> Message {
    Message::decode(&msg.encode().unwrap()).unwrap()
}

fn preimage(n: u8) -> [u8; 32] {
    [n; 32]
}

fn hash_of(preimage: &[u8; 32]) -> [u8; 32] {
    sha256::Hash::hash(preimage).to_byte_array()
}

fn offer(amount_msat: u64, n: u8) -> OutgoingHtlc {
    OutgoingHtlc {
        amount: Msat(amount_msat),
        payment_hash: hash_of(&preimage(n)),
        cltv_expiry: 500,
        onion: Box::new([n; ONION_PACKET_LEN]),
    }
}

/// Alice opens a 1,000,000 sat channel to Bob (funding not on a chain:
/// the dance does not look at it), both send `channel_ready` and
/// reestablish, so the link is ready.
fn pair() -> (Node, Node) {
    let secp = Secp256k1::new();
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    let (alice_keys, bob_keys) = (keys(1), keys(2));
    let request = OpenRequest {
        temporary_channel_id: ChannelId([7; 32]),
        capacity: Sat(CAPACITY),
        push: Msat(0),
        feerate_per_kw: 2_500,
        announce: false,
    };
    let (outbound, open) = Outbound::new(&secp, &policy, &alice_keys, &request).unwrap();
    let (inbound, accept) =
        accept_channel(&secp, &policy, &bob_keys, &open, &Features::rayo_init()).unwrap();
    let awaiting = outbound.on_accept_channel(&accept, &policy).unwrap();
    let funding = OutPoint {
        txid: Txid::from_byte_array([3; 32]),
        vout: 0,
    };
    let (awaiting, created) = awaiting
        .funding_created(&secp, &alice_keys, funding)
        .unwrap();
    let (mut bob, signed) = inbound
        .on_funding_created(&secp, &bob_keys, &created)
        .unwrap();
    let mut alice = awaiting
        .on_funding_signed(&secp, &alice_keys, &signed)
        .unwrap();
    let a_ready = alice
        .funding_confirmed(&secp, &alice_keys, 3, 100, 1)
        .unwrap()
        .unwrap();
    let b_ready = bob
        .funding_confirmed(&secp, &bob_keys, 3, 100, 1)
        .unwrap()
        .unwrap();
    alice.on_channel_ready(&b_ready).unwrap();
    bob.on_channel_ready(&a_ready).unwrap();
    let mut alice = node(alice, alice_keys);
    let mut bob = node(bob, bob_keys);
    reconnect(&mut alice, &mut bob);
    // channel_ready is sent again at commitment 1 (BOLT 2); harmless.
    deliver_all(&mut alice, &mut bob);
    (alice, bob)
}

fn node(channel: Funded, keys: ChannelKeys) -> Node {
    Node {
        channel,
        keys,
        outbox: Vec::new(),
        paid: Vec::new(),
        succeeded: Vec::new(),
        failed: Vec::new(),
        refuse: false,
    }
}

/// Both sides exchange `channel_reestablish` and queue what it says to
/// retransmit.
fn reconnect(a: &mut Node, b: &mut Node) {
    let secp = Secp256k1::new();
    a.channel.disconnected();
    b.channel.disconnected();
    a.outbox.clear();
    b.outbox.clear();
    let from_a = a.channel.reestablish(&secp, &a.keys).unwrap();
    let from_b = b.channel.reestablish(&secp, &b.keys).unwrap();
    let Message::ChannelReestablish(from_b) = wire(Message::ChannelReestablish(from_b)) else {
        panic!()
    };
    let Message::ChannelReestablish(from_a) = wire(Message::ChannelReestablish(from_a)) else {
        panic!()
    };
    a.outbox = a.channel.on_reestablish(&secp, &a.keys, &from_b).unwrap();
    b.outbox = b.channel.on_reestablish(&secp, &b.keys, &from_a).unwrap();
    sign(a);
    sign(b);
}

fn sign(node: &mut Node) {
    let secp = Secp256k1::new();
    if let Some(cs) = node.channel.sign(&secp, &node.keys).unwrap() {
        node.outbox.push(Message::CommitmentSigned(cs));
    }
}

/// `to` handles one message from its peer, as a node would: answers go to
/// its outbox, incoming HTLCs are claimed (or failed) once irrevocable, and
/// it signs whenever it has something to sign.
fn handle(to: &mut Node, msg: Message, secp: &Secp256k1<All>) -> Result<(), UpdateError> {
    let ch = &mut to.channel;
    match wire(msg) {
        Message::UpdateAddHtlc(m) => ch.on_update_add_htlc(&m)?,
        Message::UpdateFulfillHtlc(m) => {
            let htlc = ch.on_update_fulfill_htlc(&m)?;
            to.succeeded.push(htlc.payment_hash);
        }
        Message::UpdateFailHtlc(m) => ch.on_update_fail_htlc(&m)?,
        Message::UpdateFailMalformedHtlc(m) => ch.on_update_fail_malformed_htlc(&m)?,
        Message::UpdateFee(m) => ch.on_update_fee(&m, (253, 50_000))?,
        Message::CommitmentSigned(m) => {
            if let Some(raa) = ch.on_commitment_signed(secp, &to.keys, &m)? {
                to.outbox.push(Message::RevokeAndAck(raa));
            }
        }
        Message::RevokeAndAck(m) => {
            let revoked = ch.on_revoke_and_ack(secp, &m)?;
            for failed in revoked.failed {
                assert!(matches!(failed.reason, FailReason::Packet(_)));
                to.failed.push(failed.htlc.payment_hash);
            }
            for add in revoked.incoming {
                let msg = if to.refuse {
                    ch.fail_htlc(add.id, vec![0xfa; 32]).unwrap()
                } else {
                    let p = preimage(add.onion[0]);
                    assert_eq!(
                        hash_of(&p),
                        add.payment_hash,
                        "onion byte names the preimage"
                    );
                    to.paid.push(p);
                    ch.fulfill_htlc(add.id, p).unwrap()
                };
                to.outbox.extend(msg);
            }
        }
        Message::ChannelReady(m) => ch.on_channel_ready(&m).unwrap(),
        other => panic!("unexpected {other:?}"),
    }
    sign(to);
    Ok(())
}

/// Delivers `from`'s outbox to `to`, one message at a time.
fn deliver(from: &mut Node, to: &mut Node) -> Result<usize, UpdateError> {
    let secp = Secp256k1::new();
    let messages = std::mem::take(&mut from.outbox);
    let n = messages.len();
    for msg in messages {
        handle(to, msg, &secp)?;
    }
    Ok(n)
}

/// Runs both directions until neither side has anything to send.
fn deliver_all(a: &mut Node, b: &mut Node) {
    loop {
        let sent = deliver(a, b).unwrap() + deliver(b, a).unwrap();
        if sent == 0 {
            break;
        }
    }
}

fn send(node: &mut Node, htlc: OutgoingHtlc) {
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    let (_, msg) = node.channel.add_htlc(&policy, &htlc).unwrap();
    node.outbox.extend(msg);
    sign(node);
}

/// The node's current commitment, signed by both, is valid under
/// Bitcoin Core's script rules.
fn assert_commitment_valid(node: &Node) -> Transaction {
    let secp = Secp256k1::new();
    let tx = node
        .channel
        .signed_local_commitment(&secp, &node.keys)
        .unwrap();
    let funding = Coin {
        output: TxOut {
            value: Amount::from_sat(CAPACITY),
            script_pubkey: node.channel.setup.funding_script_pubkey(),
        },
        height: 100,
        is_coinbase: false,
    };
    verify_scripts(&tx, &[funding]).expect("commitment valid under consensus");
    tx
}

/// Both sides agree: same HTLCs, mirrored balances, nothing in flight.
fn assert_agree(a: &Node, b: &Node) {
    let (ca, cb) = (&a.channel.commitments, &b.channel.commitments);
    assert!(ca.is_quiescent() && cb.is_quiescent());
    assert_eq!(ca.local.spec.to_local, cb.local.spec.to_remote);
    assert_eq!(ca.local.spec.to_remote, cb.local.spec.to_local);
    assert_eq!(ca.local.spec.htlcs.len(), cb.local.spec.htlcs.len());
    assert_eq!(ca.remote.txid, assert_commitment_valid(b).compute_txid());
    assert_eq!(cb.remote.txid, assert_commitment_valid(a).compute_txid());
    assert_eq!(ca.local.spec.total(), Msat(CAPACITY * 1000));
}

#[test]
fn alice_pays_bob_through_the_full_dance() {
    let (mut alice, mut bob) = pair();
    send(&mut alice, offer(10_000_000, 1));
    deliver_all(&mut alice, &mut bob);
    assert_eq!(bob.paid, vec![preimage(1)]);
    assert_eq!(alice.succeeded, vec![hash_of(&preimage(1))]);
    assert_agree(&alice, &bob);
    assert_eq!(
        bob.channel.commitments.local.spec.to_local,
        Msat(10_000_000)
    );
    // Commitments 0..=3 on each side: add, then fulfill, each one round.
    assert_eq!(alice.channel.commitments.local.number, 2);
    assert_eq!(bob.channel.commitments.local.number, 2);
    let balances = bob.channel.balances();
    assert_eq!(balances.local, Msat(10_000_000));
    assert_eq!(bob.channel.commitments.total_received, Msat(10_000_000));
    assert_eq!(alice.channel.commitments.total_sent, Msat(10_000_000));
    assert_eq!(alice.channel.commitments.total_received, Msat(0));
}

#[test]
fn payments_cross_in_both_directions_and_batch_under_one_signature() {
    let (mut alice, mut bob) = pair();
    send(&mut alice, offer(50_000_000, 1));
    deliver_all(&mut alice, &mut bob);
    // Now both have funds. Three adds from Alice and two from Bob at once.
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    for n in 2..5 {
        let (_, msg) = alice
            .channel
            .add_htlc(&policy, &offer(10_000_000 * u64::from(n), n))
            .unwrap();
        alice.outbox.extend(msg);
    }
    for n in 10..12 {
        let (_, msg) = bob
            .channel
            .add_htlc(&policy, &offer(20_000_000, n))
            .unwrap();
        bob.outbox.extend(msg);
    }
    sign(&mut alice);
    sign(&mut bob);
    // One commitment_signed each, after all their adds.
    assert!(
        matches!(alice.outbox.last(), Some(Message::CommitmentSigned(c)) if c.htlc_signatures.len() == 3)
    );
    assert_eq!(alice.outbox.len(), 4);
    assert_eq!(bob.outbox.len(), 3);
    deliver_all(&mut alice, &mut bob);
    assert_agree(&alice, &bob);
    assert_eq!(bob.paid.len(), 4);
    assert_eq!(alice.paid.len(), 2);
    let expected_bob = 50_000_000 + 20_000_000 + 30_000_000 + 40_000_000 - 2 * 20_000_000;
    assert_eq!(
        bob.channel.commitments.local.spec.to_local,
        Msat(expected_bob)
    );
}

#[test]
fn failed_htlcs_refund_the_sender() {
    let (mut alice, mut bob) = pair();
    bob.refuse = true;
    send(&mut alice, offer(7_000_000, 1));
    deliver_all(&mut alice, &mut bob);
    assert_eq!(alice.failed, vec![hash_of(&preimage(1))]);
    assert!(bob.paid.is_empty());
    assert_agree(&alice, &bob);
    assert_eq!(bob.channel.commitments.local.spec.to_local, Msat(0));
}

#[test]
fn many_htlcs_in_flight_give_valid_commitments_with_htlc_outputs() {
    let (mut alice, mut bob) = pair();
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    // Dust and non-dust HTLCs together, not yet settled.
    bob.refuse = true;
    for (n, amount) in [
        (1u8, 500_000u64),
        (2, 20_000_000),
        (3, 5_000_000),
        (4, 30_000_000),
    ] {
        let (_, msg) = alice.channel.add_htlc(&policy, &offer(amount, n)).unwrap();
        alice.outbox.extend(msg);
    }
    sign(&mut alice);
    // Deliver adds + CS to Bob, his RAA + CS back, Alice's RAA: now the
    // HTLCs are in both commitments; stop before Bob fails them.
    deliver(&mut alice, &mut bob).unwrap();
    deliver(&mut bob, &mut alice).unwrap();
    let a_tx = assert_commitment_valid(&alice);
    let b_tx = assert_commitment_valid(&bob);
    // 500 sat is under the dust limit plus the HTLC fee: trimmed.
    // Bob has no balance yet: one balance output each, three HTLCs.
    assert_eq!(a_tx.output.len(), 1 + 3);
    assert_eq!(b_tx.output.len(), 1 + 3);
    deliver_all(&mut alice, &mut bob);
    assert_agree(&alice, &bob);
}

#[test]
fn the_funder_updates_the_fee_and_the_fundee_may_not() {
    let (mut alice, mut bob) = pair();
    let msg = alice.channel.update_fee(10_000).unwrap();
    alice.outbox.extend(msg);
    sign(&mut alice);
    deliver_all(&mut alice, &mut bob);
    assert_agree(&alice, &bob);
    assert_eq!(bob.channel.commitments.local.spec.feerate_per_kw, 10_000);
    assert_eq!(alice.channel.balances().fee, Sat(7_240));

    // Out of bounds: a warning, the channel lives.
    let too_high = Message::UpdateFee(UpdateFee {
        channel_id: alice.channel.channel_id,
        feerate_per_kw: 1_000_000,
    });
    let err = handle(&mut bob, too_high, &Secp256k1::new()).unwrap_err();
    assert!(matches!(err, UpdateError::FeeOutOfBounds { .. }));
    assert_eq!(err.consequence(), Consequence::Warn);

    // From the fundee: the channel fails.
    assert!(bob.channel.update_fee(5_000).is_err());
    let from_fundee = Message::UpdateFee(UpdateFee {
        channel_id: bob.channel.channel_id,
        feerate_per_kw: 5_000,
    });
    let err = handle(&mut alice, from_fundee, &Secp256k1::new()).unwrap_err();
    assert_eq!(err, UpdateError::FeeFromFundee);
    assert_eq!(err.consequence(), Consequence::Fail);
}

#[test]
fn limits_are_enforced_on_both_sides() {
    let (mut alice, mut bob) = pair();
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    // Bob has nothing to send.
    assert!(matches!(
        bob.channel.add_htlc(&policy, &offer(1_000, 1)),
        Err(AddHtlcError::InsufficientBalance { .. })
    ));
    // Alice cannot send more than her balance minus reserve and fee.
    let sendable = alice.channel.sendable();
    assert!(sendable < Msat(CAPACITY * 1000 - 10_000_000));
    assert!(matches!(
        alice.channel.add_htlc(&policy, &offer(sendable.0 + 1, 1)),
        Err(AddHtlcError::InsufficientBalance { .. })
    ));
    alice
        .channel
        .add_htlc(&policy, &offer(sendable.0, 1))
        .unwrap();
    assert!(matches!(
        alice.channel.add_htlc(&policy, &offer(0, 2)),
        Err(AddHtlcError::BelowMinimum { .. })
    ));
    assert!(matches!(
        alice.channel.add_htlc(
            &policy,
            &OutgoingHtlc {
                cltv_expiry: 500_000_000,
                ..offer(1_000, 3)
            }
        ),
        Err(AddHtlcError::CltvNotAHeight(_))
    ));
    // A peer that breaks the receiver's limits gets a warning.
    let mut over = alice.channel.clone();
    over.commitments.local_changes.proposed.clear();
    over.commitments.next_local_htlc_id = 0;
    let mut lenient = policy.clone();
    lenient.max_dust_htlc_exposure = Msat(u64::MAX);
    let mut msgs = Vec::new();
    for n in 0..=bob.channel.setup.local.max_accepted_htlcs {
        // The sender's own checks would stop at the peer's limit; bypass
        // them by pretending the peer accepts more.
        over.setup.remote.max_accepted_htlcs = u16::MAX;
        let (_, msg) = over.add_htlc(&lenient, &offer(400_000, n as u8)).unwrap();
        msgs.extend(msg);
    }
    let secp = Secp256k1::new();
    let mut result = Ok(());
    for msg in msgs {
        result = handle(&mut bob, msg, &secp);
        if result.is_err() {
            break;
        }
    }
    let err = result.unwrap_err();
    assert_eq!(err, UpdateError::TooManyHtlcs(483));
    assert_eq!(err.consequence(), Consequence::Warn);
}

#[test]
fn a_disconnection_at_each_point_of_the_dance_loses_nothing() {
    // Cut the exchange after k messages, reconnect, and finish: every cut
    // converges to the same balances with each payment settled once.
    for cut in 0..12 {
        let (mut alice, mut bob) = pair();
        send(&mut alice, offer(10_000_000, 1));
        send(&mut alice, offer(2_000_000, 2));
        let secp = Secp256k1::new();
        let mut delivered = 0;
        'cut: loop {
            let mut progressed = false;
            for alice_sends in [true, false] {
                loop {
                    let (from, to) = if alice_sends {
                        (&mut alice, &mut bob)
                    } else {
                        (&mut bob, &mut alice)
                    };
                    if from.outbox.is_empty() {
                        break;
                    }
                    if delivered == cut {
                        break 'cut;
                    }
                    let msg = from.outbox.remove(0);
                    handle(to, msg, &secp).unwrap();
                    delivered += 1;
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
        reconnect(&mut alice, &mut bob);
        deliver_all(&mut alice, &mut bob);
        assert_agree(&alice, &bob);
        assert_eq!(
            bob.channel.commitments.local.spec.to_local,
            Msat(12_000_000),
            "cut after {cut} messages"
        );
        bob.paid.sort();
        bob.paid.dedup();
        assert_eq!(bob.paid.len(), 2, "cut after {cut}");
    }
}

#[test]
fn bad_signatures_and_secrets_get_their_consequence() {
    let (mut alice, mut bob) = pair();
    send(&mut alice, offer(10_000_000, 1));
    // Tamper with the commitment signature.
    let Some(Message::CommitmentSigned(mut cs)) = alice.outbox.pop() else {
        panic!()
    };
    cs.signature = bob_signature_on_nothing();
    let secp = Secp256k1::new();
    let add = alice.outbox.remove(0);
    handle(&mut bob, add, &secp).unwrap();
    let err = handle(&mut bob, Message::CommitmentSigned(cs), &secp).unwrap_err();
    assert_eq!(err, UpdateError::BadCommitmentSignature);
    assert_eq!(err.consequence(), Consequence::Warn);
    // Reconnection: Alice retransmits the genuine update and signature.
    reconnect(&mut alice, &mut bob);
    deliver(&mut alice, &mut bob).unwrap();
    // Bob's revoke_and_ack with a wrong secret fails the channel.
    let pos = bob
        .outbox
        .iter()
        .position(|m| matches!(m, Message::RevokeAndAck(_)))
        .unwrap();
    let Message::RevokeAndAck(raa) = bob.outbox.remove(pos) else {
        panic!()
    };
    let forged = RevokeAndAck {
        per_commitment_secret: [0x11; 32],
        ..raa.clone()
    };
    let err = handle(&mut alice, Message::RevokeAndAck(forged), &secp).unwrap_err();
    assert_eq!(err, UpdateError::BadRevocationSecret(0));
    assert_eq!(err.consequence(), Consequence::Fail);
    // The genuine one is accepted.
    handle(&mut alice, Message::RevokeAndAck(raa), &secp).unwrap();
    // A second revoke_and_ack is unexpected.
    let again = RevokeAndAck {
        channel_id: alice.channel.channel_id,
        per_commitment_secret: [1; 32],
        next_per_commitment_point: alice.channel.setup.remote.points.first_per_commitment_point,
    };
    let err = handle(&mut alice, Message::RevokeAndAck(again), &secp).unwrap_err();
    assert_eq!(err, UpdateError::UnexpectedRevocation);
}

fn bob_signature_on_nothing() -> bitcoin::secp256k1::ecdsa::Signature {
    let secp = Secp256k1::new();
    let key = bitcoin::secp256k1::SecretKey::from_slice(&[5; 32]).unwrap();
    secp.sign_ecdsa(&bitcoin::secp256k1::Message::from_digest([9; 32]), &key)
}

#[test]
fn updates_before_reestablish_are_refused() {
    let (mut alice, mut bob) = pair();
    bob.channel.disconnected();
    send(&mut alice, offer(1_000_000, 1));
    let add = alice.outbox.remove(0);
    let err = handle(&mut bob, add, &Secp256k1::new()).unwrap_err();
    assert_eq!(err, UpdateError::NotReady);
    // After reestablish the queued add goes through.
    reconnect(&mut alice, &mut bob);
    deliver_all(&mut alice, &mut bob);
    assert_agree(&alice, &bob);
    assert_eq!(bob.paid.len(), 1);
}

#[test]
fn each_revealed_secret_revokes_the_commitment_it_names() {
    let (mut alice, mut bob) = pair();
    for n in 1..=5 {
        send(&mut alice, offer(1_000_000, n));
        deliver_all(&mut alice, &mut bob);
    }
    let store = &alice.channel.commitments.their_secrets;
    let bob_number = bob.channel.commitments.local.number;
    assert_eq!(store.revealed_count(), bob_number);
    for n in 0..bob_number {
        let index = rayo_channel::keys::commitment_index(n);
        assert_eq!(
            store.get_secret(index),
            Some(bob.keys.per_commitment_secret(n))
        );
    }
    assert_agree(&alice, &bob);
}
