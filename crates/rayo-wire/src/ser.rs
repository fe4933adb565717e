//! BOLT 1 fundamental types: fixed-width and truncated integers, BigSize,
//! points, signatures and hashes, read from a bounds-checked cursor.
//!
//! Every read returns a typed [`DecodeError`] instead of panicking, and no read
//! allocates more than the bytes that are actually present, so a hostile peer
//! cannot make us allocate by lying about a length.

use bitcoin::constants::ChainHash;
use bitcoin::secp256k1::{ecdsa::Signature, schnorr, PublicKey};

use crate::ids::{ChannelId, ShortChannelId};

/// Why a byte string could not be decoded into a Lightning value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("unexpected end of input")]
    UnexpectedEof,
    /// A BigSize used more bytes than its value needs.
    #[error("decoded bigsize is not canonical")]
    NonCanonicalBigSize,
    /// A truncated integer (tu16/tu32/tu64) had a leading zero byte.
    #[error("truncated integer is not minimally encoded")]
    NonMinimalTruncatedInt,
    /// A truncated integer was longer than its type allows.
    #[error("truncated integer of {len} bytes does not fit in {max} bytes")]
    TruncatedIntTooLong {
        /// Bytes present.
        len: usize,
        /// Width of the type.
        max: usize,
    },
    /// 33 bytes that are not a valid compressed secp256k1 point.
    #[error("invalid point")]
    InvalidPoint,
    /// 64 bytes that are not a valid compact ECDSA signature.
    #[error("invalid signature")]
    InvalidSignature,
    /// TLV types must strictly increase; this one did not.
    #[error("tlv type {ty} follows type {previous}: not strictly increasing")]
    TlvOutOfOrder {
        /// The type read before.
        previous: u64,
        /// The offending type.
        ty: u64,
    },
    /// A TLV record's length ran past the end of the stream.
    #[error("tlv record {ty} claims {len} bytes, only {remaining} remain")]
    TlvLengthOverflow {
        /// The record type.
        ty: u64,
        /// The claimed length.
        len: u64,
        /// Bytes left in the stream.
        remaining: usize,
    },
    /// A known TLV record's value had the wrong length or trailing bytes.
    #[error("tlv record {ty} has a malformed value")]
    TlvBadValue {
        /// The record type.
        ty: u64,
    },
    /// An even TLV type we do not understand: the stream must be rejected.
    #[error("unknown even tlv type {0}")]
    UnknownEvenTlv(u64),
    /// An even message type we do not understand: the connection must close.
    #[error("unknown even message type {0}")]
    UnknownEvenMessage(u16),
    /// A message was shorter than its two-byte type.
    #[error("message shorter than its type field")]
    MissingMessageType,
    /// A `utf8` field that is not valid UTF-8.
    #[error("invalid utf-8 text")]
    InvalidUtf8,
    /// A `sciddir_or_pubkey` whose first byte is not 0, 1, 2 or 3.
    #[error("invalid sciddir_or_pubkey prefix {0}")]
    InvalidSciddirOrPubkey(u8),
    /// A BOLT 7 encoded array (`encoded_short_ids`, `encoded_query_flags`,
    /// `encoded_timestamps`) whose encoding type is not `0` (uncompressed):
    /// `1` (zlib) is forbidden by the current spec, others are unknown.
    #[error("unsupported array encoding type {0}: only 0 (uncompressed) is allowed")]
    UnsupportedEncoding(u8),
    /// A feature vector broke a BOLT 9 rule.
    #[error(transparent)]
    Features(#[from] crate::features::FeatureError),
}

