//! BOLT 4 failures: the failure codes and messages, and the return packet
//! that carries one back to the origin (built and HMACed with `um` by the
//! failing hop, obfuscated with `ammag` at every hop, decrypted and
//! attributed by the origin).
//!
//! `attribution_data` (`option_attribution_data`) is not implemented.

use std::fmt;

use rayo_wire::amount::Msat;
use rayo_wire::ser::{DecodeError, Reader, WriteExt};
use rayo_wire::tlv::TlvReader;

use crate::keys::{apply_stream, ct_eq, hmac_sha256, SharedSecret};

/// A BOLT 4 `failure_code`: two bytes whose top bits are flags.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FailureCode(pub u16);

impl FailureCode {
    /// Flag: the onion could not be parsed (sent in `update_fail_malformed_htlc`).
    pub const BADONION: u16 = 0x8000;
    /// Flag: the failure is permanent.
    pub const PERM: u16 = 0x4000;
    /// Flag: the failure is the node's, not a channel's.
    pub const NODE: u16 = 0x2000;
    /// Flag: a channel's forwarding parameters were violated.
    pub const UPDATE: u16 = 0x1000;

    /// `invalid_realm` (PERM|1): the legacy realm byte was not understood.
    /// No longer in the spec; kept to read old nodes' failures.
    pub const INVALID_REALM: Self = Self(Self::PERM | 1);
    /// `temporary_node_failure` (NODE|2).
    pub const TEMPORARY_NODE_FAILURE: Self = Self(Self::NODE | 2);
    /// `permanent_node_failure` (PERM|NODE|2).
    pub const PERMANENT_NODE_FAILURE: Self = Self(Self::PERM | Self::NODE | 2);
    /// `required_node_feature_missing` (PERM|NODE|3).
    pub const REQUIRED_NODE_FEATURE_MISSING: Self = Self(Self::PERM | Self::NODE | 3);
    /// `invalid_onion_version` (BADONION|PERM|4).
    pub const INVALID_ONION_VERSION: Self = Self(Self::BADONION | Self::PERM | 4);
    /// `invalid_onion_hmac` (BADONION|PERM|5).
    pub const INVALID_ONION_HMAC: Self = Self(Self::BADONION | Self::PERM | 5);
    /// `invalid_onion_key` (BADONION|PERM|6).
    pub const INVALID_ONION_KEY: Self = Self(Self::BADONION | Self::PERM | 6);
    /// `temporary_channel_failure` (UPDATE|7).
    pub const TEMPORARY_CHANNEL_FAILURE: Self = Self(Self::UPDATE | 7);
    /// `permanent_channel_failure` (PERM|8).
    pub const PERMANENT_CHANNEL_FAILURE: Self = Self(Self::PERM | 8);
    /// `required_channel_feature_missing` (PERM|9).
    pub const REQUIRED_CHANNEL_FEATURE_MISSING: Self = Self(Self::PERM | 9);
    /// `unknown_next_peer` (PERM|10).
    pub const UNKNOWN_NEXT_PEER: Self = Self(Self::PERM | 10);
    /// `amount_below_minimum` (UPDATE|11).
    pub const AMOUNT_BELOW_MINIMUM: Self = Self(Self::UPDATE | 11);
    /// `fee_insufficient` (UPDATE|12).
    pub const FEE_INSUFFICIENT: Self = Self(Self::UPDATE | 12);
    /// `incorrect_cltv_expiry` (UPDATE|13).
    pub const INCORRECT_CLTV_EXPIRY: Self = Self(Self::UPDATE | 13);
    /// `expiry_too_soon` (UPDATE|14).
    pub const EXPIRY_TOO_SOON: Self = Self(Self::UPDATE | 14);
    /// `incorrect_or_unknown_payment_details` (PERM|15).
    pub const INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS: Self = Self(Self::PERM | 15);
    /// `incorrect_payment_amount` (PERM|16): replaced by PERM|15; kept to
    /// read old nodes' failures.
    pub const INCORRECT_PAYMENT_AMOUNT: Self = Self(Self::PERM | 16);
    /// `final_expiry_too_soon` (17): replaced by PERM|15; kept to read old
    /// nodes' failures (note: not permanent).
    pub const FINAL_EXPIRY_TOO_SOON: Self = Self(17);
    /// `final_incorrect_cltv_expiry` (18).
    pub const FINAL_INCORRECT_CLTV_EXPIRY: Self = Self(18);
    /// `final_incorrect_htlc_amount` (19).
    pub const FINAL_INCORRECT_HTLC_AMOUNT: Self = Self(19);
    /// `channel_disabled` (UPDATE|20).
    pub const CHANNEL_DISABLED: Self = Self(Self::UPDATE | 20);
    /// `expiry_too_far` (21).
    pub const EXPIRY_TOO_FAR: Self = Self(21);
    /// `invalid_onion_payload` (PERM|22).
    pub const INVALID_ONION_PAYLOAD: Self = Self(Self::PERM | 22);
    /// `mpp_timeout` (23).
    pub const MPP_TIMEOUT: Self = Self(23);
    /// `invalid_onion_blinding` (BADONION|PERM|24).
    pub const INVALID_ONION_BLINDING: Self = Self(Self::BADONION | Self::PERM | 24);

