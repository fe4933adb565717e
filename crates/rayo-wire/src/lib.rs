//! The wire layer of Rayo: the bytes two Lightning nodes exchange, from the
//! value types and the encrypted transport to the channel and gossip query
//! messages.
//!
//! * [`amount`] and [`ids`]: the value types every message carries.
//! * [`ser`], [`tlv`]: BOLT 1's fundamental types, BigSize and TLV streams.
//! * [`features`]: BOLT 9 feature bits with their even/odd and dependency rules.
//! * [`message`]: BOLT 1 messages (`init`, `error`, `warning`, `ping`, `pong`).
//! * [`establish`]: BOLT 2 channel establishment and reestablish messages.
//! * [`update`]: BOLT 2 normal operation: HTLC updates, `update_fee`,
//!   `commitment_signed` and `revoke_and_ack`.
//! * [`gossip`]: BOLT 7 gossip queries (channel ranges, short channel ids,
//!   timestamp filters); announcements are known but not decoded.
//! * [`noise`]: the BOLT 8 handshake and encrypted transport.
//!
//! The crate is pure: no I/O, no clock and no randomness inside. Keys and
//! ephemeral secrets are arguments, bytes go in and bytes come out, so every
//! path is testable with the spec's fixed vectors.

pub mod amount;
pub mod establish;
pub mod features;
pub mod gossip;
pub mod ids;
pub mod message;
pub mod noise;
pub mod ser;
pub mod tlv;
pub mod update;

pub use bitcoin;
pub use bitcoin::secp256k1;
