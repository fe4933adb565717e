//! Property tests: every message type and TLV streams survive encode then
//! decode unchanged; arbitrary bytes never panic a decoder; the transport
//! delivers whatever is framed, however the bytes are chunked.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::bitcoin::hashes::Hash;
use rayo_wire::bitcoin::Txid;
use rayo_wire::establish::{
    AcceptChannel, ChannelPoints, ChannelReady, ChannelReestablish, FundingCreated, FundingSigned,
    OpenChannel,
};
use rayo_wire::features::Features;
use rayo_wire::ids::{ChannelId, ShortChannelId};
use rayo_wire::message::{ErrorMessage, Init, Message, Ping, Pong, Warning};
use rayo_wire::noise::Transport;
use rayo_wire::secp256k1::{ecdsa::Signature, PublicKey, Secp256k1, SecretKey};
use rayo_wire::tlv::{TlvReader, TlvWriter};

fn features() -> impl Strategy<Value = Features> {
    vec(any::<u8>(), 0..40).prop_map(|b| Features::from_wire(&b))
}

fn init() -> impl Strategy<Value = Init> {
    (
        features(),
        proptest::option::of(vec(any::<[u8; 32]>().prop_map(ChainHash::from), 0..8)),
        proptest::option::of(vec(any::<u8>(), 0..64)),
    )
        .prop_map(|(features, networks, remote_addr)| Init {
            features,
            networks,
            remote_addr,
        })
}

fn point() -> impl Strategy<Value = PublicKey> {
    (1u8..=127).prop_map(|b| {
        SecretKey::from_slice(&[b; 32])
            .unwrap()
            .public_key(&Secp256k1::new())
    })
}

fn points() -> impl Strategy<Value = ChannelPoints> {
    (point(), point(), point(), point(), point(), point()).prop_map(|(a, b, c, d, e, f)| {
        ChannelPoints {
            funding_pubkey: a,
            revocation_basepoint: b,
            payment_basepoint: c,
            delayed_payment_basepoint: d,
            htlc_basepoint: e,
            first_per_commitment_point: f,
        }
    })
}

fn signature() -> impl Strategy<Value = Signature> {
    (1u8..=127, 1u8..=127).prop_map(|(r, s)| {
        let mut bytes = [0u8; 64];
        bytes[31] = r;
        bytes[63] = s;
        Signature::from_compact(&bytes).unwrap()
    })
}