    /// BADONION is set: the hop could not parse the onion its peer sent.
    pub fn is_bad_onion(self) -> bool {
        self.0 & Self::BADONION != 0
    }

    /// PERM is set: retrying the same route will not help.
    pub fn is_permanent(self) -> bool {
        self.0 & Self::PERM != 0
    }

    /// NODE is set: the node failed, not one of its channels.
    pub fn is_node(self) -> bool {
        self.0 & Self::NODE != 0
    }

    /// UPDATE is set: a channel's forwarding parameters were violated.
    pub fn is_update(self) -> bool {
        self.0 & Self::UPDATE != 0
    }

    /// The spec's name of a known code.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::INVALID_REALM => "invalid_realm",
            Self::TEMPORARY_NODE_FAILURE => "temporary_node_failure",
            Self::PERMANENT_NODE_FAILURE => "permanent_node_failure",
            Self::REQUIRED_NODE_FEATURE_MISSING => "required_node_feature_missing",
            Self::INVALID_ONION_VERSION => "invalid_onion_version",
            Self::INVALID_ONION_HMAC => "invalid_onion_hmac",
            Self::INVALID_ONION_KEY => "invalid_onion_key",
            Self::TEMPORARY_CHANNEL_FAILURE => "temporary_channel_failure",
            Self::PERMANENT_CHANNEL_FAILURE => "permanent_channel_failure",
            Self::REQUIRED_CHANNEL_FEATURE_MISSING => "required_channel_feature_missing",
            Self::UNKNOWN_NEXT_PEER => "unknown_next_peer",
            Self::AMOUNT_BELOW_MINIMUM => "amount_below_minimum",
            Self::FEE_INSUFFICIENT => "fee_insufficient",
            Self::INCORRECT_CLTV_EXPIRY => "incorrect_cltv_expiry",
            Self::EXPIRY_TOO_SOON => "expiry_too_soon",
            Self::INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS => "incorrect_or_unknown_payment_details",
            Self::INCORRECT_PAYMENT_AMOUNT => "incorrect_payment_amount",
            Self::FINAL_EXPIRY_TOO_SOON => "final_expiry_too_soon",
            Self::FINAL_INCORRECT_CLTV_EXPIRY => "final_incorrect_cltv_expiry",
            Self::FINAL_INCORRECT_HTLC_AMOUNT => "final_incorrect_htlc_amount",
            Self::CHANNEL_DISABLED => "channel_disabled",
            Self::EXPIRY_TOO_FAR => "expiry_too_far",
            Self::INVALID_ONION_PAYLOAD => "invalid_onion_payload",
            Self::MPP_TIMEOUT => "mpp_timeout",
            Self::INVALID_ONION_BLINDING => "invalid_onion_blinding",
            _ => return None,
        })
    }
}

impl fmt::Debug for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "FailureCode({name} {:#06x})", self.0),
            None => write!(f, "FailureCode({:#06x})", self.0),
        }
    }
}

impl fmt::Display for FailureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown failure {:#06x}", self.0),
        }
    }
}

