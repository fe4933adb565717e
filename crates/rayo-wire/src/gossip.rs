//! BOLT 7 gossip queries: asking a peer which channels it knows in a block
//! range, asking for the announcements of given channels, and filtering the
//! gossip a peer relays by timestamp.
//!
//! The announcements themselves (`channel_announcement`, `node_announcement`,
//! `channel_update`, `announcement_signatures`) are not decoded: Rayo keeps
//! no network graph. The queries are, so that Rayo can answer them honestly
//! (see [`ReplyChannelRange::for_query`]) and so that a peer's query is a
//! well-formed message and not a reason to disconnect.
//!
//! # Encoded arrays
//!
//! `encoded_short_ids`, `encoded_query_flags` and `encoded_timestamps` start
//! with an encoding type byte. The current spec allows only `0`
//! (uncompressed); `1` used to mean zlib and now "MUST NOT be used". Any
//! other byte is [`DecodeError::UnsupportedEncoding`], and so is `1` (Rayo
//! carries no zlib). An empty array field (no encoding byte at all) reads as
//! an empty array; Rayo always writes the encoding byte.

use bitcoin::constants::ChainHash;

use crate::ids::ShortChannelId;
use crate::ser::{DecodeError, EncodeError, Reader, WriteExt, MAX_MESSAGE_LEN};
use crate::tlv::{check_unknown_stream, TlvReader, TlvWriter};

/// Message type numbers of BOLT 7.
pub mod msg_type {
    /// `channel_announcement` (not decoded: [`crate::message::Message::Gossip`]).
    pub const CHANNEL_ANNOUNCEMENT: u16 = 256;
    /// `node_announcement` (not decoded: [`crate::message::Message::Gossip`]).
    pub const NODE_ANNOUNCEMENT: u16 = 257;
    /// `channel_update` (not decoded: [`crate::message::Message::Gossip`]).
    pub const CHANNEL_UPDATE: u16 = 258;
    /// `announcement_signatures` (not decoded: [`crate::message::Message::Gossip`]).
    pub const ANNOUNCEMENT_SIGNATURES: u16 = 259;
    /// `query_short_channel_ids`
    pub const QUERY_SHORT_CHANNEL_IDS: u16 = 261;
    /// `reply_short_channel_ids_end`
    pub const REPLY_SHORT_CHANNEL_IDS_END: u16 = 262;
    /// `query_channel_range`
    pub const QUERY_CHANNEL_RANGE: u16 = 263;
    /// `reply_channel_range`
    pub const REPLY_CHANNEL_RANGE: u16 = 264;
    /// `gossip_timestamp_filter`
    pub const GOSSIP_TIMESTAMP_FILTER: u16 = 265;
}

/// Encoding type `0`: an uncompressed array, the only one BOLT 7 allows.
pub const ENCODING_UNCOMPRESSED: u8 = 0;
/// Encoding type `1`: zlib, which BOLT 7 now says MUST NOT be used.
pub const ENCODING_ZLIB_FORBIDDEN: u8 = 1;

/// `query_flags` bit 0: the sender wants the `channel_announcement`.
pub const QUERY_FLAG_CHANNEL_ANNOUNCEMENT: u64 = 1 << 0;
/// `query_flags` bit 1: the sender wants `node_id_1`'s `channel_update`.
pub const QUERY_FLAG_CHANNEL_UPDATE_1: u64 = 1 << 1;
/// `query_flags` bit 2: the sender wants `node_id_2`'s `channel_update`.
pub const QUERY_FLAG_CHANNEL_UPDATE_2: u64 = 1 << 2;
/// `query_flags` bit 3: the sender wants `node_id_1`'s `node_announcement`.
pub const QUERY_FLAG_NODE_ANNOUNCEMENT_1: u64 = 1 << 3;
/// `query_flags` bit 4: the sender wants `node_id_2`'s `node_announcement`.
pub const QUERY_FLAG_NODE_ANNOUNCEMENT_2: u64 = 1 << 4;

