//! The `onion_packet` of BOLT 4: its fixed 1366-byte layout, construction at
//! the origin and peeling at each hop.

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey, Signing, Verification};
use rayo_wire::ser::{bigsize_len, Reader, WriteExt};

use crate::failure::{Failure, FailureCode};
use crate::keys::{
    apply_stream, blind_public_key, blind_secret_key, ct_eq, generate_key, hmac_sha256,
    BlindingError, KeyType, SharedSecret,
};

/// Length of a serialized `onion_packet`.
pub const ONION_PACKET_LEN: usize = 1366;
/// Length of the `hop_payloads` field.
pub const HOP_PAYLOADS_LEN: usize = 1300;
/// Length of every HMAC in the packet.
pub const HMAC_LEN: usize = 32;
/// The only packet version this crate (and the spec) knows.
pub const ONION_VERSION: u8 = 0;

/// An `onion_packet` as it travels in `update_add_htlc`.
///
/// The public key is kept as raw bytes: a packet with an invalid key must
/// still be parsed, so that the hop can answer `invalid_onion_key` with the
/// hash of the onion it received.
#[derive(Clone, PartialEq, Eq)]
pub struct OnionPacket {
    /// Packet version; 0 is the only one defined.
    pub version: u8,
    /// The ephemeral key for this hop, compressed (not yet validated).
    pub public_key: [u8; 33],
    /// The obfuscated per-hop payloads and filler.
    pub hop_payloads: [u8; HOP_PAYLOADS_LEN],
    /// HMAC over `hop_payloads` and the associated data, for this hop.
    pub hmac: [u8; HMAC_LEN],
}

impl std::fmt::Debug for OnionPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnionPacket")
            .field("version", &self.version)
            .field("public_key", &Hex(&self.public_key))
            .field("hmac", &Hex(&self.hmac))
            .finish_non_exhaustive()
    }
}

struct Hex<'a>(&'a [u8]);

impl std::fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// A byte string that is not 1366 bytes long, offered as an onion packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an onion packet is {ONION_PACKET_LEN} bytes, got {0}")]
pub struct PacketLengthError(pub usize);

impl OnionPacket {
    /// Splits the wire form into its fields. Every 1366-byte string parses;
    /// the version and key are checked when peeling.
    pub fn from_bytes(bytes: &[u8; ONION_PACKET_LEN]) -> Self {
        let mut public_key = [0u8; 33];
        public_key.copy_from_slice(&bytes[1..34]);
        let mut hop_payloads = [0u8; HOP_PAYLOADS_LEN];
        hop_payloads.copy_from_slice(&bytes[34..34 + HOP_PAYLOADS_LEN]);
        let mut hmac = [0u8; HMAC_LEN];
        hmac.copy_from_slice(&bytes[34 + HOP_PAYLOADS_LEN..]);
        Self {
            version: bytes[0],
            public_key,
            hop_payloads,
            hmac,
        }
    }

    /// Like [`OnionPacket::from_bytes`] for a slice whose length is not
    /// known at compile time (a field of a decoded message).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, PacketLengthError> {
        let array: &[u8; ONION_PACKET_LEN] = bytes
            .try_into()
            .map_err(|_| PacketLengthError(bytes.len()))?;
        Ok(Self::from_bytes(array))
    }

    /// The wire form.
    pub fn to_bytes(&self) -> [u8; ONION_PACKET_LEN] {
        let mut out = [0u8; ONION_PACKET_LEN];
        out[0] = self.version;
        out[1..34].copy_from_slice(&self.public_key);
        out[34..34 + HOP_PAYLOADS_LEN].copy_from_slice(&self.hop_payloads);
        out[34 + HOP_PAYLOADS_LEN..].copy_from_slice(&self.hmac);
        out
    }

    /// `sha256_of_onion`: what `invalid_onion_version`, `invalid_onion_hmac`,
    /// `invalid_onion_key` and `invalid_onion_blinding` carry.
    pub fn sha256(&self) -> [u8; 32] {
        sha256::Hash::hash(&self.to_bytes()).to_byte_array()
    }
}

/// One hop of a route to build an onion for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hop<'a> {
    /// The hop's node id, which the ECDH is done with.
    pub node_id: PublicKey,
    /// The hop's payload (a TLV stream, see [`crate::HopPayload`]), without
    /// its BigSize length prefix, which the construction adds.
    pub payload: &'a [u8],
}