/// A failure with its data fields, one variant per BOLT 4 failure code
/// (plus the legacy ones old nodes still send, and `Unknown` for the rest).
///
/// `channel_update` fields are kept as the raw bytes of the message (which
/// some nodes prefix with its type 258); they are optional in the spec now and
/// an empty vector means `len = 0`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `invalid_realm` (legacy).
    InvalidRealm,
    /// `temporary_node_failure`.
    TemporaryNodeFailure,
    /// `permanent_node_failure`.
    PermanentNodeFailure,
    /// `required_node_feature_missing`.
    RequiredNodeFeatureMissing,
    /// `invalid_onion_version`.
    InvalidOnionVersion {
        /// SHA256 of the onion the hop received.
        sha256_of_onion: [u8; 32],
    },
    /// `invalid_onion_hmac`.
    InvalidOnionHmac {
        /// SHA256 of the onion the hop received.
        sha256_of_onion: [u8; 32],
    },
    /// `invalid_onion_key`.
    InvalidOnionKey {
        /// SHA256 of the onion the hop received.
        sha256_of_onion: [u8; 32],
    },
    /// `temporary_channel_failure`.
    TemporaryChannelFailure {
        /// The outgoing channel's `channel_update`, or empty.
        channel_update: Vec<u8>,
    },
    /// `permanent_channel_failure`.
    PermanentChannelFailure,
    /// `required_channel_feature_missing`.
    RequiredChannelFeatureMissing,
    /// `unknown_next_peer`.
    UnknownNextPeer,
    /// `amount_below_minimum`.
    AmountBelowMinimum {
        /// The outgoing HTLC's amount.
        htlc_msat: Msat,
        /// The outgoing channel's `channel_update`, or empty.
        channel_update: Vec<u8>,
    },
    /// `fee_insufficient`.
    FeeInsufficient {
        /// The incoming HTLC's amount.
        htlc_msat: Msat,
        /// The outgoing channel's `channel_update`, or empty.
        channel_update: Vec<u8>,
    },
    /// `incorrect_cltv_expiry`.
    IncorrectCltvExpiry {
        /// The outgoing HTLC's `cltv_expiry`.
        cltv_expiry: u32,
        /// The outgoing channel's `channel_update`, or empty.
        channel_update: Vec<u8>,
    },
    /// `expiry_too_soon`.
    ExpiryTooSoon {
        /// The outgoing channel's `channel_update`, or empty.
        channel_update: Vec<u8>,
    },
    /// `incorrect_or_unknown_payment_details`.
    IncorrectOrUnknownPaymentDetails {
        /// The HTLC's amount.
        htlc_msat: Msat,
        /// The final node's block height when it received the HTLC.
        height: u32,
    },
    /// `incorrect_payment_amount` (legacy).
    IncorrectPaymentAmount,
    /// `final_expiry_too_soon` (legacy).
    FinalExpiryTooSoon,
    /// `final_incorrect_cltv_expiry`.
    FinalIncorrectCltvExpiry {
        /// The HTLC's `cltv_expiry`.
        cltv_expiry: u32,
    },
    /// `final_incorrect_htlc_amount`.
    FinalIncorrectHtlcAmount {
        /// The HTLC's amount.
        incoming_htlc_amt: Msat,
    },
    /// `channel_disabled`.
    ChannelDisabled {
        /// No flags are defined; zero.
        disabled_flags: u16,
        /// The outgoing channel's `channel_update`, or empty.
        channel_update: Vec<u8>,
    },
    /// `expiry_too_far`.
    ExpiryTooFar,
    /// `invalid_onion_payload`.
    InvalidOnionPayload {
        /// The TLV type that could not be understood (0 when unknown).
        ty: u64,
        /// Its byte offset in the payload.
        offset: u16,
    },
    /// `mpp_timeout`.
    MppTimeout,
    /// `invalid_onion_blinding`.
    InvalidOnionBlinding {
        /// SHA256 of the onion the hop received.
        sha256_of_onion: [u8; 32],
    },
    /// A code this crate does not know; its data is kept whole.
    Unknown {
        /// The code (its flags are still meaningful).
        code: FailureCode,
        /// Everything after the code.
        data: Vec<u8>,
    },
}

impl Failure {
    /// The failure code.
    pub fn code(&self) -> FailureCode {
        match self {
            Failure::InvalidRealm => FailureCode::INVALID_REALM,
            Failure::TemporaryNodeFailure => FailureCode::TEMPORARY_NODE_FAILURE,
            Failure::PermanentNodeFailure => FailureCode::PERMANENT_NODE_FAILURE,
            Failure::RequiredNodeFeatureMissing => FailureCode::REQUIRED_NODE_FEATURE_MISSING,
            Failure::InvalidOnionVersion { .. } => FailureCode::INVALID_ONION_VERSION,
            Failure::InvalidOnionHmac { .. } => FailureCode::INVALID_ONION_HMAC,
            Failure::InvalidOnionKey { .. } => FailureCode::INVALID_ONION_KEY,
            Failure::TemporaryChannelFailure { .. } => FailureCode::TEMPORARY_CHANNEL_FAILURE,
            Failure::PermanentChannelFailure => FailureCode::PERMANENT_CHANNEL_FAILURE,
            Failure::RequiredChannelFeatureMissing => FailureCode::REQUIRED_CHANNEL_FEATURE_MISSING,
            Failure::UnknownNextPeer => FailureCode::UNKNOWN_NEXT_PEER,
            Failure::AmountBelowMinimum { .. } => FailureCode::AMOUNT_BELOW_MINIMUM,
            Failure::FeeInsufficient { .. } => FailureCode::FEE_INSUFFICIENT,
            Failure::IncorrectCltvExpiry { .. } => FailureCode::INCORRECT_CLTV_EXPIRY,
            Failure::ExpiryTooSoon { .. } => FailureCode::EXPIRY_TOO_SOON,
            Failure::IncorrectOrUnknownPaymentDetails { .. } => {
                FailureCode::INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS
            }
            Failure::IncorrectPaymentAmount => FailureCode::INCORRECT_PAYMENT_AMOUNT,
            Failure::FinalExpiryTooSoon => FailureCode::FINAL_EXPIRY_TOO_SOON,
            Failure::FinalIncorrectCltvExpiry { .. } => FailureCode::FINAL_INCORRECT_CLTV_EXPIRY,
            Failure::FinalIncorrectHtlcAmount { .. } => FailureCode::FINAL_INCORRECT_HTLC_AMOUNT,
            Failure::ChannelDisabled { .. } => FailureCode::CHANNEL_DISABLED,
            Failure::ExpiryTooFar => FailureCode::EXPIRY_TOO_FAR,
            Failure::InvalidOnionPayload { .. } => FailureCode::INVALID_ONION_PAYLOAD,
            Failure::MppTimeout => FailureCode::MPP_TIMEOUT,
            Failure::InvalidOnionBlinding { .. } => FailureCode::INVALID_ONION_BLINDING,
            Failure::Unknown { code, .. } => *code,
        }
    }