/// `query_option` bit 0: the sender wants `channel_update` timestamps.
pub const QUERY_OPTION_TIMESTAMPS: u64 = 1 << 0;
/// `query_option` bit 1: the sender wants `channel_update` checksums.
pub const QUERY_OPTION_CHECKSUMS: u64 = 1 << 1;

/// The most short channel ids one `reply_channel_range` without TLVs holds
/// within [`MAX_MESSAGE_LEN`]: type 2, chain hash 32, two block numbers 8,
/// `sync_complete` 1, length 2 and encoding byte 1 leave 65489 bytes.
pub const MAX_SCIDS_PER_REPLY: usize = (MAX_MESSAGE_LEN - 46) / 8;

const SCID_LEN: usize = 8;
const PAIR_LEN: usize = 8;

const QUERY_SCIDS_TLV_QUERY_FLAGS: u64 = 1;
const QUERY_RANGE_TLV_QUERY_OPTION: u64 = 1;
const REPLY_RANGE_TLV_TIMESTAMPS: u64 = 1;
const REPLY_RANGE_TLV_CHECKSUMS: u64 = 3;

/// `query_short_channel_ids` (261): the sender wants the announcements and
/// updates of these channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryShortChannelIds {
    /// The chain the channels are on.
    pub chain_hash: ChainHash,
    /// The channels, in ascending order (a sender rule, not checked on
    /// decode). At most 8191 fit the `u16` length.
    pub short_channel_ids: Vec<ShortChannelId>,
    /// TLV 1 (`encoded_query_flags`): one bitfield per channel (the
    /// `QUERY_FLAG_*` bits) saying what the sender wants of it. Decoding
    /// checks there is exactly one per channel; encoding refuses otherwise.
    pub query_flags: Option<Vec<u64>>,
}

/// `reply_short_channel_ids_end` (262): the end of the answer to a
/// `query_short_channel_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyShortChannelIdsEnd {
    /// The chain of the query.
    pub chain_hash: ChainHash,
    /// False when the sender does not keep up-to-date channel information
    /// for this chain, so the querier should look elsewhere too. (Any nonzero
    /// byte reads as true.)
    pub full_information: bool,
}

/// `query_channel_range` (263): the sender wants the channels whose funding
/// is in blocks `first_blocknum .. first_blocknum + number_of_blocks`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryChannelRange {
    /// The chain of the channels.
    pub chain_hash: ChainHash,
    /// The first block of the range.
    pub first_blocknum: u32,
    /// How many blocks (the sender must ask for at least 1).
    pub number_of_blocks: u32,
    /// TLV 1 (`query_option_flags`): the `QUERY_OPTION_*` bits, asking for
    /// timestamps and checksums in the replies.
    pub query_option: Option<u64>,
}

/// `reply_channel_range` (264): one part of the answer to a
/// `query_channel_range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyChannelRange {
    /// The chain of the query.
    pub chain_hash: ChainHash,
    /// The first block this reply covers.
    pub first_blocknum: u32,
    /// How many blocks this reply covers.
    pub number_of_blocks: u32,
    /// True on the last reply of the answer. (Any nonzero byte reads as true.)
    pub sync_complete: bool,
    /// The channels funded in the covered blocks, in ascending order (a
    /// sender rule, not checked on decode).
    pub short_channel_ids: Vec<ShortChannelId>,
    /// TLV 1 (`encoded_timestamps`): per channel, the timestamps of the
    /// `channel_update`s of `node_id_1` and `node_id_2` (0 for none). One
    /// per channel on decode; encoding refuses otherwise.
    pub timestamps: Option<Vec<(u32, u32)>>,
    /// TLV 3: per channel, the CRC32C checksums of the two `channel_update`s
    /// (0 for none). One per channel on decode; encoding refuses otherwise.
    pub checksums: Option<Vec<(u32, u32)>>,
}

