//! The persisted channel phases: what a restart reloads. The phases
//! themselves are `rayo-channel`'s types; this adds what the node keeps
//! around them (the funding transaction, confirmations, how it ended).

use bitcoin::secp256k1::PublicKey;
use bitcoin::{OutPoint, Transaction, Txid};
use rayo_channel::channel::{AwaitingFundingSigned, Funded};
use rayo_channel::commitment::Side;
use rayo_wire::amount::Sat;
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
    /// in whole satoshis.
    pub fn balances(&self) -> (Sat, Sat, Sat) {
        self.phase.setup.balances_after_fee()
    }
}
