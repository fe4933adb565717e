//! The BOLT 8 receive path: `Decryptor` and the handshake acts a peer sends.
//!
//! The first input byte is a control byte. Its low two bits pick the mode.
//! In the transport modes its high six bits `c` set the chunk size the
//! stream is fed in (`c * c` bytes per `feed`, 0 for all at once); in the
//! handshake modes bit 2 picks the raw or the xor variant.
//!
//! * mode 0, raw: the rest is fed to a `Decryptor` with fixed keys, draining
//!   `next_message` after every chunk until `Ok(None)` or `Err`. Nothing may
//!   authenticate, and the outcome is exact: fewer than 18 bytes wait for
//!   more, 18 or more fail with `BadTag`.
//! * mode 1, seeded: the rest describes one to four plaintexts that a
//!   matching `Encryptor` encrypts, a byte of the ciphertext to flip (or
//!   none), and fuzzer bytes to append after the frames. The decryptor must
//!   yield exactly the plaintexts before the flipped frame and then
//!   `BadTag`, or all of them when nothing was flipped; the appended bytes
//!   never authenticate. (Key rotation at nonce 1000 is left to the BOLT 8
//!   vector test: 500 frames per run made this target ten times slower.)
//! * mode 2, act one (and act two): the first 50 bytes go to the responder's
//!   `process_act_one` and to an initiator's `process_act_two` (raw), or are
//!   xored into the genuine act first (bit 2 set). An act must be accepted
//!   exactly when it is the genuine one: the keys are fixed, so the genuine
//!   act is a fixed string the fuzzer can learn from comparisons, and
//!   anything else must be refused (a short act, a bad version, an invalid
//!   key, a bad tag).
//! * mode 3, act three: the same with the first 66 bytes for the responder's
//!   `process_act_three` after a genuine act one; an accepted act three must
//!   give transports that know each other's keys and talk to each other.
//!
//! Every refusal must be an `Err`, never a panic.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rayo_wire::noise::{
    Decryptor, Encryptor, InitiatorAwaitingActTwo, ResponderAwaitingActOne, Transport,
    TransportError, ACT_ONE_LEN, ACT_THREE_LEN, ACT_TWO_LEN, LENGTH_HEADER_LEN,
};
use rayo_wire::secp256k1::{All, PublicKey, Secp256k1, SecretKey};

const CK: [u8; 32] = [0x11; 32];
const KEY_A: [u8; 32] = [0x22; 32];
const KEY_B: [u8; 32] = [0x33; 32];
/// The raw mode's receive key, which no encryptor in this target ever uses:
/// no valid frame for it exists anywhere in the process for the fuzzer to
/// learn from a comparison, so anything it makes up must be refused.
const KEY_RAW: [u8; 32] = [0x44; 32];

const INITIATOR_STATIC: u8 = 0x41;
const INITIATOR_EPHEMERAL: u8 = 0x42;
const RESPONDER_STATIC: u8 = 0x51;
const RESPONDER_EPHEMERAL: u8 = 0x52;

struct Keys {
    secp: Secp256k1<All>,
    transport_pub: PublicKey,
    initiator_pub: PublicKey,
    responder_pub: PublicKey,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let secp = Secp256k1::new();
        Keys {
            transport_pub: key(0x07).public_key(&secp),
            initiator_pub: key(INITIATOR_STATIC).public_key(&secp),
            responder_pub: key(RESPONDER_STATIC).public_key(&secp),
            secp,
        }
    })
}

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).expect("valid secret key")
}

/// A sender and a receiver whose keys match.
fn matching_pair() -> (Encryptor, Decryptor) {
    let pk = keys().transport_pub;
    let sender = Transport::new(pk, CK, KEY_A, KEY_B);
    let receiver = Transport::new(pk, CK, KEY_B, KEY_A);
    (sender.encryptor, receiver.decryptor)
}

struct Outcome {
    messages: Vec<Vec<u8>>,
    error: Option<TransportError>,
}

