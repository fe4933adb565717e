//! Tagged fields: their typed values and their 5-bit encodings.

use std::fmt;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::PublicKey;
use bitcoin::{
    Address, Network, PubkeyHash, ScriptBuf, ScriptHash, WitnessProgram, WitnessVersion,
};
use rayo_wire::features::Features;
use rayo_wire::ids::{NodeId, ShortChannelId};

use crate::codec::{bytes_to_words, u64_to_words, word_char, words_to_bytes, words_to_u64};
use crate::error::{BuildError, InvoiceError};

/// Field tags (the 5-bit value of the tag character).
pub(crate) mod tag {
    pub const PAYMENT_HASH: u8 = 1; // p
    pub const ROUTE_HINT: u8 = 3; // r
    pub const FEATURES: u8 = 5; // 9
    pub const EXPIRY: u8 = 6; // x
    pub const FALLBACK: u8 = 9; // f
    pub const DESCRIPTION: u8 = 13; // d
    pub const PAYMENT_SECRET: u8 = 16; // s
    pub const PAYEE: u8 = 19; // n
    pub const DESCRIPTION_HASH: u8 = 23; // h
    pub const MIN_FINAL_CLTV: u8 = 24; // c
    pub const METADATA: u8 = 27; // m
}

/// Most words a field's data can have: `data_length` is 10 bits.
pub(crate) const MAX_FIELD_WORDS: usize = 1023;

/// Words in a 256-bit hash field (`p`, `s`, `h`).
const HASH_WORDS: usize = 52;
/// Words in a 33-byte public key field (`n`).
const PUBKEY_WORDS: usize = 53;
/// Bytes per route hint hop: pubkey, scid, fee base, fee rate, cltv delta.
const HOP_BYTES: usize = 33 + 8 + 4 + 4 + 2;
/// Hops that fit in one `r` field (12 * 51 bytes = 980 words).
pub(crate) const MAX_HOPS_PER_HINT: usize = 12;

/// The 256-bit secret (`s`) the payer echoes in the onion, so that
/// forwarding nodes cannot probe the payee with guessed payment hashes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PaymentSecret(pub [u8; 32]);

impl fmt::Display for PaymentSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for PaymentSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PaymentSecret({self})")
    }
}

/// What the payment is for: the text itself (`d`) or, for text too long to
/// embed, its SHA-256 (`h`), whose preimage the payee hands out separately.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Description {
    /// The description text.
    Direct(String),
    /// SHA-256 of the description.
    Hash(sha256::Hash),
}

/// An on-chain address (`f`) to pay if a Lightning payment fails.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fallback {
    /// A segwit output (versions 0 to 16).
    Witness(WitnessProgram),
    /// P2PKH (version 17).
    PubkeyHash(PubkeyHash),
    /// P2SH (version 18).
    ScriptHash(ScriptHash),
}

impl Fallback {
    /// The output script to pay to.
    pub fn script_pubkey(&self) -> ScriptBuf {
        match self {
            Fallback::Witness(program) => ScriptBuf::new_witness_program(program),
            Fallback::PubkeyHash(hash) => ScriptBuf::new_p2pkh(hash),
            Fallback::ScriptHash(hash) => ScriptBuf::new_p2sh(hash),
        }
    }

    /// The address on `network` (see [`Currency::network`](crate::Currency::network)).
    pub fn address(&self, network: Network) -> Address {
        match self {
            Fallback::Witness(program) => Address::from_witness_program(*program, network),
            Fallback::PubkeyHash(hash) => Address::p2pkh(*hash, network),
            Fallback::ScriptHash(hash) => Address::p2sh_from_hash(*hash, network),
        }
    }

    /// The 5-bit version that starts the field.
    fn version(&self) -> u8 {
        match self {
            Fallback::Witness(program) => program.version().to_num(),
            Fallback::PubkeyHash(_) => 17,
            Fallback::ScriptHash(_) => 18,
        }
    }

    fn program(&self) -> &[u8] {
        match self {
            Fallback::Witness(program) => program.program().as_bytes(),
            Fallback::PubkeyHash(hash) => hash.as_byte_array(),
            Fallback::ScriptHash(hash) => hash.as_byte_array(),
        }
    }
}

