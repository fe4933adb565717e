//! BOLT 1 fundamental types: fixed-width and truncated integers, BigSize,
//! points, signatures and hashes, read from a bounds-checked cursor.
//!
//! Every read returns a typed [`DecodeError`] instead of panicking, and no read
//! allocates more than the bytes that are actually present, so a hostile peer
//! cannot make us allocate by lying about a length.

use bitcoin::constants::ChainHash;
use bitcoin::secp256k1::{ecdsa::Signature, PublicKey};

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

    /// `chain_hash`.
    pub fn chain_hash(&mut self) -> Result<ChainHash, DecodeError> {
        Ok(ChainHash::from(self.array::<32>()?))
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
