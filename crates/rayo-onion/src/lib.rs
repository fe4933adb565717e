//! BOLT 4 onions: the Sphinx packet that carries an HTLC's route, the hop
//! payloads inside it, and the failure messages that come back.
//!
//! * [`packet`]: the 1366-byte `onion_packet`, [`build_onion`] at the origin
//!   and [`peel_onion`] at each hop.
//! * [`payload`]: hop payload TLVs ([`HopPayload`]) and the reader checks for
//!   a forwarding hop ([`ForwardPayload`]) and the final node
//!   ([`FinalPayload`]).
//! * [`failure`]: failure codes and messages, the return packet built by the
//!   failing hop, wrapped at each hop and attributed by the origin.
//! * [`keys`]: shared secrets, derived keys, ChaCha20 streams and the
//!   blinding of ephemeral keys.
//!
//! The crate is pure: no clock, randomness or I/O. The session key is an
//! argument (the caller draws it), and the packet's padding is derived from
//! it as the spec's construction does.
//!
//! Not implemented: route blinding (the payload fields are decoded, and
//! [`peel_onion_with`] lets a caller tweak its ECDH, but blinded payloads are
//! not checked), onion messages, and `option_attribution_data`.

pub use bitcoin::secp256k1;

pub mod failure;
pub mod keys;
pub mod packet;
pub mod payload;

pub use failure::{
    build_failure_packet, decrypt_failure, wrap_failure_packet, AttributedFailure,
    AttributionError, Failure, FailureCode, FailureMessage,
};
pub use keys::SharedSecret;
pub use packet::{
    build_onion, peel_onion, peel_onion_with, BuildError, BuiltOnion, Hop, OnionPacket, PeelError,
    Peeled, PeeledHop, ONION_PACKET_LEN,
};
pub use payload::{
    FinalHtlcError, FinalPayload, ForwardPayload, HopPayload, PayloadError, PayloadErrorKind,
    PaymentData,
};
