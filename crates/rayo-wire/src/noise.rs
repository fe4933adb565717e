//! BOLT 8: the `Noise_XK_secp256k1_ChaChaPoly_SHA256` handshake and the
//! encrypted, length-prefixed transport that follows it.
//!
//! Sans-io. The handshake is three acts of fixed size; each phase is its own
//! type, so an act can only be processed in the phase that expects it. The
//! caller reads exactly [`ACT_ONE_LEN`], [`ACT_TWO_LEN`] or [`ACT_THREE_LEN`]
//! bytes and hands them in. Ephemeral keys are arguments, never generated
//! here. The finished handshake yields a [`Transport`], split into an
//! [`Encryptor`] and a [`Decryptor`] so reading and writing can live in
//! different tasks.

use bitcoin::secp256k1::{ecdh::SharedSecret, PublicKey, Secp256k1, SecretKey, Signing};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce, Tag};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

/// Size of act one (initiator to responder).
pub const ACT_ONE_LEN: usize = 50;
/// Size of act two (responder to initiator).
pub const ACT_TWO_LEN: usize = 50;
/// Size of act three (initiator to responder).
pub const ACT_THREE_LEN: usize = 66;
/// Size of the Poly1305 tag after every ciphertext.
pub const MAC_LEN: usize = 16;
/// Size of an encrypted length prefix: two bytes and their tag.
pub const LENGTH_HEADER_LEN: usize = 2 + MAC_LEN;

const PROTOCOL_NAME: &[u8] = b"Noise_XK_secp256k1_ChaChaPoly_SHA256";
const PROLOGUE: &[u8] = b"lightning";
const KEY_ROTATION_INTERVAL: u64 = 1000;

/// Why a handshake act was refused. Every variant ends the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The act had the wrong number of bytes (a short read).
    #[error("act {act} has {len} bytes, expected {expected}")]
    WrongLength {
        /// Which act (1, 2 or 3).
        act: u8,
        /// Bytes given.
        len: usize,
        /// Bytes required.
        expected: usize,
    },
    /// The act's version byte was not 0.
    #[error("act {act} has unknown handshake version {version}")]
    BadVersion {
        /// Which act.
        act: u8,
        /// The version byte received.
        version: u8,
    },
    /// The act carried a key that is not a valid compressed point.
    #[error("act {act} carries an invalid public key")]
    BadPublicKey {
        /// Which act.
        act: u8,
    },
    /// A ciphertext's tag did not verify.
    #[error("act {act} failed authentication")]
    BadTag {
        /// Which act.
        act: u8,
    },
}

/// Why the encrypted transport failed. Every variant ends the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// A message longer than 65535 bytes cannot be framed.
    #[error("message of {0} bytes exceeds the 65535-byte limit")]
    MessageTooLong(usize),
    /// A length prefix or body failed authentication.
    #[error("message failed authentication")]
    BadTag,
}

/// The symmetric state both handshake sides carry: chaining key and hash.
#[derive(Clone)]
struct SymmetricState {
    ck: [u8; 32],
    h: [u8; 32],
}

impl SymmetricState {
    /// Handshake state initialization; `responder_static` is `rs` for the
    /// initiator and `ls.pub` for the responder.
    fn new(responder_static: &PublicKey) -> Self {
        let h: [u8; 32] = Sha256::digest(PROTOCOL_NAME).into();
        let mut state = Self { ck: h, h };
        state.mix_hash(PROLOGUE);
        state.mix_hash(&responder_static.serialize());
        state
    }

    fn mix_hash(&mut self, data: &[u8]) {
        self.h = Sha256::new()
            .chain_update(self.h)
            .chain_update(data)
            .finalize()
            .into();
    }

    /// `ck, temp_k = HKDF(ck, ikm)`; returns `temp_k`.
    fn mix_key(&mut self, ikm: &[u8]) -> [u8; 32] {
        let (ck, k) = hkdf2(&self.ck, ikm);
        self.ck = ck;
        k
    }

    /// `encryptWithAD(k, n, h, plaintext)`, then mixes the ciphertext in.
    fn encrypt_and_hash(&mut self, key: &[u8; 32], nonce: u64, plaintext: &[u8], out: &mut [u8]) {
        let (body, tag) = out.split_at_mut(plaintext.len());
        body.copy_from_slice(plaintext);
        tag.copy_from_slice(&seal(key, nonce, &self.h, body));
        self.mix_hash(out);
    }

