//! Hop payloads: the TLV stream each hop finds in its layer of the onion,
//! and the reader requirements BOLT 4 sets for a forwarding hop and for the
//! final node of a route without blinding.

use std::collections::BTreeMap;

use bitcoin::secp256k1::PublicKey;
use rayo_wire::amount::Msat;
use rayo_wire::ids::ShortChannelId;
use rayo_wire::ser::{bigsize_len, decode_truncated, encode_truncated, DecodeError};
use rayo_wire::tlv::{TlvReader, TlvWriter};

use crate::failure::{Failure, FailureCode};
use crate::packet::OnionPacket;

/// The TLV types of the `payload` stream.
pub mod tlv_type {
    /// `amt_to_forward` (tu64).
    pub const AMT_TO_FORWARD: u64 = 2;
    /// `outgoing_cltv_value` (tu32).
    pub const OUTGOING_CLTV_VALUE: u64 = 4;
    /// `short_channel_id`.
    pub const SHORT_CHANNEL_ID: u64 = 6;
    /// `payment_data`: payment secret and total amount.
    pub const PAYMENT_DATA: u64 = 8;
    /// `encrypted_recipient_data` (route blinding).
    pub const ENCRYPTED_RECIPIENT_DATA: u64 = 10;
    /// `current_path_key` (route blinding).
    pub const CURRENT_PATH_KEY: u64 = 12;
    /// `payment_metadata`.
    pub const PAYMENT_METADATA: u64 = 16;
    /// `total_amount_msat` (route blinding).
    pub const TOTAL_AMOUNT_MSAT: u64 = 18;
    /// The keysend preimage (spontaneous payments, outside the BOLTs but
    /// common to every implementation).
    pub const KEYSEND_PREIMAGE: u64 = 5_482_373_484;

    /// True for the types [`super::HopPayload`] decodes into fields.
    pub fn is_known(ty: u64) -> bool {
        matches!(
            ty,
            AMT_TO_FORWARD
                | OUTGOING_CLTV_VALUE
                | SHORT_CHANNEL_ID
                | PAYMENT_DATA
                | ENCRYPTED_RECIPIENT_DATA
                | CURRENT_PATH_KEY
                | PAYMENT_METADATA
                | TOTAL_AMOUNT_MSAT
                | KEYSEND_PREIMAGE
        )
    }
}

/// `payment_data`: proves the payer knows the invoice (the secret) and says
/// how much the whole, possibly multi-part, payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentData {
    /// The invoice's `payment_secret`.
    pub payment_secret: [u8; 32],
    /// The total of all parts.
    pub total_msat: Msat,
}

/// Every record of a hop payload, as written, without the rules about which
/// must be there (see [`ForwardPayload`] and [`FinalPayload`] for those).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HopPayload {
    /// Type 2: amount for the next hop (or received, at the final node).
    pub amt_to_forward: Option<Msat>,
    /// Type 4: CLTV expiry of the outgoing HTLC (or the final one).
    pub outgoing_cltv_value: Option<u32>,
    /// Type 6: the channel to forward on.
    pub short_channel_id: Option<ShortChannelId>,
    /// Type 8: payment secret and total amount.
    pub payment_data: Option<PaymentData>,
    /// Type 10: data for a hop inside a blinded route.
    pub encrypted_recipient_data: Option<Vec<u8>>,
    /// Type 12: the path key at a blinded route's introduction point.
    pub current_path_key: Option<PublicKey>,
    /// Type 16: the invoice's `payment_metadata`.
    pub payment_metadata: Option<Vec<u8>>,
    /// Type 18: total amount in a blinded route.
    pub total_amount_msat: Option<Msat>,
    /// Type 5482373484: the preimage of a keysend payment.
    pub keysend_preimage: Option<[u8; 32]>,
    /// Other records: on decode, the unknown odd types (kept so that a
    /// decoded payload re-encodes to its bytes); on encode, written as given
    /// except those whose type is one of the fields above.
    pub custom_records: BTreeMap<u64, Vec<u8>>,
}

