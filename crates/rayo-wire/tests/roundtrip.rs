//! Property tests: every message type and TLV streams survive encode then
//! decode unchanged; arbitrary bytes never panic a decoder; the transport
//! delivers whatever is framed, however the bytes are chunked.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Init, Message, Ping, Pong, Warning};
use rayo_wire::noise::Transport;
use rayo_wire::secp256k1::{Secp256k1, SecretKey};
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
        (16u16..32768)
            .prop_filter("odd and unassigned", |t| t % 2 == 1
                && *t != 17
                && *t != 19
                && *t != 1)
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
