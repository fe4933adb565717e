//! Building and peeling beyond the spec vectors: every route length up to 20
//! hops (with failures coming back from hops along it), and each way a hop
//! must refuse a packet.

use bitcoin::hashes::{sha256, Hash, HashEngine, Hmac, HmacEngine};
use rayo_onion::keys::apply_stream;
use rayo_onion::packet::HOP_PAYLOADS_LEN;
use rayo_onion::secp256k1::{PublicKey, Secp256k1, SecretKey};
use rayo_onion::{
    build_onion, decrypt_failure, peel_onion, peel_onion_with, wrap_failure_packet, BuildError,
    Failure, FailureCode, FailureMessage, FinalPayload, ForwardPayload, Hop, HopPayload,
    OnionPacket, PeelError, PeeledHop, SharedSecret,
};
use rayo_wire::amount::Msat;
use rayo_wire::ids::ShortChannelId;

/// A deterministic but random-looking secret key: SHA256 of a label.
fn key(label: &str, index: usize) -> SecretKey {
    let hash = sha256::Hash::hash(format!("{label}/{index}").as_bytes());
    SecretKey::from_slice(hash.as_byte_array()).expect("valid scalar")
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut engine = HmacEngine::<sha256::Hash>::new(key);
    for part in parts {
        engine.input(part);
    }
    Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
}

const PAYMENT_HASH: [u8; 32] = [0x42; 32];

/// Payloads for an `n`-hop route: forwarding payloads, then a final one,
/// with odd custom records of varied sizes that keep the route within
/// 1300 bytes (and, on short routes, push one payload past 252 bytes).
fn payloads(n: usize) -> Vec<Vec<u8>> {
    let budget = (HOP_PAYLOADS_LEN / n).saturating_sub(32 + 3 + 30 + 8);
    (0..n)
        .map(|i| {
            let extra = if n <= 3 && i == 0 {
                300
            } else {
                (i * 37 + n * 11) % 200
            }
            .min(budget);
            let mut payload = if i + 1 < n {
                HopPayload::from(ForwardPayload {
                    short_channel_id: ShortChannelId::new(700_000 + i as u32, i as u32, 1).unwrap(),
                    amt_to_forward: Msat(1_000_000 - i as u64 * 1000),
                    outgoing_cltv_value: 800_000 - i as u32 * 40,
                })
            } else {
                HopPayload::from(FinalPayload {
                    amt_to_forward: Msat(1_000_000 - i as u64 * 1000),
                    outgoing_cltv_value: 800_000 - i as u32 * 40,
                    payment_data: Some(rayo_onion::PaymentData {
                        payment_secret: [i as u8; 32],
                        total_msat: Msat(2_000_000),
                    }),
                    payment_metadata: None,
                    keysend_preimage: None,
                    custom_records: Default::default(),
                })
            };
            if extra > 0 {
                payload
                    .custom_records
                    .insert(65_537, vec![(i % 251) as u8; extra]);
            }
            payload.encode()
        })
        .collect()
}

#[test]
fn routes_of_1_to_20_hops_build_and_peel() {
    let secp = Secp256k1::new();
    for n in 1..=20 {
        let node_keys: Vec<SecretKey> = (0..n).map(|i| key("node", i)).collect();
        let payloads = payloads(n);
        let hops: Vec<Hop<'_>> = node_keys
            .iter()
            .zip(&payloads)
            .map(|(k, payload)| Hop {
                node_id: PublicKey::from_secret_key(&secp, k),
                payload,
            })
            .collect();
        let session_key = key("session", n);
        let built = build_onion(&secp, &session_key, &hops, &PAYMENT_HASH).unwrap();
        assert_eq!(built.shared_secrets.len(), n);
        // Building is deterministic in its arguments.
        assert_eq!(
            build_onion(&secp, &session_key, &hops, &PAYMENT_HASH).unwrap(),
            built
        );

        let mut packet = built.packet.clone();
        let mut hop_secrets = Vec::new();
        for (i, node_key) in node_keys.iter().enumerate() {
            // The wire form survives the trip.
            packet = OnionPacket::from_bytes(&packet.to_bytes());
            // Nobody else can peel this layer.
            let stranger = key("stranger", i);
            assert_eq!(
                peel_onion(&secp, &stranger, &packet, &PAYMENT_HASH),
                Err(PeelError::InvalidHmac)
            );
            let peeled = peel_onion(&secp, node_key, &packet, &PAYMENT_HASH).unwrap();
            assert_eq!(peeled.shared_secret, built.shared_secrets[i]);
            assert_eq!(
                peeled.hop.payload(),
                payloads[i].as_slice(),
                "n={n} hop {i}"
            );
            hop_secrets.push(peeled.shared_secret);
            match peeled.hop {
                PeeledHop::Forward {
                    payload,
                    next_packet,
                } => {
                    assert!(i + 1 < n, "n={n}: hop {i} told to forward");
                    let forward = ForwardPayload::decode(&payload).unwrap();
                    assert_eq!(forward.amt_to_forward, Msat(1_000_000 - i as u64 * 1000));
                    assert_ne!(next_packet.public_key, packet.public_key);
                    packet = *next_packet;
                }
                PeeledHop::Final { payload } => {
                    assert_eq!(i + 1, n, "n={n}: hop {i} is not the last");
                    let last = FinalPayload::decode(&payload).unwrap();
                    assert_eq!(last.total_msat(), Msat(2_000_000));
                    assert_eq!(
                        last.check_htlc(last.amt_to_forward, last.outgoing_cltv_value),
                        Ok(())
                    );
                }
            }
        }

        // A failure from the last hop and one from the middle travel back,
        // each hop wrapping with its own secret, and are attributed.
        for failing in [n - 1, n / 2] {
            let message = FailureMessage::from(Failure::TemporaryChannelFailure {
                channel_update: vec![failing as u8; 3],
            });
            let mut reason = message.to_packet(&hop_secrets[failing]).unwrap();
            for secret in hop_secrets[..failing].iter().rev() {
                wrap_failure_packet(secret, &mut reason);
            }
            let attributed = decrypt_failure(&built.shared_secrets, &reason).unwrap();
            assert_eq!(attributed.hop_index, failing, "n={n}");
            assert_eq!(attributed.message, message);
        }
    }
}

