//! The BOLT 4 test vectors (copied into `tests/vectors/`, see its README):
//! the variable-length onion built byte for byte and peeled hop by hop, the
//! 256-byte failure returned by the last hop, and the spec's trace of a
//! failure with a TLV extension through every hop back to the origin.

use rayo_onion::keys::{apply_stream, generate_key, KeyType};
use rayo_onion::secp256k1::{PublicKey, Secp256k1, SecretKey};
use rayo_onion::{
    build_failure_packet, build_onion, decrypt_failure, peel_onion, wrap_failure_packet, Failure,
    FailureCode, FailureMessage, Hop, HopPayload, OnionPacket, PeeledHop, SharedSecret,
    ONION_PACKET_LEN,
};
use rayo_wire::amount::Msat;
use rayo_wire::ser::Reader;
use rayo_wire::tlv::TlvWriter;
use serde_json::Value;

const ONION_TEST: &str = include_str!("vectors/onion-test.json");
const ERROR_TEST: &str = include_str!("vectors/onion-error-test.json");
const ERROR_TRACE: &str = include_str!("vectors/onion-error-trace.json");

fn unhex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn unhex32(v: &Value) -> [u8; 32] {
    unhex(v).try_into().expect("32 bytes")
}

/// The vector's payloads carry their BigSize length prefix; the builder
/// adds it itself.
fn strip_length_prefix(bytes: &[u8]) -> Vec<u8> {
    let mut r = Reader::new(bytes);
    let len = r.bigsize().unwrap() as usize;
    let rest = r.rest();
    assert_eq!(rest.len(), len, "prefix matches the payload");
    rest.to_vec()
}

struct OnionVector {
    session_key: SecretKey,
    associated_data: Vec<u8>,
    hops: Vec<(PublicKey, Vec<u8>)>,
    onion: Vec<u8>,
    node_keys: Vec<SecretKey>,
}

fn onion_vector() -> OnionVector {
    let v: Value = serde_json::from_str(ONION_TEST).unwrap();
    let g = &v["generate"];
    OnionVector {
        session_key: SecretKey::from_slice(&unhex(&g["session_key"])).unwrap(),
        associated_data: unhex(&g["associated_data"]),
        hops: g["hops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    PublicKey::from_slice(&unhex(&h["pubkey"])).unwrap(),
                    strip_length_prefix(&unhex(&h["payload"])),
                )
            })
            .collect(),
        onion: unhex(&v["onion"]),
        node_keys: v["decode"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| SecretKey::from_slice(&unhex(k)).unwrap())
            .collect(),
    }
}

fn build_vector_onion(v: &OnionVector) -> rayo_onion::BuiltOnion {
    let secp = Secp256k1::new();
    let hops: Vec<Hop<'_>> = v
        .hops
        .iter()
        .map(|(node_id, payload)| Hop {
            node_id: *node_id,
            payload,
        })
        .collect();
    build_onion(&secp, &v.session_key, &hops, &v.associated_data).unwrap()
}

#[test]
fn onion_vector_is_built_byte_for_byte() {
    let v = onion_vector();
    let built = build_vector_onion(&v);
    assert_eq!(built.packet.to_bytes().to_vec(), v.onion);
    assert_eq!(built.shared_secrets.len(), 5);
    // The third payload (index 1 here) is longer than 252 bytes and takes a
    // three-byte length prefix.
    assert!(v.hops[1].1.len() < 253 && v.hops[4].1.len() >= 253);
    // Parsing and serializing is the identity.
    let bytes: [u8; ONION_PACKET_LEN] = v.onion.clone().try_into().unwrap();
    assert_eq!(OnionPacket::from_bytes(&bytes), built.packet);
}

#[test]
fn onion_vector_is_peeled_hop_by_hop() {
    let v = onion_vector();
    let secp = Secp256k1::new();
    let built = build_vector_onion(&v);
    let mut packet = OnionPacket::from_slice(&v.onion).unwrap();
    for (index, key) in v.node_keys.iter().enumerate() {
        assert_eq!(PublicKey::from_secret_key(&secp, key), v.hops[index].0);
        let peeled = peel_onion(&secp, key, &packet, &v.associated_data).unwrap();
        assert_eq!(peeled.shared_secret, built.shared_secrets[index]);
        assert_eq!(peeled.hop.payload(), v.hops[index].1.as_slice());
        // Every payload of the vector is a valid TLV stream that re-encodes
        // to itself (the odd custom records are kept).
        let decoded = HopPayload::decode(peeled.hop.payload()).unwrap();
        assert_eq!(decoded.encode(), v.hops[index].1);
        match peeled.hop {
            PeeledHop::Forward { next_packet, .. } => {
                assert!(index < 4, "hop {index} should be final");
                packet = *next_packet;
            }
            PeeledHop::Final { .. } => assert_eq!(index, 4, "only the last hop is final"),
        }
    }
}

#[test]
fn onion_vector_payload_fields() {
    let v = onion_vector();
    let first = rayo_onion::ForwardPayload::decode(&v.hops[0].1).unwrap();
    assert_eq!(first.amt_to_forward, Msat(15_000));
    assert_eq!(first.outgoing_cltv_value, 1500);
    assert_eq!(first.short_channel_id.0, 1);
    let second = HopPayload::decode(&v.hops[1].1).unwrap();
    assert_eq!(
        second.custom_records.keys().copied().collect::<Vec<_>>(),
        [513]
    );
    let last = rayo_onion::FinalPayload::decode(&v.hops[4].1).unwrap();
    assert_eq!(last.amt_to_forward, Msat(10_000));
    assert_eq!(last.outgoing_cltv_value, 1000);
    assert_eq!(last.total_msat(), Msat(10_000));
    assert!(last.payment_data.is_some());
    assert_eq!(
        last.custom_records.keys().copied().collect::<Vec<_>>(),
        [301]
    );
}

