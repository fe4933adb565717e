//! Hop payload TLVs: encoding and decoding of every known record (keysend
//! included), the even/odd rule, and the reader requirements of a
//! forwarding hop and a final node with the type and offset
//! `invalid_onion_payload` reports.

use std::collections::BTreeMap;

use rayo_onion::payload::tlv_type;
use rayo_onion::secp256k1::PublicKey;
use rayo_onion::{
    Failure, FailureCode, FinalHtlcError, FinalPayload, ForwardPayload, HopPayload, OnionPacket,
    PayloadError, PayloadErrorKind, PaymentData,
};
use rayo_wire::amount::Msat;
use rayo_wire::ids::ShortChannelId;
use rayo_wire::ser::DecodeError;
use rayo_wire::tlv::TlvWriter;

fn stream(records: &[(u64, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = TlvWriter::new(&mut out);
    for (ty, value) in records {
        w.record(*ty, value);
    }
    out
}

fn path_key() -> PublicKey {
    "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619"
        .parse()
        .unwrap()
}

fn full_payload() -> HopPayload {
    HopPayload {
        amt_to_forward: Some(Msat(123_456)),
        outgoing_cltv_value: Some(800_123),
        short_channel_id: Some(ShortChannelId::new(800_000, 12, 1).unwrap()),
        payment_data: Some(PaymentData {
            payment_secret: [0x11; 32],
            total_msat: Msat(1_000_000),
        }),
        encrypted_recipient_data: Some(vec![1, 2, 3]),
        current_path_key: Some(path_key()),
        payment_metadata: Some(b"order 66".to_vec()),
        total_amount_msat: Some(Msat(2_000_000)),
        keysend_preimage: Some([0x99; 32]),
        custom_records: BTreeMap::from([(7, vec![7]), (65_537, vec![1; 40])]),
    }
}

#[test]
fn every_record_round_trips_in_type_order() {
    let payload = full_payload();
    let bytes = payload.encode();
    assert_eq!(HopPayload::decode(&bytes).unwrap(), payload);
    // A decoded payload re-encodes to its input.
    assert_eq!(HopPayload::decode(&bytes).unwrap().encode(), bytes);
    // The empty payload is the empty stream.
    assert_eq!(HopPayload::default().encode(), Vec::<u8>::new());
    assert_eq!(HopPayload::decode(&[]).unwrap(), HopPayload::default());
}

#[test]
fn known_records_have_their_spec_encodings() {
    let payload = HopPayload {
        amt_to_forward: Some(Msat(15_000)),
        outgoing_cltv_value: Some(1500),
        short_channel_id: Some(ShortChannelId(1)),
        ..HopPayload::default()
    };
    // From the onion test vector's first hop.
    assert_eq!(
        hex::encode(payload.encode()),
        "02023a98040205dc06080000000000000001"
    );
    let payment_data = HopPayload {
        payment_data: Some(PaymentData {
            payment_secret: [0xaa; 32],
            total_msat: Msat(0x0100),
        }),
        ..HopPayload::default()
    }
    .encode();
    assert_eq!(payment_data[..2], [8, 34]);
    assert_eq!(payment_data[34..], [1, 0]);
    // Zero amounts are the empty tu64.
    let zero = HopPayload {
        amt_to_forward: Some(Msat(0)),
        ..HopPayload::default()
    }
    .encode();
    assert_eq!(zero, [2, 0]);
}

#[test]
fn keysend_preimage_uses_its_large_even_type() {
    let payload = HopPayload {
        amt_to_forward: Some(Msat(5000)),
        outgoing_cltv_value: Some(144),
        keysend_preimage: Some([0x5a; 32]),
        ..HopPayload::default()
    };
    let bytes = payload.encode();
    // 5482373484 is above u32::MAX, so the type takes 9 bytes (0xff prefix).
    let record = stream(&[(tlv_type::KEYSEND_PREIMAGE, &[0x5a; 32])]);
    assert_eq!(record[0], 0xff);
    assert!(bytes.ends_with(&record));
    let last = FinalPayload::decode(&bytes).unwrap();
    assert_eq!(last.keysend_preimage, Some([0x5a; 32]));
    assert_eq!(last.total_msat(), Msat(5000));
    // A preimage of the wrong length is malformed.
    let bad = stream(&[(tlv_type::KEYSEND_PREIMAGE, &[0x5a; 31])]);
    assert_eq!(
        HopPayload::decode(&bad),
        Err(PayloadError {
            ty: tlv_type::KEYSEND_PREIMAGE,
            offset: 0,
            kind: PayloadErrorKind::Malformed(DecodeError::TlvBadValue {
                ty: tlv_type::KEYSEND_PREIMAGE
            }),
        })
    );
}

#[test]
fn unknown_odd_types_are_kept_and_unknown_even_types_rejected() {
    let bytes = stream(&[(2, &[1]), (4, &[1]), (9, b"odd"), (65_539, b"x")]);
    let payload = HopPayload::decode(&bytes).unwrap();
    assert_eq!(
        payload.custom_records,
        BTreeMap::from([(9, b"odd".to_vec()), (65_539, b"x".to_vec())])
    );

    // Type 14 (even, unknown) at offset 6: after 02 01 01 and 04 01 01.
    let bytes = stream(&[(2, &[1]), (4, &[1]), (14, &[0]), (15, &[0])]);
    let err = HopPayload::decode(&bytes).unwrap_err();
    assert_eq!(
        err,
        PayloadError {
            ty: 14,
            offset: 6,
            kind: PayloadErrorKind::UnknownEvenType
        }
    );
    assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_PAYLOAD);
    let packet = OnionPacket::from_bytes(&[0; 1366]);
    assert_eq!(
        err.to_failure(&packet),
        Failure::InvalidOnionPayload { ty: 14, offset: 6 }
    );
    // The same with a large even type.
    let bytes = stream(&[(2, &[1]), (1_000_000, &[])]);
    assert_eq!(HopPayload::decode(&bytes).unwrap_err().ty, 1_000_000);
}

#[test]
fn malformed_streams_and_values_report_type_and_offset() {
    // Out of order: type 4 then 2, the second record at offset 3.
    let bytes = [4, 1, 1, 2, 1, 1];
    let err = HopPayload::decode(&bytes).unwrap_err();
    assert_eq!((err.ty, err.offset), (2, 3));
    assert!(matches!(
        err.kind,
        PayloadErrorKind::Malformed(DecodeError::TlvOutOfOrder { .. })
    ));
    // A length running past the end.
    let err = HopPayload::decode(&[2, 1, 1, 6, 8, 0, 0]).unwrap_err();
    assert_eq!((err.ty, err.offset), (6, 3));
    // A truncated type: no type known.
    let err = HopPayload::decode(&[2, 1, 1, 0xfd]).unwrap_err();
    assert_eq!((err.ty, err.offset), (0, 3));
    // Non-minimal tu64 for amt_to_forward.
    let err = HopPayload::decode(&[2, 2, 0, 1]).unwrap_err();
    assert_eq!((err.ty, err.offset), (2, 0));
    assert_eq!(
        err.kind,
        PayloadErrorKind::Malformed(DecodeError::TlvBadValue { ty: 2 })
    );
    // tu32 wider than four bytes.
    let err = HopPayload::decode(&[4, 5, 1, 2, 3, 4, 5]).unwrap_err();
    assert_eq!((err.ty, err.offset), (4, 0));
    // short_channel_id of 7 bytes.
    let err = HopPayload::decode(&[6, 7, 0, 0, 0, 0, 0, 0, 1]).unwrap_err();
    assert_eq!(err.ty, 6);
    // payment_data with a non-minimal total.
    let mut value = vec![0u8; 32];
    value.extend_from_slice(&[0, 5]);
    let err = HopPayload::decode(&stream(&[(8, &value)])).unwrap_err();
    assert_eq!(
        err.kind,
        PayloadErrorKind::Malformed(DecodeError::NonMinimalTruncatedInt)
    );
    // payment_data too short for its secret.
    let err = HopPayload::decode(&stream(&[(8, &[0; 31])])).unwrap_err();
    assert_eq!(err.ty, 8);
    // An invalid path key.
    let err = HopPayload::decode(&stream(&[(12, &[0x05; 33])])).unwrap_err();
    assert_eq!(
        err.kind,
        PayloadErrorKind::Malformed(DecodeError::InvalidPoint)
    );
}

#[test]
fn forwarding_hop_requirements() {
    let good = ForwardPayload {
        short_channel_id: ShortChannelId::new(1, 2, 3).unwrap(),
        amt_to_forward: Msat(1000),
        outgoing_cltv_value: 500,
    };
    assert_eq!(ForwardPayload::decode(&good.encode()).unwrap(), good);

    // Missing short_channel_id: reported at the end (offset 6).
    let bytes = stream(&[(2, &[1]), (4, &[1])]);
    assert_eq!(
        ForwardPayload::decode(&bytes),
        Err(PayloadError {
            ty: 6,
            offset: 6,
            kind: PayloadErrorKind::Missing
        })
    );
    // Missing amt_to_forward: where it would be, before type 4.
    let bytes = stream(&[(4, &[1]), (6, &[0; 8])]);
    let err = ForwardPayload::decode(&bytes).unwrap_err();
    assert_eq!(
        (err.ty, err.offset, &err.kind),
        (2, 0, &PayloadErrorKind::Missing)
    );
    assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_PAYLOAD);
    // Missing outgoing_cltv_value: before type 6, at offset 3.
    let bytes = stream(&[(2, &[1]), (6, &[0; 8])]);
    let err = ForwardPayload::decode(&bytes).unwrap_err();
    assert_eq!((err.ty, err.offset), (4, 3));

    // current_path_key at a forwarding hop: invalid_onion_blinding.
    let mut with_key = HopPayload::from(good);
    with_key.current_path_key = Some(path_key());
    let err = ForwardPayload::decode(&with_key.encode()).unwrap_err();
    assert_eq!(err.ty, tlv_type::CURRENT_PATH_KEY);
    assert_eq!(err.kind, PayloadErrorKind::Blinded);
    assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_BLINDING);
    let packet = OnionPacket::from_bytes(&[7; 1366]);
    assert_eq!(
        err.to_failure(&packet),
        Failure::InvalidOnionBlinding {
            sha256_of_onion: packet.sha256()
        }
    );
    // Odd unknown records and a stray payment_data are ignored.
    let mut extra = HopPayload::from(good);
    extra.custom_records.insert(101, vec![1]);
    extra.payment_data = Some(PaymentData {
        payment_secret: [1; 32],
        total_msat: Msat(1),
    });
    assert_eq!(ForwardPayload::decode(&extra.encode()).unwrap(), good);
}