    /// The `channel_update` the failure carries, if its code has one and it
    /// is not empty.
    pub fn channel_update(&self) -> Option<&[u8]> {
        match self {
            Failure::TemporaryChannelFailure { channel_update }
            | Failure::AmountBelowMinimum { channel_update, .. }
            | Failure::FeeInsufficient { channel_update, .. }
            | Failure::IncorrectCltvExpiry { channel_update, .. }
            | Failure::ExpiryTooSoon { channel_update }
            | Failure::ChannelDisabled { channel_update, .. } => {
                Some(channel_update.as_slice()).filter(|u| !u.is_empty())
            }
            _ => None,
        }
    }

    /// Appends the code and data fields.
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), FailureEncodeError> {
        out.put_u16(self.code().0);
        let update = |out: &mut Vec<u8>, u: &[u8]| {
            out.put_u16_prefixed(u)
                .ok_or(FailureEncodeError::ChannelUpdateTooLong(u.len()))
        };
        match self {
            Failure::InvalidRealm
            | Failure::TemporaryNodeFailure
            | Failure::PermanentNodeFailure
            | Failure::RequiredNodeFeatureMissing
            | Failure::PermanentChannelFailure
            | Failure::RequiredChannelFeatureMissing
            | Failure::UnknownNextPeer
            | Failure::IncorrectPaymentAmount
            | Failure::FinalExpiryTooSoon
            | Failure::ExpiryTooFar
            | Failure::MppTimeout => {}
            Failure::InvalidOnionVersion { sha256_of_onion }
            | Failure::InvalidOnionHmac { sha256_of_onion }
            | Failure::InvalidOnionKey { sha256_of_onion }
            | Failure::InvalidOnionBlinding { sha256_of_onion } => {
                out.extend_from_slice(sha256_of_onion)
            }
            Failure::TemporaryChannelFailure { channel_update }
            | Failure::ExpiryTooSoon { channel_update } => update(out, channel_update)?,
            Failure::AmountBelowMinimum {
                htlc_msat,
                channel_update,
            }
            | Failure::FeeInsufficient {
                htlc_msat,
                channel_update,
            } => {
                out.put_u64(htlc_msat.0);
                update(out, channel_update)?;
            }
            Failure::IncorrectCltvExpiry {
                cltv_expiry,
                channel_update,
            } => {
                out.put_u32(*cltv_expiry);
                update(out, channel_update)?;
            }
            Failure::IncorrectOrUnknownPaymentDetails { htlc_msat, height } => {
                out.put_u64(htlc_msat.0);
                out.put_u32(*height);
            }
            Failure::FinalIncorrectCltvExpiry { cltv_expiry } => out.put_u32(*cltv_expiry),
            Failure::FinalIncorrectHtlcAmount { incoming_htlc_amt } => {
                out.put_u64(incoming_htlc_amt.0)
            }
            Failure::ChannelDisabled {
                disabled_flags,
                channel_update,
            } => {
                out.put_u16(*disabled_flags);
                update(out, channel_update)?;
            }
            Failure::InvalidOnionPayload { ty, offset } => {
                out.put_bigsize(*ty);
                out.put_u16(*offset);
            }
            Failure::Unknown { data, .. } => out.extend_from_slice(data),
        }
        Ok(())
    }

    /// Reads the code and data fields, leaving the TLV extension in `r`.
    fn decode_from(r: &mut Reader<'_>) -> Result<Failure, DecodeError> {
        let code = FailureCode(r.u16()?);
        let update = |r: &mut Reader<'_>| r.u16_prefixed().map(<[u8]>::to_vec);
        Ok(match code {
            FailureCode::INVALID_REALM => Failure::InvalidRealm,
            FailureCode::TEMPORARY_NODE_FAILURE => Failure::TemporaryNodeFailure,
            FailureCode::PERMANENT_NODE_FAILURE => Failure::PermanentNodeFailure,
            FailureCode::REQUIRED_NODE_FEATURE_MISSING => Failure::RequiredNodeFeatureMissing,
            FailureCode::INVALID_ONION_VERSION => Failure::InvalidOnionVersion {
                sha256_of_onion: r.sha256()?,
            },
            FailureCode::INVALID_ONION_HMAC => Failure::InvalidOnionHmac {
                sha256_of_onion: r.sha256()?,
            },
            FailureCode::INVALID_ONION_KEY => Failure::InvalidOnionKey {
                sha256_of_onion: r.sha256()?,
            },
            FailureCode::TEMPORARY_CHANNEL_FAILURE => Failure::TemporaryChannelFailure {
                channel_update: update(r)?,
            },
            FailureCode::PERMANENT_CHANNEL_FAILURE => Failure::PermanentChannelFailure,
            FailureCode::REQUIRED_CHANNEL_FEATURE_MISSING => Failure::RequiredChannelFeatureMissing,
            FailureCode::UNKNOWN_NEXT_PEER => Failure::UnknownNextPeer,
            FailureCode::AMOUNT_BELOW_MINIMUM => Failure::AmountBelowMinimum {
                htlc_msat: Msat(r.u64()?),
                channel_update: update(r)?,
            },
            FailureCode::FEE_INSUFFICIENT => Failure::FeeInsufficient {
                htlc_msat: Msat(r.u64()?),
                channel_update: update(r)?,
            },
            FailureCode::INCORRECT_CLTV_EXPIRY => Failure::IncorrectCltvExpiry {
                cltv_expiry: r.u32()?,
                channel_update: update(r)?,
            },
            FailureCode::EXPIRY_TOO_SOON => Failure::ExpiryTooSoon {
                channel_update: update(r)?,
            },
            FailureCode::INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS => {
                Failure::IncorrectOrUnknownPaymentDetails {
                    htlc_msat: Msat(r.u64()?),
                    height: r.u32()?,
                }
            }
            FailureCode::INCORRECT_PAYMENT_AMOUNT => Failure::IncorrectPaymentAmount,
            FailureCode::FINAL_EXPIRY_TOO_SOON => Failure::FinalExpiryTooSoon,
            FailureCode::FINAL_INCORRECT_CLTV_EXPIRY => Failure::FinalIncorrectCltvExpiry {
                cltv_expiry: r.u32()?,
            },
            FailureCode::FINAL_INCORRECT_HTLC_AMOUNT => Failure::FinalIncorrectHtlcAmount {
                incoming_htlc_amt: Msat(r.u64()?),
            },
            FailureCode::CHANNEL_DISABLED => Failure::ChannelDisabled {
                disabled_flags: r.u16()?,
                channel_update: update(r)?,
            },
            FailureCode::EXPIRY_TOO_FAR => Failure::ExpiryTooFar,
            FailureCode::INVALID_ONION_PAYLOAD => Failure::InvalidOnionPayload {
                ty: r.bigsize()?,
                offset: r.u16()?,
            },
            FailureCode::MPP_TIMEOUT => Failure::MppTimeout,
            FailureCode::INVALID_ONION_BLINDING => Failure::InvalidOnionBlinding {
                sha256_of_onion: r.sha256()?,
            },
            code => Failure::Unknown {
                code,
                data: r.rest().to_vec(),
            },
        })
    }
}