/// One channel of a private route (`r`), as its `channel_update` would give
/// it: the payer cannot learn it from gossip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteHintHop {
    /// The node at the start of the channel.
    pub src_node_id: NodeId,
    /// The channel.
    pub short_channel_id: ShortChannelId,
    /// Fixed fee the channel charges, in millisatoshis.
    pub fee_base_msat: u32,
    /// Proportional fee, in millionths of the amount forwarded.
    pub fee_proportional_millionths: u32,
    /// Blocks the channel adds to the HTLC's CLTV expiry.
    pub cltv_expiry_delta: u16,
}

/// A route from a public node to the payee (one `r` field), first hop first.
/// Invoices may carry several, most preferred first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteHint(pub Vec<RouteHintHop>);

/// One tagged field, typed, in the order it appears in the invoice.
///
/// Fields this crate does not interpret stay as [`TaggedField::Raw`]: unknown
/// tags, `p`/`h`/`s`/`n` of the wrong length and fallbacks with an unknown
/// version, which BOLT 11 says to skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaggedField {
    /// `p`: SHA-256 of the preimage that proves payment.
    PaymentHash(sha256::Hash),
    /// `s`: the payment secret.
    PaymentSecret(PaymentSecret),
    /// `d`: the description.
    Description(String),
    /// `h`: SHA-256 of the description.
    DescriptionHash(sha256::Hash),
    /// `x`: seconds after the timestamp the invoice stays payable.
    Expiry(u64),
    /// `c`: the smallest CLTV delta the final HTLC may have.
    MinFinalCltvExpiryDelta(u64),
    /// `f`: an on-chain fallback.
    Fallback(Fallback),
    /// `r`: a private route.
    RouteHint(RouteHint),
    /// `9`: the features the payee supports or requires for this payment.
    Features(Features),
    /// `m`: metadata the payer must put in the onion.
    PaymentMetadata(Vec<u8>),
    /// `n`: the payee's node key, given instead of recovered.
    PayeePubkey(NodeId),
    /// A field kept as its tag and 5-bit words without interpretation.
    Raw {
        /// The 5-bit tag.
        tag: u8,
        /// The data, one 5-bit value per byte.
        data: Vec<u8>,
    },
}

impl TaggedField {
    /// The field's 5-bit tag.
    pub fn tag(&self) -> u8 {
        match self {
            TaggedField::PaymentHash(_) => tag::PAYMENT_HASH,
            TaggedField::PaymentSecret(_) => tag::PAYMENT_SECRET,
            TaggedField::Description(_) => tag::DESCRIPTION,
            TaggedField::DescriptionHash(_) => tag::DESCRIPTION_HASH,
            TaggedField::Expiry(_) => tag::EXPIRY,
            TaggedField::MinFinalCltvExpiryDelta(_) => tag::MIN_FINAL_CLTV,
            TaggedField::Fallback(_) => tag::FALLBACK,
            TaggedField::RouteHint(_) => tag::ROUTE_HINT,
            TaggedField::Features(_) => tag::FEATURES,
            TaggedField::PaymentMetadata(_) => tag::METADATA,
            TaggedField::PayeePubkey(_) => tag::PAYEE,
            TaggedField::Raw { tag, .. } => *tag,
        }
    }