/// `gossip_timestamp_filter` (265): the sender wants relayed gossip only
/// with timestamps in `first_timestamp .. first_timestamp + timestamp_range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipTimestampFilter {
    /// The chain the gossip is about.
    pub chain_hash: ChainHash,
    /// The first timestamp wanted (0xFFFFFFFF with a range of 0: none).
    pub first_timestamp: u32,
    /// How many seconds from `first_timestamp`.
    pub timestamp_range: u32,
}

/// Reads the encoding type byte of an encoded array and returns the array's
/// bytes; an empty field is an empty array.
fn read_encoding<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], DecodeError> {
    if r.is_empty() {
        return Ok(&[]);
    }
    match r.u8()? {
        ENCODING_UNCOMPRESSED => Ok(r.rest()),
        other => Err(DecodeError::UnsupportedEncoding(other)),
    }
}

/// Reads fixed-size items filling all of `bytes`; allocation is bounded by
/// the bytes present, and a partial last item is [`DecodeError::UnexpectedEof`].
fn read_fixed<T>(
    bytes: &[u8],
    item_len: usize,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    if !bytes.len().is_multiple_of(item_len) {
        return Err(DecodeError::UnexpectedEof);
    }
    let mut r = Reader::new(bytes);
    let mut items = Vec::with_capacity(bytes.len() / item_len);
    while !r.is_empty() {
        items.push(item(&mut r)?);
    }
    Ok(items)
}

fn read_encoded_scids(bytes: &[u8]) -> Result<Vec<ShortChannelId>, DecodeError> {
    let array = read_encoding(&mut Reader::new(bytes))?;
    read_fixed(array, SCID_LEN, |r| r.short_channel_id())
}

fn read_pair(r: &mut Reader<'_>) -> Result<(u32, u32), DecodeError> {
    Ok((r.u32()?, r.u32()?))
}

fn write_encoded_scids(out: &mut Vec<u8>, scids: &[ShortChannelId]) -> Result<(), EncodeError> {
    let mut encoded = Vec::with_capacity(1 + scids.len() * SCID_LEN);
    encoded.push(ENCODING_UNCOMPRESSED);
    for scid in scids {
        encoded.put_u64(scid.0);
    }
    out.put_u16_prefixed(&encoded).ok_or(EncodeError)
}

fn pairs_bytes(pairs: &[(u32, u32)], encoding: Option<u8>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(1 + pairs.len() * PAIR_LEN);
    bytes.extend(encoding);
    for (a, b) in pairs {
        bytes.put_u32(*a);
        bytes.put_u32(*b);
    }
    bytes
}

/// Fails a TLV whose per-channel array does not have one entry per channel.
fn check_count<T>(values: &Option<Vec<T>>, channels: usize, ty: u64) -> Result<(), DecodeError> {
    match values {
        Some(values) if values.len() != channels => Err(DecodeError::TlvBadValue { ty }),
        _ => Ok(()),
    }
}

fn matches_count<T>(values: &Option<Vec<T>>, channels: usize) -> Result<(), EncodeError> {
    match values {
        Some(values) if values.len() != channels => Err(EncodeError),
        _ => Ok(()),
    }
}