/// A `failuremsg`: the failure, then an optional TLV stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureMessage {
    /// Code and data.
    pub failure: Failure,
    /// The bytes after the data: a TLV stream when well formed. They are
    /// kept as sent, since the origin must ignore extra bytes it does not
    /// understand; [`FailureMessage::tlv_records`] reads them.
    pub extension: Vec<u8>,
}

/// Why a failure message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FailureEncodeError {
    /// A `channel_update` longer than its u16 length field allows.
    #[error("channel_update of {0} bytes does not fit a u16 length")]
    ChannelUpdateTooLong(usize),
}

impl From<Failure> for FailureMessage {
    fn from(failure: Failure) -> Self {
        Self {
            failure,
            extension: Vec::new(),
        }
    }
}

impl FailureMessage {
    /// The failure code.
    pub fn code(&self) -> FailureCode {
        self.failure.code()
    }

    /// The wire form: code, data, extension.
    pub fn encode(&self) -> Result<Vec<u8>, FailureEncodeError> {
        let mut out = Vec::new();
        self.failure.encode_into(&mut out)?;
        out.extend_from_slice(&self.extension);
        Ok(out)
    }

    /// Reads a `failuremsg`. The code's fields must be present; what follows
    /// is kept as the extension without being checked.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let failure = Failure::decode_from(&mut r)?;
        Ok(Self {
            failure,
            extension: r.rest().to_vec(),
        })
    }

    /// The extension's TLV records, checked as any TLV stream is.
    pub fn tlv_records(&self) -> TlvReader<'_> {
        TlvReader::new(&self.extension)
    }

    /// The return packet for this message, padded to the recommended 256
    /// bytes (see [`build_failure_packet`]).
    pub fn to_packet(&self, shared_secret: &SharedSecret) -> Result<Vec<u8>, FailurePacketError> {
        let message = self.encode()?;
        build_failure_packet(shared_secret, &message, FAILURE_PADDED_LEN)
    }
}

