//! BOLT 2 normal operation: the messages that add, settle and fail HTLCs,
//! change the fee, and commit and revoke commitment transactions.
//!
//! Only the fields and their wire encoding live here. What the values must
//! satisfy (HTLC ids in sequence, amounts within limits, a preimage that
//! hashes to the payment hash, signatures that verify, the `BADONION` bit of
//! a malformed failure...) is checked by the channel state machine in
//! `rayo-channel`, which receives these decoded structs.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::PublicKey;
use bitcoin::Txid;

use crate::amount::Msat;
use crate::establish::{read_txid, WireWrite};
use crate::ids::ChannelId;
use crate::ser::{DecodeError, EncodeError, Reader, WriteExt};
use crate::tlv::{check_unknown_stream, TlvReader, TlvWriter};

/// Message type numbers of BOLT 2 normal operation.
pub mod msg_type {
    /// `update_add_htlc`
    pub const UPDATE_ADD_HTLC: u16 = 128;
    /// `update_fulfill_htlc`
    pub const UPDATE_FULFILL_HTLC: u16 = 130;
    /// `update_fail_htlc`
    pub const UPDATE_FAIL_HTLC: u16 = 131;
    /// `commitment_signed`
    pub const COMMITMENT_SIGNED: u16 = 132;
    /// `revoke_and_ack`
    pub const REVOKE_AND_ACK: u16 = 133;
    /// `update_fee`
    pub const UPDATE_FEE: u16 = 134;
    /// `update_fail_malformed_htlc`
    pub const UPDATE_FAIL_MALFORMED_HTLC: u16 = 135;
}

/// Size of the BOLT 4 onion packet every `update_add_htlc` carries: version,
/// ephemeral key, 1300 bytes of hop payloads and the HMAC.
pub const ONION_PACKET_LEN: usize = 1366;

/// Size of BOLT 4 attribution data: 20 `u32` hold times followed by 210
/// HMACs truncated to 4 bytes, which lets the payer tell which hop delayed
/// or corrupted a settlement.
pub const ATTRIBUTION_DATA_LEN: usize = 920; // 20*u32 hold times + 210 truncated 4-byte hmacs

/// The `BADONION` bit of a BOLT 4 failure code: the onion itself could not
/// be parsed. `update_fail_malformed_htlc` must carry it.
pub const BADONION: u16 = 0x8000;

const ADD_TLV_BLINDED_PATH: u64 = 0;
const TLV_ATTRIBUTION_DATA: u64 = 1;
const COMMIT_TLV_FUNDING_TXID: u64 = 1;

/// `update_add_htlc` (128): the sender offers an HTLC, redeemable with the
/// preimage of `payment_hash` until `cltv_expiry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateAddHtlc {
    /// The channel.
    pub channel_id: ChannelId,
    /// The sender's HTLC counter: 0 for its first offer, then one more for
    /// each (never reset).
    pub id: u64,
    /// The HTLC's value.
    pub amount_msat: Msat,
    /// The hash whose preimage settles the HTLC.
    pub payment_hash: [u8; 32],
    /// Block height at which the HTLC times out (below 500000000).
    pub cltv_expiry: u32,
    /// The BOLT 4 onion for the next hop; boxed so the message moves cheaply.
    pub onion_routing_packet: Box<[u8; ONION_PACKET_LEN]>,
    /// TLV 0 (`blinded_path`): the path key of a blinded route, which the
    /// receiver needs to decrypt the onion.
    pub path_key: Option<PublicKey>,
}

/// `update_fulfill_htlc` (130): the HTLC is settled with its preimage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFulfillHtlc {
    /// The channel.
    pub channel_id: ChannelId,
    /// The id of the HTLC (offered by the receiver of this message).
    pub id: u64,
    /// The preimage of the HTLC's payment hash.
    pub payment_preimage: [u8; 32],
    /// TLV 1: hold times and HMACs for the payer (`option_attribution_data`).
    pub attribution_data: Option<Box<[u8; ATTRIBUTION_DATA_LEN]>>,
}

