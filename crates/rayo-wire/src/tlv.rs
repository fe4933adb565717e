//! BOLT 1 TLV streams: `bigsize type || bigsize length || value`, with types
//! strictly increasing and the even/odd rule for types a reader does not know.
//!
//! [`TlvReader`] walks a stream without allocating and enforces the rules that
//! hold for every stream (minimal BigSize, ordering, lengths in bounds). The
//! message that owns the stream decides which types it knows; for the rest it
//! calls [`TlvRecord::reject_unknown`], which fails on an even type and lets an
//! odd one be skipped.

use crate::ser::{decode_truncated, DecodeError, Reader, WriteExt};

/// One record of a TLV stream, borrowed from the stream's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlvRecord<'a> {
    /// The record type.
    pub ty: u64,
    /// The raw value bytes.
    pub value: &'a [u8],
}

impl<'a> TlvRecord<'a> {
    /// Called for a type the reader does not know: an even type is an error
    /// (the whole stream must be rejected), an odd one is fine to skip.
    pub fn reject_unknown(&self) -> Result<(), DecodeError> {
        if self.ty.is_multiple_of(2) {
            Err(DecodeError::UnknownEvenTlv(self.ty))
        } else {
            Ok(())
        }
    }

    /// A reader over the value, for records with structured contents.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.value)
    }

    /// The value as a `tu64`.
    pub fn tu64(&self) -> Result<u64, DecodeError> {
        decode_truncated(self.value, 8).map_err(|_| self.bad_value())
    }

    /// The value as a `tu32`.
    pub fn tu32(&self) -> Result<u32, DecodeError> {
        decode_truncated(self.value, 4)
            .map(|v| v as u32)
            .map_err(|_| self.bad_value())
    }

    /// The value as a `tu16`.
    pub fn tu16(&self) -> Result<u16, DecodeError> {
        decode_truncated(self.value, 2)
            .map(|v| v as u16)
            .map_err(|_| self.bad_value())
    }

    /// Decodes the value with `f`, which must consume it exactly: a value
    /// shorter or longer than the known encoding fails the stream.
    pub fn decode_exact<T>(
        &self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut r = self.reader();
        let value = f(&mut r).map_err(|e| match e {
            DecodeError::UnexpectedEof => self.bad_value(),
            other => other,
        })?;
        if !r.is_empty() {
            return Err(self.bad_value());
        }
        Ok(value)
    }

    /// The error for a value that does not match this type's encoding.
    pub fn bad_value(&self) -> DecodeError {
        DecodeError::TlvBadValue { ty: self.ty }
    }
}

/// Iterates over the records of a TLV stream, checking the rules common to
/// all streams. After the first error it yields nothing more.
#[derive(Debug, Clone)]
pub struct TlvReader<'a> {
    reader: Reader<'a>,
    previous: Option<u64>,
    failed: bool,
}

impl<'a> TlvReader<'a> {
    /// Reads the stream that fills all of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            reader: Reader::new(bytes),
            previous: None,
            failed: false,
        }
    }

    fn next_record(&mut self) -> Result<TlvRecord<'a>, DecodeError> {
        let ty = self.reader.bigsize()?;
        if let Some(previous) = self.previous {
            if ty <= previous {
                return Err(DecodeError::TlvOutOfOrder { previous, ty });
            }
        }
        self.previous = Some(ty);
        let len = self.reader.bigsize()?;
        let remaining = self.reader.remaining();
        let value = usize::try_from(len)
            .ok()
            .filter(|l| *l <= remaining)
            .ok_or(DecodeError::TlvLengthOverflow { ty, len, remaining })?;
        Ok(TlvRecord {
            ty,
            value: self.reader.bytes(value)?,
        })
    }
}

impl<'a> Iterator for TlvReader<'a> {
    type Item = Result<TlvRecord<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let item = self.next_record();
        self.failed = item.is_err();
        Some(item)
    }
}

/// Checks a stream in which the reader knows no type at all: it is valid when
/// well formed and every type is odd. Used for the extension of messages that
/// define no TLVs of their own.
pub fn check_unknown_stream(bytes: &[u8]) -> Result<(), DecodeError> {
    TlvReader::new(bytes).try_for_each(|r| r?.reject_unknown())
}

/// Appends a TLV stream to a buffer. Callers write records in increasing
/// type order; that is checked in debug builds, since it is our own code's
/// invariant and not input from outside.
#[derive(Debug)]
pub struct TlvWriter<'a> {
    out: &'a mut Vec<u8>,
    previous: Option<u64>,
}

impl<'a> TlvWriter<'a> {
    /// Starts a stream at the end of `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Self {
            out,
            previous: None,
        }
    }

    /// Writes one record.
    pub fn record(&mut self, ty: u64, value: &[u8]) -> &mut Self {
        debug_assert!(
            self.previous.is_none_or(|p| p < ty),
            "tlv records must be written in increasing type order"
        );
        self.previous = Some(ty);
        self.out.put_bigsize(ty);
        self.out.put_bigsize(value.len() as u64);
        self.out.extend_from_slice(value);
        self
    }
}
