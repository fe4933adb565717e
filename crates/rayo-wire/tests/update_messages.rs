//! BOLT 2 normal operation messages: round trips with and without their
//! TLVs, fixed bytes written from the spec's layout, truncation, the TLV
//! even/odd rule, and the bounds on HTLC signature counts and reason length.

use proptest::collection::vec;
use proptest::prelude::*;
use rayo_wire::amount::Msat;
use rayo_wire::bitcoin::hashes::Hash;
use rayo_wire::bitcoin::Txid;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::secp256k1::{ecdsa::Signature, PublicKey, Secp256k1, SecretKey};
use rayo_wire::ser::DecodeError;
use rayo_wire::tlv::TlvWriter;
use rayo_wire::update::{
    CommitmentSigned, RevokeAndAck, UpdateAddHtlc, UpdateFailHtlc, UpdateFailMalformedHtlc,
    UpdateFee, UpdateFulfillHtlc, ATTRIBUTION_DATA_LEN, BADONION, ONION_PACKET_LEN,
};

/// The secp256k1 generator, a point whose bytes are easy to write by hand.
const G: &str = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798";

fn point(b: u8) -> PublicKey {
    SecretKey::from_slice(&[b; 32])
        .unwrap()
        .public_key(&Secp256k1::new())
}

fn generator() -> PublicKey {
    G.parse().unwrap()
}

/// A valid compact signature with small `r` and `s`.
fn sig(r: u8, s: u8) -> Signature {
    Signature::from_compact(&sig_bytes(r, s)).unwrap()
}

fn sig_bytes(r: u8, s: u8) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    bytes[31] = r;
    bytes[63] = s;
    bytes
}

fn onion() -> Box<[u8; ONION_PACKET_LEN]> {
    let mut onion = Box::new([0u8; ONION_PACKET_LEN]);
    for (i, b) in onion.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    onion
}

fn attribution() -> Box<[u8; ATTRIBUTION_DATA_LEN]> {
    let mut data = Box::new([0u8; ATTRIBUTION_DATA_LEN]);
    for (i, b) in data.iter_mut().enumerate() {
        *b = (i % 13) as u8 + 1;
    }
    data
}

fn add(path_key: Option<PublicKey>) -> UpdateAddHtlc {
    UpdateAddHtlc {
        channel_id: ChannelId([0x11; 32]),
        id: 0x0102_0304_0506_0708,
        amount_msat: Msat(1_000_000),
        payment_hash: [0x22; 32],
        cltv_expiry: 800_000,
        onion_routing_packet: onion(),
        path_key,
    }
}

fn commitment(sigs: usize, funding_txid: Option<Txid>) -> CommitmentSigned {
    CommitmentSigned {
        channel_id: ChannelId([0x44; 32]),
        signature: sig(1, 2),
        htlc_signatures: (0..sigs).map(|i| sig(3, (i % 200) as u8 + 1)).collect(),
        funding_txid,
    }
}

fn fulfill(attribution_data: Option<Box<[u8; ATTRIBUTION_DATA_LEN]>>) -> Message {
    Message::UpdateFulfillHtlc(UpdateFulfillHtlc {
        channel_id: ChannelId([1; 32]),
        id: 7,
        payment_preimage: [0x66; 32],
        attribution_data,
    })
}

fn fail(reason: Vec<u8>, attribution_data: Option<Box<[u8; ATTRIBUTION_DATA_LEN]>>) -> Message {
    Message::UpdateFailHtlc(UpdateFailHtlc {
        channel_id: ChannelId([2; 32]),
        id: 8,
        reason,
        attribution_data,
    })
}

/// Every message without its TLVs and, where it has any, with them.
fn samples() -> Vec<(&'static str, Message, Option<Message>)> {
    let txid = Txid::from_byte_array([0x55; 32]);
    vec![
        (
            "update_add_htlc",
            Message::UpdateAddHtlc(Box::new(add(None))),
            Some(Message::UpdateAddHtlc(Box::new(add(Some(point(9)))))),
        ),
        (
            "update_fulfill_htlc",
            fulfill(None),
            Some(fulfill(Some(attribution()))),
        ),
        (
            "update_fail_htlc",
            fail(vec![0xab; 292], None),
            Some(fail(vec![0xab; 292], Some(attribution()))),
        ),
        (
            "update_fail_malformed_htlc",
            Message::UpdateFailMalformedHtlc(UpdateFailMalformedHtlc {
                channel_id: ChannelId([3; 32]),
                id: 9,
                sha256_of_onion: [0x77; 32],
                failure_code: BADONION | 0x4000 | 5,
            }),
            None,
        ),
        (
            "commitment_signed",
            Message::CommitmentSigned(commitment(3, None)),
            Some(Message::CommitmentSigned(commitment(3, Some(txid)))),
        ),
        (
            "commitment_signed (no htlcs)",
            Message::CommitmentSigned(commitment(0, None)),
            Some(Message::CommitmentSigned(commitment(0, Some(txid)))),
        ),
        (
            "revoke_and_ack",
            Message::RevokeAndAck(RevokeAndAck {
                channel_id: ChannelId([4; 32]),
                per_commitment_secret: [0x88; 32],
                next_per_commitment_point: point(10),
            }),
            None,
        ),
        (
            "update_fee",
            Message::UpdateFee(UpdateFee {
                channel_id: ChannelId([5; 32]),
                feerate_per_kw: 253,
            }),
            None,
        ),
    ]
}

