//! `peel_onion` (rayo-onion) over arbitrary packets and over genuine ones.
//!
//! The first byte picks a mode (modulo 3):
//! * 0: the next 1366 bytes (zero-padded when shorter) are a packet and the
//!   rest is the associated data, peeled with a fixed node key. Nothing
//!   panics; an error maps to one of the codes a hop answers with; whatever
//!   peels has a payload of 2 to 1265 bytes, and a forward's next packet is
//!   version 0 with a valid key.
//! * 1: the rest is cut into one to four payloads (each prefixed by a length
//!   byte), built into an onion for fixed keys and peeled hop by hop. The
//!   build fails exactly when a payload is shorter than 2 bytes (the sizes
//!   cannot exceed 1300 here); each hop gets its payload back, only the last
//!   is final, and a flipped `hop_payloads` byte fails the HMAC.
//! * 2: the rest is the decrypted `hop_payloads` of an authentic packet
//!   (encrypted with the fixed key's `rho` and HMACed with its `mu`), so the
//!   length prefix, payload and next HMAC are arbitrary but authenticated:
//!   peeling never panics and returns exactly the bytes the prefix names.
//!
//! In every mode a peeled payload goes through `HopPayload::decode`,
//! `ForwardPayload::decode` and `FinalPayload::decode`, and a payload that
//! `HopPayload` decodes re-encodes to its bytes.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rayo_onion::keys::apply_stream;
use rayo_onion::packet::{HOP_PAYLOADS_LEN, ONION_PACKET_LEN};
use rayo_onion::{
    build_onion, peel_onion, BuildError, FailureCode, FinalPayload, ForwardPayload, Hop,
    HopPayload, OnionPacket, PeelError, Peeled, PeeledHop, SharedSecret,
};
use rayo_wire::bitcoin::hashes::{sha256, Hash, HashEngine, Hmac, HmacEngine};
use rayo_wire::secp256k1::{All, PublicKey, Secp256k1, SecretKey};

fn secp() -> &'static Secp256k1<All> {
    static SECP: OnceLock<Secp256k1<All>> = OnceLock::new();
    SECP.get_or_init(Secp256k1::new)
}

fn secret(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).expect("valid key")
}

fn check_payload(payload: &[u8]) {
    assert!(payload.len() >= 2, "payload shorter than 2 bytes peeled");
    assert!(
        payload.len() <= HOP_PAYLOADS_LEN - 3 - 32,
        "payload longer than the packet allows"
    );
    if let Ok(decoded) = HopPayload::decode(payload) {
        assert_eq!(decoded.encode(), payload, "payload does not re-encode");
    }
    let _ = ForwardPayload::decode(payload);
    let _ = FinalPayload::decode(payload);
}

fn check_peeled(peeled: &Peeled) {
    check_payload(peeled.hop.payload());
    if let PeeledHop::Forward { next_packet, .. } = &peeled.hop {
        assert_eq!(next_packet.version, 0);
        assert!(PublicKey::from_slice(&next_packet.public_key).is_ok());
        assert_ne!(next_packet.hmac, [0u8; 32]);
    }
}

fn raw_packet(data: &[u8]) {
    let mut bytes = [0u8; ONION_PACKET_LEN];
    let take = data.len().min(ONION_PACKET_LEN);
    bytes[..take].copy_from_slice(&data[..take]);
    let associated_data = &data[take..];
    let packet = OnionPacket::from_bytes(&bytes);
    assert_eq!(packet.to_bytes(), bytes, "packet does not re-serialize");
    match peel_onion(secp(), &secret(0x41), &packet, associated_data) {
        Ok(peeled) => check_peeled(&peeled),
        Err(e) => {
            let code = e.failure_code();
            assert!(
                [
                    FailureCode::INVALID_ONION_VERSION,
                    FailureCode::INVALID_ONION_KEY,
                    FailureCode::INVALID_ONION_HMAC,
                    FailureCode::INVALID_ONION_PAYLOAD,
                ]
                .contains(&code),
                "unexpected failure code {code:?}"
            );
            assert_eq!(e.to_failure(&packet).code(), code);
        }
    }
}