/// A packet for the first hop and what the origin must remember of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltOnion {
    /// The packet to put in `update_add_htlc` to the first hop.
    pub packet: OnionPacket,
    /// One shared secret per hop, in route order: needed to decrypt and
    /// attribute a failure that comes back.
    pub shared_secrets: Vec<SharedSecret>,
}

/// Why an onion could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A route needs at least one hop.
    #[error("a route needs at least one hop")]
    NoHops,
    /// Payload lengths 0 and 1 are reserved; no TLV payload is that short.
    #[error("payload of hop {hop} is {len} bytes; the minimum is 2")]
    PayloadTooShort {
        /// Index of the hop in the route.
        hop: usize,
        /// Its payload length.
        len: usize,
    },
    /// The payloads with their length prefixes and HMACs exceed 1300 bytes.
    #[error("the hop payloads take {needed} bytes; an onion has {HOP_PAYLOADS_LEN}")]
    PayloadsTooLarge {
        /// Bytes the route needs.
        needed: usize,
    },
    /// Blinding the ephemeral key failed (cryptographically negligible).
    #[error(transparent)]
    Blinding(#[from] BlindingError),
}

/// The bytes a hop's entry takes in `hop_payloads`: BigSize length prefix,
/// payload and HMAC.
fn shift_size(payload_len: usize) -> usize {
    bigsize_len(payload_len as u64) + payload_len + HMAC_LEN
}

/// Builds the onion for `hops` from the origin's `session_key` (which must
/// be fresh randomness for every onion; it is an argument because this crate
/// draws no randomness) and the `associated_data` every HMAC commits to (the
/// payment hash for a payment).
///
/// The initial filling of `hop_payloads` is the ChaCha20 stream of the `pad`
/// key derived from the session key, as the spec's construction does, so the
/// same inputs always give the same packet.
pub fn build_onion<C: Signing>(
    secp: &Secp256k1<C>,
    session_key: &SecretKey,
    hops: &[Hop<'_>],
    associated_data: &[u8],
) -> Result<BuiltOnion, BuildError> {
    if hops.is_empty() {
        return Err(BuildError::NoHops);
    }
    let mut needed = 0usize;
    for (index, hop) in hops.iter().enumerate() {
        if hop.payload.len() < 2 {
            return Err(BuildError::PayloadTooShort {
                hop: index,
                len: hop.payload.len(),
            });
        }
        needed = needed.saturating_add(shift_size(hop.payload.len()));
    }
    if needed > HOP_PAYLOADS_LEN {
        return Err(BuildError::PayloadsTooLarge { needed });
    }

    // Ephemeral keys and shared secrets, hop by hop.
    let mut shared_secrets = Vec::with_capacity(hops.len());
    let mut ephemeral_secret = *session_key;
    let first_key = PublicKey::from_secret_key(secp, session_key);
    for (index, hop) in hops.iter().enumerate() {
        let ephemeral_key = PublicKey::from_secret_key(secp, &ephemeral_secret);
        let shared = SharedSecret::compute(&hop.node_id, &ephemeral_secret);
        shared_secrets.push(shared);
        if index + 1 < hops.len() {
            ephemeral_secret = blind_secret_key(&ephemeral_secret, &ephemeral_key, &shared)?;
        }
    }

    let filler = filler(hops, &shared_secrets);

    let mut mix = [0u8; HOP_PAYLOADS_LEN];
    apply_stream(
        &generate_key(KeyType::Pad, &session_key.secret_bytes()),
        &mut mix,
    );
    let mut next_hmac = [0u8; HMAC_LEN];
    for (index, (hop, shared)) in hops.iter().zip(&shared_secrets).enumerate().rev() {
        let shift = shift_size(hop.payload.len());
        mix.copy_within(0..HOP_PAYLOADS_LEN - shift, shift);
        let mut entry = Vec::with_capacity(shift);
        entry.put_bigsize(hop.payload.len() as u64);
        entry.extend_from_slice(hop.payload);
        entry.extend_from_slice(&next_hmac);
        mix[..shift].copy_from_slice(&entry);
        apply_stream(&shared.rho(), &mut mix);
        if index + 1 == hops.len() {
            mix[HOP_PAYLOADS_LEN - filler.len()..].copy_from_slice(&filler);
        }
        next_hmac = hmac_sha256(&shared.mu(), &[&mix, associated_data]);
    }

    Ok(BuiltOnion {
        packet: OnionPacket {
            version: ONION_VERSION,
            public_key: first_key.serialize(),
            hop_payloads: mix,
            hmac: next_hmac,
        },
        shared_secrets,
    })
}

/// The filler: the tail of the last hop's `hop_payloads` as the forwarding
/// hops before it leave it, each having appended zeros, XORed its `rho`
/// stream and shifted left by its entry. The caller has checked that the
/// entries fit in 1300 bytes.
fn filler(hops: &[Hop<'_>], shared_secrets: &[SharedSecret]) -> Vec<u8> {
    let mut filler: Vec<u8> = Vec::with_capacity(HOP_PAYLOADS_LEN);
    let mut stream = [0u8; 2 * HOP_PAYLOADS_LEN];
    for (hop, shared) in hops.iter().zip(shared_secrets).take(hops.len() - 1) {
        let before = filler.len();
        let shift = shift_size(hop.payload.len());
        filler.resize(before + shift, 0);
        stream.fill(0);
        apply_stream(&shared.rho(), &mut stream);
        // The filler so far sits at the end of this hop's 1300 bytes; after
        // the zero padding it runs on for `shift` more bytes.
        let start = HOP_PAYLOADS_LEN - before;
        for (f, s) in filler
            .iter_mut()
            .zip(&stream[start..start + before + shift])
        {
            *f ^= s;
        }
    }
    filler
}

/// What a hop learns from a packet addressed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeeledHop {
    /// Forward `next_packet` to the peer the payload names.
    Forward {
        /// This hop's payload (TLV stream without its length prefix).
        payload: Vec<u8>,
        /// The packet for the next hop (boxed: it is 1366 bytes).
        next_packet: Box<OnionPacket>,
    },
    /// This node is the final recipient.
    Final {
        /// This hop's payload (TLV stream without its length prefix).
        payload: Vec<u8>,
    },
}

impl PeeledHop {
    /// The payload, whichever the case.
    pub fn payload(&self) -> &[u8] {
        match self {
            PeeledHop::Forward { payload, .. } | PeeledHop::Final { payload } => payload,
        }
    }
}

/// A peeled packet and the shared secret the hop keeps with the HTLC, to wrap
/// a failure that comes back (or to build its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeled {
    /// The secret shared with the origin.
    pub shared_secret: SharedSecret,
    /// Forward or final, with the payload.
    pub hop: PeeledHop,
}

