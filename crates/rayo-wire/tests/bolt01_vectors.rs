//! BOLT 1 test vectors: Appendix A (BigSize), Appendix B (TLV), Appendix C
//! (message extension) and Appendix D (signed integers).

use rayo_wire::ids::ShortChannelId;
use rayo_wire::message::Message;
use rayo_wire::secp256k1::PublicKey;
use rayo_wire::ser::{encode_signed_minimal, DecodeError, Reader, WriteExt};
use rayo_wire::tlv::TlvReader;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.replace(' ', "")).unwrap()
}

// ---------------------------------------------------------------- Appendix A

const BIGSIZE_OK: &[(u64, &str)] = &[
    (0, "00"),
    (252, "fc"),
    (253, "fd00fd"),
    (65535, "fdffff"),
    (65536, "fe00010000"),
    (4294967295, "feffffffff"),
    (4294967296, "ff0000000100000000"),
    (18446744073709551615, "ffffffffffffffffff"),
];

#[test]
fn bigsize_decoding_vectors() {
    for (value, bytes) in BIGSIZE_OK {
        let bytes = unhex(bytes);
        let mut r = Reader::new(&bytes);
        assert_eq!(r.bigsize(), Ok(*value));
        assert!(r.is_empty());
    }
    let failures = [
        ("fd00fc", DecodeError::NonCanonicalBigSize),
        ("fe0000ffff", DecodeError::NonCanonicalBigSize),
        ("ff00000000ffffffff", DecodeError::NonCanonicalBigSize),
        ("fd00", DecodeError::UnexpectedEof),
        ("feffff", DecodeError::UnexpectedEof),
        ("ffffffffff", DecodeError::UnexpectedEof),
        ("", DecodeError::UnexpectedEof),
        ("fd", DecodeError::UnexpectedEof),
        ("fe", DecodeError::UnexpectedEof),
        ("ff", DecodeError::UnexpectedEof),
    ];
    for (bytes, err) in failures {
        assert_eq!(Reader::new(&unhex(bytes)).bigsize(), Err(err), "{bytes}");
    }
}

#[test]
fn bigsize_encoding_vectors() {
    for (value, bytes) in BIGSIZE_OK {
        let mut out = Vec::new();
        out.put_bigsize(*value);
        assert_eq!(hex::encode(&out), *bytes);
        assert_eq!(rayo_wire::ser::bigsize_len(*value), out.len());
    }
}

// ---------------------------------------------------------------- Appendix B

/// The decoded contents of the test namespace `n1`.
#[derive(Debug, Default, PartialEq)]
struct N1 {
    tlv1: Option<u64>,
    tlv2: Option<ShortChannelId>,
    tlv3: Option<(PublicKey, u64, u64)>,
    tlv4: Option<u16>,
}

fn decode_n1(bytes: &[u8]) -> Result<N1, DecodeError> {
    let mut n1 = N1::default();
    for record in TlvReader::new(bytes) {
        let record = record?;
        match record.ty {
            1 => n1.tlv1 = Some(record.tu64()?),
            2 => n1.tlv2 = Some(record.decode_exact(|r| Ok(ShortChannelId(r.u64()?)))?),
            3 => n1.tlv3 = Some(record.decode_exact(|r| Ok((r.point()?, r.u64()?, r.u64()?)))?),
            254 => n1.tlv4 = Some(record.decode_exact(|r| r.u16())?),
            _ => record.reject_unknown()?,
        }
    }
    Ok(n1)
}

/// The decoded contents of the test namespace `n2`.
#[derive(Debug, Default, PartialEq)]
struct N2 {
    tlv1: Option<u64>,
    tlv2: Option<u32>,
}

fn decode_n2(bytes: &[u8]) -> Result<N2, DecodeError> {
    let mut n2 = N2::default();
    for record in TlvReader::new(bytes) {
        let record = record?;
        match record.ty {
            0 => n2.tlv1 = Some(record.tu64()?),
            11 => n2.tlv2 = Some(record.tu32()?),
            _ => record.reject_unknown()?,
        }
    }
    Ok(n2)
}

