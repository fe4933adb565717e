//! Channel establishment between two in-process nodes, every message going
//! through the wire codec: Alice opens to Bob, the funding transaction comes
//! from a real wallet and is confirmed on the embedded chain, both first
//! commitments are valid under Bitcoin Core's consensus code, and
//! `channel_ready` makes the channel usable. Misbehaving peers (a bad
//! signature in `funding_created` or `funding_signed`, a changed channel
//! type) are refused before any coin moves.

use bitcoin::bip32::Xpriv;
use bitcoin::{Amount, FeeRate, Network, OutPoint, TxOut};
use rayo_chain::chain::Chain;
use rayo_chain::coins::Coin;
use rayo_chain::store::SqliteStore;
use rayo_chain::validation::verify_scripts;
use rayo_channel::channel::{accept_channel, ChannelError, OpenRequest, Outbound};
use rayo_channel::establish::ChannelPolicy;
use rayo_channel::keys::ChannelKeys;
use rayo_wallet::{AddressType, Recipients, Wallet};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::secp256k1::Secp256k1;

const NOW: u32 = 1_700_000_000;

fn keys(seed: u8) -> ChannelKeys {
    let master = Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap();
    ChannelKeys::derive(&Secp256k1::new(), &master, Network::Regtest, 0).unwrap()
}

/// Encodes and decodes a message, as it would cross the wire.
fn wire(msg: Message) -> Message {
    Message::decode(&msg.encode().unwrap()).unwrap()
}

/// A chain and a wallet with mature coins.
fn funded_wallet() -> (Chain<SqliteStore>, Wallet) {
    let mut chain = Chain::open(SqliteStore::in_memory().unwrap(), NOW).unwrap();
    let master = Xpriv::new_master(Network::Regtest, &[9; 32]).unwrap();
    let mut wallet = Wallet::new(&master, Network::Regtest).unwrap();
    let (address, _) = wallet.reveal_address(AddressType::P2wkh, false).unwrap();
    chain.generate(101, &address.script_pubkey(), NOW).unwrap();
    for height in 0..=chain.height() {
        let block = chain.block(&chain.hash_at(height).unwrap()).unwrap();
        wallet.apply_block(&block, height).unwrap();
    }
    (chain, wallet)
}

fn request() -> OpenRequest {
    OpenRequest {
        temporary_channel_id: ChannelId([42; 32]),
        capacity: Sat(1_000_000),
        push: Msat(0),
        feerate_per_kw: 2_500,
        announce: false,
    }
}

#[test]
fn alice_opens_to_bob_funds_confirms_and_both_are_ready() {
    let secp = Secp256k1::new();
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    let (alice_keys, bob_keys) = (keys(1), keys(2));
    let (mut chain, mut wallet) = funded_wallet();

    let (alice, open) = Outbound::new(&secp, &policy, &alice_keys, &request()).unwrap();
    let Message::OpenChannel(open) = wire(Message::OpenChannel(Box::new(open))) else {
        panic!()
    };
    let (bob, accept) =
        accept_channel(&secp, &policy, &bob_keys, &open, &Features::rayo_init()).unwrap();
    let Message::AcceptChannel(accept) = wire(Message::AcceptChannel(Box::new(accept))) else {
        panic!()
    };
    let alice = alice.on_accept_channel(&accept, &policy).unwrap();

    // The funding transaction: built and signed, not broadcast.
    let script = alice.setup.funding_script_pubkey();
    let spend = wallet
        .build_transaction(
            &Recipients::Pay(vec![(script.clone(), Amount::from_sat(1_000_000))]),
            FeeRate::from_sat_per_vb_u32(2),
            AddressType::P2wkh,
            1,
        )
        .unwrap();
    let funding_tx = wallet.sign(&spend).unwrap();
    let funding = OutPoint {
        txid: funding_tx.compute_txid(),
        vout: 0,
    };
    // BOLT 3: P2WSH of 2 <key1> <key2> 2 OP_CHECKMULTISIG, keys sorted.
    let (a, b) = (open.points.funding_pubkey, accept.points.funding_pubkey);
    let (k1, k2) = if a.serialize() < b.serialize() {
        (a, b)
    } else {
        (b, a)
    };
    let expected = bitcoin::blockdata::script::Builder::new()
        .push_int(2)
        .push_slice(k1.serialize())
        .push_slice(k2.serialize())
        .push_int(2)
        .push_opcode(bitcoin::opcodes::all::OP_CHECKMULTISIG)
        .into_script();
    assert_eq!(
        script,
        bitcoin::ScriptBuf::new_p2wsh(&expected.wscript_hash())
    );
    assert_eq!(funding_tx.output[0].script_pubkey, script);

    let (alice, created) = alice.funding_created(&secp, &alice_keys, funding).unwrap();
    let Message::FundingCreated(created) = wire(Message::FundingCreated(created)) else {
        panic!()
    };
    let (mut bob, signed) = bob.on_funding_created(&secp, &bob_keys, &created).unwrap();
    let Message::FundingSigned(signed) = wire(Message::FundingSigned(signed)) else {
        panic!()
    };
    let mut alice = alice
        .on_funding_signed(&secp, &alice_keys, &signed)
        .unwrap();
    assert_eq!(alice.channel_id, bob.channel_id);

    // Only now is the funding transaction broadcast.
    chain
        .accept_transaction(funding_tx.clone(), NOW.into(), false)
        .unwrap();
    let funding_coin = Coin {
        output: TxOut {
            value: Amount::from_sat(1_000_000),
            script_pubkey: script,
        },
        height: chain.height() + 1,
        is_coinbase: false,
    };
    // Each side's first commitment is fully signed and valid.
    for (funded, keys) in [(&alice, &alice_keys), (&bob, &bob_keys)] {
        let commitment = funded.signed_local_commitment(&secp, keys).unwrap();
        verify_scripts(&commitment, std::slice::from_ref(&funding_coin)).expect("valid commitment");
    }
    // Alice holds everything minus the commitment fee (724 weight at 2500/kw).
    let alice_commitment = alice.signed_local_commitment(&secp, &alice_keys).unwrap();
    assert_eq!(alice_commitment.output.len(), 1);
    assert_eq!(
        alice_commitment.output[0].value,
        Amount::from_sat(1_000_000 - 1_810)
    );

    // Three confirmations, then channel_ready both ways.
    let (anyone, _) = rayo_chain::chain::anyone_can_spend();
    chain.generate(3, &anyone, NOW).unwrap();
    let height = chain.height() - 2;
    let index = chain
        .block(&chain.hash_at(height).unwrap())
        .unwrap()
        .txdata
        .iter()
        .position(|tx| tx.compute_txid() == funding.txid)
        .unwrap() as u32;
    assert!(alice
        .funding_confirmed(&secp, &alice_keys, 2, height, index)
        .unwrap()
        .is_none());
    let alice_ready = alice
        .funding_confirmed(&secp, &alice_keys, 3, height, index)
        .unwrap()
        .unwrap();
    let bob_ready = bob
        .funding_confirmed(&secp, &bob_keys, 3, height, index)
        .unwrap()
        .unwrap();
    let Message::ChannelReady(alice_ready) = wire(Message::ChannelReady(alice_ready)) else {
        panic!()
    };
    let Message::ChannelReady(bob_ready) = wire(Message::ChannelReady(bob_ready)) else {
        panic!()
    };
    assert!(!alice.is_usable());
    alice.on_channel_ready(&bob_ready).unwrap();
    bob.on_channel_ready(&alice_ready).unwrap();
    assert!(alice.is_usable() && bob.is_usable());
    let scid = alice.short_channel_id.unwrap();
    assert_eq!(
        (scid.block(), scid.tx_index(), scid.output_index()),
        (height, index, 0)
    );

    // Reconnection: each side's channel_reestablish is accepted by the
    // other, and channel_ready is sent again.
    let from_alice = alice.reestablish(&secp, &alice_keys).unwrap();
    let Message::ChannelReestablish(from_alice) = wire(Message::ChannelReestablish(from_alice))
    else {
        panic!()
    };
    let resent = bob.on_reestablish(&secp, &bob_keys, &from_alice).unwrap();
    assert!(matches!(resent.as_slice(), [Message::ChannelReady(_)]));
    let mut lying = from_alice;
    lying.next_revocation_number = 5;
    assert!(matches!(
        bob.on_reestablish(&secp, &bob_keys, &lying),
        Err(ChannelError::Reestablish(_))
    ));
}

