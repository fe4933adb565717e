//! BOLT 1 messages and the message envelope: a two-byte type, the payload,
//! then an optional TLV extension.
//!
//! [`Message`] is the one enum of every message Rayo decodes: these, the
//! BOLT 2 channel messages of [`crate::establish`] and [`crate::update`],
//! and the BOLT 7 gossip queries of [`crate::gossip`]. Decoding follows
//! BOLT 1's "it's ok to be odd" rule: an unknown odd type decodes to
//! [`Message::Unknown`], which the receiver ignores; an unknown even type is
//! [`DecodeError::UnknownEvenMessage`], which closes the connection.

use bitcoin::constants::ChainHash;

use crate::establish::{
    msg_type as est, AcceptChannel, ChannelReady, ChannelReestablish, FundingCreated,
    FundingSigned, OpenChannel,
};
use crate::features::Features;
use crate::gossip::{
    msg_type as gsp, GossipTimestampFilter, QueryChannelRange, QueryShortChannelIds,
    ReplyChannelRange, ReplyShortChannelIdsEnd,
};
use crate::ids::ChannelId;
use crate::ser::{DecodeError, Reader, WriteExt};
use crate::tlv::{check_unknown_stream, TlvReader, TlvWriter};
use crate::update::{
    msg_type as upd, CommitmentSigned, RevokeAndAck, UpdateAddHtlc, UpdateFailHtlc,
    UpdateFailMalformedHtlc, UpdateFee, UpdateFulfillHtlc,
};

/// The first of the BOLT 7 types Rayo knows but does not decode
/// ([`Message::Gossip`]): `channel_announcement` (256).
pub const GOSSIP_TYPES_START: u16 = 256;
/// The last of them: `announcement_signatures` (259). Type 260 is assigned
/// to nothing (an unknown even type), and the queries 261 to 265 are
/// decoded (see [`crate::gossip`]).
pub const GOSSIP_TYPES_END: u16 = 259;

/// Above this, a `ping` asks for no `pong` at all (BOLT 1).
pub const PING_NO_PONG_THRESHOLD: u16 = 65532;

/// Message type numbers of BOLT 1.
pub mod msg_type {
    /// `warning`
    pub const WARNING: u16 = 1;
    /// `init`
    pub const INIT: u16 = 16;
    /// `error`
    pub const ERROR: u16 = 17;
    /// `ping`
    pub const PING: u16 = 18;
    /// `pong`
    pub const PONG: u16 = 19;
}

/// `init`: the first message on every connection, announcing features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Init {
    /// The combined feature vector (`globalfeatures` OR `features` on read;
    /// written entirely into `features`, with `globalfeatures` empty).
    pub features: Features,
    /// The `networks` TLV: the chains the sender cares about, if given.
    pub networks: Option<Vec<ChainHash>>,
    /// The `remote_addr` TLV: how the sender sees our address, if given.
    pub remote_addr: Option<Vec<u8>>,
}

/// `error`: the sender failed the channel (or all channels if the id is zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMessage {
    /// The channel concerned, or [`ChannelId::ALL`].
    pub channel_id: ChannelId,
    /// Free-form data, usually ASCII text.
    pub data: Vec<u8>,
}

/// `warning`: something is wrong but nothing was failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The channel concerned, or [`ChannelId::ALL`].
    pub channel_id: ChannelId,
    /// Free-form data, usually ASCII text.
    pub data: Vec<u8>,
}

/// `ping`: keep-alive that asks for a `pong` of `num_pong_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// How many bytes the `pong` should carry; 65532 or more means no pong.
    pub num_pong_bytes: u16,
    /// Padding, ignored by the receiver.
    pub ignored: Vec<u8>,
}

/// `pong`: the answer to a `ping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pong {
    /// Padding of the length the `ping` asked for.
    pub ignored: Vec<u8>,
}

impl ErrorMessage {
    /// The data as text when it is printable ASCII, as BOLT 1 asks before
    /// printing it verbatim; otherwise its hex form.
    pub fn printable_data(&self) -> String {
        printable(&self.data)
    }
}

impl Warning {
    /// Like [`ErrorMessage::printable_data`].
    pub fn printable_data(&self) -> String {
        printable(&self.data)
    }
}