const ANY_NAMESPACE_FAILURES: &[&str] = &[
    "fd",
    "fd01",
    "fd0001 00",
    "fd0101",
    "0f fd",
    "0f fd26",
    "0f fd2602",
    "0f fd0001 00",
    "12 00",
    "fd0102 00",
    "fe01000002 00",
    "ff0100000000000002 00",
];

fn value_truncated_stream() -> String {
    format!("0f fd0201 {}", "00".repeat(256))
}

const N1_FAILURES: &[&str] = &[
    "01 09 ffffffffffffffffff",
    "01 01 00",
    "01 02 0001",
    "01 03 000100",
    "01 04 00010000",
    "01 05 0001000000",
    "01 06 000100000000",
    "01 07 00010000000000",
    "01 08 0001000000000000",
    "02 07 01010101010101",
    "02 09 010101010101010101",
    "03 21 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb",
    "03 29 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb0000000000000001",
    "03 30 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb000000000000000100000000000001",
    "03 31 043da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002",
    "03 32 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb0000000000000001000000000000000001",
    "fd00fe 00",
    "fd00fe 01 01",
    "fd00fe 03 010101",
    "00 00",
    // Stream decoding failures: ordering and duplicates.
    "02 08 0000000000000226 01 01 2a",
    "02 08 0000000000000231 02 08 0000000000000451",
    "1f 00 0f 01 2a",
    "1f 00 1f 01 2a",
];

#[test]
fn tlv_failures_in_any_namespace() {
    let long = value_truncated_stream();
    for stream in ANY_NAMESPACE_FAILURES
        .iter()
        .copied()
        .chain([long.as_str()])
    {
        let bytes = unhex(stream);
        assert!(decode_n1(&bytes).is_err(), "n1 accepted {stream}");
        assert!(decode_n2(&bytes).is_err(), "n2 accepted {stream}");
    }
}

#[test]
fn tlv_failures_in_n1() {
    for stream in N1_FAILURES {
        assert!(decode_n1(&unhex(stream)).is_err(), "n1 accepted {stream}");
    }
    // The invalid point is reported as such, not as a length problem.
    assert_eq!(
        decode_n1(&unhex(N1_FAILURES[14])),
        Err(DecodeError::InvalidPoint)
    );
    assert_eq!(
        decode_n1(&unhex("00 00")),
        Err(DecodeError::UnknownEvenTlv(0))
    );
    assert_eq!(
        decode_n1(&unhex("1f 00 0f 01 2a")),
        Err(DecodeError::TlvOutOfOrder {
            previous: 0x1f,
            ty: 0x0f
        })
    );
}

#[test]
fn tlv_failures_in_n2() {
    assert!(decode_n2(&unhex("ffffffffffffffffff 00 00 00")).is_err());
}

const IGNORED_IN_EITHER: &[&str] = &[
    "",
    "21 00",
    "fd0201 00",
    "fd00fd 00",
    "fd00ff 00",
    "fe02000001 00",
    "ff0200000000000001 00",
];

#[test]
fn tlv_successes_ignored_in_either_namespace() {
    for stream in IGNORED_IN_EITHER {
        let bytes = unhex(stream);
        assert_eq!(decode_n1(&bytes), Ok(N1::default()), "{stream}");
        assert_eq!(decode_n2(&bytes), Ok(N2::default()), "{stream}");
    }
}

fn n1_successes() -> Vec<(&'static str, N1)> {
    let tlv1 = |v| N1 {
        tlv1: Some(v),
        ..N1::default()
    };
    let node_id: PublicKey = "023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb"
        .parse()
        .unwrap();
    vec![
        ("01 00", tlv1(0)),
        ("01 01 01", tlv1(1)),
        ("01 02 0100", tlv1(256)),
        ("01 03 010000", tlv1(65536)),
        ("01 04 01000000", tlv1(16777216)),
        ("01 05 0100000000", tlv1(4294967296)),
        ("01 06 010000000000", tlv1(1099511627776)),
        ("01 07 01000000000000", tlv1(281474976710656)),
        ("01 08 0100000000000000", tlv1(72057594037927936)),
        (
            "02 08 0000000000000226",
            N1 {
                tlv2: Some("0x0x550".parse().unwrap()),
                ..N1::default()
            },
        ),
        (
            "03 31 023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb00000000000000010000000000000002",
            N1 {
                tlv3: Some((node_id, 1, 2)),
                ..N1::default()
            },
        ),
        (
            "fd00fe 02 0226",
            N1 {
                tlv4: Some(550),
                ..N1::default()
            },
        ),
    ]
}

