//! The Rayo node: the only crate that does I/O. It runs the pure
//! [`rayo_manager::Manager`] in one driver task and connects it to real
//! sockets, a real database and a real chain.
//!
//! * [`daemon`]: startup and the supervisor of every task.
//! * [`driver`]: the one owner of the manager (persist, then send, then the
//!   rest).
//! * [`chain_sync`]: blocks, reorgs, watched mempool transactions, broadcasts.
//! * [`peers`] and [`connection`]: BOLT 8 connections, per-peer queues.
//! * [`rest`] and [`tls`]: lnd's REST API over TLS.
//! * [`store`]: the `NodeStore` trait, SQLite, the store thread.
//! * [`secrets`] and [`unlocker`]: the seed encrypted at rest, and how the
//!   node gets its password (dev mode, a password file, `rayo unlock`).
//! * [`chain_client`], [`config`], [`entropy`].

pub mod chain_client;
pub mod chain_sync;
pub mod config;
pub mod connection;
pub mod daemon;
pub mod driver;
pub mod entropy;
pub mod peers;
pub mod rest;
pub mod secrets;
pub mod store;
pub mod tls;
pub mod unlocker;