fn one_hop_onion() -> (SecretKey, OnionPacket) {
    let secp = Secp256k1::new();
    let node = key("node", 0);
    let payload = payloads(1).remove(0);
    let built = build_onion(
        &secp,
        &key("session", 0),
        &[Hop {
            node_id: PublicKey::from_secret_key(&secp, &node),
            payload: &payload,
        }],
        &PAYMENT_HASH,
    )
    .unwrap();
    (node, built.packet)
}

#[test]
fn tampered_packets_fail_the_hmac() {
    let secp = Secp256k1::new();
    let (node, packet) = one_hop_onion();
    assert!(peel_onion(&secp, &node, &packet, &PAYMENT_HASH).is_ok());
    for index in [0, 100, HOP_PAYLOADS_LEN - 1] {
        let mut bad = packet.clone();
        bad.hop_payloads[index] ^= 0x01;
        assert_eq!(
            peel_onion(&secp, &node, &bad, &PAYMENT_HASH),
            Err(PeelError::InvalidHmac)
        );
    }
    let mut bad = packet.clone();
    bad.hmac[31] ^= 0x80;
    let err = peel_onion(&secp, &node, &bad, &PAYMENT_HASH).unwrap_err();
    assert_eq!(err, PeelError::InvalidHmac);
    assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_HMAC);
    assert_eq!(
        err.to_failure(&bad),
        Failure::InvalidOnionHmac {
            sha256_of_onion: sha256::Hash::hash(&bad.to_bytes()).to_byte_array()
        }
    );
    // The associated data (payment hash) is committed to.
    assert_eq!(
        peel_onion(&secp, &node, &packet, &[0x43; 32]),
        Err(PeelError::InvalidHmac)
    );
}

#[test]
fn unknown_version_is_refused_before_anything_else() {
    let secp = Secp256k1::new();
    let (node, packet) = one_hop_onion();
    for version in [1u8, 0xff] {
        let mut bad = packet.clone();
        bad.version = version;
        let err = peel_onion(&secp, &node, &bad, &PAYMENT_HASH).unwrap_err();
        assert_eq!(err, PeelError::UnknownVersion(version));
        assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_VERSION);
        assert_eq!(
            err.to_failure(&bad),
            Failure::InvalidOnionVersion {
                sha256_of_onion: bad.sha256()
            }
        );
    }
}

#[test]
fn invalid_ephemeral_key_is_refused() {
    let secp = Secp256k1::new();
    let (node, packet) = one_hop_onion();
    let mut keys = vec![[0u8; 33], [0xff; 33]];
    let mut not_on_curve = packet.public_key;
    not_on_curve[0] = 0x04; // not a compressed prefix
    keys.push(not_on_curve);
    // x = 5 is not on secp256k1 (5^3 + 7 = 132 is not a square mod p).
    let mut x5 = [0u8; 33];
    x5[0] = 0x02;
    x5[32] = 5;
    keys.push(x5);
    for public_key in keys {
        let mut bad = packet.clone();
        bad.public_key = public_key;
        let err = peel_onion(&secp, &node, &bad, &PAYMENT_HASH).unwrap_err();
        assert_eq!(err, PeelError::InvalidKey);
        assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_KEY);
        assert!(matches!(
            err.to_failure(&bad),
            Failure::InvalidOnionKey { .. }
        ));
    }
}