#[test]
fn bad_signatures_and_changed_channel_types_are_refused() {
    let secp = Secp256k1::new();
    let policy = ChannelPolicy::new(ChainHash::REGTEST);
    let (alice_keys, bob_keys) = (keys(1), keys(2));
    let funding = OutPoint {
        txid: bitcoin::Txid::from_raw_hash(bitcoin::hashes::Hash::all_zeros()),
        vout: 1,
    };

    let (alice, open) = Outbound::new(&secp, &policy, &alice_keys, &request()).unwrap();
    let (bob, accept) =
        accept_channel(&secp, &policy, &bob_keys, &open, &Features::rayo_init()).unwrap();

    // accept_channel with another channel type.
    let mut changed = accept.clone();
    changed.channel_type = Some(Features::empty());
    assert!(alice.clone().on_accept_channel(&changed, &policy).is_err());

    let alice = alice.on_accept_channel(&accept, &policy).unwrap();
    let (alice_waiting, mut created) = alice.funding_created(&secp, &alice_keys, funding).unwrap();
    // A signature by the wrong key.
    let (_, forged) = Outbound::new(&secp, &policy, &bob_keys, &request())
        .map(|(o, _)| o)
        .unwrap()
        .on_accept_channel(&accept, &policy)
        .unwrap()
        .funding_created(&secp, &bob_keys, funding)
        .unwrap();
    created.signature = forged.signature;
    let err = bob
        .clone()
        .on_funding_created(&secp, &bob_keys, &created)
        .unwrap_err();
    assert_eq!(err, ChannelError::BadSignature("funding_created"));
    assert_eq!(
        err.consequence(),
        rayo_channel::establish::Consequence::Fail
    );

    // funding_signed with a signature over something else.
    let (_, good_created) = keys_roundtrip(&secp, &policy, &alice_keys, &accept, funding);
    let (_, mut signed) = bob
        .on_funding_created(&secp, &bob_keys, &good_created)
        .unwrap();
    signed.signature = good_created.signature;
    assert_eq!(
        alice_waiting
            .on_funding_signed(&secp, &alice_keys, &signed)
            .unwrap_err(),
        ChannelError::BadSignature("funding_signed")
    );
}

/// A fresh opener phase for the same channel, and its `funding_created`.
fn keys_roundtrip(
    secp: &Secp256k1<bitcoin::secp256k1::All>,
    policy: &ChannelPolicy,
    keys: &ChannelKeys,
    accept: &rayo_wire::establish::AcceptChannel,
    funding: OutPoint,
) -> (
    rayo_channel::channel::AwaitingFundingSigned,
    rayo_wire::establish::FundingCreated,
) {
    Outbound::new(secp, policy, keys, &request())
        .unwrap()
        .0
        .on_accept_channel(accept, policy)
        .unwrap()
        .funding_created(secp, keys, funding)
        .unwrap()
}