/// Why a hop could not process an onion packet. Each maps to the failure a
/// hop returns for it ([`PeelError::failure_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeelError {
    /// The version byte is not 0: `invalid_onion_version`.
    #[error("unknown onion version {0}")]
    UnknownVersion(u8),
    /// The ephemeral key is not a valid point: `invalid_onion_key`.
    #[error("invalid onion ephemeral key")]
    InvalidKey,
    /// The HMAC does not authenticate the packet: `invalid_onion_hmac`.
    #[error("onion hmac mismatch")]
    InvalidHmac,
    /// The payload length prefix is not a canonical BigSize:
    /// `invalid_onion_payload`.
    #[error("malformed payload length")]
    MalformedLength,
    /// The payload length is 0 or 1 (reserved): `invalid_onion_payload`.
    #[error("payload length {0} is reserved")]
    PayloadTooShort(u64),
    /// The payload and next HMAC run past the 1300 bytes:
    /// `invalid_onion_payload`.
    #[error("payload length {0} exceeds the packet")]
    PayloadTooLong(u64),
    /// The next ephemeral key could not be derived (cryptographically
    /// negligible): `invalid_onion_key`.
    #[error(transparent)]
    Blinding(#[from] BlindingError),
}

impl PeelError {
    /// The BOLT 4 failure code a hop answers this error with.
    pub fn failure_code(&self) -> FailureCode {
        match self {
            PeelError::UnknownVersion(_) => FailureCode::INVALID_ONION_VERSION,
            PeelError::InvalidKey | PeelError::Blinding(_) => FailureCode::INVALID_ONION_KEY,
            PeelError::InvalidHmac => FailureCode::INVALID_ONION_HMAC,
            PeelError::MalformedLength
            | PeelError::PayloadTooShort(_)
            | PeelError::PayloadTooLong(_) => FailureCode::INVALID_ONION_PAYLOAD,
        }
    }