/// The length `failure_len + pad_len` a failing node SHOULD use (and must
/// at least reach), so every failure looks the same size.
pub const FAILURE_PADDED_LEN: usize = 256;

/// The maximum length of a return packet: `update_fail_htlc`'s `reason` has
/// a u16 length.
pub const MAX_FAILURE_PACKET_LEN: usize = u16::MAX as usize;

/// How many times the origin runs the decryption loop, whatever the route's
/// length, so its timing does not reveal the failing hop's position.
pub const FAILURE_DECRYPT_ROUNDS: usize = 27;

/// The fixed part of a return packet: HMAC and the two length fields.
const PACKET_OVERHEAD: usize = 32 + 2 + 2;

/// Why a return packet could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FailurePacketError {
    /// The message could not be encoded.
    #[error(transparent)]
    Encode(#[from] FailureEncodeError),
    /// The packet would exceed the 65535 bytes `update_fail_htlc` can carry.
    #[error("a return packet of {0} bytes exceeds {MAX_FAILURE_PACKET_LEN}")]
    TooLarge(usize),
}

/// Builds the return packet at the failing hop from the encoded
/// `failure_message`: `hmac || failure_len || failuremsg || pad_len || pad`,
/// HMACed with the hop's `um` key and obfuscated with its `ammag` stream.
/// The zero padding makes `failure_len + pad_len` equal to `padded_len`
/// (raised to 256, the spec's minimum, and to the message length when the
/// message is longer).
pub fn build_failure_packet(
    shared_secret: &SharedSecret,
    failure_message: &[u8],
    padded_len: usize,
) -> Result<Vec<u8>, FailurePacketError> {
    let body = padded_len
        .max(FAILURE_PADDED_LEN)
        .max(failure_message.len());
    let total = body.saturating_add(PACKET_OVERHEAD);
    if total > MAX_FAILURE_PACKET_LEN {
        return Err(FailurePacketError::TooLarge(total));
    }
    let pad_len = body - failure_message.len();
    let mut packet = vec![0u8; 32];
    // Both lengths are below 65535, checked above.
    packet.put_u16(failure_message.len() as u16);
    packet.extend_from_slice(failure_message);
    packet.put_u16(pad_len as u16);
    packet.resize(total, 0);
    let hmac = hmac_sha256(&shared_secret.um(), &[&packet[32..]]);
    packet[..32].copy_from_slice(&hmac);
    wrap_failure_packet(shared_secret, &mut packet);
    Ok(packet)
}

/// Obfuscates a return packet at a hop on its way back (the failing hop
/// does it too, inside [`build_failure_packet`]): XOR with the hop's `ammag`
/// stream. A hop stores the result as `reason` of its `update_fail_htlc`.
pub fn wrap_failure_packet(shared_secret: &SharedSecret, packet: &mut [u8]) {
    apply_stream(&shared_secret.ammag(), packet);
}

/// A failure the origin decrypted and attributed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributedFailure {
    /// Index in the route (0 is the first hop) of the hop that built it.
    pub hop_index: usize,
    /// What it said.
    pub message: FailureMessage,
}

/// Why the origin could not read a return packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributionError {
    /// Shorter than an HMAC and the two lengths: no hop built it.
    #[error("return packet of {0} bytes is too short")]
    TooShort(usize),
    /// Longer than `update_fail_htlc` can carry.
    #[error("return packet of {0} bytes is too long")]
    TooLong(usize),
    /// No hop's `um` key authenticates it: some hop corrupted it (which
    /// one cannot be told without attribution data).
    #[error("no hop of the route authenticates the return packet")]
    NoMatchingHop,
    /// The hop at `hop_index` authenticated it, but its message is malformed.
    /// That hop is to blame.
    #[error("hop {hop_index} sent a malformed failure message: {error}")]
    Malformed {
        /// The hop that built it.
        hop_index: usize,
        /// The failure code, when at least two bytes were present.
        code: Option<FailureCode>,
        /// What was wrong.
        error: DecodeError,
    },
}

