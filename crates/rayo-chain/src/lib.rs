//! rayo-chain: an embedded private Bitcoin chain with regtest rules.
//!
//! * [`params`], [`validation`], [`policy`]: the rules, as pure functions,
//!   scripts verified by libbitcoinconsensus.
//! * [`coins`], [`mempool`], [`chain`]: the state (block tree, UTXO set,
//!   mempool) and the only code that changes it.
//! * [`store`]: durable state behind the [`store::ChainStore`] trait, SQLite
//!   by default; one atomic batch per change.
//! * [`rpc`]: the Bitcoin Core compatible JSON-RPC server.

pub mod chain;
pub mod coins;
pub mod mempool;
pub mod params;
pub mod policy;
pub mod rpc;
pub mod store;
pub mod validation;