fn all_samples() -> Vec<(String, Message)> {
    samples()
        .into_iter()
        .flat_map(|(name, without, with)| {
            let mut v = vec![(name.to_owned(), without)];
            v.extend(with.map(|m| (format!("{name} with tlvs"), m)));
            v
        })
        .collect()
}

#[test]
fn every_message_round_trips_with_and_without_tlvs() {
    for (name, msg) in all_samples() {
        let bytes = msg.encode().unwrap();
        assert_eq!(Message::decode(&bytes).as_ref(), Ok(&msg), "{name}");
    }
}

#[test]
fn truncated_messages_are_errors_not_panics() {
    for (name, without, with) in samples() {
        let base = without.encode().unwrap();
        for len in 2..base.len() {
            assert_eq!(
                Message::decode(&base[..len]),
                Err(DecodeError::UnexpectedEof),
                "{name} cut at {len}"
            );
        }
        // A cut inside the extension leaves a malformed stream. (A cut just
        // where it starts is a valid message without it.)
        if let Some(with) = with {
            let full = with.encode().unwrap();
            assert_eq!(Message::decode(&full[..base.len()]), Ok(without));
            for len in base.len() + 1..full.len() {
                assert!(
                    Message::decode(&full[..len]).is_err(),
                    "{name} with tlvs cut at {len}"
                );
            }
        }
    }
}

#[test]
fn unknown_even_tlvs_are_rejected_and_unknown_odd_ones_skipped() {
    for (name, msg) in all_samples() {
        let bytes = msg.encode().unwrap();
        // Types above every known one, so the stream stays in order.
        let mut odd = bytes.clone();
        odd.extend_from_slice(&[0x0b, 0x02, 0xde, 0xad]);
        assert_eq!(Message::decode(&odd).as_ref(), Ok(&msg), "{name}");
        let mut even = bytes;
        even.extend_from_slice(&[0x0a, 0x01, 0x00]);
        assert_eq!(
            Message::decode(&even),
            Err(DecodeError::UnknownEvenTlv(10)),
            "{name}"
        );
    }
}

/// One TLV record, as a sender would append it.
fn tlv(ty: u64, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    TlvWriter::new(&mut out).record(ty, value);
    out
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    hex::decode(s).unwrap()
}