    /// The failure message for this error, given the packet it came from.
    /// The first three kinds go back in `update_fail_malformed_htlc` (with
    /// the code and hash); the payload errors in `update_fail_htlc`.
    pub fn to_failure(&self, packet: &OnionPacket) -> Failure {
        let sha256_of_onion = packet.sha256();
        match self {
            PeelError::UnknownVersion(_) => Failure::InvalidOnionVersion { sha256_of_onion },
            PeelError::InvalidKey | PeelError::Blinding(_) => {
                Failure::InvalidOnionKey { sha256_of_onion }
            }
            PeelError::InvalidHmac => Failure::InvalidOnionHmac { sha256_of_onion },
            PeelError::MalformedLength
            | PeelError::PayloadTooShort(_)
            | PeelError::PayloadTooLong(_) => Failure::InvalidOnionPayload { ty: 0, offset: 0 },
        }
    }
}

/// Peels one layer with the node's secret key. `associated_data` is the
/// payment hash of the HTLC that carried the packet.
pub fn peel_onion<C: Verification>(
    secp: &Secp256k1<C>,
    node_secret: &SecretKey,
    packet: &OnionPacket,
    associated_data: &[u8],
) -> Result<Peeled, PeelError> {
    peel_onion_with(secp, packet, associated_data, |point| {
        SharedSecret::compute(point, node_secret)
    })
}

/// Peels one layer with an ECDH done by the caller: `ecdh` gets the packet's
/// ephemeral key and returns the shared secret. This serves a node whose key
/// lives in a signer, or one that must first tweak its key for a blinded
/// route.
pub fn peel_onion_with<C: Verification>(
    secp: &Secp256k1<C>,
    packet: &OnionPacket,
    associated_data: &[u8],
    ecdh: impl FnOnce(&PublicKey) -> SharedSecret,
) -> Result<Peeled, PeelError> {
    if packet.version != ONION_VERSION {
        return Err(PeelError::UnknownVersion(packet.version));
    }
    let ephemeral_key =
        PublicKey::from_slice(&packet.public_key).map_err(|_| PeelError::InvalidKey)?;
    let shared_secret = ecdh(&ephemeral_key);
    let expected = hmac_sha256(
        &shared_secret.mu(),
        &[&packet.hop_payloads, associated_data],
    );
    if !ct_eq(&expected, &packet.hmac) {
        return Err(PeelError::InvalidHmac);
    }

    let mut unwrapped = [0u8; 2 * HOP_PAYLOADS_LEN];
    unwrapped[..HOP_PAYLOADS_LEN].copy_from_slice(&packet.hop_payloads);
    apply_stream(&shared_secret.rho(), &mut unwrapped);

    let mut reader = Reader::new(&unwrapped);
    let len = reader.bigsize().map_err(|_| PeelError::MalformedLength)?;
    if len < 2 {
        return Err(PeelError::PayloadTooShort(len));
    }
    let prefix = bigsize_len(len);
    let shift = usize::try_from(len)
        .ok()
        .and_then(|l| l.checked_add(prefix + HMAC_LEN))
        .filter(|s| *s <= HOP_PAYLOADS_LEN)
        .ok_or(PeelError::PayloadTooLong(len))?;
    let payload = unwrapped[prefix..shift - HMAC_LEN].to_vec();
    let mut next_hmac = [0u8; HMAC_LEN];
    next_hmac.copy_from_slice(&unwrapped[shift - HMAC_LEN..shift]);

    let hop = if next_hmac == [0u8; HMAC_LEN] {
        PeeledHop::Final { payload }
    } else {
        let next_key = blind_public_key(secp, &ephemeral_key, &shared_secret)?;
        let mut hop_payloads = [0u8; HOP_PAYLOADS_LEN];
        hop_payloads.copy_from_slice(&unwrapped[shift..shift + HOP_PAYLOADS_LEN]);
        PeeledHop::Forward {
            payload,
            next_packet: Box::new(OnionPacket {
                version: ONION_VERSION,
                public_key: next_key.serialize(),
                hop_payloads,
                hmac: next_hmac,
            }),
        }
    };
    Ok(Peeled { shared_secret, hop })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_size_counts_prefix_payload_and_hmac() {
        assert_eq!(shift_size(2), 1 + 2 + 32);
        assert_eq!(shift_size(252), 1 + 252 + 32);
        assert_eq!(shift_size(253), 3 + 253 + 32);
    }

    #[test]
    fn from_slice_checks_the_length() {
        assert_eq!(
            OnionPacket::from_slice(&[0; 10]),
            Err(PacketLengthError(10))
        );
        let bytes = [3u8; ONION_PACKET_LEN];
        let packet = OnionPacket::from_slice(&bytes).unwrap();
        assert_eq!(packet.to_bytes(), bytes);
    }
}
