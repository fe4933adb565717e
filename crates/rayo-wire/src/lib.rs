//! The wire layer of Rayo: everything two Lightning nodes agree on before any
//! channel exists.
//!
//! * [`amount`] and [`ids`]: the value types every message carries.
//! * [`ser`], [`tlv`]: BOLT 1's fundamental types, BigSize and TLV streams.
//! * [`features`]: BOLT 9 feature bits with their even/odd and dependency rules.
//! * [`message`]: BOLT 1 messages (`init`, `error`, `warning`, `ping`, `pong`).
//! * [`establish`]: BOLT 2 channel establishment and reestablish messages.
//! * [`noise`]: the BOLT 8 handshake and encrypted transport.
//!
//! The crate is pure: no I/O, no clock and no randomness inside. Keys and
//! ephemeral secrets are arguments, bytes go in and bytes come out, so every
//! path is testable with the spec's fixed vectors.

pub mod amount;
pub mod establish;
pub mod features;
pub mod ids;
pub mod message;
pub mod noise;
pub mod ser;
pub mod tlv;

pub use bitcoin;
pub use bitcoin::secp256k1;