/// A bounds-checked cursor over a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts reading at the beginning of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// Bytes not yet read.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// True once every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Takes everything not yet read.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    /// Takes exactly `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::UnexpectedEof);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// Takes exactly `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// `byte`.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    /// `u16`, big-endian.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// `u32`, big-endian.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// `u64`, big-endian.
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// `s8`, two's complement.
    pub fn s8(&mut self) -> Result<i8, DecodeError> {
        Ok(i8::from_be_bytes(self.array()?))
    }

    /// `s16`, big-endian two's complement.
    pub fn s16(&mut self) -> Result<i16, DecodeError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    /// `s32`, big-endian two's complement.
    pub fn s32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// `s64`, big-endian two's complement.
    pub fn s64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// `bigsize`, rejecting non-minimal encodings.
    pub fn bigsize(&mut self) -> Result<u64, DecodeError> {
        let (value, min) = match self.u8()? {
            0xff => (self.u64()?, 0x1_0000_0000),
            0xfe => (u64::from(self.u32()?), 0x1_0000),
            0xfd => (u64::from(self.u16()?), 0xfd),
            small => return Ok(u64::from(small)),
        };
        if value < min {
            return Err(DecodeError::NonCanonicalBigSize);
        }
        Ok(value)
    }

    /// A `u16` length followed by that many bytes.
    pub fn u16_prefixed(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()?;
        self.bytes(usize::from(len))
    }

    /// `point`: a compressed secp256k1 public key.
    pub fn point(&mut self) -> Result<PublicKey, DecodeError> {
        PublicKey::from_slice(self.bytes(33)?).map_err(|_| DecodeError::InvalidPoint)
    }

    /// `signature`: a 64-byte compact ECDSA signature.
    pub fn signature(&mut self) -> Result<Signature, DecodeError> {
        Signature::from_compact(self.bytes(64)?).map_err(|_| DecodeError::InvalidSignature)
    }

    /// `bip340sig`: a 64-byte Schnorr signature.
    pub fn bip340_signature(&mut self) -> Result<schnorr::Signature, DecodeError> {
        schnorr::Signature::from_slice(self.bytes(64)?).map_err(|_| DecodeError::InvalidSignature)
    }

    /// `chain_hash`.
    pub fn chain_hash(&mut self) -> Result<ChainHash, DecodeError> {
        Ok(ChainHash::from(self.array::<32>()?))
    }

    /// `sha256`: a 32-byte hash.
    pub fn sha256(&mut self) -> Result<[u8; 32], DecodeError> {
        self.array()
    }

    /// `channel_id`.
    pub fn channel_id(&mut self) -> Result<ChannelId, DecodeError> {
        Ok(ChannelId(self.array()?))
    }

    /// `short_channel_id`.
    pub fn short_channel_id(&mut self) -> Result<ShortChannelId, DecodeError> {
        Ok(ShortChannelId(self.u64()?))
    }

    /// `n*utf8`: `n` bytes that must be valid UTF-8.
    pub fn utf8(&mut self, n: usize) -> Result<&'a str, DecodeError> {
        std::str::from_utf8(self.bytes(n)?).map_err(|_| DecodeError::InvalidUtf8)
    }

    /// `sciddir_or_pubkey`: 9 bytes (direction and short channel id) or a
    /// 33-byte point, told apart by the first byte.
    pub fn sciddir_or_pubkey(&mut self) -> Result<SciddirOrPubkey, DecodeError> {
        match self.buf.first().copied() {
            Some(direction @ (0 | 1)) => {
                self.u8()?;
                Ok(SciddirOrPubkey::ShortChannelId {
                    direction,
                    scid: self.short_channel_id()?,
                })
            }
            Some(2 | 3) => Ok(SciddirOrPubkey::Pubkey(self.point()?)),
            Some(other) => Err(DecodeError::InvalidSciddirOrPubkey(other)),
            None => Err(DecodeError::UnexpectedEof),
        }
    }
}

/// BOLT 1's `sciddir_or_pubkey`: a node named by its key, or by one end of a
/// channel (0 for `node_id_1`, 1 for `node_id_2` of the announcement).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SciddirOrPubkey {
    /// One end of a channel.
    ShortChannelId {
        /// 0 or 1: which node of the channel announcement.
        direction: u8,
        /// The channel.
        scid: ShortChannelId,
    },
    /// A node's public key.
    Pubkey(PublicKey),
}

impl SciddirOrPubkey {
    /// The wire form: 9 or 33 bytes.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            SciddirOrPubkey::ShortChannelId { direction, scid } => {
                let mut out = vec![*direction];
                out.put_u64(scid.0);
                out
            }
            SciddirOrPubkey::Pubkey(key) => key.serialize().to_vec(),
        }
    }
}

/// Appends BOLT 1 fundamental types to a byte vector.
pub trait WriteExt {
    /// `u16`, big-endian.
    fn put_u16(&mut self, v: u16);
    /// `u32`, big-endian.
    fn put_u32(&mut self, v: u32);
    /// `u64`, big-endian.
    fn put_u64(&mut self, v: u64);
    /// `bigsize`, minimally encoded.
    fn put_bigsize(&mut self, v: u64);
    /// A `u16` length then the bytes; `None` if they do not fit in a `u16`.
    fn put_u16_prefixed(&mut self, bytes: &[u8]) -> Option<()>;
}

impl WriteExt for Vec<u8> {
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_be_bytes());
    }
    fn put_bigsize(&mut self, v: u64) {
        match v {
            0..=0xfc => self.push(v as u8),
            0xfd..=0xffff => {
                self.push(0xfd);
                self.put_u16(v as u16);
            }
            0x1_0000..=0xffff_ffff => {
                self.push(0xfe);
                self.put_u32(v as u32);
            }
            _ => {
                self.push(0xff);
                self.put_u64(v);
            }
        }
    }
    fn put_u16_prefixed(&mut self, bytes: &[u8]) -> Option<()> {
        let len = u16::try_from(bytes.len()).ok()?;
        self.put_u16(len);
        self.extend_from_slice(bytes);
        Some(())
    }
}

