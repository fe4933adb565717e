//! The decoded invoice: parsing, signature checks and accessors.

use std::fmt;
use std::str::FromStr;

use bitcoin::bech32::Hrp;
use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, Secp256k1};
use bitcoin::Network;
use rayo_wire::amount::Msat;
use rayo_wire::features::{FeatureError, Features};
use rayo_wire::ids::NodeId;

use crate::codec::{self, words_to_bytes, words_to_bytes_padded, words_to_u64};
use crate::currency::{parse_hrp, Currency};
use crate::error::InvoiceError;
use crate::fields::{Description, Fallback, PaymentSecret, RouteHint, TaggedField};
use crate::{DEFAULT_EXPIRY_SECS, DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA};

/// Words in the timestamp (35 bits).
pub(crate) const TIMESTAMP_WORDS: usize = 7;
/// Words in the signature (64 bytes of r||s and a recovery id: 520 bits).
pub(crate) const SIGNATURE_WORDS: usize = 104;

/// A BOLT 11 invoice whose encoding and signature have been checked.
///
/// It keeps the data words it was decoded from, so [`Display`](fmt::Display)
/// writes back exactly the (lowercased) string it came from, including any
/// field it did not interpret; the signature covers those words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    hrp: Hrp,
    currency: Currency,
    amount: Option<Msat>,
    /// Every data word after the separator, signature included, checksum
    /// excluded.
    data: Vec<u8>,
    signed: SignedPart,
    signature: RecoverableSignature,
    payee: NodeId,
}

/// What the data words before the signature say, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedPart {
    timestamp: u64,
    fields: Vec<TaggedField>,
    payment_hash: sha256::Hash,
    payment_secret: PaymentSecret,
    description: Description,
    features: Features,
    payee_field: Option<NodeId>,
}