fn channel_message() -> impl Strategy<Value = Message> {
    let amounts = (
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    );
    let tlvs = || {
        (
            proptest::option::of(vec(any::<u8>(), 0..40)),
            proptest::option::of(features()),
        )
    };
    let txid = any::<[u8; 32]>().prop_map(Txid::from_byte_array);
    prop_oneof![
        (
            any::<[u8; 32]>(),
            amounts,
            any::<(u32, u16, u16, u8)>(),
            points(),
            tlvs()
        )
            .prop_map(
                |(id, a, (rate, delay, max, flags), points, (shutdown, channel_type))| {
                    Message::OpenChannel(Box::new(OpenChannel {
                        chain_hash: ChainHash::REGTEST,
                        temporary_channel_id: ChannelId(id),
                        funding_satoshis: Sat(a.0),
                        push_msat: Msat(a.1),
                        dust_limit_satoshis: Sat(a.2),
                        max_htlc_value_in_flight_msat: Msat(a.3),
                        channel_reserve_satoshis: Sat(a.4),
                        htlc_minimum_msat: Msat(a.5),
                        feerate_per_kw: rate,
                        to_self_delay: delay,
                        max_accepted_htlcs: max,
                        points,
                        channel_flags: flags,
                        upfront_shutdown_script: shutdown,
                        channel_type,
                    }))
                }
            ),
        (
            any::<[u8; 32]>(),
            amounts,
            any::<(u32, u16, u16)>(),
            points(),
            tlvs()
        )
            .prop_map(
                |(id, a, (depth, delay, max), points, (shutdown, channel_type))| {
                    Message::AcceptChannel(Box::new(AcceptChannel {
                        temporary_channel_id: ChannelId(id),
                        dust_limit_satoshis: Sat(a.0),
                        max_htlc_value_in_flight_msat: Msat(a.1),
                        channel_reserve_satoshis: Sat(a.2),
                        htlc_minimum_msat: Msat(a.3),
                        minimum_depth: depth,
                        to_self_delay: delay,
                        max_accepted_htlcs: max,
                        points,
                        upfront_shutdown_script: shutdown,
                        channel_type,
                    }))
                }
            ),
        (any::<[u8; 32]>(), txid.clone(), any::<u16>(), signature()).prop_map(
            |(id, txid, index, signature)| {
                Message::FundingCreated(FundingCreated {
                    temporary_channel_id: ChannelId(id),
                    funding_txid: txid,
                    funding_output_index: index,
                    signature,
                })
            }
        ),
        (any::<[u8; 32]>(), signature()).prop_map(|(id, signature)| Message::FundingSigned(
            FundingSigned {
                channel_id: ChannelId(id),
                signature,
            }
        )),
        (
            any::<[u8; 32]>(),
            point(),
            proptest::option::of(any::<u64>())
        )
            .prop_map(|(id, point, alias)| {
                Message::ChannelReady(ChannelReady {
                    channel_id: ChannelId(id),
                    second_per_commitment_point: point,
                    short_channel_id_alias: alias.map(ShortChannelId),
                })
            }),
        (
            any::<[u8; 32]>(),
            any::<(u64, u64, [u8; 32])>(),
            point(),
            proptest::option::of((txid.clone(), any::<u8>())),
            proptest::option::of((txid, any::<u8>())),
        )
            .prop_map(|(id, (next, revocation, secret), point, funding, locked)| {
                Message::ChannelReestablish(ChannelReestablish {
                    channel_id: ChannelId(id),
                    next_commitment_number: next,
                    next_revocation_number: revocation,
                    your_last_per_commitment_secret: secret,
                    my_current_per_commitment_point: point,
                    next_funding: funding,
                    my_current_funding_locked: locked,
                })
            }),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    let channel_text = (any::<[u8; 32]>(), vec(any::<u8>(), 0..600));
    prop_oneof![
        init().prop_map(Message::Init),
        channel_text
            .clone()
            .prop_map(|(id, data)| Message::Error(ErrorMessage {
                channel_id: ChannelId(id),
                data
            })),
        channel_text.prop_map(|(id, data)| Message::Warning(Warning {
            channel_id: ChannelId(id),
            data
        })),
        (any::<u16>(), vec(any::<u8>(), 0..600)).prop_map(|(num_pong_bytes, ignored)| {
            Message::Ping(Ping {
                num_pong_bytes,
                ignored,
            })
        }),
        vec(any::<u8>(), 0..600).prop_map(|ignored| Message::Pong(Pong { ignored })),
        channel_message(),
        (256u16..=259).prop_map(|msg_type| Message::Gossip { msg_type }),
        (16u16..32768)
            .prop_filter("odd and unassigned", |t| t % 2 == 1
                && ![17, 19, 33, 35, 131, 133, 135].contains(t)
                && !(256..=265).contains(t))
            .prop_map(|msg_type| Message::Unknown { msg_type }),
    ]
}

proptest! {
    #[test]
    fn every_message_round_trips(msg in message()) {
        let bytes = msg.encode().unwrap();
        prop_assert_eq!(Message::decode(&bytes).unwrap(), msg);
    }

    #[test]
    fn tlv_streams_round_trip(records in btree_map(any::<u64>(), vec(any::<u8>(), 0..300), 0..12)) {
        let mut bytes = Vec::new();
        let mut writer = TlvWriter::new(&mut bytes);
        for (ty, value) in &records {
            writer.record(*ty, value);
        }
        let decoded: BTreeMap<u64, Vec<u8>> = TlvReader::new(&bytes)
            .map(|r| r.map(|r| (r.ty, r.value.to_vec())))
            .collect::<Result<_, _>>()
            .unwrap();
        prop_assert_eq!(decoded, records);
    }

    #[test]
    fn decoders_never_panic_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..2000)) {
        let _ = Message::decode(&bytes);
        let _ = TlvReader::new(&bytes).count();
    }

    #[test]
    fn transport_delivers_messages_in_any_chunking(
        msgs in vec(vec(any::<u8>(), 0..3000), 1..20),
        chunk in 1usize..5000,
    ) {
        let secp = Secp256k1::new();
        let pk = SecretKey::from_slice(&[7; 32]).unwrap().public_key(&secp);
        let (mut a, mut b) = (
            Transport::new(pk, [1; 32], [2; 32], [3; 32]),
            Transport::new(pk, [1; 32], [3; 32], [2; 32]),
        );
        let mut wire = Vec::new();
        for m in &msgs {
            a.encryptor.encrypt_into(m, &mut wire).unwrap();
        }
        let mut received = Vec::new();
        for piece in wire.chunks(chunk) {
            b.decryptor.feed(piece);
            while let Some(m) = b.decryptor.next_message().unwrap() {
                received.push(m);
            }
        }
        prop_assert_eq!(received, msgs);
    }
}