impl QueryShortChannelIds {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let chain_hash = r.chain_hash()?;
        let short_channel_ids = read_encoded_scids(r.u16_prefixed()?)?;
        let mut query_flags = None;
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                QUERY_SCIDS_TLV_QUERY_FLAGS => {
                    let flags = record.decode_exact(|r| {
                        let mut r = Reader::new(read_encoding(r)?);
                        // Each flag takes at least one byte, and there must
                        // be one per channel: both bound the allocation.
                        let mut flags =
                            Vec::with_capacity(r.remaining().min(short_channel_ids.len()));
                        while !r.is_empty() {
                            flags.push(r.bigsize()?);
                        }
                        Ok(flags)
                    })?;
                    query_flags = Some(flags);
                }
                _ => record.reject_unknown()?,
            }
        }
        check_count(
            &query_flags,
            short_channel_ids.len(),
            QUERY_SCIDS_TLV_QUERY_FLAGS,
        )?;
        Ok(Self {
            chain_hash,
            short_channel_ids,
            query_flags,
        })
    }

    /// Appends the payload; fails if the ids overflow their `u16` length or
    /// the flags are not one per channel.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        matches_count(&self.query_flags, self.short_channel_ids.len())?;
        out.extend_from_slice(self.chain_hash.as_bytes());
        write_encoded_scids(out, &self.short_channel_ids)?;
        if let Some(flags) = &self.query_flags {
            let mut value = vec![ENCODING_UNCOMPRESSED];
            for flag in flags {
                value.put_bigsize(*flag);
            }
            TlvWriter::new(out).record(QUERY_SCIDS_TLV_QUERY_FLAGS, &value);
        }
        Ok(())
    }
}

impl ReplyShortChannelIdsEnd {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            chain_hash: r.chain_hash()?,
            full_information: r.u8()? != 0,
        };
        check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.chain_hash.as_bytes());
        out.push(u8::from(self.full_information));
    }
}

impl QueryChannelRange {
    /// The block after the last one queried, `first_blocknum +
    /// number_of_blocks`, clamped to `u32::MAX` when that sum overflows (no
    /// channel can be funded that high: a short channel id's block is 24
    /// bits).
    pub fn end_blocknum(&self) -> u32 {
        self.first_blocknum.saturating_add(self.number_of_blocks)
    }

    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let chain_hash = r.chain_hash()?;
        let first_blocknum = r.u32()?;
        let number_of_blocks = r.u32()?;
        let mut query_option = None;
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                QUERY_RANGE_TLV_QUERY_OPTION => {
                    query_option = Some(record.decode_exact(|r| r.bigsize())?);
                }
                _ => record.reject_unknown()?,
            }
        }
        Ok(Self {
            chain_hash,
            first_blocknum,
            number_of_blocks,
            query_option,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.chain_hash.as_bytes());
        out.put_u32(self.first_blocknum);
        out.put_u32(self.number_of_blocks);
        if let Some(option) = self.query_option {
            let mut value = Vec::new();
            value.put_bigsize(option);
            TlvWriter::new(out).record(QUERY_RANGE_TLV_QUERY_OPTION, &value);
        }
    }
}

impl ReplyChannelRange {
    /// The block after the last one this reply covers, clamped to
    /// `u32::MAX` like [`QueryChannelRange::end_blocknum`].
    pub fn end_blocknum(&self) -> u32 {
        self.first_blocknum.saturating_add(self.number_of_blocks)
    }

