//! BOLT 1 message rules: the odd/even rule for message types, malformed
//! payloads, the `networks` TLV and the ping/pong requirements.

use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::features::{Feature, Features};
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Init, Message, Ping};
use rayo_wire::ser::DecodeError;

#[test]
fn unknown_odd_type_is_ignored_and_unknown_even_type_is_an_error() {
    assert_eq!(
        Message::decode(&[0x80, 0x01, 0xde, 0xad]),
        Ok(Message::Unknown { msg_type: 0x8001 })
    );
    assert_eq!(
        Message::decode(&[0x80, 0x02, 0x01]),
        Err(DecodeError::UnknownEvenMessage(0x8002))
    );
    // BOLT 7 gossip (even channel_update, 258) is known: never a reason to
    // disconnect, even though Rayo does not decode it yet.
    assert_eq!(
        Message::decode(&[0x01, 0x02, 0xaa]),
        Ok(Message::Gossip { msg_type: 258 })
    );
    // A known even type cut short is malformed, not unknown.
    assert_eq!(
        Message::decode(&[0x00, 0x20, 0x01]),
        Err(DecodeError::UnexpectedEof)
    );
    assert_eq!(
        Message::decode(&[0x00]),
        Err(DecodeError::MissingMessageType)
    );
}

#[test]
fn truncated_payloads_are_errors() {
    let ping = Message::Ping(Ping {
        num_pong_bytes: 4,
        ignored: vec![0; 10],
    })
    .encode()
    .unwrap();
    for len in 2..ping.len() {
        assert_eq!(
            Message::decode(&ping[..len]),
            Err(DecodeError::UnexpectedEof),
            "ping cut at {len}"
        );
    }
    // An error message whose data length runs past the end.
    let mut error = vec![0x00, 0x11];
    error.extend_from_slice(&[0; 32]);
    error.extend_from_slice(&[0xff, 0xff, b'x']);
    assert_eq!(Message::decode(&error), Err(DecodeError::UnexpectedEof));
}

#[test]
fn extensions_of_messages_without_tlvs_follow_the_even_odd_rule() {
    let mut pong = Message::Pong(rayo_wire::message::Pong { ignored: vec![1] })
        .encode()
        .unwrap();
    pong.extend_from_slice(&[0x05, 0x00]);
    assert!(matches!(Message::decode(&pong), Ok(Message::Pong(_))));
    pong.extend_from_slice(&[0x06, 0x00]);
    assert_eq!(Message::decode(&pong), Err(DecodeError::UnknownEvenTlv(6)));
}

#[test]
fn init_carries_networks_and_combines_feature_fields() {
    let init = Init {
        features: Features::rayo_init(),
        networks: Some(vec![ChainHash::REGTEST, ChainHash::SIGNET]),
        remote_addr: Some(vec![1, 127, 0, 0, 1, 0x26, 0x07]),
    };
    let bytes = Message::Init(init.clone()).encode().unwrap();
    assert_eq!(Message::decode(&bytes), Ok(Message::Init(init)));

    // globalfeatures bit 0 plus features bit 9 read as one vector.
    let raw = [0x00, 0x10, 0x00, 0x01, 0x01, 0x00, 0x02, 0x02, 0x00];
    let Ok(Message::Init(init)) = Message::decode(&raw) else {
        panic!("valid init rejected")
    };
    assert!(init.features.requires(Feature::DataLossProtect));
    assert!(init.features.supports(Feature::VarOnionOptin));

    // A networks value that is not a whole number of chain hashes.
    let mut bad = vec![0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01, 0x21];
    bad.extend_from_slice(&[0; 33]);
    assert_eq!(
        Message::decode(&bad),
        Err(DecodeError::TlvBadValue { ty: 1 })
    );
}

#[test]
fn ping_asks_for_a_pong_of_its_length_below_65532() {
    let ping = |n| Ping {
        num_pong_bytes: n,
        ignored: vec![],
    };
    assert_eq!(ping(0).response().unwrap().ignored.len(), 0);
    assert_eq!(ping(65531).response().unwrap().ignored.len(), 65531);
    assert_eq!(ping(65532).response(), None);
    assert_eq!(ping(65535).response(), None);
}

#[test]
fn oversized_fields_cannot_be_encoded() {
    let msg = Message::Error(ErrorMessage {
        channel_id: ChannelId::ALL,
        data: vec![b'x'; 65536],
    });
    assert!(msg.encode().is_err());
    // Fits its u16 prefix but not the 65535-byte message limit.
    let msg = Message::Error(ErrorMessage {
        channel_id: ChannelId::ALL,
        data: vec![b'x'; 65535],
    });
    assert!(msg.encode().is_err());
}

#[test]
fn error_data_is_printed_only_when_printable() {
    let e = |data: &[u8]| ErrorMessage {
        channel_id: ChannelId::ALL,
        data: data.to_vec(),
    };
    assert_eq!(e(b"bad sig").printable_data(), "bad sig");
    assert_eq!(e(b"\x1b[2J").printable_data(), "1b5b324a");
}