    /// Interprets one field's data words.
    pub(crate) fn decode(tag: u8, data: &[u8]) -> Result<TaggedField, InvoiceError> {
        let raw = || TaggedField::Raw {
            tag,
            data: data.to_vec(),
        };
        Ok(match tag {
            tag::PAYMENT_HASH if data.len() == HASH_WORDS => {
                TaggedField::PaymentHash(sha256::Hash::from_byte_array(hash_bytes(data)))
            }
            tag::PAYMENT_SECRET if data.len() == HASH_WORDS => {
                TaggedField::PaymentSecret(PaymentSecret(hash_bytes(data)))
            }
            tag::DESCRIPTION_HASH if data.len() == HASH_WORDS => {
                TaggedField::DescriptionHash(sha256::Hash::from_byte_array(hash_bytes(data)))
            }
            tag::PAYEE if data.len() == PUBKEY_WORDS => {
                let key = PublicKey::from_slice(&words_to_bytes(data))
                    .map_err(|_| InvoiceError::InvalidPayeeKey)?;
                TaggedField::PayeePubkey(NodeId(key))
            }
            tag::DESCRIPTION => TaggedField::Description(
                String::from_utf8(words_to_bytes(data))
                    .map_err(|_| InvoiceError::InvalidDescription)?,
            ),
            tag::EXPIRY => TaggedField::Expiry(decode_number(tag, data)?),
            tag::MIN_FINAL_CLTV => TaggedField::MinFinalCltvExpiryDelta(decode_number(tag, data)?),
            tag::METADATA => TaggedField::PaymentMetadata(words_to_bytes(data)),
            tag::FEATURES => {
                check_minimal(tag, data)?;
                TaggedField::Features(words_to_features(data))
            }
            tag::FALLBACK => match decode_fallback(data)? {
                Some(fallback) => TaggedField::Fallback(fallback),
                None => raw(),
            },
            tag::ROUTE_HINT => TaggedField::RouteHint(decode_route_hint(data)?),
            _ => raw(),
        })
    }

    /// The field's tag and data words, checked to fit a field.
    pub(crate) fn encode(&self) -> Result<(u8, Vec<u8>), BuildError> {
        let tag = self.tag();
        let data = match self {
            TaggedField::PaymentHash(hash) | TaggedField::DescriptionHash(hash) => {
                bytes_to_words(hash.as_byte_array())
            }
            TaggedField::PaymentSecret(secret) => bytes_to_words(&secret.0),
            TaggedField::Description(text) => bytes_to_words(text.as_bytes()),
            TaggedField::Expiry(v) | TaggedField::MinFinalCltvExpiryDelta(v) => u64_to_words(*v),
            TaggedField::Fallback(fallback) => {
                let mut words = vec![fallback.version()];
                words.extend(bytes_to_words(fallback.program()));
                words
            }
            TaggedField::RouteHint(hint) => encode_route_hint(hint)?,
            TaggedField::Features(features) => features_to_words(features),
            TaggedField::PaymentMetadata(bytes) => bytes_to_words(bytes),
            TaggedField::PayeePubkey(node) => bytes_to_words(&node.0.serialize()),
            TaggedField::Raw { tag, data } => {
                if *tag >= 32 || data.iter().any(|w| *w >= 32) {
                    return Err(BuildError::InvalidRawField);
                }
                data.clone()
            }
        };
        if data.len() > MAX_FIELD_WORDS {
            return Err(BuildError::FieldTooLong(word_char(tag)));
        }
        Ok((tag, data))
    }
}

/// The 32 bytes of a 52-word field (the last 4 bits are padding).
fn hash_bytes(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&words_to_bytes(data)[..32]);
    out
}

/// BOLT 11: `x`, `c` and `9` must not start with a zero word.
fn check_minimal(tag: u8, data: &[u8]) -> Result<(), InvoiceError> {
    if data.first() == Some(&0) {
        return Err(InvoiceError::NonMinimalField(word_char(tag)));
    }
    Ok(())
}

fn decode_number(tag: u8, data: &[u8]) -> Result<u64, InvoiceError> {
    check_minimal(tag, data)?;
    words_to_u64(data).ok_or(InvoiceError::FieldOverflow(word_char(tag)))
}

/// A fallback, or `None` for a version BOLT 11 says to skip (19 to 31).
fn decode_fallback(data: &[u8]) -> Result<Option<Fallback>, InvoiceError> {
    let (&version, program) = data.split_first().ok_or(InvoiceError::InvalidFallback)?;
    let program = words_to_bytes(program);
    Ok(Some(match version {
        0..=16 => {
            let version =
                WitnessVersion::try_from(version).map_err(|_| InvoiceError::InvalidFallback)?;
            Fallback::Witness(
                WitnessProgram::new(version, &program)
                    .map_err(|_| InvoiceError::InvalidFallback)?,
            )
        }
        17 => Fallback::PubkeyHash(
            PubkeyHash::from_slice(&program).map_err(|_| InvoiceError::InvalidFallback)?,
        ),
        18 => Fallback::ScriptHash(
            ScriptHash::from_slice(&program).map_err(|_| InvoiceError::InvalidFallback)?,
        ),
        _ => return Ok(None),
    }))
}