    /// The whole answer to `query` from our channels `scids`: at least one
    /// reply, the last with `sync_complete`, each within
    /// [`MAX_MESSAGE_LEN`] (no timestamps or checksums are offered; BOLT 7
    /// makes them optional).
    ///
    /// Only ids funded in the queried blocks are answered; `scids` may hold
    /// others and need not be sorted or unique. The replies cover exactly the
    /// queried blocks: the first starts at the query's `first_blocknum`,
    /// each next one starts where the previous ended, and the last ends at
    /// the query's end, so an empty `scids` gives one empty reply for the
    /// whole range. Replies are split at block boundaries; only a single
    /// block with more than [`MAX_SCIDS_PER_REPLY`] channels is split across
    /// replies, which then both cover that block (BOLT 7 allows it:
    /// successive `first_blocknum`s need only not decrease).
    ///
    /// A query whose `first_blocknum + number_of_blocks` overflows `u32` is
    /// answered up to block `u32::MAX`, so that no reply overflows either
    /// (some implementations reject a reply that does). A query for zero
    /// blocks, which BOLT 7 forbids, gets one empty reply of zero blocks.
    pub fn for_query(
        query: &QueryChannelRange,
        scids: &[ShortChannelId],
    ) -> Vec<ReplyChannelRange> {
        let end = query.end_blocknum();
        let mut wanted: Vec<ShortChannelId> = scids
            .iter()
            .copied()
            .filter(|s| (query.first_blocknum..end).contains(&s.block()))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();

        let reply =
            |first: u32, end: u32, sync_complete: bool, ids: &[ShortChannelId]| ReplyChannelRange {
                chain_hash: query.chain_hash,
                first_blocknum: first,
                number_of_blocks: end - first,
                sync_complete,
                short_channel_ids: ids.to_vec(),
                timestamps: None,
                checksums: None,
            };
        let mut replies = Vec::new();
        let mut first = query.first_blocknum;
        let mut rest = &wanted[..];
        while rest.len() > MAX_SCIDS_PER_REPLY {
            // The block of the first id that does not fit: this reply ends
            // before it unless the ids that fit all belong to it.
            let next_block = rest[MAX_SCIDS_PER_REPLY].block();
            let before = rest[..MAX_SCIDS_PER_REPLY].partition_point(|s| s.block() < next_block);
            let (taken, reply_end) = if before == 0 {
                (MAX_SCIDS_PER_REPLY, next_block + 1)
            } else {
                (before, next_block)
            };
            replies.push(reply(first, reply_end, false, &rest[..taken]));
            first = next_block;
            rest = &rest[taken..];
        }
        replies.push(reply(first, end, true, rest));
        replies
    }

    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let chain_hash = r.chain_hash()?;
        let first_blocknum = r.u32()?;
        let number_of_blocks = r.u32()?;
        let sync_complete = r.u8()? != 0;
        let short_channel_ids = read_encoded_scids(r.u16_prefixed()?)?;
        let (mut timestamps, mut checksums) = (None, None);
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                REPLY_RANGE_TLV_TIMESTAMPS => {
                    timestamps =
                        Some(record.decode_exact(|r| {
                            read_fixed(read_encoding(r)?, PAIR_LEN, read_pair)
                        })?);
                }
                REPLY_RANGE_TLV_CHECKSUMS => {
                    checksums =
                        Some(record.decode_exact(|r| read_fixed(r.rest(), PAIR_LEN, read_pair))?);
                }
                _ => record.reject_unknown()?,
            }
        }
        let channels = short_channel_ids.len();
        check_count(&timestamps, channels, REPLY_RANGE_TLV_TIMESTAMPS)?;
        check_count(&checksums, channels, REPLY_RANGE_TLV_CHECKSUMS)?;
        Ok(Self {
            chain_hash,
            first_blocknum,
            number_of_blocks,
            sync_complete,
            short_channel_ids,
            timestamps,
            checksums,
        })
    }

    /// Appends the payload; fails if the ids overflow their `u16` length or
    /// the timestamps or checksums are not one per channel.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let channels = self.short_channel_ids.len();
        matches_count(&self.timestamps, channels)?;
        matches_count(&self.checksums, channels)?;
        out.extend_from_slice(self.chain_hash.as_bytes());
        out.put_u32(self.first_blocknum);
        out.put_u32(self.number_of_blocks);
        out.push(u8::from(self.sync_complete));
        write_encoded_scids(out, &self.short_channel_ids)?;
        let mut tlv = TlvWriter::new(out);
        if let Some(timestamps) = &self.timestamps {
            tlv.record(
                REPLY_RANGE_TLV_TIMESTAMPS,
                &pairs_bytes(timestamps, Some(ENCODING_UNCOMPRESSED)),
            );
        }
        if let Some(checksums) = &self.checksums {
            tlv.record(REPLY_RANGE_TLV_CHECKSUMS, &pairs_bytes(checksums, None));
        }
        Ok(())
    }
}

impl GossipTimestampFilter {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            chain_hash: r.chain_hash()?,
            first_timestamp: r.u32()?,
            timestamp_range: r.u32()?,
        };
        check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.chain_hash.as_bytes());
        out.put_u32(self.first_timestamp);
        out.put_u32(self.timestamp_range);
    }
}