    /// `decryptWithAD(k, n, h, ciphertext)`, then mixes the ciphertext in.
    fn decrypt_and_hash(
        &mut self,
        key: &[u8; 32],
        nonce: u64,
        ciphertext: &[u8],
        act: u8,
    ) -> Result<Vec<u8>, HandshakeError> {
        let (body, tag) = ciphertext.split_at(ciphertext.len() - MAC_LEN);
        let mut plain = body.to_vec();
        open(key, nonce, &self.h, &mut plain, tag).map_err(|_| HandshakeError::BadTag { act })?;
        self.mix_hash(ciphertext);
        Ok(plain)
    }

    /// The final split into the two directions' keys: (first, second).
    fn split(&self) -> ([u8; 32], [u8; 32]) {
        hkdf2(&self.ck, &[])
    }
}

/// HKDF-SHA256 with `salt` as the salt and an empty info, 64 bytes out.
fn hkdf2(salt: &[u8; 32], ikm: &[u8]) -> ([u8; 32], [u8; 32]) {
    let mut okm = [0u8; 64];
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(&[], &mut okm)
        .expect("64 bytes is a valid HKDF-SHA256 output length");
    let (a, b) = okm.split_at(32);
    (a.try_into().expect("32"), b.try_into().expect("32"))
}

fn chacha_nonce(n: u64) -> Nonce {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_le_bytes());
    Nonce::from(nonce)
}

/// Encrypts `buf` in place, returning the tag.
fn seal(key: &[u8; 32], n: u64, ad: &[u8], buf: &mut [u8]) -> [u8; MAC_LEN] {
    ChaCha20Poly1305::new(Key::from_slice(key))
        .encrypt_in_place_detached(&chacha_nonce(n), ad, buf)
        .expect("plaintexts here are far below ChaCha20's limit")
        .into()
}

/// Decrypts `buf` in place if `tag` verifies.
fn open(key: &[u8; 32], n: u64, ad: &[u8], buf: &mut [u8], tag: &[u8]) -> Result<(), ()> {
    ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt_in_place_detached(&chacha_nonce(n), ad, buf, Tag::from_slice(tag))
        .map_err(|_| ())
}

fn ecdh(point: &PublicKey, secret: &SecretKey) -> [u8; 32] {
    SharedSecret::new(point, secret).secret_bytes()
}

fn parse_act(bytes: &[u8], act: u8, expected: usize) -> Result<&[u8], HandshakeError> {
    if bytes.len() != expected {
        return Err(HandshakeError::WrongLength {
            act,
            len: bytes.len(),
            expected,
        });
    }
    match bytes[0] {
        0 => Ok(&bytes[1..]),
        version => Err(HandshakeError::BadVersion { act, version }),
    }
}

fn parse_key(bytes: &[u8], act: u8) -> Result<PublicKey, HandshakeError> {
    PublicKey::from_slice(bytes).map_err(|_| HandshakeError::BadPublicKey { act })
}

/// Builds act one or act two: `0 || e.pub || tag`, mixing `ECDH(e, remote)`.
fn write_ephemeral_act(
    state: &mut SymmetricState,
    ephemeral_pub: &PublicKey,
    shared: [u8; 32],
) -> ([u8; 50], [u8; 32]) {
    let mut act = [0u8; 50];
    let e = ephemeral_pub.serialize();
    act[1..34].copy_from_slice(&e);
    state.mix_hash(&e);
    let temp_k = state.mix_key(&shared);
    state.encrypt_and_hash(&temp_k, 0, &[], &mut act[34..]);
    (act, temp_k)
}

/// Reads act one or act two: returns the remote ephemeral key and `temp_k`.
fn read_ephemeral_act(
    state: &mut SymmetricState,
    bytes: &[u8],
    act: u8,
    local_secret: &SecretKey,
) -> Result<(PublicKey, [u8; 32]), HandshakeError> {
    let body = parse_act(bytes, act, ACT_ONE_LEN)?;
    let remote_ephemeral = parse_key(&body[..33], act)?;
    state.mix_hash(&body[..33]);
    let temp_k = state.mix_key(&ecdh(&remote_ephemeral, local_secret));
    state.decrypt_and_hash(&temp_k, 0, &body[33..], act)?;
    Ok((remote_ephemeral, temp_k))
}

/// The initiator after sending act one, waiting for act two.
pub struct InitiatorAwaitingActTwo {
    state: SymmetricState,
    local_static: SecretKey,
    local_static_pub: PublicKey,
    ephemeral: SecretKey,
    remote_static: PublicKey,
}