/// What is wrong with a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadErrorKind {
    /// Not a valid TLV stream, or a known record with a malformed value.
    #[error("malformed: {0}")]
    Malformed(DecodeError),
    /// An even type this node does not understand.
    #[error("unknown even type")]
    UnknownEvenType,
    /// A record the hop needs is absent.
    #[error("required record missing")]
    Missing,
    /// A record that must not be present here.
    #[error("record not allowed here")]
    NotAllowed,
    /// A route-blinding record at a forwarding hop; blinded routes are not
    /// supported by these checks.
    #[error("route blinding record at a forwarding hop")]
    Blinded,
}

/// A payload the hop cannot accept, with the TLV type and its byte offset
/// in the payload for `invalid_onion_payload`.
///
/// The offset counts from the first byte of the TLV stream (after the
/// BigSize length prefix in the onion). For a missing record it is where the
/// record would have been; when a malformed stream names no type, `ty` is 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid onion payload (type {ty} at offset {offset}): {kind}")]
pub struct PayloadError {
    /// The offending (or missing) TLV type.
    pub ty: u64,
    /// Its offset in the payload.
    pub offset: u16,
    /// What is wrong.
    pub kind: PayloadErrorKind,
}

impl PayloadError {
    fn new(ty: u64, offset: usize, kind: PayloadErrorKind) -> Self {
        Self {
            ty,
            offset: u16::try_from(offset).unwrap_or(u16::MAX),
            kind,
        }
    }

    /// The failure code for it: `invalid_onion_blinding` for a blinding
    /// record at a forwarding hop (the spec requires it for
    /// `current_path_key`), `invalid_onion_payload` otherwise.
    pub fn failure_code(&self) -> FailureCode {
        match self.kind {
            PayloadErrorKind::Blinded => FailureCode::INVALID_ONION_BLINDING,
            _ => FailureCode::INVALID_ONION_PAYLOAD,
        }
    }

    /// The failure to return; `incoming` is the packet the payload came in,
    /// whose hash `invalid_onion_blinding` carries.
    pub fn to_failure(&self, incoming: &OnionPacket) -> Failure {
        match self.kind {
            PayloadErrorKind::Blinded => Failure::InvalidOnionBlinding {
                sha256_of_onion: incoming.sha256(),
            },
            _ => Failure::InvalidOnionPayload {
                ty: self.ty,
                offset: self.offset,
            },
        }
    }
}

/// Where each record starts, to give offsets in errors found after decoding.
struct Layout {
    starts: Vec<(u64, usize)>,
    len: usize,
}

impl Layout {
    /// The offset of record `ty`, or where it would be inserted.
    fn offset_of(&self, ty: u64) -> usize {
        self.starts
            .iter()
            .find(|(t, _)| *t >= ty)
            .map_or(self.len, |(_, start)| *start)
    }

    fn missing(&self, ty: u64) -> PayloadError {
        PayloadError::new(ty, self.offset_of(ty), PayloadErrorKind::Missing)
    }

    fn present(&self, ty: u64, kind: PayloadErrorKind) -> PayloadError {
        PayloadError::new(ty, self.offset_of(ty), kind)
    }
}

impl HopPayload {
    /// The TLV stream (without the BigSize length prefix the onion adds).
    pub fn encode(&self) -> Vec<u8> {
        let mut records: Vec<(u64, Vec<u8>)> = Vec::new();
        if let Some(amt) = self.amt_to_forward {
            records.push((tlv_type::AMT_TO_FORWARD, encode_truncated(amt.0)));
        }
        if let Some(cltv) = self.outgoing_cltv_value {
            records.push((
                tlv_type::OUTGOING_CLTV_VALUE,
                encode_truncated(u64::from(cltv)),
            ));
        }
        if let Some(scid) = self.short_channel_id {
            records.push((tlv_type::SHORT_CHANNEL_ID, scid.0.to_be_bytes().to_vec()));
        }
        if let Some(data) = &self.payment_data {
            let mut value = data.payment_secret.to_vec();
            value.extend_from_slice(&encode_truncated(data.total_msat.0));
            records.push((tlv_type::PAYMENT_DATA, value));
        }
        if let Some(data) = &self.encrypted_recipient_data {
            records.push((tlv_type::ENCRYPTED_RECIPIENT_DATA, data.clone()));
        }
        if let Some(key) = &self.current_path_key {
            records.push((tlv_type::CURRENT_PATH_KEY, key.serialize().to_vec()));
        }
        if let Some(metadata) = &self.payment_metadata {
            records.push((tlv_type::PAYMENT_METADATA, metadata.clone()));
        }
        if let Some(total) = self.total_amount_msat {
            records.push((tlv_type::TOTAL_AMOUNT_MSAT, encode_truncated(total.0)));
        }
        if let Some(preimage) = &self.keysend_preimage {
            records.push((tlv_type::KEYSEND_PREIMAGE, preimage.to_vec()));
        }
        records.extend(
            self.custom_records
                .iter()
                .filter(|(ty, _)| !tlv_type::is_known(**ty))
                .map(|(ty, value)| (*ty, value.clone())),
        );
        records.sort_by_key(|(ty, _)| *ty);
        let mut out = Vec::new();
        let mut writer = TlvWriter::new(&mut out);
        for (ty, value) in &records {
            writer.record(*ty, value);
        }
        out
    }

