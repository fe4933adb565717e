//! Request and response bodies of the REST API, with lnd's field names and
//! proto3 JSON encodings (see [`crate::encoding`]): 64-bit integers are JSON
//! strings, 32-bit integers numbers, `bytes` base64 and enums their names.
//!
//! Every struct reads missing fields as their default (lnd's gateway omits
//! nothing, but older or other servers may) and ignores unknown fields, so a
//! client keeps working against a newer lnd. Writing emits every field, as lnd
//! does.
//!
//! The types are defined by service (the node as a whole, errors, the wallet
//! unlocker, the wallet, peers, channels, invoices, payments) and all
//! re-exported here, so every one is `rayo_api::types::X` whichever file it
//! lives in.

// First: the submodules below define their enums with its macro.
#[macro_use]
mod proto_enum;

mod channels;
mod info;
mod invoices;
mod payments;
mod peers;
mod status;
mod unlocker;
mod wallet;

pub use channels::*;
pub use info::*;
pub use invoices::*;
pub use payments::*;
pub use peers::*;
pub use proto_enum::UnknownEnumValue;
pub use status::*;
pub use unlocker::*;
pub use wallet::*;
