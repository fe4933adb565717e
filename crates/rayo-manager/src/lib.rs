//! rayo-manager: the node's pure core. One [`Manager`] holds every channel
//! (from `open_channel` to a spent funding output) and the on-chain wallet
//! that funds them, and decides everything about them. It is LDK's
//! `ChannelManager` role without a god object and without I/O:
//!
//! ```text
//! Event (peer connected/message/disconnected, block connected/disconnected,
//!        mempool transaction, API command with a request id, broadcast
//!        result, timer tick) + now + entropy
//!     -> Manager::handle -> [Action] in order:
//!        Persist(changeset), Send(peer, message), Broadcast(tx),
//!        Watch/Unwatch(outpoint | script), Reply(request id, result),
//!        Disconnect(peer)
//! ```
//!
//! The owner (rayod's driver task, or the deterministic simulation in
//! `tests/`) applies a batch of actions in one order: persist every
//! changeset of the batch in one store transaction, then send, then
//! broadcast, watch and reply. So a message that commits to a state is
//! never out before that state is durable ("persist before you speak" by
//! construction, ADR 4).
//!
//! Errors a peer causes are typed ([`fault::PeerFault`]) and carry their
//! BOLT 1 consequence, which alone decides what the peer is told: nothing,
//! a `warning` (and the connection is closed), or an `error` (the channel is
//! failed).
//!
//! * [`event`]: what goes in.
//! * [`action`]: what comes out, and the [`action::Changeset`] to persist.
//! * [`record`]: the persisted channel phases.
//! * [`fault`]: peer faults and their consequence.
//! * [`manager`]: the state machine; normal operation on funded channels
//!   (the commitment dance), payments out and in (invoices, the final-hop
//!   checks, keysend), `update_fee` as funder and BOLT 7 query answers live
//!   in private modules beside it.

pub mod action;
pub mod event;
pub mod fault;
pub mod manager;
pub mod record;

mod chain;
mod dance;
mod fee;
mod gossip;
mod open;
mod payment;
mod receive;

pub use action::{Action, Changeset, CommandError, Plan, Reply, Watch};
pub use event::{
    AddInvoiceCommand, Command, Event, OpenChannelCommand, RequestId, SendPaymentCommand,
};
pub use manager::{Manager, ManagerConfig, StoredState};
pub use payment::NO_ROUTE;
pub use record::{
    ChannelPhase, ChannelRecord, InvoiceRecord, InvoiceState, PaymentRecord, PaymentState,
};
