//! rayo-channel: Lightning channels, sans-io.
//!
//! * [`keys`]: BOLT 3 key derivation (per-commitment points, derived and
//!   revocation keys), per-channel basepoints from the node seed, and the
//!   per-commitment secret generator.
//! * [`shachain`]: compact storage of the secrets the peer reveals.
//! * [`scripts`]: funding, to_local and HTLC scripts.
//! * [`channel`]: the establishment state machine, one type per phase.
//! * [`establish`]: BOLT 2 establishment v1 checks and our channel policy.
//! * [`commitment`]: commitment and HTLC transactions (ordering, fees,
//!   trimming, obscured commitment numbers) and their signatures.
//! * [`spec`]: what a commitment holds, and how updates change it.
//! * [`commitments`]: the dance's state (commitments, update lists,
//!   revealed secrets).
//! * [`normal`]: BOLT 2 normal operation, the commitment dance with HTLCs
//!   and `update_fee`, and retransmission at reestablish.

pub mod channel;
pub mod commitment;
pub mod commitments;
pub mod establish;
pub mod keys;
pub mod normal;
pub mod scripts;
pub mod shachain;
pub mod spec;