#[test]
fn final_node_requirements() {
    let good = FinalPayload {
        amt_to_forward: Msat(10_000),
        outgoing_cltv_value: 1000,
        payment_data: Some(PaymentData {
            payment_secret: [3; 32],
            total_msat: Msat(30_000),
        }),
        payment_metadata: Some(vec![0xde, 0xad]),
        keysend_preimage: None,
        custom_records: BTreeMap::from([(65_541, vec![4, 2])]),
    };
    let decoded = FinalPayload::decode(&good.encode()).unwrap();
    assert_eq!(decoded, good);
    assert_eq!(decoded.total_msat(), Msat(30_000));

    // A short_channel_id at the final node is not an error for the reader.
    let mut with_scid = HopPayload::from(good.clone());
    with_scid.short_channel_id = Some(ShortChannelId(5));
    assert_eq!(FinalPayload::decode(&with_scid.encode()).unwrap(), good);

    // Missing outgoing_cltv_value.
    let bytes = stream(&[(2, &[1])]);
    assert_eq!(
        FinalPayload::decode(&bytes),
        Err(PayloadError {
            ty: 4,
            offset: 3,
            kind: PayloadErrorKind::Missing
        })
    );
    // Missing amt_to_forward.
    let err = FinalPayload::decode(&stream(&[(4, &[1])])).unwrap_err();
    assert_eq!((err.ty, err.offset), (2, 0));
    // current_path_key outside a blinded route: invalid_onion_payload.
    let mut with_key = HopPayload::from(good.clone());
    with_key.current_path_key = Some(path_key());
    let err = FinalPayload::decode(&with_key.encode()).unwrap_err();
    assert_eq!(err.kind, PayloadErrorKind::NotAllowed);
    assert_eq!(err.ty, tlv_type::CURRENT_PATH_KEY);
    assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_PAYLOAD);
    // Without payment_data the total is the amount.
    let plain = FinalPayload::decode(&stream(&[(2, &[0x27, 0x10]), (4, &[1])])).unwrap();
    assert_eq!(plain.total_msat(), Msat(10_000));
}

