//! Creating and signing invoices.

use bitcoin::bech32::Hrp;
use bitcoin::hashes::sha256;
use bitcoin::secp256k1::ecdsa::RecoverableSignature;
use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
use rayo_wire::amount::Msat;
use rayo_wire::features::{Feature, Features};
use rayo_wire::ids::NodeId;

use crate::codec::{bytes_to_words, u64_to_fixed_words};
use crate::currency::{format_hrp, Currency};
use crate::error::{BuildError, InvoiceError};
use crate::fields::{Fallback, PaymentSecret, RouteHint, TaggedField};
use crate::invoice::{signing_message, Invoice, SignedPart, SIGNATURE_WORDS, TIMESTAMP_WORDS};
use crate::{MAX_INVOICE_LENGTH, MAX_TIMESTAMP};

/// Characters of checksum after the data.
const CHECKSUM_CHARS: usize = 6;

/// The `9` field Rayo puts in its invoices: `var_onion_optin` (bit 8) and
/// `payment_secret` (bit 14), both required, as the BOLT 11 examples do.
/// BOLT 9 marks both as assumed, so every current payer accepts them (lnd
/// sets bit 9 instead of 8, which payers treat the same).
pub fn rayo_features() -> Features {
    let mut features = Features::empty();
    features.set_required(Feature::VarOnionOptin);
    features.set_required(Feature::PaymentSecret);
    features
}

/// Collects an invoice's fields and signs it.
///
/// Fields are written in the order they are added, so an invoice can be
/// reproduced exactly. BOLT 11 requires a payment hash, a payment secret and
/// exactly one of description and description hash; building fails
/// without them ([`BuildError::Invalid`]).
///
/// ```
/// use bitcoin::hashes::{sha256, Hash};
/// use bitcoin::secp256k1::SecretKey;
/// use rayo_invoice::{rayo_features, Currency, InvoiceBuilder, PaymentSecret};
/// use rayo_wire::amount::Msat;
///
/// let key = SecretKey::from_slice(&[0x11; 32]).unwrap();
/// let invoice = InvoiceBuilder::new(Currency::Regtest, 1_700_000_000)
///     .amount_msat(Msat(250_000))
///     .payment_hash(sha256::Hash::hash(b"preimage"))
///     .payment_secret(PaymentSecret([0x22; 32]))
///     .description("coffee")
///     .expiry(600)
///     .min_final_cltv_expiry_delta(80)
///     .features(rayo_features())
///     .build_signed(&key)
///     .unwrap();
/// let text = invoice.to_string();
/// assert!(text.starts_with("lnbcrt2500n1"));
/// assert_eq!(text.parse::<rayo_invoice::Invoice>().unwrap(), invoice);
/// ```
#[derive(Debug, Clone)]
pub struct InvoiceBuilder {
    currency: Currency,
    amount: Option<Msat>,
    timestamp: u64,
    fields: Vec<TaggedField>,
}

impl InvoiceBuilder {
    /// Starts an invoice for `currency` created at `timestamp` (unix
    /// seconds; the caller reads the clock).
    pub fn new(currency: Currency, timestamp: u64) -> Self {
        InvoiceBuilder {
            currency,
            amount: None,
            timestamp,
            fields: Vec::new(),
        }
    }

    /// Requests `amount` (without it, the payer chooses).
    pub fn amount_msat(mut self, amount: Msat) -> Self {
        self.amount = Some(amount);
        self
    }

    /// Adds the payment hash (`p`).
    pub fn payment_hash(self, hash: sha256::Hash) -> Self {
        self.field(TaggedField::PaymentHash(hash))
    }

    /// Adds the payment secret (`s`).
    pub fn payment_secret(self, secret: PaymentSecret) -> Self {
        self.field(TaggedField::PaymentSecret(secret))
    }

    /// Adds a description (`d`), at most 639 bytes of UTF-8.
    pub fn description(self, text: impl Into<String>) -> Self {
        self.field(TaggedField::Description(text.into()))
    }

