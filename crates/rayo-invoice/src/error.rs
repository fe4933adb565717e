//! Typed errors: why a string is not a usable invoice, and why a builder
//! could not produce one.

use rayo_wire::features::Feature;

/// Why a string is not a valid BOLT 11 invoice, or why a valid one must not
/// be paid. Each rule the spec sets has its own variant; the messages are
/// written for the user of a command line tool.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// Longer than [`MAX_INVOICE_LENGTH`](crate::MAX_INVOICE_LENGTH).
    #[error("invoice is too long ({len} characters, at most {max} are accepted)")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Upper and lower case letters mixed (bech32 forbids it).
    #[error("invoice mixes upper and lower case letters")]
    MixedCase,
    /// No `1` between the human-readable part and the data.
    #[error("invoice has no '1' separator after its prefix")]
    MissingSeparator,
    /// A character outside the bech32 alphabet in the data part.
    #[error("invoice contains the invalid character {0:?}")]
    InvalidChar(char),
    /// The bech32 checksum does not match (a typo or a truncated copy).
    #[error("invoice checksum is invalid")]
    InvalidChecksum,
    /// The human-readable part is not valid bech32 (empty, too long, or
    /// characters outside printable ASCII).
    #[error("invoice prefix is not valid")]
    InvalidPrefix,
    /// Not bech32 for another reason.
    #[error("invoice is not valid bech32")]
    Malformed,
    /// The prefix is not `ln` followed by a known currency.
    #[error("not a Lightning invoice for a known network (prefix {0:?})")]
    UnknownCurrency(String),
    /// The amount is not a positive decimal integer without leading zeros,
    /// optionally followed by a single multiplier.
    #[error("invoice amount is malformed")]
    InvalidAmount,
    /// The amount ends in a letter other than `m`, `u`, `n` or `p`.
    #[error("invoice amount multiplier {0:?} is not one of m, u, n, p")]
    InvalidMultiplier(char),
    /// A `p` amount not ending in 0: a fraction of a millisatoshi.
    #[error("invoice amount is not a whole number of millisatoshis")]
    SubMillisatoshi,
    /// The amount does not fit in 64 bits of millisatoshis.
    #[error("invoice amount is too large")]
    AmountTooLarge,
    /// The data part cannot hold a timestamp and a signature.
    #[error("invoice is too short")]
    TooShort,
    /// A tagged field's header or data runs into the signature.
    #[error("invoice field runs past the end of the invoice")]
    TruncatedField,
    /// An `x`, `c` or `9` field starts with a zero word.
    #[error("invoice field '{0}' is not minimally encoded")]
    NonMinimalField(char),
    /// An `x` or `c` field holds a number larger than 64 bits.
    #[error("invoice field '{0}' holds a number that is too large")]
    FieldOverflow(char),
    /// The `d` field is not UTF-8.
    #[error("invoice description is not valid UTF-8")]
    InvalidDescription,
    /// An `f` field with a known version but an invalid program or hash.
    #[error("invoice fallback address is invalid")]
    InvalidFallback,
    /// An `r` field that is not a whole number of valid hops.
    #[error("invoice route hint is invalid")]
    InvalidRouteHint,
    /// The `n` field is not a valid public key.
    #[error("invoice payee public key is invalid")]
    InvalidPayeeKey,
    /// No valid `p` field.
    #[error("invoice has no payment hash")]
    MissingPaymentHash,
    /// No valid `s` field.
    #[error("invoice has no payment secret")]
    MissingPaymentSecret,
    /// Neither a `d` nor a valid `h` field.
    #[error("invoice has neither a description nor a description hash")]
    MissingDescription,
    /// Both a `d` and a valid `h` field.
    #[error("invoice has both a description and a description hash")]
    DescriptionAndHash,
    /// The signature's recovery id is not 0 to 3.
    #[error("invoice signature has an invalid recovery id {0}")]
    InvalidRecoveryId(u8),
    /// The signature's r or s is out of range.
    #[error("invoice signature is malformed")]
    InvalidSignature,
    /// No public key recovers from the signature.
    #[error("invoice signature is not recoverable")]
    SignatureNotRecoverable,
    /// The invoice names its payee (`n`) but the signature is high-S, which
    /// BOLT 11 forbids in that case.
    #[error("invoice signature is not canonical (high S)")]
    HighSSignature,
    /// The signature was not made by the key in the `n` field.
    #[error("invoice signature does not match the payee public key")]
    SignatureMismatch,
    /// The invoice requires (even bit) a feature the payer does not know.
    #[error("invoice requires feature bit {0}, which this node does not support")]
    UnknownRequiredFeature(usize),
    /// A feature is offered without one it depends on (BOLT 9).
    #[error("invoice sets feature {feature:?} without its dependency {missing:?}")]
    MissingFeatureDependency {
        /// The feature that is set.
        feature: Feature,
        /// The dependency that is not.
        missing: Feature,
    },
    /// The invoice's expiry time has passed.
    #[error("invoice has expired")]
    Expired,
}

/// Why an [`InvoiceBuilder`](crate::InvoiceBuilder) could not produce an
/// invoice.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// An amount of zero: BOLT 11 amounts are positive; leave the amount out
    /// for "any amount".
    #[error("invoice amount must be positive (omit it for any amount)")]
    ZeroAmount,
    /// The timestamp does not fit in 35 bits.
    #[error("invoice timestamp {0} does not fit in 35 bits")]
    TimestampOutOfRange(u64),
    /// A field's data is longer than 1023 words (639 bytes).
    #[error("invoice field '{0}' is too long")]
    FieldTooLong(char),
    /// A route hint with no hops.
    #[error("invoice route hint has no hops")]
    EmptyRouteHint,
    /// A raw field with a tag or word not below 32.
    #[error("raw invoice field has a tag or word that is not 5 bits")]
    InvalidRawField,
    /// The whole invoice would exceed
    /// [`MAX_INVOICE_LENGTH`](crate::MAX_INVOICE_LENGTH).
    #[error("invoice would be too long ({0} characters)")]
    TooLong(usize),
    /// The fields or the signature do not make a valid invoice (a required
    /// field is missing, or the signer's key does not match `n`).
    #[error(transparent)]
    Invalid(#[from] InvoiceError),
}