#[test]
fn final_htlc_checks_map_to_their_failures() {
    let last = FinalPayload::decode(&stream(&[(2, &[0x27, 0x10]), (4, &[0x03, 0xe8])])).unwrap();
    assert_eq!(last.check_htlc(Msat(10_000), 1000), Ok(()));
    assert_eq!(last.check_htlc(Msat(10_001), 1001), Ok(()));
    let err = last.check_htlc(Msat(10_000), 999).unwrap_err();
    assert_eq!(err.failure_code(), FailureCode::FINAL_INCORRECT_CLTV_EXPIRY);
    assert_eq!(
        err.to_failure(),
        Failure::FinalIncorrectCltvExpiry { cltv_expiry: 999 }
    );
    let err = last.check_htlc(Msat(9_999), 1000).unwrap_err();
    assert_eq!(
        err,
        FinalHtlcError::AmountTooLow {
            amount_msat: Msat(9_999),
            amt_to_forward: Msat(10_000)
        }
    );
    assert_eq!(err.failure_code(), FailureCode::FINAL_INCORRECT_HTLC_AMOUNT);
    assert_eq!(
        err.to_failure(),
        Failure::FinalIncorrectHtlcAmount {
            incoming_htlc_amt: Msat(9_999)
        }
    );
    // Both wrong: the expiry is reported first, as the spec lists it first.
    assert_eq!(
        last.check_htlc(Msat(1), 1).unwrap_err().failure_code(),
        FailureCode::FINAL_INCORRECT_CLTV_EXPIRY
    );
}

#[test]
fn custom_records_never_shadow_known_fields() {
    let mut payload = HopPayload {
        amt_to_forward: Some(Msat(1)),
        ..HopPayload::default()
    };
    payload.custom_records.insert(2, vec![9, 9]);
    payload.custom_records.insert(3, vec![3]);
    assert_eq!(payload.encode(), stream(&[(2, &[1]), (3, &[3])]));
}