    /// Reads a payload: a well-formed TLV stream whose known records have
    /// valid values and whose unknown records are all odd.
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        Self::decode_with_layout(bytes).map(|(payload, _)| payload)
    }

    fn decode_with_layout(bytes: &[u8]) -> Result<(Self, Layout), PayloadError> {
        let mut payload = HopPayload::default();
        let mut starts = Vec::new();
        let mut offset = 0usize;
        for item in TlvReader::new(bytes) {
            let record = item.map_err(|e| {
                let ty = match e {
                    DecodeError::TlvOutOfOrder { ty, .. }
                    | DecodeError::TlvLengthOverflow { ty, .. } => ty,
                    _ => 0,
                };
                PayloadError::new(ty, offset, PayloadErrorKind::Malformed(e))
            })?;
            let start = offset;
            offset += bigsize_len(record.ty)
                + bigsize_len(record.value.len() as u64)
                + record.value.len();
            starts.push((record.ty, start));
            let bad = |e: DecodeError| {
                PayloadError::new(record.ty, start, PayloadErrorKind::Malformed(e))
            };
            match record.ty {
                tlv_type::AMT_TO_FORWARD => {
                    payload.amt_to_forward = Some(Msat(record.tu64().map_err(bad)?));
                }
                tlv_type::OUTGOING_CLTV_VALUE => {
                    payload.outgoing_cltv_value = Some(record.tu32().map_err(bad)?);
                }
                tlv_type::SHORT_CHANNEL_ID => {
                    payload.short_channel_id =
                        Some(record.decode_exact(|r| r.short_channel_id()).map_err(bad)?);
                }
                tlv_type::PAYMENT_DATA => {
                    let data = record
                        .decode_exact(|r| {
                            let payment_secret = r.array::<32>()?;
                            let total = decode_truncated(r.rest(), 8)?;
                            Ok(PaymentData {
                                payment_secret,
                                total_msat: Msat(total),
                            })
                        })
                        .map_err(bad)?;
                    payload.payment_data = Some(data);
                }
                tlv_type::ENCRYPTED_RECIPIENT_DATA => {
                    payload.encrypted_recipient_data = Some(record.value.to_vec());
                }
                tlv_type::CURRENT_PATH_KEY => {
                    payload.current_path_key =
                        Some(record.decode_exact(|r| r.point()).map_err(bad)?);
                }
                tlv_type::PAYMENT_METADATA => {
                    payload.payment_metadata = Some(record.value.to_vec());
                }
                tlv_type::TOTAL_AMOUNT_MSAT => {
                    payload.total_amount_msat = Some(Msat(record.tu64().map_err(bad)?));
                }
                tlv_type::KEYSEND_PREIMAGE => {
                    payload.keysend_preimage =
                        Some(record.decode_exact(|r| r.array::<32>()).map_err(bad)?);
                }
                ty if ty % 2 == 0 => {
                    return Err(PayloadError::new(
                        ty,
                        start,
                        PayloadErrorKind::UnknownEvenType,
                    ));
                }
                ty => {
                    payload.custom_records.insert(ty, record.value.to_vec());
                }
            }
        }
        Ok((
            payload,
            Layout {
                starts,
                len: bytes.len(),
            },
        ))
    }
}