#[test]
fn tlv_successes_in_n1() {
    for (stream, expected) in n1_successes() {
        assert_eq!(decode_n1(&unhex(stream)), Ok(expected), "{stream}");
    }
}

#[test]
fn appending_invalid_to_valid_fails_and_higher_to_lower_succeeds() {
    let valid = n1_successes();
    let long = value_truncated_stream();
    let invalid: Vec<&str> = ANY_NAMESPACE_FAILURES
        .iter()
        .chain(N1_FAILURES)
        .copied()
        .chain([long.as_str()])
        .collect();
    for (prefix, _) in &valid {
        for bad in &invalid {
            let stream = format!("{prefix}{bad}");
            assert!(decode_n1(&unhex(&stream)).is_err(), "n1 accepted {stream}");
        }
    }
    // Every valid n1 record followed by a valid one of higher type.
    for (low, low_value) in &valid {
        for (high, high_value) in &valid {
            let (lt, ht) = (unhex(low)[0], unhex(high)[0]);
            let (lt, ht) = (
                if lt == 0xfd { 254 } else { lt },
                if ht == 0xfd { 254 } else { ht },
            );
            if lt >= ht {
                continue;
            }
            let decoded = decode_n1(&unhex(&format!("{low}{high}"))).unwrap();
            let expected = N1 {
                tlv1: low_value.tlv1.or(high_value.tlv1),
                tlv2: low_value.tlv2.or(high_value.tlv2),
                tlv3: low_value.tlv3.or(high_value.tlv3),
                tlv4: low_value.tlv4.or(high_value.tlv4),
            };
            assert_eq!(decoded, expected);
        }
    }
}

// ---------------------------------------------------------------- Appendix C

#[test]
fn init_message_extension_vectors() {
    for valid in ["001000000000", "001000000000c9012acb0104"] {
        match Message::decode(&unhex(valid)) {
            Ok(Message::Init(init)) => {
                assert!(init.features.is_empty());
                assert_eq!(init.networks, None);
            }
            other => panic!("{valid}: {other:?}"),
        }
    }
    for invalid in [
        "00100000000001",
        "001000000000ca012a",
        "001000000000c90101c90102",
    ] {
        assert!(
            Message::decode(&unhex(invalid)).is_err(),
            "accepted {invalid}"
        );
    }
}

// ---------------------------------------------------------------- Appendix D

const SIGNED: &[(i64, &str)] = &[
    (0, "00"),
    (42, "2a"),
    (-42, "d6"),
    (127, "7f"),
    (-128, "80"),
    (128, "0080"),
    (-129, "ff7f"),
    (15000, "3a98"),
    (-15000, "c568"),
    (32767, "7fff"),
    (-32768, "8000"),
    (32768, "00008000"),
    (-32769, "ffff7fff"),
    (21000000, "01406f40"),
    (-21000000, "febf90c0"),
    (2147483647, "7fffffff"),
    (-2147483648, "80000000"),
    (2147483648, "0000000080000000"),
    (-2147483649, "ffffffff7fffffff"),
    (500000000000, "000000746a528800"),
    (-500000000000, "ffffff8b95ad7800"),
    (9223372036854775807, "7fffffffffffffff"),
    (-9223372036854775808, "8000000000000000"),
];

#[test]
fn signed_integer_vectors() {
    for (value, bytes) in SIGNED {
        assert_eq!(hex::encode(encode_signed_minimal(*value)), *bytes);
        let raw = unhex(bytes);
        let mut r = Reader::new(&raw);
        let decoded = match raw.len() {
            1 => i64::from(r.s8().unwrap()),
            2 => i64::from(r.s16().unwrap()),
            4 => i64::from(r.s32().unwrap()),
            8 => r.s64().unwrap(),
            n => panic!("unexpected width {n}"),
        };
        assert_eq!(decoded, *value);
        assert!(r.is_empty());
    }
}
