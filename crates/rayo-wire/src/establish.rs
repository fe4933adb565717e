//! BOLT 2 channel establishment (v1) and `channel_reestablish` messages:
//! their fields and wire encoding. The rules about their values (reserve,
//! dust limit, delays...) belong to the channel state machine in
//! `rayo-channel`, which receives these decoded structs.

use bitcoin::constants::ChainHash;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Txid;

use crate::amount::{Msat, Sat};
use crate::features::Features;
use crate::ids::{ChannelId, ShortChannelId};
use crate::ser::{DecodeError, Reader, WriteExt};
use crate::tlv::{TlvReader, TlvWriter};

/// Message type numbers of BOLT 2 establishment.
pub mod msg_type {
    /// `open_channel`
    pub const OPEN_CHANNEL: u16 = 32;
    /// `accept_channel`
    pub const ACCEPT_CHANNEL: u16 = 33;
    /// `funding_created`
    pub const FUNDING_CREATED: u16 = 34;
    /// `funding_signed`
    pub const FUNDING_SIGNED: u16 = 35;
    /// `channel_ready`
    pub const CHANNEL_READY: u16 = 36;
    /// `channel_reestablish`
    pub const CHANNEL_REESTABLISH: u16 = 136;
}

/// The basepoints and first per-commitment point each side announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelPoints {
    /// Key in the 2-of-2 funding script.
    pub funding_pubkey: PublicKey,
    /// Base of the revocation keys.
    pub revocation_basepoint: PublicKey,
    /// Base of the payment key (static: the to_remote key itself).
    pub payment_basepoint: PublicKey,
    /// Base of the delayed payment keys.
    pub delayed_payment_basepoint: PublicKey,
    /// Base of the HTLC keys.
    pub htlc_basepoint: PublicKey,
    /// The per-commitment point of commitment number 0.
    pub first_per_commitment_point: PublicKey,
}

/// `open_channel` (32): the opener proposes a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenChannel {
    /// The chain the channel lives on.
    pub chain_hash: ChainHash,
    /// Identifies the channel until the funding transaction exists.
    pub temporary_channel_id: ChannelId,
    /// The opener's contribution.
    pub funding_satoshis: Sat,
    /// Given to the acceptor at once.
    pub push_msat: Msat,
    /// Below this, the opener's commitment outputs are trimmed.
    pub dust_limit_satoshis: Sat,
    /// Cap on HTLC value the acceptor may have in flight to us.
    pub max_htlc_value_in_flight_msat: Msat,
    /// What the acceptor must keep in the channel.
    pub channel_reserve_satoshis: Sat,
    /// Smallest HTLC the opener accepts.
    pub htlc_minimum_msat: Msat,
    /// Commitment fee rate, paid by the opener.
    pub feerate_per_kw: u32,
    /// CSV delay the acceptor's to-self outputs get.
    pub to_self_delay: u16,
    /// Most HTLCs the acceptor may offer at once.
    pub max_accepted_htlcs: u16,
    /// The opener's keys.
    pub points: ChannelPoints,
    /// Bit 0: announce the channel.
    pub channel_flags: u8,
    /// TLV 0: where the opener's funds must go on a mutual close.
    pub upfront_shutdown_script: Option<Vec<u8>>,
    /// TLV 1: the channel type, as feature bits.
    pub channel_type: Option<Features>,
}

/// `accept_channel` (33): the acceptor's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptChannel {
    /// As in `open_channel`.
    pub temporary_channel_id: ChannelId,
    /// Below this, the acceptor's commitment outputs are trimmed.
    pub dust_limit_satoshis: Sat,
    /// Cap on HTLC value the opener may have in flight to the acceptor.
    pub max_htlc_value_in_flight_msat: Msat,
    /// What the opener must keep in the channel.
    pub channel_reserve_satoshis: Sat,
    /// Smallest HTLC the acceptor accepts.
    pub htlc_minimum_msat: Msat,
    /// Confirmations the acceptor waits for before `channel_ready`.
    pub minimum_depth: u32,
    /// CSV delay the opener's to-self outputs get.
    pub to_self_delay: u16,
    /// Most HTLCs the opener may offer at once.
    pub max_accepted_htlcs: u16,
    /// The acceptor's keys.
    pub points: ChannelPoints,
    /// TLV 0.
    pub upfront_shutdown_script: Option<Vec<u8>>,
    /// TLV 1: must equal the opener's.
    pub channel_type: Option<Features>,
}

/// `funding_created` (34): the funding outpoint and the opener's signature
/// of the acceptor's first commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingCreated {
    /// As in `open_channel`.
    pub temporary_channel_id: ChannelId,
    /// The funding transaction's id.
    pub funding_txid: Txid,
    /// The funding output's index.
    pub funding_output_index: u16,
    /// Signature of the acceptor's commitment number 0.
    pub signature: Signature,
}

/// `funding_signed` (35): the acceptor's signature of the opener's first
/// commitment; the opener may now broadcast the funding transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FundingSigned {
    /// The real channel id (funding txid XOR output index).
    pub channel_id: ChannelId,
    /// Signature of the opener's commitment number 0.
    pub signature: Signature,
}