#[test]
fn build_refuses_routes_that_do_not_fit() {
    let secp = Secp256k1::new();
    let node_id = PublicKey::from_secret_key(&secp, &key("node", 0));
    let session = key("session", 0);
    // One payload that fills the packet exactly fits: 3 + 1265 + 32 = 1300.
    let exact = vec![0x01; 1265];
    assert!(build_onion(
        &secp,
        &session,
        &[Hop {
            node_id,
            payload: &exact
        }],
        &[]
    )
    .is_ok());
    let big = vec![0x01; 1266];
    assert_eq!(
        build_onion(
            &secp,
            &session,
            &[Hop {
                node_id,
                payload: &big
            }],
            &[]
        ),
        Err(BuildError::PayloadsTooLarge { needed: 1301 })
    );
    // 27 hops of 16 bytes (1 + 16 + 32 = 49 each) overflow: 1323 bytes.
    let small = vec![0x01; 16];
    let hops = vec![
        Hop {
            node_id,
            payload: &small
        };
        27
    ];
    assert_eq!(
        build_onion(&secp, &session, &hops, &[]),
        Err(BuildError::PayloadsTooLarge { needed: 27 * 49 })
    );
    assert!(build_onion(&secp, &session, &hops[..26], &[]).is_ok());
    assert_eq!(
        build_onion(&secp, &session, &[], &[]),
        Err(BuildError::NoHops)
    );
    assert_eq!(
        build_onion(
            &secp,
            &session,
            &[
                Hop {
                    node_id,
                    payload: &small
                },
                Hop {
                    node_id,
                    payload: &[1]
                }
            ],
            &[]
        ),
        Err(BuildError::PayloadTooShort { hop: 1, len: 1 })
    );
}

/// A packet with a valid HMAC whose decrypted `hop_payloads` start with
/// `plain`: what only a buggy or malicious origin could send.
fn authentic_packet(node: &SecretKey, plain: &[u8]) -> OnionPacket {
    let secp = Secp256k1::new();
    let ephemeral = key("ephemeral", 0);
    let public_key = PublicKey::from_secret_key(&secp, &ephemeral);
    let shared = SharedSecret::compute(&PublicKey::from_secret_key(&secp, node), &ephemeral);
    let mut hop_payloads = [0u8; HOP_PAYLOADS_LEN];
    hop_payloads[..plain.len()].copy_from_slice(plain);
    apply_stream(&shared.rho(), &mut hop_payloads);
    OnionPacket {
        version: 0,
        public_key: public_key.serialize(),
        hop_payloads,
        hmac: hmac(&shared.mu(), &[&hop_payloads, &PAYMENT_HASH]),
    }
}

#[test]
fn authentic_packets_with_bad_lengths_are_invalid_payloads() {
    let secp = Secp256k1::new();
    let node = key("node", 0);
    let cases: [(&[u8], PeelError); 6] = [
        (&[0x00], PeelError::PayloadTooShort(0)),
        (&[0x01], PeelError::PayloadTooShort(1)),
        // 0xfd followed by a value below 0xfd is not canonical.
        (&[0xfd, 0x00, 0x10], PeelError::MalformedLength),
        // 3 + 1266 + 32 > 1300.
        (&[0xfd, 0x04, 0xf2], PeelError::PayloadTooLong(1266)),
        (
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            PeelError::PayloadTooLong(u64::MAX),
        ),
        (
            &[0xfe, 0x00, 0x01, 0x00, 0x00],
            PeelError::PayloadTooLong(0x1_0000),
        ),
    ];
    for (plain, expected) in cases {
        let packet = authentic_packet(&node, plain);
        let err = peel_onion(&secp, &node, &packet, &PAYMENT_HASH).unwrap_err();
        assert_eq!(err, expected);
        assert_eq!(err.failure_code(), FailureCode::INVALID_ONION_PAYLOAD);
        assert_eq!(
            err.to_failure(&packet),
            Failure::InvalidOnionPayload { ty: 0, offset: 0 }
        );
    }
    // The largest payload that fits is accepted: 3 + 1265 + 32 = 1300, and
    // a zero next HMAC makes it final.
    let mut plain = vec![0xfd, 0x04, 0xf1];
    plain.extend_from_slice(&[0x2a; 1265]);
    let packet = authentic_packet(&node, &plain);
    let peeled = peel_onion(&secp, &node, &packet, &PAYMENT_HASH).unwrap();
    assert_eq!(
        peeled.hop,
        PeeledHop::Final {
            payload: vec![0x2a; 1265]
        }
    );
}

#[test]
fn peel_with_a_caller_supplied_ecdh() {
    let secp = Secp256k1::new();
    let (node, packet) = one_hop_onion();
    let direct = peel_onion(&secp, &node, &packet, &PAYMENT_HASH).unwrap();
    let mut seen = None;
    let via_closure = peel_onion_with(&secp, &packet, &PAYMENT_HASH, |point| {
        seen = Some(*point);
        SharedSecret::compute(point, &node)
    })
    .unwrap();
    assert_eq!(via_closure, direct);
    assert_eq!(seen.unwrap().serialize(), packet.public_key);
}

#[test]
fn from_slice_rejects_wrong_lengths() {
    assert!(OnionPacket::from_slice(&[0; 1365]).is_err());
    assert!(OnionPacket::from_slice(&[0; 1367]).is_err());
    assert!(OnionPacket::from_slice(&[0; 1366]).is_ok());
}