/// Decrypts a return packet at the origin: removes each hop's `ammag`
/// layer in route order and stops at the first hop whose `um` HMAC
/// matches. `shared_secrets` are those [`crate::build_onion`] returned.
///
/// The loop always runs at least [`FAILURE_DECRYPT_ROUNDS`] times, with a
/// fixed dummy secret after the route's hops, so its duration does not
/// depend on the failing hop's position.
pub fn decrypt_failure(
    shared_secrets: &[SharedSecret],
    packet: &[u8],
) -> Result<AttributedFailure, AttributionError> {
    if packet.len() < PACKET_OVERHEAD {
        return Err(AttributionError::TooShort(packet.len()));
    }
    if packet.len() > MAX_FAILURE_PACKET_LEN {
        return Err(AttributionError::TooLong(packet.len()));
    }
    let dummy = SharedSecret::from_bytes([0u8; 32]);
    let rounds = shared_secrets.len().max(FAILURE_DECRYPT_ROUNDS);
    let mut buf = packet.to_vec();
    let mut found: Option<(usize, Vec<u8>)> = None;
    for round in 0..rounds {
        let secret = shared_secrets.get(round).unwrap_or(&dummy);
        wrap_failure_packet(secret, &mut buf);
        let expected = hmac_sha256(&secret.um(), &[&buf[32..]]);
        let mut hmac = [0u8; 32];
        hmac.copy_from_slice(&buf[..32]);
        let matched = ct_eq(&expected, &hmac);
        if matched && found.is_none() && round < shared_secrets.len() {
            found = Some((round, buf.clone()));
        }
    }
    let (hop_index, plain) = found.ok_or(AttributionError::NoMatchingHop)?;
    let malformed = |code, error| AttributionError::Malformed {
        hop_index,
        code,
        error,
    };
    let mut r = Reader::new(&plain[32..]);
    let message = r.u16_prefixed().map_err(|e| malformed(None, e))?;
    // The padding after the message is not checked: the HMAC covers it and
    // the origin ignores it.
    let message = FailureMessage::decode(message).map_err(|e| {
        let code =
            (message.len() >= 2).then(|| FailureCode(u16::from_be_bytes([message[0], message[1]])));
        malformed(code, e)
    })?;
    Ok(AttributedFailure { hop_index, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_failures() -> Vec<Failure> {
        let update = vec![1, 2, 3];
        let hash = [7u8; 32];
        vec![
            Failure::InvalidRealm,
            Failure::TemporaryNodeFailure,
            Failure::PermanentNodeFailure,
            Failure::RequiredNodeFeatureMissing,
            Failure::InvalidOnionVersion {
                sha256_of_onion: hash,
            },
            Failure::InvalidOnionHmac {
                sha256_of_onion: hash,
            },
            Failure::InvalidOnionKey {
                sha256_of_onion: hash,
            },
            Failure::TemporaryChannelFailure {
                channel_update: update.clone(),
            },
            Failure::PermanentChannelFailure,
            Failure::RequiredChannelFeatureMissing,
            Failure::UnknownNextPeer,
            Failure::AmountBelowMinimum {
                htlc_msat: Msat(1000),
                channel_update: update.clone(),
            },
            Failure::FeeInsufficient {
                htlc_msat: Msat(2000),
                channel_update: Vec::new(),
            },
            Failure::IncorrectCltvExpiry {
                cltv_expiry: 800_000,
                channel_update: update.clone(),
            },
            Failure::ExpiryTooSoon {
                channel_update: update.clone(),
            },
            Failure::IncorrectOrUnknownPaymentDetails {
                htlc_msat: Msat(100),
                height: 800_000,
            },
            Failure::IncorrectPaymentAmount,
            Failure::FinalExpiryTooSoon,
            Failure::FinalIncorrectCltvExpiry { cltv_expiry: 42 },
            Failure::FinalIncorrectHtlcAmount {
                incoming_htlc_amt: Msat(43),
            },
            Failure::ChannelDisabled {
                disabled_flags: 0,
                channel_update: update,
            },
            Failure::ExpiryTooFar,
            Failure::InvalidOnionPayload {
                ty: 5_482_373_484,
                offset: 17,
            },
            Failure::MppTimeout,
            Failure::InvalidOnionBlinding {
                sha256_of_onion: hash,
            },
            Failure::Unknown {
                code: FailureCode(0x2063),
                data: vec![9, 9],
            },
        ]
    }

    #[test]
    fn every_failure_round_trips_with_and_without_extension() {
        for failure in all_failures() {
            let code = failure.code();
            assert_eq!(
                code.name().is_some(),
                !matches!(failure, Failure::Unknown { .. }),
                "{code:?}"
            );
            let plain = FailureMessage::from(failure.clone());
            let bytes = plain.encode().unwrap();
            assert_eq!(u16::from_be_bytes([bytes[0], bytes[1]]), code.0);
            assert_eq!(FailureMessage::decode(&bytes).unwrap(), plain);
            if matches!(failure, Failure::Unknown { .. }) {
                continue;
            }
            let with_tlv = FailureMessage {
                failure,
                extension: vec![0x01, 0x02, 0xaa, 0xbb],
            };
            let bytes = with_tlv.encode().unwrap();
            let decoded = FailureMessage::decode(&bytes).unwrap();
            assert_eq!(decoded, with_tlv);
            let records: Vec<_> = decoded.tlv_records().map(Result::unwrap).collect();
            assert_eq!(records.len(), 1);
            assert_eq!((records[0].ty, records[0].value), (1, &[0xaa, 0xbb][..]));
        }
    }

    #[test]
    fn truncated_fields_are_errors_not_panics() {
        for failure in all_failures() {
            let bytes = FailureMessage::from(failure).encode().unwrap();
            for cut in 0..bytes.len() {
                // Every prefix either decodes (only when the data ends early
                // enough to still be a valid message) or errors.
                let _ = FailureMessage::decode(&bytes[..cut]);
            }
        }
        assert_eq!(
            FailureMessage::decode(&[0x40]),
            Err(DecodeError::UnexpectedEof)
        );
        assert_eq!(
            FailureMessage::decode(&[0x40, 0x0f, 0, 0]),
            Err(DecodeError::UnexpectedEof)
        );
        // A channel_update length that runs past the end.
        assert_eq!(
            FailureMessage::decode(&[0x10, 0x07, 0x00, 0x05, 1, 2]),
            Err(DecodeError::UnexpectedEof)
        );
    }

    #[test]
    fn flags_read_from_the_code() {
        let c = FailureCode::INVALID_ONION_HMAC;
        assert!(c.is_bad_onion() && c.is_permanent() && !c.is_node() && !c.is_update());
        assert_eq!(c.0, 0xc005);
        let c = FailureCode::TEMPORARY_CHANNEL_FAILURE;
        assert!(c.is_update() && !c.is_permanent());
        assert_eq!(c.0, 0x1007);
        assert!(FailureCode::PERMANENT_NODE_FAILURE.is_node());
        assert_eq!(FailureCode::INVALID_ONION_PAYLOAD.0, 0x4016);
        assert_eq!(FailureCode::INVALID_ONION_BLINDING.0, 0xc018);
        assert_eq!(FailureCode::MPP_TIMEOUT.to_string(), "mpp_timeout");
        assert_eq!(FailureCode(0x1234).to_string(), "unknown failure 0x1234");
    }

    #[test]
    fn channel_update_accessor() {
        let f = Failure::TemporaryChannelFailure {
            channel_update: vec![1],
        };
        assert_eq!(f.channel_update(), Some(&[1][..]));
        let f = Failure::TemporaryChannelFailure {
            channel_update: vec![],
        };
        assert_eq!(f.channel_update(), None);
        assert_eq!(Failure::MppTimeout.channel_update(), None);
    }

    #[test]
    fn oversized_channel_update_is_an_encode_error() {
        let f = FailureMessage::from(Failure::ExpiryTooSoon {
            channel_update: vec![0; 70_000],
        });
        assert_eq!(
            f.encode(),
            Err(FailureEncodeError::ChannelUpdateTooLong(70_000))
        );
    }

    #[test]
    fn padding_and_size_limits() {
        let ss = SharedSecret::from_bytes([5; 32]);
        let p = build_failure_packet(&ss, &[0x20, 0x02], 0).unwrap();
        assert_eq!(p.len(), 32 + 2 + 256 + 2);
        let p = build_failure_packet(&ss, &[0x20, 0x02], 1024).unwrap();
        assert_eq!(p.len(), 32 + 2 + 1024 + 2);
        let long = vec![0x20; 300];
        let p = build_failure_packet(&ss, &long, 256).unwrap();
        assert_eq!(p.len(), 32 + 2 + 300 + 2);
        assert_eq!(
            build_failure_packet(&ss, &[0x20, 0x02], 65_535),
            Err(FailurePacketError::TooLarge(65_535 + 36))
        );
        assert_eq!(
            decrypt_failure(&[ss], &[0; 35]),
            Err(AttributionError::TooShort(35))
        );
    }

    #[test]
    fn origin_attributes_each_hop() {
        let secrets: Vec<_> = (1..=5u8)
            .map(|i| SharedSecret::from_bytes([i; 32]))
            .collect();
        for failing in 0..secrets.len() {
            let message = FailureMessage::from(Failure::FinalIncorrectCltvExpiry {
                cltv_expiry: failing as u32,
            });
            let mut packet = message.to_packet(&secrets[failing]).unwrap();
            for secret in secrets[..failing].iter().rev() {
                wrap_failure_packet(secret, &mut packet);
            }
            let got = decrypt_failure(&secrets, &packet).unwrap();
            assert_eq!(got.hop_index, failing);
            assert_eq!(got.message, message);
            // A corrupted packet is attributed to nobody.
            packet[40] ^= 1;
            assert_eq!(
                decrypt_failure(&secrets, &packet),
                Err(AttributionError::NoMatchingHop)
            );
        }
    }

    #[test]
    fn authenticated_but_malformed_message_names_the_hop() {
        let secrets: Vec<_> = (1..=3u8)
            .map(|i| SharedSecret::from_bytes([i; 32]))
            .collect();
        // incorrect_or_unknown_payment_details without its fields.
        let mut packet = build_failure_packet(&secrets[1], &[0x40, 0x0f], 256).unwrap();
        wrap_failure_packet(&secrets[0], &mut packet);
        assert_eq!(
            decrypt_failure(&secrets, &packet),
            Err(AttributionError::Malformed {
                hop_index: 1,
                code: Some(FailureCode::INCORRECT_OR_UNKNOWN_PAYMENT_DETAILS),
                error: DecodeError::UnexpectedEof,
            })
        );
    }
}