impl InitiatorAwaitingActTwo {
    /// Starts a handshake to `remote_static` and returns act one to send.
    /// `ephemeral` must be fresh randomness for every connection.
    pub fn start<C: Signing>(
        secp: &Secp256k1<C>,
        local_static: SecretKey,
        ephemeral: SecretKey,
        remote_static: PublicKey,
    ) -> (Self, [u8; ACT_ONE_LEN]) {
        let mut state = SymmetricState::new(&remote_static);
        let (act_one, _) = write_ephemeral_act(
            &mut state,
            &ephemeral.public_key(secp),
            ecdh(&remote_static, &ephemeral),
        );
        let this = Self {
            state,
            local_static_pub: local_static.public_key(secp),
            local_static,
            ephemeral,
            remote_static,
        };
        (this, act_one)
    }

    /// Processes act two; on success returns the transport and act three,
    /// which the caller must send before any message.
    pub fn process_act_two(
        mut self,
        act_two: &[u8],
    ) -> Result<(Transport, [u8; ACT_THREE_LEN]), HandshakeError> {
        let (remote_ephemeral, temp_k2) =
            read_ephemeral_act(&mut self.state, act_two, 2, &self.ephemeral)?;
        let mut act = [0u8; ACT_THREE_LEN];
        self.state.encrypt_and_hash(
            &temp_k2,
            1,
            &self.local_static_pub.serialize(),
            &mut act[1..50],
        );
        let temp_k3 = self
            .state
            .mix_key(&ecdh(&remote_ephemeral, &self.local_static));
        self.state
            .encrypt_and_hash(&temp_k3, 0, &[], &mut act[50..]);
        let (sk, rk) = self.state.split();
        Ok((
            Transport::new(self.remote_static, self.state.ck, sk, rk),
            act,
        ))
    }
}

/// The responder waiting for act one.
pub struct ResponderAwaitingActOne {
    state: SymmetricState,
    local_static: SecretKey,
    ephemeral: SecretKey,
    ephemeral_pub: PublicKey,
}

impl ResponderAwaitingActOne {
    /// Prepares to answer an incoming connection. `ephemeral` must be fresh
    /// randomness for every connection.
    pub fn new<C: Signing>(
        secp: &Secp256k1<C>,
        local_static: SecretKey,
        ephemeral: SecretKey,
    ) -> Self {
        Self {
            state: SymmetricState::new(&local_static.public_key(secp)),
            local_static,
            ephemeral_pub: ephemeral.public_key(secp),
            ephemeral,
        }
    }

    /// Processes act one; on success returns act two to send.
    pub fn process_act_one(
        mut self,
        act_one: &[u8],
    ) -> Result<(ResponderAwaitingActThree, [u8; ACT_TWO_LEN]), HandshakeError> {
        let (remote_ephemeral, _) =
            read_ephemeral_act(&mut self.state, act_one, 1, &self.local_static)?;
        let (act_two, temp_k2) = write_ephemeral_act(
            &mut self.state,
            &self.ephemeral_pub,
            ecdh(&remote_ephemeral, &self.ephemeral),
        );
        let next = ResponderAwaitingActThree {
            state: self.state,
            ephemeral: self.ephemeral,
            temp_k2,
        };
        Ok((next, act_two))
    }
}

/// The responder after sending act two, waiting for act three.
pub struct ResponderAwaitingActThree {
    state: SymmetricState,
    ephemeral: SecretKey,
    temp_k2: [u8; 32],
}

impl ResponderAwaitingActThree {
    /// Processes act three; on success returns the transport, which knows
    /// the initiator's static key.
    pub fn process_act_three(mut self, act_three: &[u8]) -> Result<Transport, HandshakeError> {
        let body = parse_act(act_three, 3, ACT_THREE_LEN)?;
        let rs = self
            .state
            .decrypt_and_hash(&self.temp_k2, 1, &body[..49], 3)?;
        let remote_static = parse_key(&rs, 3)?;
        let temp_k3 = self.state.mix_key(&ecdh(&remote_static, &self.ephemeral));
        self.state.decrypt_and_hash(&temp_k3, 0, &body[49..], 3)?;
        let (rk, sk) = self.state.split();
        Ok(Transport::new(remote_static, self.state.ck, sk, rk))
    }
}

/// One direction's cipher: key, chaining key and nonce, with rotation.
#[derive(Clone)]
struct CipherState {
    ck: [u8; 32],
    key: [u8; 32],
    nonce: u64,
}

impl CipherState {
    /// Returns the nonce to use now and advances.
    fn next_nonce(&mut self) -> u64 {
        let n = self.nonce;
        self.nonce += 1;
        n
    }