/// Number of bytes [`WriteExt::put_bigsize`] uses for `v`.
pub fn bigsize_len(v: u64) -> usize {
    match v {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Encodes a truncated integer (`tu16`, `tu32`, `tu64`): big-endian with the
/// leading zero bytes dropped, so zero is the empty string.
pub fn encode_truncated(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = (v.leading_zeros() / 8) as usize;
    bytes[skip..].to_vec()
}

/// Decodes a truncated integer occupying all of `bytes`, at most `width`
/// bytes wide (2, 4 or 8), rejecting a leading zero byte.
pub fn decode_truncated(bytes: &[u8], width: usize) -> Result<u64, DecodeError> {
    if bytes.len() > width {
        return Err(DecodeError::TruncatedIntTooLong {
            len: bytes.len(),
            max: width,
        });
    }
    if bytes.first() == Some(&0) {
        return Err(DecodeError::NonMinimalTruncatedInt);
    }
    Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Encodes a signed integer in the narrowest of `s8`, `s16`, `s32`, `s64`
/// that holds it, as BOLT 1 Appendix D shows.
pub fn encode_signed_minimal(v: i64) -> Vec<u8> {
    if let Ok(v) = i8::try_from(v) {
        v.to_be_bytes().to_vec()
    } else if let Ok(v) = i16::try_from(v) {
        v.to_be_bytes().to_vec()
    } else if let Ok(v) = i32::try_from(v) {
        v.to_be_bytes().to_vec()
    } else {
        v.to_be_bytes().to_vec()
    }
}

/// The largest message the BOLT 8 transport carries.
pub const MAX_MESSAGE_LEN: usize = 65535;

/// A message could not be encoded because a field is too long for its
/// length prefix (or count), the whole exceeds [`MAX_MESSAGE_LEN`], or a
/// per-item array does not have one entry per item (the gossip query flags,
/// timestamps and checksums).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("message cannot be encoded: too long, or its arrays disagree")]
pub struct EncodeError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_integers_are_minimal_and_bounded() {
        assert_eq!(encode_truncated(0), Vec::<u8>::new());
        assert_eq!(encode_truncated(0x0100), vec![1, 0]);
        assert_eq!(decode_truncated(&[1, 0], 2), Ok(256));
        assert_eq!(decode_truncated(&[], 2), Ok(0));
        assert_eq!(
            decode_truncated(&[0, 1], 2),
            Err(DecodeError::NonMinimalTruncatedInt)
        );
        assert_eq!(
            decode_truncated(&[1, 0, 0], 2),
            Err(DecodeError::TruncatedIntTooLong { len: 3, max: 2 })
        );
        for v in [1u64, 255, 256, 65535, 1 << 40, u64::MAX] {
            assert_eq!(decode_truncated(&encode_truncated(v), 8), Ok(v));
        }
    }

    #[test]
    fn sciddir_or_pubkey_reads_both_forms() {
        let scid = SciddirOrPubkey::ShortChannelId {
            direction: 1,
            scid: ShortChannelId::new(100, 2, 3).unwrap(),
        };
        let bytes = scid.encode();
        assert_eq!(bytes.len(), 9);
        assert_eq!(Reader::new(&bytes).sciddir_or_pubkey(), Ok(scid));
        let key: PublicKey = "023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb"
            .parse()
            .unwrap();
        let bytes = SciddirOrPubkey::Pubkey(key).encode();
        assert_eq!(
            Reader::new(&bytes).sciddir_or_pubkey(),
            Ok(SciddirOrPubkey::Pubkey(key))
        );
        assert_eq!(
            Reader::new(&[4; 33]).sciddir_or_pubkey(),
            Err(DecodeError::InvalidSciddirOrPubkey(4))
        );
        assert_eq!(
            Reader::new(&[0, 1]).sciddir_or_pubkey(),
            Err(DecodeError::UnexpectedEof)
        );
    }

    #[test]
    fn fixed_types_and_text() {
        let mut r = Reader::new(b"ok\xff");
        assert_eq!(r.utf8(2), Ok("ok"));
        assert_eq!(r.utf8(1), Err(DecodeError::InvalidUtf8));
        assert_eq!(
            Reader::new(&[0; 63]).signature(),
            Err(DecodeError::UnexpectedEof)
        );
        assert_eq!(
            Reader::new(&[0xff; 64]).signature(),
            Err(DecodeError::InvalidSignature)
        );
        assert_eq!(
            Reader::new(&[0; 63]).bip340_signature(),
            Err(DecodeError::UnexpectedEof)
        );
        assert_eq!(
            Reader::new(&[0, 0, 0, 0, 0, 0, 2, 0x26]).short_channel_id(),
            Ok(ShortChannelId(0x226))
        );
    }
}