fn printable(data: &[u8]) -> String {
    if data.iter().all(|b| (32..=126).contains(b)) {
        String::from_utf8_lossy(data).into_owned()
    } else {
        data.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Ping {
    /// The `pong` this ping asks for, or `None` when BOLT 1 says to ignore it.
    pub fn response(&self) -> Option<Pong> {
        (self.num_pong_bytes < PING_NO_PONG_THRESHOLD).then(|| Pong {
            ignored: vec![0; usize::from(self.num_pong_bytes)],
        })
    }
}

/// Every message Rayo understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// `init` (16)
    Init(Init),
    /// `error` (17)
    Error(ErrorMessage),
    /// `warning` (1)
    Warning(Warning),
    /// `ping` (18)
    Ping(Ping),
    /// `pong` (19)
    Pong(Pong),
    /// `open_channel` (32)
    OpenChannel(Box<OpenChannel>),
    /// `accept_channel` (33)
    AcceptChannel(Box<AcceptChannel>),
    /// `funding_created` (34)
    FundingCreated(FundingCreated),
    /// `funding_signed` (35)
    FundingSigned(FundingSigned),
    /// `channel_ready` (36)
    ChannelReady(ChannelReady),
    /// `channel_reestablish` (136)
    ChannelReestablish(ChannelReestablish),
    /// `update_add_htlc` (128); boxed for its 1366-byte onion.
    UpdateAddHtlc(Box<UpdateAddHtlc>),
    /// `update_fulfill_htlc` (130)
    UpdateFulfillHtlc(UpdateFulfillHtlc),
    /// `update_fail_htlc` (131)
    UpdateFailHtlc(UpdateFailHtlc),
    /// `update_fail_malformed_htlc` (135)
    UpdateFailMalformedHtlc(UpdateFailMalformedHtlc),
    /// `commitment_signed` (132)
    CommitmentSigned(CommitmentSigned),
    /// `revoke_and_ack` (133)
    RevokeAndAck(RevokeAndAck),
    /// `update_fee` (134)
    UpdateFee(UpdateFee),
    /// `query_short_channel_ids` (261)
    QueryShortChannelIds(QueryShortChannelIds),
    /// `reply_short_channel_ids_end` (262)
    ReplyShortChannelIdsEnd(ReplyShortChannelIdsEnd),
    /// `query_channel_range` (263)
    QueryChannelRange(QueryChannelRange),
    /// `reply_channel_range` (264)
    ReplyChannelRange(ReplyChannelRange),
    /// `gossip_timestamp_filter` (265)
    GossipTimestampFilter(GossipTimestampFilter),
    /// A BOLT 7 announcement (256-259: `channel_announcement`,
    /// `node_announcement`, `channel_update`, `announcement_signatures`).
    /// Known, so never a reason to disconnect, but not decoded: Rayo does
    /// not keep a network graph, so it has no use for them. The gossip
    /// queries (261-265) have variants of their own.
    Gossip {
        /// The gossip message type.
        msg_type: u16,
    },
    /// A message of an unknown odd type, which BOLT 1 says to ignore.
    Unknown {
        /// The odd type number.
        msg_type: u16,
    },
}

pub use crate::ser::{EncodeError, MAX_MESSAGE_LEN};

impl Message {
    /// The two-byte type of this message.
    pub fn msg_type(&self) -> u16 {
        match self {
            Message::Init(_) => msg_type::INIT,
            Message::Error(_) => msg_type::ERROR,
            Message::Warning(_) => msg_type::WARNING,
            Message::Ping(_) => msg_type::PING,
            Message::Pong(_) => msg_type::PONG,
            Message::OpenChannel(_) => est::OPEN_CHANNEL,
            Message::AcceptChannel(_) => est::ACCEPT_CHANNEL,
            Message::FundingCreated(_) => est::FUNDING_CREATED,
            Message::FundingSigned(_) => est::FUNDING_SIGNED,
            Message::ChannelReady(_) => est::CHANNEL_READY,
            Message::ChannelReestablish(_) => est::CHANNEL_REESTABLISH,
            Message::UpdateAddHtlc(_) => upd::UPDATE_ADD_HTLC,
            Message::UpdateFulfillHtlc(_) => upd::UPDATE_FULFILL_HTLC,
            Message::UpdateFailHtlc(_) => upd::UPDATE_FAIL_HTLC,
            Message::UpdateFailMalformedHtlc(_) => upd::UPDATE_FAIL_MALFORMED_HTLC,
            Message::CommitmentSigned(_) => upd::COMMITMENT_SIGNED,
            Message::RevokeAndAck(_) => upd::REVOKE_AND_ACK,
            Message::UpdateFee(_) => upd::UPDATE_FEE,
            Message::QueryShortChannelIds(_) => gsp::QUERY_SHORT_CHANNEL_IDS,
            Message::ReplyShortChannelIdsEnd(_) => gsp::REPLY_SHORT_CHANNEL_IDS_END,
            Message::QueryChannelRange(_) => gsp::QUERY_CHANNEL_RANGE,
            Message::ReplyChannelRange(_) => gsp::REPLY_CHANNEL_RANGE,
            Message::GossipTimestampFilter(_) => gsp::GOSSIP_TIMESTAMP_FILTER,
            Message::Gossip { msg_type } | Message::Unknown { msg_type } => *msg_type,
        }
    }

    /// Decodes one whole message (type, payload and extension).
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader::new(bytes);
        let ty = r.u16().map_err(|_| DecodeError::MissingMessageType)?;
        let msg = match ty {
            msg_type::INIT => Message::Init(decode_init(&mut r)?),
            msg_type::ERROR => {
                let (channel_id, data) = decode_channel_text(&mut r)?;
                Message::Error(ErrorMessage { channel_id, data })
            }
            msg_type::WARNING => {
                let (channel_id, data) = decode_channel_text(&mut r)?;
                Message::Warning(Warning { channel_id, data })
            }
            msg_type::PING => {
                let num_pong_bytes = r.u16()?;
                let ignored = r.u16_prefixed()?.to_vec();
                check_unknown_stream(r.rest())?;
                Message::Ping(Ping {
                    num_pong_bytes,
                    ignored,
                })
            }
            msg_type::PONG => {
                let ignored = r.u16_prefixed()?.to_vec();
                check_unknown_stream(r.rest())?;
                Message::Pong(Pong { ignored })
            }
            est::OPEN_CHANNEL => Message::OpenChannel(Box::new(OpenChannel::decode(&mut r)?)),
            est::ACCEPT_CHANNEL => Message::AcceptChannel(Box::new(AcceptChannel::decode(&mut r)?)),
            est::FUNDING_CREATED => Message::FundingCreated(FundingCreated::decode(&mut r)?),
            est::FUNDING_SIGNED => Message::FundingSigned(FundingSigned::decode(&mut r)?),
            est::CHANNEL_READY => Message::ChannelReady(ChannelReady::decode(&mut r)?),
            est::CHANNEL_REESTABLISH => {
                Message::ChannelReestablish(ChannelReestablish::decode(&mut r)?)
            }
            upd::UPDATE_ADD_HTLC => {
                Message::UpdateAddHtlc(Box::new(UpdateAddHtlc::decode(&mut r)?))
            }
            upd::UPDATE_FULFILL_HTLC => {
                Message::UpdateFulfillHtlc(UpdateFulfillHtlc::decode(&mut r)?)
            }
            upd::UPDATE_FAIL_HTLC => Message::UpdateFailHtlc(UpdateFailHtlc::decode(&mut r)?),
            upd::UPDATE_FAIL_MALFORMED_HTLC => {
                Message::UpdateFailMalformedHtlc(UpdateFailMalformedHtlc::decode(&mut r)?)
            }
            upd::COMMITMENT_SIGNED => Message::CommitmentSigned(CommitmentSigned::decode(&mut r)?),
            upd::REVOKE_AND_ACK => Message::RevokeAndAck(RevokeAndAck::decode(&mut r)?),
            upd::UPDATE_FEE => Message::UpdateFee(UpdateFee::decode(&mut r)?),
            gsp::QUERY_SHORT_CHANNEL_IDS => {
                Message::QueryShortChannelIds(QueryShortChannelIds::decode(&mut r)?)
            }
            gsp::REPLY_SHORT_CHANNEL_IDS_END => {
                Message::ReplyShortChannelIdsEnd(ReplyShortChannelIdsEnd::decode(&mut r)?)
            }
            gsp::QUERY_CHANNEL_RANGE => {
                Message::QueryChannelRange(QueryChannelRange::decode(&mut r)?)
            }
            gsp::REPLY_CHANNEL_RANGE => {
                Message::ReplyChannelRange(ReplyChannelRange::decode(&mut r)?)
            }
            gsp::GOSSIP_TIMESTAMP_FILTER => {
                Message::GossipTimestampFilter(GossipTimestampFilter::decode(&mut r)?)
            }
            gossip @ GOSSIP_TYPES_START..=GOSSIP_TYPES_END => Message::Gossip { msg_type: gossip },
            odd if odd % 2 == 1 => Message::Unknown { msg_type: odd },
            even => return Err(DecodeError::UnknownEvenMessage(even)),
        };
        Ok(msg)
    }

    /// Encodes the message, type first. [`Message::Unknown`] carries no
    /// payload and encodes as its bare type.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        out.put_u16(self.msg_type());
        match self {
            Message::Init(init) => encode_init(init, &mut out)?,
            Message::Error(ErrorMessage { channel_id, data })
            | Message::Warning(Warning { channel_id, data }) => {
                out.extend_from_slice(&channel_id.0);
                out.put_u16_prefixed(data).ok_or(EncodeError)?;
            }
            Message::Ping(ping) => {
                out.put_u16(ping.num_pong_bytes);
                out.put_u16_prefixed(&ping.ignored).ok_or(EncodeError)?;
            }
            Message::Pong(pong) => {
                out.put_u16_prefixed(&pong.ignored).ok_or(EncodeError)?;
            }
            Message::OpenChannel(m) => m.encode(&mut out),
            Message::AcceptChannel(m) => m.encode(&mut out),
            Message::FundingCreated(m) => m.encode(&mut out),
            Message::FundingSigned(m) => m.encode(&mut out),
            Message::ChannelReady(m) => m.encode(&mut out),
            Message::ChannelReestablish(m) => m.encode(&mut out),
            Message::UpdateAddHtlc(m) => m.encode(&mut out),
            Message::UpdateFulfillHtlc(m) => m.encode(&mut out),
            Message::UpdateFailHtlc(m) => m.encode(&mut out)?,
            Message::UpdateFailMalformedHtlc(m) => m.encode(&mut out),
            Message::CommitmentSigned(m) => m.encode(&mut out)?,
            Message::RevokeAndAck(m) => m.encode(&mut out),
            Message::UpdateFee(m) => m.encode(&mut out),
            Message::QueryShortChannelIds(m) => m.encode(&mut out)?,
            Message::ReplyShortChannelIdsEnd(m) => m.encode(&mut out),
            Message::QueryChannelRange(m) => m.encode(&mut out),
            Message::ReplyChannelRange(m) => m.encode(&mut out)?,
            Message::GossipTimestampFilter(m) => m.encode(&mut out),
            Message::Gossip { .. } | Message::Unknown { .. } => {}
        }
        if out.len() > MAX_MESSAGE_LEN {
            return Err(EncodeError);
        }
        Ok(out)
    }
}

