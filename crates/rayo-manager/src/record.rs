//! The persisted channel phases: what a restart reloads. The phases
//! themselves are `rayo-channel`'s types; this adds what the node keeps
//! around them (the funding transaction, confirmations, how it ended).

use bitcoin::secp256k1::PublicKey;
use bitcoin::{OutPoint, Transaction, Txid};
use rayo_channel::channel::{AwaitingFundingSigned, Funded};
use rayo_channel::commitment::Side;
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::ids::ChannelId;
use serde::{Deserialize, Serialize};

/// A channel as stored: with whom, its key index under the node seed, and
/// its phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelRecord {
    /// The peer.
    pub peer: PublicKey,
    /// Index of its keys under the node seed.
    pub key_index: u32,
    /// Where it is in its life.
    pub phase: ChannelPhase,
}

/// The stored phases of a channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ChannelPhase {
    /// Opener: `funding_created` sent; the funding transaction is signed,
    /// its coins locked, and it must not be broadcast before
    /// `funding_signed`. Forgotten at restart (nothing was broadcast).
    AwaitingFundingSigned {
        /// The phase.
        phase: AwaitingFundingSigned,
        /// The signed funding transaction.
        funding_tx: Transaction,
    },
    /// Both first commitments are signed.
    Funded(FundedChannel),
    /// A transaction spending the funding output is in a block. (BOLT 5
    /// resolution of its outputs comes with closing.)
    ClosedOnChain {
        /// The channel as it was.
        channel: FundedChannel,
        /// The transaction that spent the funding output.
        spending_txid: Txid,
        /// The block height it confirmed at.
        height: u32,
    },
}

/// Where the funding transaction confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// Block height.
    pub height: u32,
    /// Position in the block.
    pub tx_index: u32,
}

/// A funded channel and what the node tracks around it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FundedChannel {
    /// The channel state machine.
    pub phase: Funded,
    /// The funding transaction when we built it: rebroadcast until it
    /// confirms.
    pub funding_tx: Option<Transaction>,
    /// The chain height when both commitments were signed: a fundee
    /// forgets a channel whose funding has not confirmed 2016 blocks later
    /// (BOLT 2).
    #[serde(default)]
    pub funded_at_height: u32,
    /// Where the funding transaction confirmed, once it did.
    #[serde(default)]
    pub confirmation: Option<Confirmation>,
    /// Set once either side failed the channel with `error`: it is no
    /// longer used (its unilateral close comes with closing).
    #[serde(default)]
    pub failure: Option<Failure>,
}

/// Who failed a channel, and why (the `error` text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `Local`: we sent `error`; `Remote`: the peer did.
    pub by: Side,
    /// The `error` message's text.
    pub reason: String,
}

impl ChannelRecord {
    /// The channel id (the funding-derived one: stored channels are past
    /// `funding_created`).
    pub fn channel_id(&self) -> ChannelId {
        match &self.phase {
            ChannelPhase::AwaitingFundingSigned { phase, .. } => phase.channel_id(),
            ChannelPhase::Funded(c) | ChannelPhase::ClosedOnChain { channel: c, .. } => {
                c.phase.channel_id
            }
        }
    }

    /// The funded channel, open or closed, if past `funding_signed`.
    pub fn funded(&self) -> Option<&FundedChannel> {
        match &self.phase {
            ChannelPhase::AwaitingFundingSigned { .. } => None,
            ChannelPhase::Funded(c) | ChannelPhase::ClosedOnChain { channel: c, .. } => Some(c),
        }
    }
}

impl FundedChannel {
    /// The funding outpoint.
    pub fn funding(&self) -> OutPoint {
        self.phase.funding
    }

    /// True if we opened (and funded) it.
    pub fn is_ours(&self) -> bool {
        self.phase.setup.opener == Side::Local
    }

    /// Both sides sent `channel_ready` and nobody failed it: payments may
    /// flow.
    pub fn is_usable(&self) -> bool {
        self.phase.is_usable() && self.failure.is_none()
    }

