//! BOLT 8 Appendix A: initiator and responder handshakes (including every
//! failing act) and the message-encryption vectors with key rotation.

use rayo_wire::noise::{
    HandshakeError, InitiatorAwaitingActTwo, ResponderAwaitingActOne, Transport, TransportError,
};
use rayo_wire::secp256k1::{PublicKey, Secp256k1, SecretKey};

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s.trim_start_matches("0x")).unwrap()
}

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

const RS_PUB: &str = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";
const LS_PUB: &str = "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa";
const ACT_ONE: &str = "00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a";
const ACT_TWO: &str = "0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae";
const ACT_THREE: &str = "00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba";
const SK: &str = "969ab31b4d288cedf6218839b27a3e2140827047f2c0f01bf5c04435d43511a9";
const RK: &str = "bb9020b8965f4df047e07f955f3c4b88418984aadc5cdb35096b9ea8fa5c3442";
const CK: &str = "919219dbb2920afa8db80f9a51787a840bcf111ed8d588caf9ab4be716e42b01";

fn initiator() -> InitiatorAwaitingActTwo {
    let secp = Secp256k1::new();
    let (state, act_one) =
        InitiatorAwaitingActTwo::start(&secp, key(0x11), key(0x12), RS_PUB.parse().unwrap());
    assert_eq!(act_one.to_vec(), unhex(ACT_ONE));
    state
}

fn responder() -> ResponderAwaitingActOne {
    let secp = Secp256k1::new();
    let state = ResponderAwaitingActOne::new(&secp, key(0x21), key(0x22));
    assert_eq!(key(0x21).public_key(&secp).to_string(), RS_PUB);
    state
}

/// A transport built from known keys, to compare with the handshake's.
fn first_frames(transport: &mut Transport) -> Vec<u8> {
    transport.encryptor.encrypt(b"hello").unwrap()
}

#[test]
fn initiator_successful_handshake() {
    let (mut transport, act_three) = initiator().process_act_two(&unhex(ACT_TWO)).unwrap();
    assert_eq!(act_three.to_vec(), unhex(ACT_THREE));
    assert_eq!(transport.remote_static.to_string(), RS_PUB);
    // sk and rk as the vector gives them: the first frame under sk matches
    // the message vector's output 0.
    let mut expected = Transport::new(
        RS_PUB.parse().unwrap(),
        unhex(CK).try_into().unwrap(),
        unhex(SK).try_into().unwrap(),
        unhex(RK).try_into().unwrap(),
    );
    assert_eq!(first_frames(&mut transport), first_frames(&mut expected));
}

#[test]
fn initiator_act_two_failures() {
    let cases = [
        (
            "0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730",
            HandshakeError::WrongLength { act: 2, len: 49, expected: 50 },
        ),
        (
            "0102466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae",
            HandshakeError::BadVersion { act: 2, version: 1 },
        ),
        (
            "0004466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730ae",
            HandshakeError::BadPublicKey { act: 2 },
        ),
        (
            "0002466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f276e2470b93aac583c9ef6eafca3f730af",
            HandshakeError::BadTag { act: 2 },
        ),
    ];
    for (input, err) in cases {
        assert_eq!(initiator().process_act_two(&unhex(input)).err(), Some(err));
    }
}

#[test]
fn responder_successful_handshake() {
    let (state, act_two) = responder().process_act_one(&unhex(ACT_ONE)).unwrap();
    assert_eq!(act_two.to_vec(), unhex(ACT_TWO));
    let mut transport = state.process_act_three(&unhex(ACT_THREE)).unwrap();
    assert_eq!(transport.remote_static.to_string(), LS_PUB);
    // The responder's send key is the initiator's receive key (rk above).
    let mut expected = Transport::new(
        LS_PUB.parse().unwrap(),
        unhex(CK).try_into().unwrap(),
        unhex(RK).try_into().unwrap(),
        unhex(SK).try_into().unwrap(),
    );
    assert_eq!(first_frames(&mut transport), first_frames(&mut expected));
}

#[test]
fn responder_act_one_failures() {
    let cases = [
        (
            "00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c",
            HandshakeError::WrongLength { act: 1, len: 49, expected: 50 },
        ),
        (
            "01036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a",
            HandshakeError::BadVersion { act: 1, version: 1 },
        ),
        (
            "00046360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6a",
            HandshakeError::BadPublicKey { act: 1 },
        ),
        (
            "00036360e856310ce5d294e8be33fc807077dc56ac80d95d9cd4ddbd21325eff73f70df6086551151f58b8afe6c195782c6b",
            HandshakeError::BadTag { act: 1 },
        ),
    ];
    for (input, err) in cases {
        assert_eq!(responder().process_act_one(&unhex(input)).err(), Some(err));
    }
}