fn decode_route_hint(data: &[u8]) -> Result<RouteHint, InvoiceError> {
    let bytes = words_to_bytes(data);
    if bytes.is_empty() || !bytes.len().is_multiple_of(HOP_BYTES) {
        return Err(InvoiceError::InvalidRouteHint);
    }
    let hops = bytes
        .chunks_exact(HOP_BYTES)
        .map(|hop| {
            let key =
                PublicKey::from_slice(&hop[..33]).map_err(|_| InvoiceError::InvalidRouteHint)?;
            let mut scid = [0u8; 8];
            scid.copy_from_slice(&hop[33..41]);
            let mut base = [0u8; 4];
            base.copy_from_slice(&hop[41..45]);
            let mut prop = [0u8; 4];
            prop.copy_from_slice(&hop[45..49]);
            Ok(RouteHintHop {
                src_node_id: NodeId(key),
                short_channel_id: ShortChannelId(u64::from_be_bytes(scid)),
                fee_base_msat: u32::from_be_bytes(base),
                fee_proportional_millionths: u32::from_be_bytes(prop),
                cltv_expiry_delta: u16::from_be_bytes([hop[49], hop[50]]),
            })
        })
        .collect::<Result<Vec<_>, InvoiceError>>()?;
    Ok(RouteHint(hops))
}

fn encode_route_hint(hint: &RouteHint) -> Result<Vec<u8>, BuildError> {
    if hint.0.is_empty() {
        return Err(BuildError::EmptyRouteHint);
    }
    if hint.0.len() > MAX_HOPS_PER_HINT {
        return Err(BuildError::FieldTooLong(word_char(tag::ROUTE_HINT)));
    }
    let mut bytes = Vec::with_capacity(hint.0.len() * HOP_BYTES);
    for hop in &hint.0 {
        bytes.extend_from_slice(&hop.src_node_id.0.serialize());
        bytes.extend_from_slice(&hop.short_channel_id.0.to_be_bytes());
        bytes.extend_from_slice(&hop.fee_base_msat.to_be_bytes());
        bytes.extend_from_slice(&hop.fee_proportional_millionths.to_be_bytes());
        bytes.extend_from_slice(&hop.cltv_expiry_delta.to_be_bytes());
    }
    Ok(bytes_to_words(&bytes))
}

/// Feature bits from `9` words: big-endian, bit 0 is the lowest bit of the
/// last word.
fn words_to_features(data: &[u8]) -> Features {
    let mut features = Features::empty();
    for (i, word) in data.iter().rev().enumerate() {
        for j in 0..5 {
            if word & (1 << j) != 0 {
                features.set_bit(i * 5 + j);
            }
        }
    }
    features
}

