//! What goes into the manager.

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, Block, FeeRate, ScriptBuf, Transaction, Txid};
use rayo_wallet::AddressType;
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::features::Features;
use rayo_wire::message::Message;

/// Identifies an API call, so its [`crate::Reply`] finds its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// One input to [`crate::Manager::handle`].
#[derive(Debug, Clone)]
pub enum Event {
    /// `init` exchanged with `peer`: channels with it reestablish now.
    PeerConnected {
        /// The peer.
        peer: PublicKey,
        /// The features of its `init`.
        features: Features,
    },
    /// The connection to `peer` ended.
    PeerDisconnected {
        /// The peer.
        peer: PublicKey,
    },
    /// A message from `peer` (channel messages, `error`, `warning`).
    PeerMessage {
        /// The peer.
        peer: PublicKey,
        /// The message.
        message: Message,
    },
    /// A block extends the chain the manager has seen, at `height`.
    BlockConnected {
        /// Its height.
        height: u32,
        /// The block.
        block: Block,
    },
    /// The chain's tip is no longer on the best chain: every block above
    /// `height` is disconnected (a reorg; the new blocks follow).
    BlocksDisconnected {
        /// The height of the last block kept.
        height: u32,
    },
    /// A watched transaction (a funding) turned out to be confirmed already,
    /// in a block at or below the manager's tip: the chain source found it
    /// when asked to watch it.
    TransactionConfirmed {
        /// The transaction.
        tx: Transaction,
        /// Its block's height.
        height: u32,
        /// Its position in the block.
        tx_index: u32,
    },
    /// An unconfirmed transaction that pays a watched script or spends a
    /// watched outpoint.
    MempoolTransaction {
        /// The transaction.
        tx: Transaction,
    },
    /// An unconfirmed transaction left the mempool without a block
    /// (replaced or evicted).
    MempoolDropped {
        /// Its txid.
        txid: Txid,
    },
    /// An API call.
    Command {
        /// Its id, repeated in the reply.
        id: RequestId,
        /// What is asked.
        command: Command,
    },
    /// The chain answered a [`crate::Action::Broadcast`] that asked for a
    /// report.
    BroadcastResult {
        /// The transaction.
        txid: Txid,
        /// `Err` with the chain's reason when it refused it.
        result: Result<(), String>,
    },
    /// The chain refused one of our unconfirmed transactions for good (its
    /// inputs are spent by another): it leaves the wallet, and a channel it
    /// funded is forgotten.
    TransactionRejected {
        /// The transaction.
        txid: Txid,
        /// The chain's reason.
        reason: String,
    },
    /// The caller of a request went away (its connection closed): an open
    /// it started is abandoned if it has not committed to anything yet.
    CallDropped {
        /// The request.
        id: RequestId,
    },
    /// Time passed: timeouts are checked against the `now` of the call.
    Tick,
    /// The chain's fee estimate for a commitment to confirm in time: as
    /// funder we move our channels' fee rate when it drifts far from it.
    FeeEstimate {
        /// Sat per 1000 weight.
        feerate_per_kw: u32,
    },
}

/// An API call the manager answers.
#[derive(Debug, Clone)]
pub enum Command {
    /// `openchannel`: propose a channel to a connected peer; the reply
    /// comes once it is funded (the funding transaction handed to the chain)
    /// or failed.
    OpenChannel(OpenChannelCommand),
    /// `newaddress`: reveal the next address of a kind.
    NewAddress {
        /// p2wkh, np2wkh or p2tr.
        kind: AddressType,
    },
    /// `sendcoins`: pay `amount` (or everything) to `script`; the reply
    /// comes once the chain accepted (or refused) the transaction.
    SendCoins {
        /// Where to.
        script: ScriptBuf,
        /// How much; `None` sweeps the wallet.
        amount: Option<Amount>,
        /// Fee rate.
        feerate: FeeRate,
        /// Least confirmations of the coins spent (0: unconfirmed too).
        min_conf: u32,
    },
    /// `walletbalance`.
    WalletBalance,
    /// `listunspent`: unspent outputs with `min_conf..=max_conf`
    /// confirmations.
    ListUnspent {
        /// Least confirmations.
        min_conf: u32,
        /// Most confirmations.
        max_conf: u32,
    },
    /// `listchaintxns`: the wallet's transactions.
    Transactions,
    /// A snapshot of every channel.
    Channels,
    /// Where the manager's view of the chain ends, so the chain source knows
    /// which block to deliver next.
    SyncTip,
    /// The wallet's unconfirmed transactions, for the chain source to keep
    /// in the mempool.
    UnconfirmedTransactions,
    /// `addinvoice`.
    AddInvoice(AddInvoiceCommand),
    /// `lookupinvoice`: by payment hash.
    LookupInvoice {
        /// The payment hash.
        payment_hash: [u8; 32],
    },
    /// `listinvoices`.
    ListInvoices,
    /// `sendpayment` / `payinvoice`: the reply comes when the payment
    /// succeeded or failed.
    SendPayment(SendPaymentCommand),
    /// `listpayments`.
    ListPayments,
}

/// What `addinvoice` asks for.
#[derive(Debug, Clone, Default)]
pub struct AddInvoiceCommand {
    /// The amount (`None`: any amount).
    pub value_msat: Option<Msat>,
    /// The description (`d`).
    pub memo: String,
    /// A description hash (`h`) instead of the memo.
    pub description_hash: Option<[u8; 32]>,
    /// Seconds it stays payable (default one day).
    pub expiry: Option<u64>,
    /// `min_final_cltv_expiry_delta` (default 80).
    pub cltv_expiry: Option<u32>,
}

/// What `sendpayment` asks for: an invoice, or a keysend.
#[derive(Debug, Clone, Default)]
pub struct SendPaymentCommand {
    /// The BOLT 11 invoice.
    pub payment_request: Option<String>,
    /// The amount: for a zero-amount invoice, or a keysend.
    pub amount: Option<Msat>,
    /// The payee of a keysend.
    pub destination: Option<PublicKey>,
    /// Pay `destination` without an invoice (`--keysend`).
    pub keysend: bool,
    /// The keysend preimage, when the caller chose it (lnd's REST callers
    /// put it in `dest_custom_records`); drawn by the node otherwise.
    pub keysend_preimage: Option<[u8; 32]>,
}

/// What `openchannel` asks for.
#[derive(Debug, Clone)]
pub struct OpenChannelCommand {
    /// The peer.
    pub peer: PublicKey,
    /// Channel size.
    pub capacity: Sat,
    /// Given to the peer at open.
    pub push: Msat,
    /// Announce the channel (`--private` clears it).
    pub announce: bool,
    /// The funding transaction's fee rate.
    pub funding_feerate: FeeRate,
    /// The commitment fee rate, sat per 1000 weight.
    pub commitment_feerate_per_kw: u32,
}