    /// BOLT 8 key rotation: once a key has been used 1000 times,
    /// `ck', k' = HKDF(ck, k)` and the nonce restarts at 0.
    fn rotate_if_due(&mut self) {
        if self.nonce == KEY_ROTATION_INTERVAL {
            let (ck, key) = hkdf2(&self.ck, &self.key);
            self.ck = ck;
            self.key = key;
            self.nonce = 0;
        }
    }

    fn seal(&mut self, buf: &mut [u8]) -> [u8; MAC_LEN] {
        let n = self.next_nonce();
        let tag = seal(&self.key, n, &[], buf);
        self.rotate_if_due();
        tag
    }

    fn open(&mut self, buf: &mut [u8], tag: &[u8]) -> Result<(), TransportError> {
        let n = self.next_nonce();
        let result = open(&self.key, n, &[], buf, tag);
        self.rotate_if_due();
        result.map_err(|_| TransportError::BadTag)
    }
}

/// An established BOLT 8 session.
pub struct Transport {
    /// The peer's static public key (its node id), proven by the handshake.
    pub remote_static: PublicKey,
    /// Encrypts what we send.
    pub encryptor: Encryptor,
    /// Decrypts what we receive.
    pub decryptor: Decryptor,
}

impl Transport {
    /// A session from raw keys. Handshakes produce this; it is public so the
    /// spec's message vectors, which start from given keys, can be tested.
    pub fn new(remote_static: PublicKey, ck: [u8; 32], sk: [u8; 32], rk: [u8; 32]) -> Self {
        Self {
            remote_static,
            encryptor: Encryptor(CipherState {
                ck,
                key: sk,
                nonce: 0,
            }),
            decryptor: Decryptor {
                cipher: CipherState {
                    ck,
                    key: rk,
                    nonce: 0,
                },
                buffer: Vec::new(),
                pending_len: None,
            },
        }
    }
}

/// The sending half: turns a message into `lc || c`.
pub struct Encryptor(CipherState);

impl Encryptor {
    /// Appends the encrypted frame of `msg` to `out`.
    pub fn encrypt_into(&mut self, msg: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        let len =
            u16::try_from(msg.len()).map_err(|_| TransportError::MessageTooLong(msg.len()))?;
        let start = out.len();
        out.extend_from_slice(&len.to_be_bytes());
        let tag = self.0.seal(&mut out[start..start + 2]);
        out.extend_from_slice(&tag);
        let body = out.len();
        out.extend_from_slice(msg);
        let tag = self.0.seal(&mut out[body..]);
        out.extend_from_slice(&tag);
        Ok(())
    }

    /// The encrypted frame of `msg`.
    pub fn encrypt(&mut self, msg: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut out = Vec::with_capacity(msg.len() + LENGTH_HEADER_LEN + MAC_LEN);
        self.encrypt_into(msg, &mut out)?;
        Ok(out)
    }
}

/// The receiving half: takes bytes as they arrive and yields whole messages.
///
/// It buffers at most one frame (65535 + 34 bytes) beyond what the caller
/// hands in; callers that read in bounded chunks therefore hold a bounded
/// amount of memory per connection.
pub struct Decryptor {
    cipher: CipherState,
    buffer: Vec<u8>,
    /// The decrypted length of the body we are waiting for, if the length
    /// header has been consumed.
    pending_len: Option<usize>,
}

impl Decryptor {
    /// Hands in received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// How many more bytes complete the next step (a header or a body); a
    /// reader can use it to read exactly that much.
    pub fn bytes_needed(&self) -> usize {
        let want = match self.pending_len {
            None => LENGTH_HEADER_LEN,
            Some(len) => len + MAC_LEN,
        };
        want.saturating_sub(self.buffer.len())
    }

    /// The next whole message, if its bytes have all arrived.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        let len = match self.pending_len {
            Some(len) => len,
            None => {
                if self.buffer.len() < LENGTH_HEADER_LEN {
                    return Ok(None);
                }
                let len = self.decrypt_length_header()?;
                self.pending_len = Some(len);
                len
            }
        };
        if self.buffer.len() < len + MAC_LEN {
            return Ok(None);
        }
        let mut frame: Vec<u8> = self.buffer.drain(..len + MAC_LEN).collect();
        let tag = frame.split_off(len);
        self.cipher.open(&mut frame, &tag)?;
        self.pending_len = None;
        Ok(Some(frame))
    }

    fn decrypt_length_header(&mut self) -> Result<usize, TransportError> {
        let mut len = [self.buffer[0], self.buffer[1]];
        self.cipher
            .open(&mut len, &self.buffer[2..LENGTH_HEADER_LEN])?;
        self.buffer.drain(..LENGTH_HEADER_LEN);
        Ok(usize::from(u16::from_be_bytes(len)))
    }
}