/// The route's shared secrets, as the origin computes them, for the
/// failure vectors (same keys as the onion vector).
fn route_secrets() -> Vec<SharedSecret> {
    build_vector_onion(&onion_vector()).shared_secrets
}

#[test]
fn error_vector_last_hop_temporary_node_failure() {
    let v: Value = serde_json::from_str(ERROR_TEST).unwrap();
    let hops = v["generate"]["hops"].as_array().unwrap();
    let secrets = route_secrets();
    let session = onion_vector();
    assert_eq!(
        unhex(&v["generate"]["session_key"]),
        session.session_key.secret_bytes()
    );
    for (index, (hop, secret)) in hops.iter().zip(&secrets).enumerate() {
        assert_eq!(hop["version"], 0);
        assert_eq!(
            PublicKey::from_slice(&unhex(&hop["pubkey"])).unwrap(),
            session.hops[index].0
        );
        assert_eq!(secret.as_bytes(), &unhex32(&hop["hop_shared_secret"]));
        assert_eq!(secret.ammag(), unhex32(&hop["ammag_key"]));
    }
    let failing = &secrets[4];
    assert_eq!(failing.um(), unhex32(&hops[4]["um_key"]));
    assert_eq!(generate_key(KeyType::Um, failing.as_bytes()), failing.um());

    let message = unhex(&v["generate"]["failure_message"]);
    let decoded = FailureMessage::decode(&message).unwrap();
    assert_eq!(decoded.failure, Failure::TemporaryNodeFailure);
    assert_eq!(decoded.encode().unwrap(), message);

    // At the failing node: the packet before obfuscation is the HMAC then
    // the vector's payload (the vector omits the HMAC).
    let mut packet = build_failure_packet(failing, &message, 256).unwrap();
    let mut raw = packet.clone();
    wrap_failure_packet(failing, &mut raw);
    assert_eq!(raw[32..], unhex(&hops[4]["payload"])[..]);
    assert_eq!(decoded.to_packet(failing).unwrap(), packet);

    for secret in secrets[..4].iter().rev() {
        wrap_failure_packet(secret, &mut packet);
    }
    assert_eq!(packet, unhex(&v["errorpacket"]));

    let attributed = decrypt_failure(&secrets, &packet).unwrap();
    assert_eq!(attributed.hop_index, 4);
    assert_eq!(
        attributed.message.code(),
        FailureCode::TEMPORARY_NODE_FAILURE
    );
}

#[test]
fn error_trace_with_tlv_extension_through_every_hop() {
    let v: Value = serde_json::from_str(ERROR_TRACE).unwrap();
    let secrets = route_secrets();
    let failing = &secrets[4];
    assert_eq!(failing.as_bytes(), &unhex32(&v["shared_secret"]));
    assert_eq!(failing.um(), unhex32(&v["um_key"]));

    let mut extension = Vec::new();
    TlvWriter::new(&mut extension).record(34001, &[128u8; 300]);
    let message = FailureMessage {
        failure: Failure::IncorrectOrUnknownPaymentDetails {
            htlc_msat: Msat(100),
            height: 800_000,
        },
        extension,
    };
    let encoded = message.encode().unwrap();
    assert_eq!(encoded.len(), 320);
    // The trace's "encoded_failure_message" runs on into pad_len and pad.
    let trace_message = unhex(&v["encoded_failure_message"]);
    assert_eq!(encoded, trace_message[..320]);
    let decoded = FailureMessage::decode(&encoded).unwrap();
    assert_eq!(decoded, message);
    let records: Vec<_> = decoded.tlv_records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].ty, 34001);

    // This trace pads message and pad to 1024 bytes.
    let mut packet = build_failure_packet(failing, &encoded, 1024).unwrap();
    let mut raw = packet.clone();
    wrap_failure_packet(failing, &mut raw);
    assert_eq!(raw, unhex(&v["raw_error_packet"]));
    assert_eq!(raw[32..], unhex(&v["payload"])[..]);

    let steps = v["forwarding"].as_array().unwrap();
    assert_eq!(steps.len(), 5);
    for (step_index, step) in steps.iter().enumerate() {
        let node = step["node"].as_u64().unwrap() as usize;
        assert_eq!(node, 4 - step_index);
        let secret = &secrets[node];
        assert_eq!(secret.as_bytes(), &unhex32(&step["shared_secret"]));
        assert_eq!(secret.ammag(), unhex32(&step["ammag_key"]));
        let mut stream = vec![0u8; raw.len()];
        apply_stream(&secret.ammag(), &mut stream);
        assert_eq!(stream, unhex(&step["stream"]));
        // The failing node's own obfuscation is part of building.
        if node != 4 {
            wrap_failure_packet(secret, &mut packet);
        }
        assert_eq!(
            packet,
            unhex(&step["error_packet"]),
            "packet after node {node}"
        );
    }

    let attributed = decrypt_failure(&secrets, &packet).unwrap();
    assert_eq!(attributed.hop_index, 4);
    assert_eq!(attributed.message, message);
    // With only the first three hops' secrets the origin finds nobody.
    assert_eq!(
        decrypt_failure(&secrets[..3], &packet),
        Err(rayo_onion::AttributionError::NoMatchingHop)
    );
}