/// Feeds `stream` in pieces of `chunk` bytes, draining after each, and stops
/// at the first error as a connection would.
fn drive(decryptor: &mut Decryptor, stream: &[u8], chunk: usize) -> Outcome {
    let mut outcome = Outcome {
        messages: Vec::new(),
        error: None,
    };
    for piece in stream.chunks(chunk) {
        decryptor.feed(piece);
        loop {
            match decryptor.next_message() {
                Ok(Some(message)) => outcome.messages.push(message),
                Ok(None) => {
                    // A reader that reads `bytes_needed` would hang on zero.
                    assert!(
                        decryptor.bytes_needed() > 0,
                        "next_message wants more bytes but bytes_needed is 0"
                    );
                    break;
                }
                Err(e) => {
                    outcome.error = Some(e);
                    return outcome;
                }
            }
        }
    }
    outcome
}

/// The end of a stream that holds no valid frame: fewer than a header's bytes
/// wait for more, a whole header fails authentication.
fn assert_forged_tail(decryptor: &Decryptor, outcome: &Outcome, tail_len: usize) {
    if tail_len < LENGTH_HEADER_LEN {
        assert_eq!(outcome.error, None, "error before a whole header arrived");
        assert_eq!(decryptor.bytes_needed(), LENGTH_HEADER_LEN - tail_len);
    } else {
        assert_eq!(
            outcome.error,
            Some(TransportError::BadTag),
            "a forged length header was not refused"
        );
    }
}

fn raw(bytes: &[u8], chunk: usize) {
    let mut decryptor = Transport::new(keys().transport_pub, CK, KEY_A, KEY_RAW).decryptor;
    let outcome = drive(&mut decryptor, bytes, chunk);
    assert!(
        outcome.messages.is_empty(),
        "a frame made up by the fuzzer authenticated"
    );
    assert_forged_tail(&decryptor, &outcome, bytes.len());
}

/// Reads the seeded mode's description from the input.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.0.split_at(n.min(self.0.len()));
        self.0 = tail;
        head
    }
    fn u8(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.u8(), self.u8()])
    }
}

fn seeded(bytes: &[u8], chunk: usize) {
    let mut input = Input(bytes);
    let count = usize::from(input.u8() % 4) + 1;
    let tamper_pos = usize::from(input.u16());
    let tamper_xor = input.u8();
    let mut plaintexts: Vec<&[u8]> = Vec::with_capacity(count);
    for _ in 0..count {
        let len = usize::from(input.u16());
        plaintexts.push(input.take(len));
    }
    let tail = input.0;

    let (mut encryptor, mut decryptor) = matching_pair();
    let mut stream = Vec::new();
    let mut frame_ends = Vec::with_capacity(plaintexts.len());
    for plaintext in &plaintexts {
        encryptor
            .encrypt_into(plaintext, &mut stream)
            .expect("plaintexts are below 65536 bytes");
        frame_ends.push(stream.len());
    }
    let tampered_frame = (tamper_xor != 0 && tamper_pos < stream.len()).then(|| {
        stream[tamper_pos] ^= tamper_xor;
        frame_ends
            .iter()
            .position(|end| tamper_pos < *end)
            .expect("position inside some frame")
    });
    stream.extend_from_slice(tail);

    let outcome = drive(&mut decryptor, &stream, chunk);
    match tampered_frame {
        Some(k) => {
            assert_eq!(
                outcome.messages.len(),
                k,
                "wrong number of frames delivered before the one flipped"
            );
            assert_eq!(
                outcome.error,
                Some(TransportError::BadTag),
                "a flipped byte in frame {k} was not refused"
            );
        }
        None => {
            assert_eq!(
                outcome.messages.len(),
                plaintexts.len(),
                "valid frames lost, or fuzzer bytes authenticated"
            );
            assert_forged_tail(&decryptor, &outcome, tail.len());
        }
    }
    for (got, sent) in outcome.messages.iter().zip(&plaintexts) {
        assert_eq!(
            got.as_slice(),
            *sent,
            "decrypted message differs from the one sent"
        );
    }
}