impl SignedPart {
    /// Decodes the timestamp and tagged fields and checks the fields BOLT 11
    /// requires. Of repeated fields the first counts.
    pub(crate) fn parse(words: &[u8]) -> Result<SignedPart, InvoiceError> {
        let (timestamp, mut rest) = words
            .split_at_checked(TIMESTAMP_WORDS)
            .ok_or(InvoiceError::TooShort)?;
        let timestamp = words_to_u64(timestamp).ok_or(InvoiceError::TooShort)?;
        let mut fields = Vec::new();
        while !rest.is_empty() {
            let [tag, hi, lo, tail @ ..] = rest else {
                return Err(InvoiceError::TruncatedField);
            };
            let len = usize::from(*hi) * 32 + usize::from(*lo);
            let (data, tail) = tail
                .split_at_checked(len)
                .ok_or(InvoiceError::TruncatedField)?;
            fields.push(TaggedField::decode(*tag, data)?);
            rest = tail;
        }

        let payment_hash = fields
            .iter()
            .find_map(|f| match f {
                TaggedField::PaymentHash(h) => Some(*h),
                _ => None,
            })
            .ok_or(InvoiceError::MissingPaymentHash)?;
        let payment_secret = fields
            .iter()
            .find_map(|f| match f {
                TaggedField::PaymentSecret(s) => Some(*s),
                _ => None,
            })
            .ok_or(InvoiceError::MissingPaymentSecret)?;
        let text = fields.iter().find_map(|f| match f {
            TaggedField::Description(d) => Some(d.clone()),
            _ => None,
        });
        let hash = fields.iter().find_map(|f| match f {
            TaggedField::DescriptionHash(h) => Some(*h),
            _ => None,
        });
        let description = match (text, hash) {
            (Some(text), None) => Description::Direct(text),
            (None, Some(hash)) => Description::Hash(hash),
            (None, None) => return Err(InvoiceError::MissingDescription),
            (Some(_), Some(_)) => return Err(InvoiceError::DescriptionAndHash),
        };
        let features = fields
            .iter()
            .find_map(|f| match f {
                TaggedField::Features(features) => Some(features.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let payee_field = fields.iter().find_map(|f| match f {
            TaggedField::PayeePubkey(node) => Some(*node),
            _ => None,
        });
        Ok(SignedPart {
            timestamp,
            fields,
            payment_hash,
            payment_secret,
            description,
            features,
            payee_field,
        })
    }
}

/// What the signature commits to: the human-readable part's bytes followed by
/// the data words before the signature, packed into bytes and zero-padded.
pub(crate) fn signing_preimage(hrp: &Hrp, signed_words: &[u8]) -> Vec<u8> {
    let mut preimage = hrp.to_lowercase().into_bytes();
    preimage.extend(words_to_bytes_padded(signed_words));
    preimage
}

/// The message the payee signs: SHA-256 of [`signing_preimage`].
pub(crate) fn signing_message(hrp: &Hrp, signed_words: &[u8]) -> Message {
    let hash = sha256::Hash::hash(&signing_preimage(hrp, signed_words));
    Message::from_digest(hash.to_byte_array())
}

/// Checks the signature: against `n` when the invoice has one (low-S only),
/// otherwise by recovering the payee's key (high-S accepted), as BOLT 11
/// requires. Returns the signature and the payee.
fn check_signature(
    message: &Message,
    signature_words: &[u8],
    payee_field: Option<NodeId>,
) -> Result<(RecoverableSignature, NodeId), InvoiceError> {
    let bytes = words_to_bytes(signature_words);
    let (Some(compact), Some(&recovery)) = (bytes.get(..64), bytes.get(64)) else {
        return Err(InvoiceError::TooShort);
    };
    if recovery > 3 {
        return Err(InvoiceError::InvalidRecoveryId(recovery));
    }
    let id = RecoveryId::from_i32(i32::from(recovery))
        .map_err(|_| InvoiceError::InvalidRecoveryId(recovery))?;
    let signature = RecoverableSignature::from_compact(compact, id)
        .map_err(|_| InvoiceError::InvalidSignature)?;
    let secp = Secp256k1::verification_only();
    let payee = match payee_field {
        Some(node) => {
            let standard = signature.to_standard();
            let mut low_s = standard;
            low_s.normalize_s();
            if low_s != standard {
                return Err(InvoiceError::HighSSignature);
            }
            secp.verify_ecdsa(message, &standard, &node.0)
                .map_err(|_| InvoiceError::SignatureMismatch)?;
            node
        }
        None => NodeId(
            secp.recover_ecdsa(message, &signature)
                .map_err(|_| InvoiceError::SignatureNotRecoverable)?,
        ),
    };
    Ok((signature, payee))
}

impl Invoice {
    /// Decodes and checks the words after the separator (checksum removed).
    pub(crate) fn from_words(hrp: Hrp, data: Vec<u8>) -> Result<Invoice, InvoiceError> {
        let (currency, amount) = parse_hrp(&hrp.to_lowercase())?;
        let signed_len = data
            .len()
            .checked_sub(SIGNATURE_WORDS)
            .filter(|len| *len >= TIMESTAMP_WORDS)
            .ok_or(InvoiceError::TooShort)?;
        let (signed_words, signature_words) = data.split_at(signed_len);
        let signed = SignedPart::parse(signed_words)?;
        let message = signing_message(&hrp, signed_words);
        let (signature, payee) = check_signature(&message, signature_words, signed.payee_field)?;
        Ok(Invoice {
            hrp,
            currency,
            amount,
            data,
            signed,
            signature,
            payee,
        })
    }

    /// The chain the invoice is payable on.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The `bitcoin` network of [`Invoice::currency`] (`None` for simnet).
    pub fn network(&self) -> Option<Network> {
        self.currency.network()
    }

    /// The amount requested, or `None` when the payer chooses it.
    pub fn amount_msat(&self) -> Option<Msat> {
        self.amount
    }

    /// When the invoice was created, in unix seconds.
    pub fn timestamp(&self) -> u64 {
        self.signed.timestamp
    }

    /// The hash whose preimage the payee reveals when paid (the first valid
    /// `p` field).
    pub fn payment_hash(&self) -> sha256::Hash {
        self.signed.payment_hash
    }

    /// The secret the payer must put in the final onion payload.
    pub fn payment_secret(&self) -> PaymentSecret {
        self.signed.payment_secret
    }

    /// The description, or its hash.
    pub fn description(&self) -> &Description {
        &self.signed.description
    }

    /// True if `description` is the invoice's: equal to its `d` text, or
    /// hashing to its `h` (BOLT 11 requires the payer to check the hash).
    pub fn description_matches(&self, description: &[u8]) -> bool {
        match &self.signed.description {
            Description::Direct(text) => text.as_bytes() == description,
            Description::Hash(hash) => sha256::Hash::hash(description) == *hash,
        }
    }

    /// Seconds after [`Invoice::timestamp`] the invoice stays payable
    /// ([`DEFAULT_EXPIRY_SECS`] without an `x` field).
    pub fn expiry(&self) -> u64 {
        self.signed
            .fields
            .iter()
            .find_map(|f| match f {
                TaggedField::Expiry(v) => Some(*v),
                _ => None,
            })
            .unwrap_or(DEFAULT_EXPIRY_SECS)
    }

    /// When the invoice expires, in unix seconds.
    pub fn expires_at(&self) -> u64 {
        self.timestamp().saturating_add(self.expiry())
    }

    /// True once `now` (unix seconds) has reached [`Invoice::expires_at`]:
    /// the payer should not pay, the payee should not accept.
    pub fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at()
    }

    /// The smallest CLTV delta the final HTLC may have
    /// ([`DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA`] without a `c` field).
    pub fn min_final_cltv_expiry_delta(&self) -> u64 {
        self.signed
            .fields
            .iter()
            .find_map(|f| match f {
                TaggedField::MinFinalCltvExpiryDelta(v) => Some(*v),
                _ => None,
            })
            .unwrap_or(DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA)
    }

    /// The node to pay: the `n` field if present (the signature was checked
    /// against it), otherwise the key recovered from the signature.
    pub fn payee(&self) -> NodeId {
        self.payee
    }

    /// The `n` field, if the invoice names its payee explicitly.
    pub fn payee_field(&self) -> Option<NodeId> {
        self.signed.payee_field
    }

    /// The features the payee sets for this payment (empty without a `9`
    /// field).
    pub fn features(&self) -> &Features {
        &self.signed.features
    }

    /// The even (required) feature bits the payer cannot honour: those for
    /// which `known` sets neither the bit nor its odd partner. A payer must
    /// not pay an invoice for which this is not empty.
    pub fn unknown_required_features(&self, known: &Features) -> Vec<usize> {
        self.signed
            .features
            .set_bits()
            .filter(|bit| bit % 2 == 0 && !known.is_set(*bit) && !known.is_set(bit + 1))
            .collect()
    }

    /// Checks the payer may use the features: every required bit is known
    /// (see [`Invoice::unknown_required_features`]) and every feature's
    /// dependencies are set (BOLT 9).
    pub fn check_features(&self, known: &Features) -> Result<(), InvoiceError> {
        if let Some(bit) = self.unknown_required_features(known).first() {
            return Err(InvoiceError::UnknownRequiredFeature(*bit));
        }
        self.signed
            .features
            .check_dependencies()
            .map_err(|e| match e {
                FeatureError::MissingDependency { feature, missing } => {
                    InvoiceError::MissingFeatureDependency { feature, missing }
                }
                FeatureError::UnsupportedRequired(bit) => InvoiceError::UnknownRequiredFeature(bit),
            })
    }

    /// Everything a payer checks before paying beyond decoding: the features
    /// (see [`Invoice::check_features`]) and that the invoice has not expired
    /// at `now` (unix seconds).
    pub fn check_payable(&self, known: &Features, now: u64) -> Result<(), InvoiceError> {
        self.check_features(known)?;
        if self.is_expired(now) {
            return Err(InvoiceError::Expired);
        }
        Ok(())
    }

    /// The private routes to the payee (`r` fields), most preferred first.
    pub fn route_hints(&self) -> impl Iterator<Item = &RouteHint> {
        self.signed.fields.iter().filter_map(|f| match f {
            TaggedField::RouteHint(hint) => Some(hint),
            _ => None,
        })
    }

    /// The on-chain fallbacks (`f` fields with a known version), most
    /// preferred first.
    pub fn fallbacks(&self) -> impl Iterator<Item = &Fallback> {
        self.signed.fields.iter().filter_map(|f| match f {
            TaggedField::Fallback(fallback) => Some(fallback),
            _ => None,
        })
    }

    /// The payment metadata (`m`) the payer must put in the onion.
    pub fn payment_metadata(&self) -> Option<&[u8]> {
        self.signed.fields.iter().find_map(|f| match f {
            TaggedField::PaymentMetadata(m) => Some(m.as_slice()),
            _ => None,
        })
    }

    /// Every tagged field in invoice order, uninterpreted ones as
    /// [`TaggedField::Raw`].
    pub fn tagged_fields(&self) -> &[TaggedField] {
        &self.signed.fields
    }

    /// The payee's signature.
    pub fn signature(&self) -> RecoverableSignature {
        self.signature
    }

    /// The bytes the signature hashes: the human-readable part followed by
    /// the data before the signature, packed and zero-padded.
    pub fn signing_preimage(&self) -> Vec<u8> {
        let signed_len = self.data.len().saturating_sub(SIGNATURE_WORDS);
        signing_preimage(&self.hrp, &self.data[..signed_len])
    }

    /// The invoice in upper case, which BOLT 11 recommends for QR codes
    /// (their alphanumeric mode has no lower case).
    pub fn to_qr_string(&self) -> String {
        self.to_string().to_ascii_uppercase()
    }
}

impl FromStr for Invoice {
    type Err = InvoiceError;

    /// Decodes an invoice string (either case, not both), checking the
    /// checksum, every field and the signature.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (hrp, words) = codec::decode(s)?;
        Invoice::from_words(hrp, words)
    }
}

impl fmt::Display for Invoice {
    /// The invoice in lower case.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        codec::encode(&self.hrp, &self.data, f)
    }
}
