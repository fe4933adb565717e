//! The Rayo node: the only crate that does I/O. It drives the sans-io
//! protocol state machines of the core crates over real sockets.

pub mod chain_client;
pub mod channels;
pub mod config;
pub mod connection;
pub mod node;
pub mod peers;
pub mod rest;
pub mod store;
pub mod tls;