/// Rejects the route-blinding records in a payload read by the unblinded
/// rules: at a forwarding hop they mean `invalid_onion_blinding`; at the
/// final node, the unblinded reader must reject `current_path_key` and
/// cannot process `encrypted_recipient_data`.
fn reject_blinding(
    payload: &HopPayload,
    layout: &Layout,
    forwarding: bool,
) -> Result<(), PayloadError> {
    let kind = || {
        if forwarding {
            PayloadErrorKind::Blinded
        } else {
            PayloadErrorKind::NotAllowed
        }
    };
    if payload.encrypted_recipient_data.is_some() {
        return Err(layout.present(tlv_type::ENCRYPTED_RECIPIENT_DATA, kind()));
    }
    if payload.current_path_key.is_some() {
        return Err(layout.present(tlv_type::CURRENT_PATH_KEY, kind()));
    }
    Ok(())
}

/// The payload of a forwarding hop outside a blinded route: what it needs
/// to forward the HTLC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardPayload {
    /// The channel to forward on (or any channel to the same peer).
    pub short_channel_id: ShortChannelId,
    /// Amount of the outgoing HTLC.
    pub amt_to_forward: Msat,
    /// CLTV expiry of the outgoing HTLC.
    pub outgoing_cltv_value: u32,
}

impl ForwardPayload {
    /// The TLV stream for it.
    pub fn encode(&self) -> Vec<u8> {
        HopPayload::from(*self).encode()
    }

    /// Reads and checks the payload of a forwarding hop (the peeled packet
    /// had a next HMAC) for an HTLC that had no `path_key`: it needs
    /// `amt_to_forward`, `outgoing_cltv_value` and `short_channel_id`, and
    /// must carry no route-blinding record. Other records are ignored.
    ///
    /// The HTLC's amount and expiry against the channel's fee and delta are
    /// checked by the caller, which knows the channel.
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        let (payload, layout) = HopPayload::decode_with_layout(bytes)?;
        reject_blinding(&payload, &layout, true)?;
        let amt_to_forward = payload
            .amt_to_forward
            .ok_or_else(|| layout.missing(tlv_type::AMT_TO_FORWARD))?;
        let outgoing_cltv_value = payload
            .outgoing_cltv_value
            .ok_or_else(|| layout.missing(tlv_type::OUTGOING_CLTV_VALUE))?;
        let short_channel_id = payload
            .short_channel_id
            .ok_or_else(|| layout.missing(tlv_type::SHORT_CHANNEL_ID))?;
        Ok(Self {
            short_channel_id,
            amt_to_forward,
            outgoing_cltv_value,
        })
    }
}

impl From<ForwardPayload> for HopPayload {
    fn from(p: ForwardPayload) -> Self {
        HopPayload {
            amt_to_forward: Some(p.amt_to_forward),
            outgoing_cltv_value: Some(p.outgoing_cltv_value),
            short_channel_id: Some(p.short_channel_id),
            ..HopPayload::default()
        }
    }
}

/// The payload of the final node outside a blinded route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalPayload {
    /// Amount this HTLC must deliver.
    pub amt_to_forward: Msat,
    /// The CLTV expiry the HTLC must have at least.
    pub outgoing_cltv_value: u32,
    /// Payment secret and total (required by invoices with `payment_secret`).
    pub payment_data: Option<PaymentData>,
    /// The invoice's metadata, echoed.
    pub payment_metadata: Option<Vec<u8>>,
    /// The preimage of a keysend payment.
    pub keysend_preimage: Option<[u8; 32]>,
    /// Unknown odd records (custom records of keysend senders).
    pub custom_records: BTreeMap<u64, Vec<u8>>,
}

