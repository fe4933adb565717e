//! What comes out of the manager: ordered actions, and the changeset the
//! owner persists before it sends anything.

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Address, OutPoint, ScriptBuf, Transaction, Txid};
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;

use rayo_channel::normal::RevokedCommitment;
use rayo_wallet::{Balance, BlockId, Utxo, WalletRecord, WalletTx};

use crate::event::RequestId;
use crate::record::{ChannelRecord, InvoiceRecord, PaymentRecord};

/// One thing for the owner to do. A batch is applied in this order,
/// whatever the order in the list: every [`Action::Persist`] in one store
/// transaction, then the sends (in list order), then broadcasts, watches,
/// replies and disconnects (in list order).
#[derive(Debug, Clone)]
pub enum Action {
    /// Write this durably before anything else of the batch happens.
    Persist(Changeset),
    /// Send a message to a peer.
    Send {
        /// The peer.
        peer: PublicKey,
        /// The message.
        message: Message,
    },
    /// Hand a transaction to the chain. With `report`, the chain's answer
    /// comes back as [`crate::Event::BroadcastResult`].
    Broadcast {
        /// The transaction.
        tx: Transaction,
        /// Whether the manager waits for the answer.
        report: bool,
    },
    /// Ask the chain source to deliver what touches this.
    Watch(Watch),
    /// The chain source may forget a watch (a channel was forgotten).
    Unwatch(Watch),
    /// Answer an API call.
    Reply {
        /// The call.
        id: RequestId,
        /// The answer.
        reply: Result<Reply, CommandError>,
    },
    /// Close the connection to a peer (after a `warning`).
    Disconnect {
        /// The peer.
        peer: PublicKey,
    },
}

/// What the chain source must deliver: unconfirmed transactions that spend
/// a watched outpoint or pay a watched script. (Blocks are delivered whole.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Watch {
    /// A funding output: its spend closes the channel.
    Outpoint(OutPoint),
    /// A script of ours: payments to it are the wallet's.
    Script(ScriptBuf),
}

/// The durable effect of one step. Applied atomically: all of it or none.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    /// Wallet records to append, in order (coin locks included).
    pub wallet: Vec<WalletRecord>,
    /// Channels written (inserted or replaced).
    pub channels: Vec<ChannelRecord>,
    /// Channels removed (never funded, or forgotten).
    pub removed_channels: Vec<ChannelId>,
    /// The next free channel key index, when it moved.
    pub next_key_index: Option<u32>,
    /// Invoices written (inserted or replaced).
    pub invoices: Vec<InvoiceRecord>,
    /// Payments written (inserted or replaced).
    pub payments: Vec<PaymentRecord>,
    /// The peer's commitments just revoked, appended for penalties.
    pub revoked: Vec<(ChannelId, RevokedCommitment)>,
}

impl Changeset {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.wallet.is_empty()
            && self.channels.is_empty()
            && self.removed_channels.is_empty()
            && self.next_key_index.is_none()
            && self.invoices.is_empty()
            && self.payments.is_empty()
            && self.revoked.is_empty()
    }

    /// Adds `later` after this one: the result has the effect of both,
    /// applied in order.
    pub fn merge(&mut self, later: Changeset) {
        self.wallet.extend(later.wallet);
        for channel in later.channels {
            let id = channel.channel_id();
            self.removed_channels.retain(|r| *r != id);
            self.channels.retain(|c| c.channel_id() != id);
            self.channels.push(channel);
        }
        for id in later.removed_channels {
            self.channels.retain(|c| c.channel_id() != id);
            if !self.removed_channels.contains(&id) {
                self.removed_channels.push(id);
            }
        }
        if later.next_key_index.is_some() {
            self.next_key_index = later.next_key_index;
        }
        for invoice in later.invoices {
            self.invoices
                .retain(|i| i.payment_hash != invoice.payment_hash);
            self.invoices.push(invoice);
        }
        for payment in later.payments {
            self.payments
                .retain(|p| p.payment_hash != payment.payment_hash);
            self.payments.push(payment);
        }
        self.revoked.extend(later.revoked);
    }
}

/// A successful answer to a [`crate::Command`].
#[derive(Debug, Clone)]
pub enum Reply {
    /// `openchannel`: the funding outpoint.
    ChannelOpened(OutPoint),
    /// `newaddress`.
    Address(Address),
    /// `sendcoins`: the txid the chain accepted.
    Sent(Txid),
    /// `walletbalance`.
    Balance(Balance),
    /// `listunspent`.
    Unspent(Vec<Utxo>),
    /// `listchaintxns`.
    Transactions(Vec<WalletTx>),
    /// Every channel (open, pending and closed on chain).
    Channels(Vec<ChannelRecord>),
    /// The last block the manager has, if any.
    SyncTip(Option<BlockId>),
    /// The wallet's unconfirmed transactions.
    UnconfirmedTransactions(Vec<Transaction>),
    /// `addinvoice`, `lookupinvoice`.
    Invoice(InvoiceRecord),
    /// `listinvoices`, in issue order.
    Invoices(Vec<InvoiceRecord>),
    /// `sendpayment`: the payment as it ended.
    Payment(PaymentRecord),
    /// `listpayments`, in creation order.
    Payments(Vec<PaymentRecord>),
}

/// Why an API call failed, with the class an API status is chosen by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The request is malformed or out of range (HTTP 400).
    #[error("{0}")]
    InvalidArgument(String),
    /// Not possible now, e.g. not connected or not enough funds (HTTP 400).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The chain refused or is unreachable (HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// What was asked for does not exist (HTTP 404).
    #[error("{0}")]
    NotFound(String),
}

/// A batch of actions in the order the owner applies them: the merged
/// changeset (one store transaction), then the sends in order, then the
/// broadcasts, watches, replies and disconnects.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Everything to persist, merged.
    pub changeset: Changeset,
    /// Messages, in the order they were decided.
    pub sends: Vec<(PublicKey, Message)>,
    /// Broadcasts, then watches, then replies, then disconnects.
    pub after: Vec<Action>,
}

impl Plan {
    /// Sorts `actions` into the order they are applied in.
    pub fn new(actions: Vec<Action>) -> Plan {
        let mut plan = Plan::default();
        for action in actions {
            match action {
                Action::Persist(changes) => plan.changeset.merge(changes),
                Action::Send { peer, message } => plan.sends.push((peer, message)),
                other => plan.after.push(other),
            }
        }
        plan.after.sort_by_key(|a| match a {
            Action::Broadcast { .. } => 0,
            Action::Watch(_) | Action::Unwatch(_) => 1,
            Action::Reply { .. } => 2,
            _ => 3,
        });
        plan
    }
}