fn genuine_route(data: &[u8]) {
    let mut payloads: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    while payloads.len() < 4 {
        let Some((&len, tail)) = rest.split_first() else {
            break;
        };
        let len = usize::from(len).min(tail.len());
        payloads.push(&tail[..len]);
        rest = &tail[len..];
    }
    if payloads.is_empty() {
        return;
    }
    let node_keys: Vec<SecretKey> = (0..payloads.len())
        .map(|i| secret(0x50 + i as u8))
        .collect();
    let hops: Vec<Hop<'_>> = node_keys
        .iter()
        .zip(&payloads)
        .map(|(key, payload)| Hop {
            node_id: PublicKey::from_secret_key(secp(), key),
            payload,
        })
        .collect();
    let associated_data = [0x42u8; 32];
    let built = match build_onion(secp(), &secret(0x43), &hops, &associated_data) {
        Ok(built) => built,
        Err(BuildError::PayloadTooShort { hop, len }) => {
            assert!(len < 2 && payloads[hop].len() == len);
            return;
        }
        Err(e) => panic!("unexpected build error {e:?}"),
    };
    assert!(payloads.iter().all(|p| p.len() >= 2));

    // Flipping a byte chosen by the input breaks the first hop's HMAC.
    let mut tampered = built.packet.clone();
    let index = data.len() % HOP_PAYLOADS_LEN;
    tampered.hop_payloads[index] ^= 1;
    assert_eq!(
        peel_onion(secp(), &node_keys[0], &tampered, &associated_data),
        Err(PeelError::InvalidHmac)
    );

    let mut packet = built.packet;
    for (i, key) in node_keys.iter().enumerate() {
        let peeled = peel_onion(secp(), key, &packet, &associated_data)
            .unwrap_or_else(|e| panic!("hop {i} could not peel a genuine onion: {e}"));
        assert_eq!(peeled.shared_secret, built.shared_secrets[i]);
        assert_eq!(peeled.hop.payload(), payloads[i], "hop {i} payload differs");
        check_peeled(&peeled);
        match peeled.hop {
            PeeledHop::Forward { next_packet, .. } => {
                assert!(i + 1 < node_keys.len(), "last hop told to forward");
                packet = *next_packet;
            }
            PeeledHop::Final { .. } => {
                assert_eq!(i + 1, node_keys.len(), "hop {i} is not the last");
            }
        }
    }
}

fn authentic_plaintext(data: &[u8]) {
    let node = secret(0x41);
    let ephemeral = secret(0x44);
    let public_key = PublicKey::from_secret_key(secp(), &ephemeral);
    let shared = SharedSecret::compute(&PublicKey::from_secret_key(secp(), &node), &ephemeral);
    let mut hop_payloads = [0u8; HOP_PAYLOADS_LEN];
    let take = data.len().min(HOP_PAYLOADS_LEN);
    hop_payloads[..take].copy_from_slice(&data[..take]);
    let plain = hop_payloads;
    apply_stream(&shared.rho(), &mut hop_payloads);
    let mut engine = HmacEngine::<sha256::Hash>::new(&shared.mu());
    engine.input(&hop_payloads);
    let hmac = Hmac::<sha256::Hash>::from_engine(engine).to_byte_array();
    let packet = OnionPacket {
        version: 0,
        public_key: public_key.serialize(),
        hop_payloads,
        hmac,
    };
    match peel_onion(secp(), &node, &packet, &[]) {
        Ok(peeled) => {
            check_peeled(&peeled);
            let payload = peeled.hop.payload();
            let prefix = match plain[0] {
                0xfd => 3,
                0xfe => 5,
                0xff => 9,
                _ => 1,
            };
            assert_eq!(payload, &plain[prefix..prefix + payload.len()]);
            let next_hmac = &plain[prefix + payload.len()..prefix + payload.len() + 32];
            assert_eq!(
                matches!(peeled.hop, PeeledHop::Final { .. }),
                next_hmac == [0u8; 32]
            );
        }
        Err(e) => assert_eq!(e.failure_code(), FailureCode::INVALID_ONION_PAYLOAD),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => raw_packet(rest),
        1 => genuine_route(rest),
        _ => authentic_plaintext(rest),
    }
});