/// The final node's HTLC does not match its payload. Each maps to a failure
/// code ([`FinalHtlcError::failure_code`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FinalHtlcError {
    /// `cltv_expiry` is below `outgoing_cltv_value`: `final_incorrect_cltv_expiry`.
    #[error("htlc cltv_expiry {cltv_expiry} is below the onion's {outgoing_cltv_value}")]
    CltvExpiryTooLow {
        /// The HTLC's expiry.
        cltv_expiry: u32,
        /// The payload's value.
        outgoing_cltv_value: u32,
    },
    /// The amount is below `amt_to_forward`: `final_incorrect_htlc_amount`.
    #[error("htlc amount {amount_msat} is below the onion's {amt_to_forward}")]
    AmountTooLow {
        /// The HTLC's amount.
        amount_msat: Msat,
        /// The payload's value.
        amt_to_forward: Msat,
    },
}

impl FinalHtlcError {
    /// The failure code for it.
    pub fn failure_code(&self) -> FailureCode {
        match self {
            FinalHtlcError::CltvExpiryTooLow { .. } => FailureCode::FINAL_INCORRECT_CLTV_EXPIRY,
            FinalHtlcError::AmountTooLow { .. } => FailureCode::FINAL_INCORRECT_HTLC_AMOUNT,
        }
    }

    /// The failure to return.
    pub fn to_failure(&self) -> Failure {
        match *self {
            FinalHtlcError::CltvExpiryTooLow { cltv_expiry, .. } => {
                Failure::FinalIncorrectCltvExpiry { cltv_expiry }
            }
            FinalHtlcError::AmountTooLow { amount_msat, .. } => Failure::FinalIncorrectHtlcAmount {
                incoming_htlc_amt: amount_msat,
            },
        }
    }
}

impl FinalPayload {
    /// The TLV stream for it.
    pub fn encode(&self) -> Vec<u8> {
        HopPayload::from(self.clone()).encode()
    }

    /// Reads and checks the final node's payload (the peeled packet's next
    /// HMAC was zero) for an HTLC that had no `path_key`: it needs
    /// `amt_to_forward` and `outgoing_cltv_value` and must carry no
    /// route-blinding record.
    pub fn decode(bytes: &[u8]) -> Result<Self, PayloadError> {
        let (payload, layout) = HopPayload::decode_with_layout(bytes)?;
        reject_blinding(&payload, &layout, false)?;
        let amt_to_forward = payload
            .amt_to_forward
            .ok_or_else(|| layout.missing(tlv_type::AMT_TO_FORWARD))?;
        let outgoing_cltv_value = payload
            .outgoing_cltv_value
            .ok_or_else(|| layout.missing(tlv_type::OUTGOING_CLTV_VALUE))?;
        Ok(Self {
            amt_to_forward,
            outgoing_cltv_value,
            payment_data: payload.payment_data,
            payment_metadata: payload.payment_metadata,
            keysend_preimage: payload.keysend_preimage,
            custom_records: payload.custom_records,
        })
    }

    /// The total of the payment this HTLC is part of: `payment_data`'s
    /// `total_msat`, or `amt_to_forward` when absent, as the spec says.
    pub fn total_msat(&self) -> Msat {
        self.payment_data
            .map_or(self.amt_to_forward, |data| data.total_msat)
    }

    /// Checks the HTLC the payload arrived with, in the spec's order of
    /// failures: expiry first, then amount. Whether the payment is known,
    /// paid enough in total and not too close to expiry is for the caller,
    /// which knows the invoice (`incorrect_or_unknown_payment_details`).
    pub fn check_htlc(&self, amount_msat: Msat, cltv_expiry: u32) -> Result<(), FinalHtlcError> {
        if cltv_expiry < self.outgoing_cltv_value {
            return Err(FinalHtlcError::CltvExpiryTooLow {
                cltv_expiry,
                outgoing_cltv_value: self.outgoing_cltv_value,
            });
        }
        if amount_msat < self.amt_to_forward {
            return Err(FinalHtlcError::AmountTooLow {
                amount_msat,
                amt_to_forward: self.amt_to_forward,
            });
        }
        Ok(())
    }
}

impl From<FinalPayload> for HopPayload {
    fn from(p: FinalPayload) -> Self {
        HopPayload {
            amt_to_forward: Some(p.amt_to_forward),
            outgoing_cltv_value: Some(p.outgoing_cltv_value),
            payment_data: p.payment_data,
            payment_metadata: p.payment_metadata,
            keysend_preimage: p.keysend_preimage,
            custom_records: p.custom_records,
            ..HopPayload::default()
        }
    }
}