#[test]
fn responder_act_three_failures() {
    let cases = [
        (
            "01b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba",
            HandshakeError::BadVersion { act: 3, version: 1 },
        ),
        (
            "00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139",
            HandshakeError::WrongLength { act: 3, len: 65, expected: 66 },
        ),
        (
            "00c9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139ba",
            HandshakeError::BadTag { act: 3 },
        ),
        (
            "00bfe3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa2235536ad09a8ee351870c2bb7f78b754a26c6cef79a98d25139c856d7efd252c2ae73c",
            HandshakeError::BadPublicKey { act: 3 },
        ),
        (
            "00b9e3a702e93e3a9948c2ed6e5fd7590a6e1c3a0344cfc9d5b57357049aa22355361aa02e55a8fc28fef5bd6d71ad0c38228dc68b1c466263b47fdf31e560e139bb",
            HandshakeError::BadTag { act: 3 },
        ),
    ];
    for (input, err) in cases {
        let (state, _) = responder().process_act_one(&unhex(ACT_ONE)).unwrap();
        assert_eq!(state.process_act_three(&unhex(input)).err(), Some(err));
    }
}

fn vector_pair() -> (Transport, Transport) {
    let pk: PublicKey = RS_PUB.parse().unwrap();
    let ck = unhex(CK).try_into().unwrap();
    let (sk, rk) = (unhex(SK).try_into().unwrap(), unhex(RK).try_into().unwrap());
    (
        Transport::new(pk, ck, sk, rk),
        Transport::new(pk, ck, rk, sk),
    )
}

#[test]
fn message_encryption_vectors_with_key_rotation() {
    let expected = [
        (
            0,
            "cf2b30ddf0cf3f80e7c35a6e6730b59fe802473180f396d88a8fb0db8cbcf25d2f214cf9ea1d95",
        ),
        (
            1,
            "72887022101f0b6753e0c7de21657d35a4cb2a1f5cde2650528bbc8f837d0f0d7ad833b1a256a1",
        ),
        (
            500,
            "178cb9d7387190fa34db9c2d50027d21793c9bc2d40b1e14dcf30ebeeeb220f48364f7a4c68bf8",
        ),
        (
            501,
            "1b186c57d44eb6de4c057c49940d79bb838a145cb528d6e8fd26dbe50a60ca2c104b56b60e45bd",
        ),
        (
            1000,
            "4a2f3cc3b5e78ddb83dcb426d9863d9d9a723b0337c89dd0b005d89f8d3c05c52b76b29b740f09",
        ),
        (
            1001,
            "2ecd8c8a5629d0d02ab457a0fdd0f7b90a192cd46be5ecb6ca570bfc5e268338b1a16cf4ef2d36",
        ),
    ];
    let (mut alice, mut bob) = vector_pair();
    let mut seen = 0;
    for i in 0..=1001 {
        let frame = alice.encryptor.encrypt(b"hello").unwrap();
        if let Some((_, out)) = expected.iter().find(|(n, _)| *n == i) {
            assert_eq!(hex::encode(&frame), *out, "output {i}");
            seen += 1;
        }
        // The receiver, rotating its own key in step, decrypts every frame,
        // fed one byte at a time.
        for byte in &frame[..frame.len() - 1] {
            bob.decryptor.feed(std::slice::from_ref(byte));
            assert_eq!(bob.decryptor.next_message(), Ok(None));
        }
        bob.decryptor.feed(&frame[frame.len() - 1..]);
        assert_eq!(bob.decryptor.next_message(), Ok(Some(b"hello".to_vec())));
    }
    assert_eq!(seen, expected.len());
}

#[test]
fn corrupt_frames_are_rejected() {
    let (mut alice, _) = vector_pair();
    let frame = alice.encryptor.encrypt(b"hello").unwrap();
    for flip in [0, 17, 18, frame.len() - 1] {
        let (_, mut bob) = vector_pair();
        let mut bad = frame.clone();
        bad[flip] ^= 1;
        bob.decryptor.feed(&bad);
        assert_eq!(
            bob.decryptor.next_message(),
            Err(TransportError::BadTag),
            "byte {flip}"
        );
    }
}

#[test]
fn oversized_message_cannot_be_framed() {
    let (mut alice, _) = vector_pair();
    assert_eq!(
        alice.encryptor.encrypt(&vec![0; 65536]),
        Err(TransportError::MessageTooLong(65536))
    );
    assert!(alice.encryptor.encrypt(&vec![0; 65535]).is_ok());
}