    /// lnd's `chan_status_flags`: `ChanStatusDefault`, or once failed
    /// `ChanStatusBorked` with who initiated it.
    pub fn status_flags(&self) -> &'static str {
        match self.failure.as_ref().map(|f| f.by) {
            None => "ChanStatusDefault",
            Some(Side::Local) => "ChanStatusBorked|ChanStatusLocalCloseInitiator",
            Some(Side::Remote) => "ChanStatusBorked|ChanStatusRemoteCloseInitiator",
        }
    }

    /// Our balance, the peer's and the commitment fee (paid by the opener),
    /// in whole satoshis, from our current commitment (HTLCs in flight are
    /// in neither balance).
    pub fn balances(&self) -> (Sat, Sat, Sat) {
        let b = self.phase.balances();
        (b.local.to_sat_floor(), b.remote.to_sat_floor(), b.fee)
    }
}

/// Where an invoice is in its life (lnd's `InvoiceState`; an open invoice
/// past its expiry is shown as canceled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InvoiceState {
    /// Waiting to be paid.
    Open,
    /// Paid: its preimage was revealed.
    Settled,
    /// Will never be paid.
    Canceled,
}

/// An invoice we issued (or a keysend we received), as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceRecord {
    /// SHA256 of the preimage: the key.
    pub payment_hash: [u8; 32],
    /// The preimage, revealed when paid.
    pub preimage: [u8; 32],
    /// The `payment_secret` the payer must echo (all zero for keysend).
    pub payment_secret: [u8; 32],
    /// The amount asked for (`None`: any amount).
    pub value_msat: Option<Msat>,
    /// The description.
    pub memo: String,
    /// The BOLT 11 string (empty for keysend).
    pub payment_request: String,
    /// Seconds since the epoch when issued.
    pub created_at: u64,
    /// Seconds it stays payable.
    pub expiry: u64,
    /// `min_final_cltv_expiry_delta` asked of the payer.
    pub cltv_expiry: u32,
    /// Issue order, from 1 (lnd's `add_index`).
    pub add_index: u64,
    /// Its state.
    pub state: InvoiceState,
    /// Settle order, from 1, once settled (lnd's `settle_index`).
    pub settle_index: u64,
    /// Seconds since the epoch when settled.
    pub settled_at: Option<u64>,
    /// What was received.
    pub amt_paid_msat: Msat,
    /// Received by keysend (spontaneous, no invoice was issued).
    pub is_keysend: bool,
}

impl InvoiceRecord {
    /// The state as shown at `now`: open past its expiry reads canceled.
    pub fn state_at(&self, now: u64) -> InvoiceState {
        match self.state {
            InvoiceState::Open if now >= self.created_at.saturating_add(self.expiry) => {
                InvoiceState::Canceled
            }
            state => state,
        }
    }
}

/// Where an outgoing payment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentState {
    /// Its HTLC is out.
    InFlight,
    /// The payee revealed the preimage.
    Succeeded,
    /// It failed for good.
    Failed,
}

/// An outgoing payment, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    /// The payment hash: the key.
    pub payment_hash: [u8; 32],
    /// Creation order, from 1 (lnd's `payment_index`).
    pub index: u64,
    /// What the payee receives.
    pub value_msat: Msat,
    /// Routing fees paid (0 over a direct channel).
    pub fee_msat: Msat,
    /// The payee.
    pub destination: PublicKey,
    /// The invoice paid, if any (empty for keysend).
    pub payment_request: String,
    /// Seconds since the epoch when started.
    pub created_at: u64,
    /// Its state.
    pub state: PaymentState,
    /// The preimage, once it succeeded.
    pub preimage: Option<[u8; 32]>,
    /// Why it failed (lnd's `failure_reason`, and the detail).
    pub failure: Option<String>,
    /// The channel and HTLC id carrying it.
    pub htlc: Option<(ChannelId, u64)>,
    /// The HTLC's `cltv_expiry`.
    pub cltv_expiry: u32,
    /// The onion's shared secrets, one per hop: decrypt a failure.
    pub shared_secrets: Vec<[u8; 32]>,
}