    /// Adds the hash of a description too long to embed (`h`).
    pub fn description_hash(self, hash: sha256::Hash) -> Self {
        self.field(TaggedField::DescriptionHash(hash))
    }

    /// Adds the expiry in seconds (`x`); without it payers assume 3600.
    pub fn expiry(self, seconds: u64) -> Self {
        self.field(TaggedField::Expiry(seconds))
    }

    /// Adds the final CLTV delta (`c`); without it payers assume 18.
    pub fn min_final_cltv_expiry_delta(self, delta: u64) -> Self {
        self.field(TaggedField::MinFinalCltvExpiryDelta(delta))
    }

    /// Adds an on-chain fallback (`f`).
    pub fn fallback(self, fallback: Fallback) -> Self {
        self.field(TaggedField::Fallback(fallback))
    }

    /// Adds a private route (`r`, 1 to 12 hops).
    pub fn route_hint(self, hint: RouteHint) -> Self {
        self.field(TaggedField::RouteHint(hint))
    }

    /// Adds the feature bits (`9`); an empty vector adds nothing, as BOLT 11
    /// requires. Rayo passes [`rayo_features`].
    pub fn features(self, features: Features) -> Self {
        if features.is_empty() {
            return self;
        }
        self.field(TaggedField::Features(features))
    }

    /// Adds payment metadata (`m`), at most 639 bytes.
    pub fn payment_metadata(self, metadata: Vec<u8>) -> Self {
        self.field(TaggedField::PaymentMetadata(metadata))
    }

    /// Names the payee explicitly (`n`), so payers need not recover the key;
    /// it must be the signing key's.
    pub fn payee_pubkey(self, node: NodeId) -> Self {
        self.field(TaggedField::PayeePubkey(node))
    }

    /// Adds any field as is, including [`TaggedField::Raw`] ones this crate
    /// does not model (new field types, or reproducing an existing invoice).
    pub fn field(mut self, field: TaggedField) -> Self {
        self.fields.push(field);
        self
    }

    /// Signs with the node's secret key (RFC 6979, so deterministic).
    pub fn build_signed(self, key: &SecretKey) -> Result<Invoice, BuildError> {
        let secp = Secp256k1::signing_only();
        self.build_with_signer(|message| secp.sign_ecdsa_recoverable(message, key))
    }

    /// Signs with `sign`, for keys held elsewhere. `sign` receives the
    /// message BOLT 11 signs (SHA-256 of the human-readable part and data)
    /// and is called only once the fields are known to be valid.
    pub fn build_with_signer(
        self,
        sign: impl FnOnce(&Message) -> RecoverableSignature,
    ) -> Result<Invoice, BuildError> {
        if self.amount == Some(Msat(0)) {
            return Err(BuildError::ZeroAmount);
        }
        if self.timestamp > MAX_TIMESTAMP {
            return Err(BuildError::TimestampOutOfRange(self.timestamp));
        }
        let hrp_text = format_hrp(self.currency, self.amount);
        let hrp = Hrp::parse(&hrp_text).map_err(|_| InvoiceError::InvalidPrefix)?;

        let mut words = u64_to_fixed_words(self.timestamp, TIMESTAMP_WORDS);
        for field in &self.fields {
            let (tag, data) = field.encode()?;
            words.push(tag);
            words.extend(u64_to_fixed_words(data.len() as u64, 2));
            words.extend(data);
        }
        let length = hrp_text.len() + 1 + words.len() + SIGNATURE_WORDS + CHECKSUM_CHARS;
        if length > MAX_INVOICE_LENGTH {
            return Err(BuildError::TooLong(length));
        }
        SignedPart::parse(&words)?;

        let signature = sign(&signing_message(&hrp, &words));
        let (id, compact) = signature.serialize_compact();
        let mut signature_bytes = compact.to_vec();
        // A recovery id is 0 to 3.
        signature_bytes.push(id.to_i32() as u8);
        words.extend(bytes_to_words(&signature_bytes));
        Ok(Invoice::from_words(hrp, words)?)
    }
}
