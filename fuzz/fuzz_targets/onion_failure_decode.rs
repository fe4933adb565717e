//! Failure messages and return packets (rayo-onion) from arbitrary bytes.
//!
//! The first byte picks a mode (modulo 3):
//! * 0: the rest is a `failuremsg` for `FailureMessage::decode`. Whatever
//!   decodes re-encodes to exactly the input (fields are fixed or
//!   length-prefixed, BigSize is canonical, the extension is kept as sent),
//!   and its code is the first two bytes.
//! * 1: the rest is a return packet for `decrypt_failure` with a fixed
//!   three-hop route. Nothing panics; an attributed hop is in the route.
//! * 2: a genuine return packet: the second byte picks the failing hop and
//!   the padded length, the rest is the message. Built, wrapped back to the
//!   origin and decrypted, it is attributed to that hop, and decoded exactly
//!   as `FailureMessage::decode` decodes the message itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rayo_onion::failure::FailurePacketError;
use rayo_onion::{
    build_failure_packet, decrypt_failure, wrap_failure_packet, AttributionError, FailureCode,
    FailureMessage, SharedSecret,
};

fn route() -> [SharedSecret; 3] {
    [1u8, 2, 3].map(|b| SharedSecret::from_bytes([b; 32]))
}

fn decode_message(data: &[u8]) {
    if let Ok(message) = FailureMessage::decode(data) {
        let encoded = message.encode().expect("a decoded message encodes");
        assert_eq!(encoded, data, "failure message does not re-encode");
        assert_eq!(
            message.code(),
            FailureCode(u16::from_be_bytes([data[0], data[1]]))
        );
        for record in message.tlv_records() {
            if record.is_err() {
                break;
            }
        }
    }
}

fn decrypt_arbitrary(data: &[u8]) {
    let secrets = route();
    match decrypt_failure(&secrets, data) {
        Ok(attributed) => assert!(attributed.hop_index < secrets.len()),
        Err(AttributionError::Malformed { hop_index, .. }) => assert!(hop_index < secrets.len()),
        Err(_) => {}
    }
}

fn genuine(data: &[u8]) {
    let Some((&choice, message)) = data.split_first() else {
        return;
    };
    let secrets = route();
    let failing = usize::from(choice) % secrets.len();
    let padded_len = usize::from(choice) * 8;
    let mut packet = match build_failure_packet(&secrets[failing], message, padded_len) {
        Ok(packet) => packet,
        Err(FailurePacketError::TooLarge(len)) => {
            assert!(len > 65_535);
            return;
        }
        Err(e) => panic!("unexpected build error {e:?}"),
    };
    assert!(packet.len() >= 32 + 2 + 256 + 2);
    for secret in secrets[..failing].iter().rev() {
        wrap_failure_packet(secret, &mut packet);
    }
    match (
        decrypt_failure(&secrets, &packet),
        FailureMessage::decode(message),
    ) {
        (Ok(attributed), Ok(expected)) => {
            assert_eq!(attributed.hop_index, failing);
            assert_eq!(attributed.message, expected);
        }
        (
            Err(AttributionError::Malformed {
                hop_index, error, ..
            }),
            Err(expected),
        ) => {
            assert_eq!(hop_index, failing);
            assert_eq!(error, expected);
        }
        (got, expected) => panic!("decrypt gave {got:?}, decode gave {expected:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => decode_message(rest),
        1 => decrypt_arbitrary(rest),
        _ => genuine(rest),
    }
});