/// `update_fail_htlc` (131): the HTLC timed out or could not be routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFailHtlc {
    /// The channel.
    pub channel_id: ChannelId,
    /// The id of the HTLC (offered by the receiver of this message).
    pub id: u64,
    /// The BOLT 4 failure onion: opaque here, only the payer can read it.
    /// At most 65535 bytes (its `u16` length prefix).
    pub reason: Vec<u8>,
    /// TLV 1: hold times and HMACs for the payer (`option_attribution_data`).
    pub attribution_data: Option<Box<[u8; ATTRIBUTION_DATA_LEN]>>,
}

/// `update_fail_malformed_htlc` (135): the next hop could not parse the
/// onion, so it cannot encrypt a failure; the receiver must build the
/// `update_fail_htlc` for upstream itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFailMalformedHtlc {
    /// The channel.
    pub channel_id: ChannelId,
    /// The id of the HTLC (offered by the receiver of this message).
    pub id: u64,
    /// SHA256 of the onion the sender could not parse (may be all zero).
    pub sha256_of_onion: [u8; 32],
    /// The BOLT 4 failure code. BOLT 2 requires the [`BADONION`] bit; that is
    /// a rule for the channel layer (a warning or channel failure), not a
    /// decoding rule, so any value decodes. See
    /// [`UpdateFailMalformedHtlc::has_badonion`].
    pub failure_code: u16,
}

/// `commitment_signed` (132): the sender's signatures of the receiver's next
/// commitment, covering every update so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitmentSigned {
    /// The channel.
    pub channel_id: ChannelId,
    /// Signature of the commitment transaction.
    pub signature: Signature,
    /// One signature per HTLC transaction, in commitment output order (at
    /// most 65535: the count is a `u16`).
    pub htlc_signatures: Vec<Signature>,
    /// TLV 1: the funding transaction this commitment spends (splicing).
    pub funding_txid: Option<Txid>,
}

/// `revoke_and_ack` (133): the sender revokes its previous commitment and
/// announces the point of its next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeAndAck {
    /// The channel.
    pub channel_id: ChannelId,
    /// The secret of the commitment being revoked.
    pub per_commitment_secret: [u8; 32],
    /// The per-commitment point of the commitment after the next.
    pub next_per_commitment_point: PublicKey,
}

/// `update_fee` (134): the fee payer changes the commitment fee rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateFee {
    /// The channel.
    pub channel_id: ChannelId,
    /// The new fee rate, in satoshis per 1000 weight units.
    pub feerate_per_kw: u32,
}

fn read_attribution_tlvs(
    bytes: &[u8],
) -> Result<Option<Box<[u8; ATTRIBUTION_DATA_LEN]>>, DecodeError> {
    let mut attribution_data = None;
    for record in TlvReader::new(bytes) {
        let record = record?;
        match record.ty {
            TLV_ATTRIBUTION_DATA => {
                attribution_data = Some(Box::new(record.decode_exact(|r| r.array())?));
            }
            _ => record.reject_unknown()?,
        }
    }
    Ok(attribution_data)
}

fn write_attribution_tlvs(out: &mut Vec<u8>, data: &Option<Box<[u8; ATTRIBUTION_DATA_LEN]>>) {
    if let Some(data) = data {
        TlvWriter::new(out).record(TLV_ATTRIBUTION_DATA, &data[..]);
    }
}

impl UpdateAddHtlc {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let channel_id = r.channel_id()?;
        let id = r.u64()?;
        let amount_msat = Msat(r.u64()?);
        let payment_hash = r.sha256()?;
        let cltv_expiry = r.u32()?;
        let onion_routing_packet = Box::new(r.array()?);
        let mut path_key = None;
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                ADD_TLV_BLINDED_PATH => path_key = Some(record.decode_exact(|r| r.point())?),
                _ => record.reject_unknown()?,
            }
        }
        Ok(Self {
            channel_id,
            id,
            amount_msat,
            payment_hash,
            cltv_expiry,
            onion_routing_packet,
            path_key,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_u64(self.id);
        out.put_u64(self.amount_msat.0);
        out.extend_from_slice(&self.payment_hash);
        out.put_u32(self.cltv_expiry);
        out.extend_from_slice(&self.onion_routing_packet[..]);
        if let Some(key) = &self.path_key {
            TlvWriter::new(out).record(ADD_TLV_BLINDED_PATH, &key.serialize());
        }
    }
}

