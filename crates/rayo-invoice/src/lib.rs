//! BOLT 11 payment requests.
//!
//! An invoice is how a payee asks to be paid: a bech32 string carrying the
//! network and amount in its human-readable part, then a timestamp, tagged
//! fields (payment hash, payment secret, description, expiry, route hints,
//! features, ...) and a recoverable ECDSA signature by the payee's node key.
//!
//! * [`Invoice`]: a decoded, signature-checked invoice. Parse one with
//!   [`str::parse`]; [`Display`](std::fmt::Display) gives the lowercase string
//!   back, byte for byte (fields this crate does not interpret are kept).
//! * [`InvoiceBuilder`]: creates and signs invoices (what `addinvoice` uses).
//! * [`InvoiceError`]: why a string is not a usable invoice, one variant per
//!   rule, with messages meant for a CLI user.
//!
//! A payer parses the string, then calls [`Invoice::check_payable`] with the
//! features it knows and the current time: decoding accepts an invoice that
//! requires a feature bit (BOLT 11 says to fail the *payment*, and which bits
//! are unknown depends on the payer), and expiry depends on the clock.
//!
//! The crate is pure: the current time is an argument (`now`, unix seconds),
//! and signing takes the secret key (or a signing closure) as an argument.

mod builder;
mod codec;
mod currency;
mod error;
mod fields;
mod invoice;

pub use builder::{rayo_features, InvoiceBuilder};
pub use currency::Currency;
pub use error::{BuildError, InvoiceError};
pub use fields::{Description, Fallback, PaymentSecret, RouteHint, RouteHintHop, TaggedField};
pub use invoice::Invoice;

/// The longest invoice string accepted or produced, in characters.
///
/// BOLT 11 lifts bech32's 90-character limit but sets no other; a bound keeps
/// decoding from allocating without limit. 7089 is the capacity of the largest
/// QR code, so no invoice meant to be scanned is longer.
pub const MAX_INVOICE_LENGTH: usize = 7089;

/// Expiry, in seconds, when an invoice has no `x` field (BOLT 11).
pub const DEFAULT_EXPIRY_SECS: u64 = 3600;

/// `min_final_cltv_expiry_delta` when an invoice has no `c` field (BOLT 11).
pub const DEFAULT_MIN_FINAL_CLTV_EXPIRY_DELTA: u64 = 18;

/// The largest timestamp an invoice can carry: 35 bits of unix seconds.
pub const MAX_TIMESTAMP: u64 = (1 << 35) - 1;