/// The act a handshake step is handed, from the fuzzer's bytes and the
/// genuine act: the first `N` bytes as they are (raw), or xored into the
/// genuine act (missing bytes count as zero). Also says whether it is the
/// genuine act, which is what must be accepted.
///
/// The keys here are fixed, so each genuine act is one fixed string, and
/// libFuzzer learns it from comparisons (this one included): a raw input may
/// well be the genuine act, and then it must be accepted.
fn act_from<const N: usize>(genuine: [u8; N], bytes: &[u8], xor: bool) -> (Vec<u8>, bool) {
    let act = if xor {
        let mut act = genuine;
        for (a, b) in act.iter_mut().zip(bytes) {
            *a ^= b;
        }
        act.to_vec()
    } else {
        bytes[..bytes.len().min(N)].to_vec()
    };
    let is_genuine = act == genuine;
    (act, is_genuine)
}

fn responder() -> ResponderAwaitingActOne {
    ResponderAwaitingActOne::new(
        &keys().secp,
        key(RESPONDER_STATIC),
        key(RESPONDER_EPHEMERAL),
    )
}

fn initiator() -> (InitiatorAwaitingActTwo, [u8; ACT_ONE_LEN]) {
    InitiatorAwaitingActTwo::start(
        &keys().secp,
        key(INITIATOR_STATIC),
        key(INITIATOR_EPHEMERAL),
        keys().responder_pub,
    )
}

fn act_one_and_two(bytes: &[u8], xor: bool) {
    let (initiator, genuine_act_one) = initiator();
    let (act_one, is_genuine) = act_from::<ACT_ONE_LEN>(genuine_act_one, bytes, xor);
    assert_eq!(
        responder().process_act_one(&act_one).is_ok(),
        is_genuine,
        "act one accepted though not genuine, or genuine and refused"
    );

    let (_, genuine_act_two) = responder()
        .process_act_one(&genuine_act_one)
        .expect("genuine act one");
    let (act_two, is_genuine) = act_from::<ACT_TWO_LEN>(genuine_act_two, bytes, xor);
    assert_eq!(
        initiator.process_act_two(&act_two).is_ok(),
        is_genuine,
        "act two accepted though not genuine, or genuine and refused"
    );
}

fn act_three(bytes: &[u8], xor: bool) {
    let (initiator, act_one) = initiator();
    let (responder, act_two) = responder()
        .process_act_one(&act_one)
        .expect("genuine act one");
    let (mut initiator_transport, genuine_act_three) = initiator
        .process_act_two(&act_two)
        .expect("genuine act two");
    let (act, is_genuine) = act_from::<ACT_THREE_LEN>(genuine_act_three, bytes, xor);
    let result = responder.process_act_three(&act);
    assert_eq!(
        result.is_ok(),
        is_genuine,
        "act three accepted though not genuine, or genuine and refused"
    );
    let Ok(mut responder_transport) = result else {
        return;
    };
    // A completed handshake: each side knows the other, and they talk.
    assert_eq!(responder_transport.remote_static, keys().initiator_pub);
    assert_eq!(initiator_transport.remote_static, keys().responder_pub);
    let frame = initiator_transport
        .encryptor
        .encrypt(b"hello")
        .expect("short");
    responder_transport.decryptor.feed(&frame);
    assert_eq!(
        responder_transport.decryptor.next_message(),
        Ok(Some(b"hello".to_vec()))
    );
    let frame = responder_transport
        .encryptor
        .encrypt(b"world")
        .expect("short");
    initiator_transport.decryptor.feed(&frame);
    assert_eq!(
        initiator_transport.decryptor.next_message(),
        Ok(Some(b"world".to_vec()))
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let c = usize::from(control >> 2);
    let chunk = if c == 0 { usize::MAX } else { c * c };
    let xor = control & 0b100 != 0;
    match control & 0b11 {
        0 => raw(rest, chunk),
        1 => seeded(rest, chunk),
        2 => act_one_and_two(rest, xor),
        _ => act_three(rest, xor),
    }
});