#[test]
fn update_add_htlc_matches_the_spec_layout() {
    let mut expected = hex("0080
         1111111111111111111111111111111111111111111111111111111111111111
         0102030405060708
         00000000000f4240
         2222222222222222222222222222222222222222222222222222222222222222
         000c3500");
    expected.extend_from_slice(&onion()[..]);
    let without_tlv = expected.clone();
    // blinded_path: type 0, length 33, the point.
    expected.extend_from_slice(&hex("0021"));
    expected.extend_from_slice(&hex(G));

    let msg = Message::UpdateAddHtlc(Box::new(add(Some(generator()))));
    assert_eq!(msg.encode().unwrap(), expected);
    assert_eq!(Message::decode(&expected), Ok(msg));
    assert_eq!(
        Message::encode(&Message::UpdateAddHtlc(Box::new(add(None)))).unwrap(),
        without_tlv
    );
    assert_eq!(without_tlv.len(), 2 + 32 + 8 + 8 + 32 + 4 + 1366);
}

#[test]
fn commitment_signed_matches_the_spec_layout() {
    let mut expected = hex("0084");
    expected.extend_from_slice(&[0x44; 32]);
    expected.extend_from_slice(&sig_bytes(1, 2));
    expected.extend_from_slice(&hex("0002"));
    expected.extend_from_slice(&sig_bytes(3, 1));
    expected.extend_from_slice(&sig_bytes(3, 2));
    // funding_txid: type 1, length 32, the txid in its internal byte order.
    expected.extend_from_slice(&hex("0120"));
    let mut txid = [0u8; 32];
    txid[0] = 0xf0;
    txid[31] = 0x0f;
    expected.extend_from_slice(&txid);

    let msg = Message::CommitmentSigned(commitment(2, Some(Txid::from_byte_array(txid))));
    assert_eq!(msg.encode().unwrap(), expected);
    assert_eq!(Message::decode(&expected), Ok(msg));
}

#[test]
fn revoke_and_ack_matches_the_spec_layout() {
    let expected = hex(&format!(
        "0085
         0404040404040404040404040404040404040404040404040404040404040404
         8888888888888888888888888888888888888888888888888888888888888888
         {G}"
    ));
    let msg = Message::RevokeAndAck(RevokeAndAck {
        channel_id: ChannelId([4; 32]),
        per_commitment_secret: [0x88; 32],
        next_per_commitment_point: generator(),
    });
    assert_eq!(msg.encode().unwrap(), expected);
    assert_eq!(Message::decode(&expected), Ok(msg));
}

#[test]
fn small_fixed_messages_match_the_spec_layout() {
    let fee = hex("0086
         0505050505050505050505050505050505050505050505050505050505050505
         000000fd");
    assert_eq!(
        Message::decode(&fee),
        Ok(Message::UpdateFee(UpdateFee {
            channel_id: ChannelId([5; 32]),
            feerate_per_kw: 253,
        }))
    );
    let malformed = hex("0087
         0303030303030303030303030303030303030303030303030303030303030303
         0000000000000009
         7777777777777777777777777777777777777777777777777777777777777777
         c005");
    let Ok(Message::UpdateFailMalformedHtlc(m)) = Message::decode(&malformed) else {
        panic!("update_fail_malformed_htlc rejected");
    };
    assert_eq!((m.id, m.failure_code), (9, 0xc005));
    assert!(m.has_badonion());
    let fail = hex("0083
         0202020202020202020202020202020202020202020202020202020202020202
         0000000000000008
         0003 abcdef");
    let Ok(Message::UpdateFailHtlc(f)) = Message::decode(&fail) else {
        panic!("update_fail_htlc rejected");
    };
    assert_eq!((f.id, f.reason), (8, vec![0xab, 0xcd, 0xef]));
}

#[test]
fn malformed_failure_code_without_badonion_still_decodes() {
    // The BADONION rule belongs to the channel layer, not the decoder.
    let msg = UpdateFailMalformedHtlc {
        channel_id: ChannelId([3; 32]),
        id: 1,
        sha256_of_onion: [0; 32],
        failure_code: 0x4002,
    };
    assert!(!msg.has_badonion());
    let bytes = Message::UpdateFailMalformedHtlc(msg.clone())
        .encode()
        .unwrap();
    assert_eq!(
        Message::decode(&bytes),
        Ok(Message::UpdateFailMalformedHtlc(msg))
    );
}

#[test]
fn commitment_signed_claiming_more_signatures_than_present_fails_cleanly() {
    let mut bytes = hex("0084");
    bytes.extend_from_slice(&[0x44; 32]);
    bytes.extend_from_slice(&sig_bytes(1, 2));
    bytes.extend_from_slice(&hex("ffff"));
    bytes.extend_from_slice(&sig_bytes(3, 3));
    bytes.extend_from_slice(&sig_bytes(3, 4));
    assert_eq!(Message::decode(&bytes), Err(DecodeError::UnexpectedEof));
    // One signature short of the count.
    let mut bytes = Message::CommitmentSigned(commitment(3, None))
        .encode()
        .unwrap();
    bytes.truncate(bytes.len() - 1);
    assert_eq!(Message::decode(&bytes), Err(DecodeError::UnexpectedEof));
}

#[test]
fn wrong_length_tlv_values_are_rejected() {
    for len in [0, 4, ATTRIBUTION_DATA_LEN - 1, ATTRIBUTION_DATA_LEN + 1] {
        for base in [fulfill(None), fail(vec![1], None)] {
            let mut bytes = base.encode().unwrap();
            bytes.extend_from_slice(&tlv(1, &vec![0x5a; len]));
            assert_eq!(
                Message::decode(&bytes),
                Err(DecodeError::TlvBadValue { ty: 1 }),
                "attribution_data of {len} bytes in {base:?}"
            );
        }
    }
    // A funding txid one byte short.
    let mut bytes = Message::CommitmentSigned(commitment(0, None))
        .encode()
        .unwrap();
    bytes.extend_from_slice(&tlv(1, &[0; 31]));
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::TlvBadValue { ty: 1 })
    );
    // A path key that is not a point, and one of the wrong length.
    let base = Message::UpdateAddHtlc(Box::new(add(None)))
        .encode()
        .unwrap();
    let mut bytes = base.clone();
    bytes.extend_from_slice(&tlv(0, &[0x05; 33]));
    assert_eq!(Message::decode(&bytes), Err(DecodeError::InvalidPoint));
    let mut bytes = base;
    bytes.extend_from_slice(&tlv(0, &hex(&format!("{G}00"))));
    assert_eq!(
        Message::decode(&bytes),
        Err(DecodeError::TlvBadValue { ty: 0 })
    );
}

#[test]
fn oversized_fields_return_encode_errors() {
    // More signatures than the u16 count holds.
    let too_many = Message::CommitmentSigned(commitment(65536, None));
    assert!(too_many.encode().is_err());
    // Fits the count but not the 65535-byte message.
    let too_long = Message::CommitmentSigned(commitment(1100, None));
    assert!(too_long.encode().is_err());
    // The most that fits: 2 + 32 + 64 + 2 + 64n <= 65535.
    let most = Message::CommitmentSigned(commitment(1022, None));
    assert!(most.encode().unwrap().len() <= 65535);

    let reason_of = |len| fail(vec![0; len], None);
    assert!(reason_of(65536).encode().is_err());
    assert!(reason_of(65535).encode().is_err());
    assert_eq!(
        reason_of(65535 - 2 - 32 - 8 - 2).encode().unwrap().len(),
        65535
    );
}

fn arb_message() -> impl Strategy<Value = Message> {
    let id = any::<[u8; 32]>().prop_map(ChannelId);
    let key = (1u8..=127).prop_map(point);
    let signature = (1u8..=127, 1u8..=127).prop_map(|(r, s)| sig(r, s));
    let attribution = proptest::option::of(any::<u8>().prop_map(|b| {
        let mut data = attribution();
        data[0] = b;
        data
    }));
    prop_oneof![
        (
            id.clone(),
            any::<(u64, u64, [u8; 32], u32)>(),
            any::<u8>(),
            proptest::option::of(key.clone())
        )
            .prop_map(|(channel_id, (id, amount, hash, cltv), b, path_key)| {
                let mut onion = onion();
                onion[0] = b;
                Message::UpdateAddHtlc(Box::new(UpdateAddHtlc {
                    channel_id,
                    id,
                    amount_msat: Msat(amount),
                    payment_hash: hash,
                    cltv_expiry: cltv,
                    onion_routing_packet: onion,
                    path_key,
                }))
            }),
        (
            id.clone(),
            any::<u64>(),
            any::<[u8; 32]>(),
            attribution.clone()
        )
            .prop_map(|(channel_id, id, payment_preimage, attribution_data)| {
                Message::UpdateFulfillHtlc(UpdateFulfillHtlc {
                    channel_id,
                    id,
                    payment_preimage,
                    attribution_data,
                })
            }),
        (
            id.clone(),
            any::<u64>(),
            vec(any::<u8>(), 0..1000),
            attribution
        )
            .prop_map(|(channel_id, id, reason, attribution_data)| {
                Message::UpdateFailHtlc(UpdateFailHtlc {
                    channel_id,
                    id,
                    reason,
                    attribution_data,
                })
            }),
        (id.clone(), any::<(u64, [u8; 32], u16)>()).prop_map(
            |(channel_id, (id, sha256_of_onion, failure_code))| {
                Message::UpdateFailMalformedHtlc(UpdateFailMalformedHtlc {
                    channel_id,
                    id,
                    sha256_of_onion,
                    failure_code,
                })
            }
        ),
        (
            id.clone(),
            signature.clone(),
            vec(signature, 0..40),
            proptest::option::of(any::<[u8; 32]>().prop_map(Txid::from_byte_array))
        )
            .prop_map(|(channel_id, signature, htlc_signatures, funding_txid)| {
                Message::CommitmentSigned(CommitmentSigned {
                    channel_id,
                    signature,
                    htlc_signatures,
                    funding_txid,
                })
            }),
        (id.clone(), any::<[u8; 32]>(), key).prop_map(|(channel_id, secret, point)| {
            Message::RevokeAndAck(RevokeAndAck {
                channel_id,
                per_commitment_secret: secret,
                next_per_commitment_point: point,
            })
        }),
        (id, any::<u32>()).prop_map(|(channel_id, feerate_per_kw)| {
            Message::UpdateFee(UpdateFee {
                channel_id,
                feerate_per_kw,
            })
        }),
    ]
}

proptest! {
    #[test]
    fn arbitrary_update_messages_round_trip(msg in arb_message()) {
        let bytes = msg.encode().unwrap();
        prop_assert_eq!(Message::decode(&bytes).unwrap(), msg);
    }

    #[test]
    fn corrupted_update_messages_never_panic(
        msg in arb_message(),
        cut in any::<prop::sample::Index>(),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
    ) {
        let mut bytes = msg.encode().unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            if i >= 2 {
                bytes[i] = b;
            }
        }
        let len = cut.index(bytes.len() + 1);
        let _ = Message::decode(&bytes[..len.max(2)]);
    }
}