impl UpdateFulfillHtlc {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let channel_id = r.channel_id()?;
        let id = r.u64()?;
        let payment_preimage = r.array()?;
        let attribution_data = read_attribution_tlvs(r.rest())?;
        Ok(Self {
            channel_id,
            id,
            payment_preimage,
            attribution_data,
        })
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_u64(self.id);
        out.extend_from_slice(&self.payment_preimage);
        write_attribution_tlvs(out, &self.attribution_data);
    }
}

impl UpdateFailHtlc {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let channel_id = r.channel_id()?;
        let id = r.u64()?;
        let reason = r.u16_prefixed()?.to_vec();
        let attribution_data = read_attribution_tlvs(r.rest())?;
        Ok(Self {
            channel_id,
            id,
            reason,
            attribution_data,
        })
    }

    /// Appends the payload; fails if `reason` exceeds its `u16` length.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.extend_from_slice(&self.channel_id.0);
        out.put_u64(self.id);
        out.put_u16_prefixed(&self.reason).ok_or(EncodeError)?;
        write_attribution_tlvs(out, &self.attribution_data);
        Ok(())
    }
}

impl UpdateFailMalformedHtlc {
    /// True when `failure_code` has the [`BADONION`] bit, as BOLT 2 requires
    /// of this message; the receiver sends a warning or fails the channel
    /// otherwise.
    pub fn has_badonion(&self) -> bool {
        self.failure_code & BADONION != 0
    }

    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            channel_id: r.channel_id()?,
            id: r.u64()?,
            sha256_of_onion: r.sha256()?,
            failure_code: r.u16()?,
        };
        check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_u64(self.id);
        out.extend_from_slice(&self.sha256_of_onion);
        out.put_u16(self.failure_code);
    }
}

/// Bytes of one `signature` on the wire.
const SIGNATURE_LEN: usize = 64;

impl CommitmentSigned {
    /// Decodes the payload (after the type). The HTLC signature count is
    /// checked against the bytes present before anything is allocated.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let channel_id = r.channel_id()?;
        let signature = r.signature()?;
        let num_htlcs = usize::from(r.u16()?);
        if num_htlcs * SIGNATURE_LEN > r.remaining() {
            return Err(DecodeError::UnexpectedEof);
        }
        let mut htlc_signatures = Vec::with_capacity(num_htlcs);
        for _ in 0..num_htlcs {
            htlc_signatures.push(r.signature()?);
        }
        let mut funding_txid = None;
        for record in TlvReader::new(r.rest()) {
            let record = record?;
            match record.ty {
                COMMIT_TLV_FUNDING_TXID => funding_txid = Some(record.decode_exact(read_txid)?),
                _ => record.reject_unknown()?,
            }
        }
        Ok(Self {
            channel_id,
            signature,
            htlc_signatures,
            funding_txid,
        })
    }

    /// Appends the payload; fails if there are more HTLC signatures than the
    /// `u16` count can say.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let num_htlcs = u16::try_from(self.htlc_signatures.len()).map_err(|_| EncodeError)?;
        out.extend_from_slice(&self.channel_id.0);
        out.put_signature(&self.signature);
        out.put_u16(num_htlcs);
        for signature in &self.htlc_signatures {
            out.put_signature(signature);
        }
        if let Some(txid) = &self.funding_txid {
            TlvWriter::new(out).record(COMMIT_TLV_FUNDING_TXID, txid.as_byte_array());
        }
        Ok(())
    }
}

impl RevokeAndAck {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            channel_id: r.channel_id()?,
            per_commitment_secret: r.array()?,
            next_per_commitment_point: r.point()?,
        };
        check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.extend_from_slice(&self.per_commitment_secret);
        out.put_point(&self.next_per_commitment_point);
    }
}

impl UpdateFee {
    /// Decodes the payload (after the type).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let msg = Self {
            channel_id: r.channel_id()?,
            feerate_per_kw: r.u32()?,
        };
        check_unknown_stream(r.rest())?;
        Ok(msg)
    }

    /// Appends the payload.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.channel_id.0);
        out.put_u32(self.feerate_per_kw);
    }
}
