//! The key schedule of BOLT 4: ECDH shared secrets, the keys derived from
//! them (`rho`, `mu`, `um`, `pad`, `ammag`), the ChaCha20 byte streams and the
//! blinding of ephemeral keys from hop to hop.
//!
//! Everything here is a pure function of its arguments; the session key and
//! node keys come from the caller.

use std::fmt;

use bitcoin::hashes::{sha256, Hash, HashEngine, Hmac, HmacEngine};
use bitcoin::secp256k1::{ecdh, PublicKey, Scalar, Secp256k1, SecretKey, Verification};
use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20::ChaCha20;

/// The 32-byte secret a hop shares with the origin: SHA256 of the compressed
/// ECDH point. The origin keeps one per hop of a route to decrypt a failure
/// that comes back; a hop keeps its own to wrap one.
///
/// `Debug` does not print the bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SharedSecret([u8; 32]);

impl SharedSecret {
    /// Wraps 32 bytes kept from an earlier ECDH (for example in storage).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw secret, to store it next to an HTLC.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// BOLT 4 ECDH: SHA256 of the compressed point `secret * point`, which is
    /// exactly libsecp256k1's default ECDH hash.
    pub fn compute(point: &PublicKey, secret: &SecretKey) -> Self {
        Self(ecdh::SharedSecret::new(point, secret).secret_bytes())
    }

    /// The key of the stream that obfuscates `hop_payloads`.
    pub fn rho(&self) -> [u8; 32] {
        generate_key(KeyType::Rho, &self.0)
    }

    /// The key of the HMAC over `hop_payloads` and associated data.
    pub fn mu(&self) -> [u8; 32] {
        generate_key(KeyType::Mu, &self.0)
    }

    /// The key of the HMAC a failing hop puts on its failure message.
    pub fn um(&self) -> [u8; 32] {
        generate_key(KeyType::Um, &self.0)
    }

    /// The key of the stream that obfuscates a failure packet at each hop.
    pub fn ammag(&self) -> [u8; 32] {
        generate_key(KeyType::Ammag, &self.0)
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// The key types of BOLT 4's key generation: each names the HMAC key used
/// to derive a purpose-specific key from a 32-byte secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `rho`: the `hop_payloads` stream.
    Rho,
    /// `mu`: the packet HMAC.
    Mu,
    /// `um`: the failure-message HMAC.
    Um,
    /// `pad`: the initial random filling of `hop_payloads`, from the session key.
    Pad,
    /// `ammag`: the failure-packet stream.
    Ammag,
}

impl KeyType {
    /// The ASCII label used as HMAC key, without a terminating zero.
    pub fn label(self) -> &'static [u8] {
        match self {
            KeyType::Rho => b"rho",
            KeyType::Mu => b"mu",
            KeyType::Um => b"um",
            KeyType::Pad => b"pad",
            KeyType::Ammag => b"ammag",
        }
    }
}

/// BOLT 4 key generation: HMAC-SHA256 keyed with the key type's label, over
/// the 32-byte secret.
pub fn generate_key(key_type: KeyType, secret: &[u8; 32]) -> [u8; 32] {
    hmac_sha256(key_type.label(), &[secret])
}

/// XORs `data` with the ChaCha20 stream of `key` and the all-zero 96-bit
/// nonce (the spec's pseudo-random byte stream). Applying it twice restores
/// the input.
pub fn apply_stream(key: &[u8; 32], data: &mut [u8]) {
    let mut cipher = ChaCha20::new(key.into(), &[0u8; 12].into());
    cipher.apply_keystream(data);
}

/// The blinding factor that turns a hop's ephemeral key into the next
/// hop's: SHA256 of the compressed ephemeral public key and the shared secret.
pub fn blinding_factor(ephemeral_key: &PublicKey, shared_secret: &SharedSecret) -> [u8; 32] {
    let mut engine = sha256::Hash::engine();
    engine.input(&ephemeral_key.serialize());
    engine.input(shared_secret.as_bytes());
    sha256::Hash::from_engine(engine).to_byte_array()
}

/// Why an ephemeral key could not be blinded. Only a hash that is not a valid
/// scalar (probability about 2^-128) or a product that is the point at
/// infinity can cause it; neither can be provoked without breaking SHA256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the blinding factor is not a valid secp256k1 scalar")]
pub struct BlindingError;

/// The next hop's ephemeral public key, as a forwarding hop computes it:
/// the incoming key multiplied by the blinding factor.
pub fn blind_public_key<C: Verification>(
    secp: &Secp256k1<C>,
    ephemeral_key: &PublicKey,
    shared_secret: &SharedSecret,
) -> Result<PublicKey, BlindingError> {
    let tweak = Scalar::from_be_bytes(blinding_factor(ephemeral_key, shared_secret))
        .map_err(|_| BlindingError)?;
    ephemeral_key
        .mul_tweak(secp, &tweak)
        .map_err(|_| BlindingError)
}

/// The next hop's ephemeral private key, as the origin computes it while
/// building: the current private key multiplied by the blinding factor of
/// its public key.
pub fn blind_secret_key(
    ephemeral_secret: &SecretKey,
    ephemeral_key: &PublicKey,
    shared_secret: &SharedSecret,
) -> Result<SecretKey, BlindingError> {
    let tweak = Scalar::from_be_bytes(blinding_factor(ephemeral_key, shared_secret))
        .map_err(|_| BlindingError)?;
    ephemeral_secret
        .mul_tweak(&tweak)
        .map_err(|_| BlindingError)
}

/// HMAC-SHA256 of the concatenation of `parts`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut engine = HmacEngine::<sha256::Hash>::new(key);
    for part in parts {
        engine.input(part);
    }
    Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
}

/// Compares two 32-byte MACs without an early exit, so the time taken does
/// not tell how many leading bytes matched.
pub(crate) fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_compare_agrees_with_eq() {
        let a = [7u8; 32];
        let mut b = a;
        assert!(ct_eq(&a, &b));
        b[31] ^= 1;
        assert!(!ct_eq(&a, &b));
        b[31] ^= 1;
        b[0] ^= 0x80;
        assert!(!ct_eq(&a, &b));
    }

    #[test]
    fn stream_is_an_involution() {
        let key = [9u8; 32];
        let mut data = *b"attack at dawn, or maybe at noon";
        apply_stream(&key, &mut data);
        assert_ne!(&data, b"attack at dawn, or maybe at noon");
        apply_stream(&key, &mut data);
        assert_eq!(&data, b"attack at dawn, or maybe at noon");
    }

    #[test]
    fn shared_secret_debug_hides_the_bytes() {
        let s = SharedSecret::from_bytes([0xab; 32]);
        assert_eq!(format!("{s:?}"), "SharedSecret(..)");
    }

    #[test]
    fn blinding_agrees_between_origin_and_hop() {
        let secp = Secp256k1::new();
        let ek = SecretKey::from_slice(&[0x41; 32]).unwrap();
        let epk = PublicKey::from_secret_key(&secp, &ek);
        let node = SecretKey::from_slice(&[0x42; 32]).unwrap();
        let node_pk = PublicKey::from_secret_key(&secp, &node);
        let ss = SharedSecret::compute(&node_pk, &ek);
        assert_eq!(ss, SharedSecret::compute(&epk, &node));
        let next_sk = blind_secret_key(&ek, &epk, &ss).unwrap();
        let next_pk = blind_public_key(&secp, &epk, &ss).unwrap();
        assert_eq!(PublicKey::from_secret_key(&secp, &next_sk), next_pk);
    }
}