const INIT_TLV_NETWORKS: u64 = 1;
const INIT_TLV_REMOTE_ADDR: u64 = 3;

fn decode_init(r: &mut Reader<'_>) -> Result<Init, DecodeError> {
    let global = Features::from_wire(r.u16_prefixed()?);
    let local = Features::from_wire(r.u16_prefixed()?);
    let mut init = Init {
        features: global.union(&local),
        networks: None,
        remote_addr: None,
    };
    for record in TlvReader::new(r.rest()) {
        let record = record?;
        match record.ty {
            INIT_TLV_NETWORKS => {
                let chains = record.decode_exact(|r| {
                    let mut chains = Vec::with_capacity(r.remaining() / 32);
                    while !r.is_empty() {
                        chains.push(r.chain_hash()?);
                    }
                    Ok(chains)
                })?;
                init.networks = Some(chains);
            }
            INIT_TLV_REMOTE_ADDR => init.remote_addr = Some(record.value.to_vec()),
            _ => record.reject_unknown()?,
        }
    }
    Ok(init)
}

fn encode_init(init: &Init, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    out.put_u16(0);
    out.put_u16_prefixed(&init.features.to_wire())
        .ok_or(EncodeError)?;
    let mut tlv = TlvWriter::new(out);
    if let Some(networks) = &init.networks {
        let chains: Vec<u8> = networks.iter().flat_map(|c| c.to_bytes()).collect();
        tlv.record(INIT_TLV_NETWORKS, &chains);
    }
    if let Some(addr) = &init.remote_addr {
        tlv.record(INIT_TLV_REMOTE_ADDR, addr);
    }
    Ok(())
}

fn decode_channel_text(r: &mut Reader<'_>) -> Result<(ChannelId, Vec<u8>), DecodeError> {
    let channel_id = ChannelId(r.array()?);
    let data = r.u16_prefixed()?.to_vec();
    check_unknown_stream(r.rest())?;
    Ok((channel_id, data))
}