/// The fewest words holding every set bit (none for no bits).
fn features_to_words(features: &Features) -> Vec<u8> {
    let Some(top) = features.set_bits().last() else {
        return Vec::new();
    };
    let mut words = vec![0u8; top / 5 + 1];
    let len = words.len();
    for bit in features.set_bits() {
        words[len - 1 - bit / 5] |= 1 << (bit % 5);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_words_are_big_endian_and_minimal() {
        let mut f = Features::empty();
        f.set_bit(8);
        f.set_bit(14);
        // b100000100000000 as three words: 's', 'g', 'q'.
        assert_eq!(features_to_words(&f), vec![16, 8, 0]);
        assert_eq!(words_to_features(&[16, 8, 0]), f);
        assert_eq!(features_to_words(&Features::empty()), Vec::<u8>::new());
        f.set_bit(99);
        assert_eq!(words_to_features(&features_to_words(&f)), f);
        assert_eq!(features_to_words(&f).len(), 20);
    }

    fn key() -> PublicKey {
        PublicKey::from_slice(&[
            0x02, 0x9e, 0x03, 0xa9, 0x01, 0xb8, 0x55, 0x34, 0xff, 0x1e, 0x92, 0xc4, 0x3c, 0x74,
            0x43, 0x1f, 0x7c, 0xe7, 0x20, 0x46, 0x06, 0x0f, 0xcf, 0x7a, 0x95, 0xc3, 0x7e, 0x14,
            0x8f, 0x78, 0xc7, 0x72, 0x55,
        ])
        .unwrap()
    }

    #[test]
    fn encoded_fields_decode_to_themselves() {
        let key = key();
        let hop = RouteHintHop {
            src_node_id: NodeId(key),
            short_channel_id: ShortChannelId(0x0102_0304_0506_0708),
            fee_base_msat: 1,
            fee_proportional_millionths: 20,
            cltv_expiry_delta: 3,
        };
        for field in [
            TaggedField::PaymentHash(sha256::Hash::hash(b"x")),
            TaggedField::PaymentSecret(PaymentSecret([7; 32])),
            TaggedField::Description("ナンセンス 1杯".into()),
            TaggedField::Expiry(0),
            TaggedField::Expiry(u64::MAX),
            TaggedField::MinFinalCltvExpiryDelta(144),
            TaggedField::Fallback(Fallback::PubkeyHash(PubkeyHash::from_byte_array([3; 20]))),
            TaggedField::Fallback(Fallback::Witness(
                WitnessProgram::new(WitnessVersion::V1, &[9; 32]).unwrap(),
            )),
            TaggedField::RouteHint(RouteHint(vec![hop; MAX_HOPS_PER_HINT])),
            TaggedField::PaymentMetadata(vec![1, 0xfa, 0xfa, 0xf0]),
            TaggedField::PayeePubkey(NodeId(key)),
            TaggedField::Raw {
                tag: 2,
                data: vec![0, 0, 0],
            },
        ] {
            let (tag, words) = field.encode().unwrap();
            assert_eq!(TaggedField::decode(tag, &words), Ok(field));
        }
    }

    #[test]
    fn oversized_fields_are_refused() {
        let hint = RouteHint(vec![
            RouteHintHop {
                src_node_id: NodeId(key()),
                short_channel_id: ShortChannelId(1),
                fee_base_msat: 0,
                fee_proportional_millionths: 0,
                cltv_expiry_delta: 0,
            };
            MAX_HOPS_PER_HINT + 1
        ]);
        assert_eq!(
            TaggedField::RouteHint(hint).encode(),
            Err(BuildError::FieldTooLong('r'))
        );
        assert_eq!(
            TaggedField::Description("a".repeat(640)).encode(),
            Err(BuildError::FieldTooLong('d'))
        );
        assert!(TaggedField::Description("a".repeat(639)).encode().is_ok());
        assert_eq!(
            TaggedField::RouteHint(RouteHint(Vec::new())).encode(),
            Err(BuildError::EmptyRouteHint)
        );
    }

    #[test]
    fn wrong_length_and_unknown_fields_stay_raw() {
        for (tag, len) in [
            (1u8, 51usize),
            (1, 53),
            (16, 51),
            (23, 53),
            (19, 52),
            (2, 3),
        ] {
            let data = vec![0u8; len];
            assert_eq!(
                TaggedField::decode(tag, &data),
                Ok(TaggedField::Raw { tag, data })
            );
        }
        let unknown_fallback = vec![19u8; 33];
        assert!(matches!(
            TaggedField::decode(tag::FALLBACK, &unknown_fallback),
            Ok(TaggedField::Raw { tag: 9, .. })
        ));
        assert_eq!(
            TaggedField::decode(tag::FALLBACK, &[17, 0, 0]),
            Err(InvoiceError::InvalidFallback)
        );
        assert_eq!(
            TaggedField::decode(tag::EXPIRY, &[0, 1]),
            Err(InvoiceError::NonMinimalField('x'))
        );
        assert_eq!(
            TaggedField::decode(tag::FEATURES, &[0, 1]),
            Err(InvoiceError::NonMinimalField('9'))
        );
        assert_eq!(
            TaggedField::decode(tag::MIN_FINAL_CLTV, &[31; 13]),
            Err(InvoiceError::FieldOverflow('c'))
        );
        assert_eq!(
            TaggedField::decode(tag::ROUTE_HINT, &[0; 81]),
            Err(InvoiceError::InvalidRouteHint)
        );
    }
}