/// `channel_ready` (36): the funding transaction is deep enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelReady {
    /// The channel.
    pub channel_id: ChannelId,
    /// The per-commitment point of commitment number 1.
    pub second_per_commitment_point: PublicKey,
    /// TLV 1: an alias to use for the channel in routing hints.
    pub short_channel_id_alias: Option<ShortChannelId>,
}

/// `channel_reestablish` (136): where each side is, after a reconnection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelReestablish {
    /// The channel.
    pub channel_id: ChannelId,
    /// The commitment number the sender expects to receive next.
    pub next_commitment_number: u64,
    /// The revocation number the sender expects to receive next.
    pub next_revocation_number: u64,
    /// The last per-commitment secret the sender received (all zeros if
    /// none): proof of what the sender has, for data-loss protection.
    pub your_last_per_commitment_secret: [u8; 32],
    /// The sender's current per-commitment point.
    pub my_current_per_commitment_point: PublicKey,
    /// TLV 1 (splicing / dual funding): txid and retransmit flags.
    pub next_funding: Option<(Txid, u8)>,
    /// TLV 5: the latest funding the sender has locked, and flags.
    pub my_current_funding_locked: Option<(Txid, u8)>,
}

/// Writers for the fixed-size types the channel messages share.
pub(crate) trait WireWrite {
    fn put_point(&mut self, point: &PublicKey);
    fn put_signature(&mut self, signature: &Signature);
    fn put_txid(&mut self, txid: &Txid);
}

impl WireWrite for Vec<u8> {
    fn put_point(&mut self, point: &PublicKey) {
        self.extend_from_slice(&point.serialize());
    }
    fn put_signature(&mut self, signature: &Signature) {
        self.extend_from_slice(&signature.serialize_compact());
    }
    fn put_txid(&mut self, txid: &Txid) {
        self.extend_from_slice(txid.as_byte_array());
    }
}

/// A `sha256` carrying a txid, in its internal byte order.
pub(crate) fn read_txid(r: &mut Reader<'_>) -> Result<Txid, DecodeError> {
    Ok(Txid::from_byte_array(r.array()?))
}

fn read_points(r: &mut Reader<'_>) -> Result<ChannelPoints, DecodeError> {
    Ok(ChannelPoints {
        funding_pubkey: r.point()?,
        revocation_basepoint: r.point()?,
        payment_basepoint: r.point()?,
        delayed_payment_basepoint: r.point()?,
        htlc_basepoint: r.point()?,
        first_per_commitment_point: r.point()?,
    })
}

fn write_points(out: &mut Vec<u8>, p: &ChannelPoints) {
    for point in [
        &p.funding_pubkey,
        &p.revocation_basepoint,
        &p.payment_basepoint,
        &p.delayed_payment_basepoint,
        &p.htlc_basepoint,
        &p.first_per_commitment_point,
    ] {
        out.put_point(point);
    }
}

/// The TLVs `open_channel` and `accept_channel` share.
type OpeningTlvs = (Option<Vec<u8>>, Option<Features>);

fn read_opening_tlvs(bytes: &[u8]) -> Result<OpeningTlvs, DecodeError> {
    let (mut shutdown, mut channel_type) = (None, None);
    for record in TlvReader::new(bytes) {
        let record = record?;
        match record.ty {
            0 => shutdown = Some(record.value.to_vec()),
            1 => channel_type = Some(Features::from_wire(record.value)),
            _ => record.reject_unknown()?,
        }
    }
    Ok((shutdown, channel_type))
}

fn write_opening_tlvs(
    out: &mut Vec<u8>,
    shutdown: &Option<Vec<u8>>,
    channel_type: &Option<Features>,
) {
    let mut tlv = TlvWriter::new(out);
    if let Some(script) = shutdown {
        tlv.record(0, script);
    }
    if let Some(features) = channel_type {
        tlv.record(1, &features.to_wire());
    }
}

fn read_funding_tlv(record: &crate::tlv::TlvRecord<'_>) -> Result<(Txid, u8), DecodeError> {
    record.decode_exact(|r| Ok((read_txid(r)?, r.u8()?)))
}

impl OpenChannel {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let chain_hash = r.chain_hash()?;
        let temporary_channel_id = r.channel_id()?;
        let funding_satoshis = Sat(r.u64()?);
        let push_msat = Msat(r.u64()?);
        let dust_limit_satoshis = Sat(r.u64()?);
        let max_htlc_value_in_flight_msat = Msat(r.u64()?);
        let channel_reserve_satoshis = Sat(r.u64()?);
        let htlc_minimum_msat = Msat(r.u64()?);
        let feerate_per_kw = r.u32()?;
        let to_self_delay = r.u16()?;
        let max_accepted_htlcs = r.u16()?;
        let points = read_points(r)?;
        let channel_flags = r.u8()?;
        let (upfront_shutdown_script, channel_type) = read_opening_tlvs(r.rest())?;
        Ok(Self {
            chain_hash,
            temporary_channel_id,
            funding_satoshis,
            push_msat,
            dust_limit_satoshis,
            max_htlc_value_in_flight_msat,
            channel_reserve_satoshis,
            htlc_minimum_msat,
            feerate_per_kw,
            to_self_delay,
            max_accepted_htlcs,
            points,
            channel_flags,
            upfront_shutdown_script,
            channel_type,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.chain_hash.as_bytes());
        out.extend_from_slice(&self.temporary_channel_id.0);
        for v in [
            self.funding_satoshis.0,
            self.push_msat.0,
            self.dust_limit_satoshis.0,
            self.max_htlc_value_in_flight_msat.0,
            self.channel_reserve_satoshis.0,
            self.htlc_minimum_msat.0,
        ] {
            out.put_u64(v);
        }
        out.put_u32(self.feerate_per_kw);
        out.put_u16(self.to_self_delay);
        out.put_u16(self.max_accepted_htlcs);
        write_points(out, &self.points);
        out.push(self.channel_flags);
        write_opening_tlvs(out, &self.upfront_shutdown_script, &self.channel_type);
    }
}

impl AcceptChannel {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let temporary_channel_id = r.channel_id()?;
        let dust_limit_satoshis = Sat(r.u64()?);
        let max_htlc_value_in_flight_msat = Msat(r.u64()?);
        let channel_reserve_satoshis = Sat(r.u64()?);
        let htlc_minimum_msat = Msat(r.u64()?);
        let minimum_depth = r.u32()?;
        let to_self_delay = r.u16()?;
        let max_accepted_htlcs = r.u16()?;
        let points = read_points(r)?;
        let (upfront_shutdown_script, channel_type) = read_opening_tlvs(r.rest())?;
        Ok(Self {
            temporary_channel_id,
            dust_limit_satoshis,
            max_htlc_value_in_flight_msat,
            channel_reserve_satoshis,
            htlc_minimum_msat,
            minimum_depth,
            to_self_delay,
            max_accepted_htlcs,
            points,
            upfront_shutdown_script,
            channel_type,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.temporary_channel_id.0);
        for v in [
            self.dust_limit_satoshis.0,
            self.max_htlc_value_in_flight_msat.0,
            self.channel_reserve_satoshis.0,
            self.htlc_minimum_msat.0,
        ] {
            out.put_u64(v);
        }
        out.put_u32(self.minimum_depth);
        out.put_u16(self.to_self_delay);
        out.put_u16(self.max_accepted_htlcs);
        write_points(out, &self.points);
        write_opening_tlvs(out, &self.upfront_shutdown_script, &self.channel_type);
    }
}

impl FundingCreated {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            temporary_channel_id: r.channel_id()?,
            funding_txid: read_txid(r)?,
            funding_output_index: r.u16()?,
            signature: r.signature()?,
        };
        crate::tlv::check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.temporary_channel_id.0);
        out.put_txid(&self.funding_txid);
        out.put_u16(self.funding_output_index);
        out.put_signature(&self.signature);
    }
}

impl FundingSigned {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            channel_id: r.channel_id()?,
            signature: r.signature()?,
        };
        crate::tlv::check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_signature(&self.signature);
    }
}

impl ChannelReady {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let channel_id = r.channel_id()?;
        let second_per_commitment_point = r.point()?;
        let mut short_channel_id_alias = None;
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                1 => short_channel_id_alias = Some(record.decode_exact(|r| r.short_channel_id())?),
                _ => record.reject_unknown()?,
            }
        }
        Ok(Self {
            channel_id,
            second_per_commitment_point,
            short_channel_id_alias,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_point(&self.second_per_commitment_point);
        if let Some(alias) = self.short_channel_id_alias {
            TlvWriter::new(out).record(1, &alias.0.to_be_bytes());
        }
    }
}

impl ChannelReestablish {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let channel_id = r.channel_id()?;
        let next_commitment_number = r.u64()?;
        let next_revocation_number = r.u64()?;
        let your_last_per_commitment_secret = r.array()?;
        let my_current_per_commitment_point = r.point()?;
        let (mut next_funding, mut my_current_funding_locked) = (None, None);
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                1 => next_funding = Some(read_funding_tlv(&record)?),
                5 => my_current_funding_locked = Some(read_funding_tlv(&record)?),
                _ => record.reject_unknown()?,
            }
        }
        Ok(Self {
            channel_id,
            next_commitment_number,
            next_revocation_number,
            your_last_per_commitment_secret,
            my_current_per_commitment_point,
            next_funding,
            my_current_funding_locked,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_u64(self.next_commitment_number);
        out.put_u64(self.next_revocation_number);
        out.extend_from_slice(&self.your_last_per_commitment_secret);
        out.put_point(&self.my_current_per_commitment_point);
        let mut tlv = TlvWriter::new(out);
        for (ty, value) in [(1, self.next_funding), (5, self.my_current_funding_locked)] {
            if let Some((txid, flags)) = value {
                let mut bytes = txid.as_byte_array().to_vec();
                bytes.push(flags);
                tlv.record(ty, &bytes);
            }
        }
    }
}
