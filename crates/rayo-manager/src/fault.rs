//! What a peer did wrong, typed with its consequence. The consequence, and
//! nothing else, decides what the peer hears (BOLT 1):
//!
//! * [`Consequence::Ignore`]: nothing (the message is dropped).
//! * [`Consequence::Warn`]: a `warning`, and the connection is closed; no
//!   channel is failed.
//! * [`Consequence::Fail`]: an `error` for the channel, which is failed
//!   (forgotten if nothing is at stake yet).

use rayo_channel::channel::ChannelError;
pub use rayo_channel::establish::Consequence;
use rayo_channel::normal::UpdateError;
use rayo_wire::ids::ChannelId;

/// Why a peer's message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultKind {
    /// The channel state machine refused it.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// A dance message broke BOLT 2.
    #[error(transparent)]
    Update(#[from] UpdateError),
    /// A channel message (types 32-255) for a channel we do not have with
    /// this peer. BOLT 1: reply with `error` naming the unknown id.
    #[error("{message} for unknown channel")]
    UnknownChannel {
        /// The message's name.
        message: &'static str,
    },
    /// A message the channel's phase does not expect (e.g. `channel_ready`
    /// before `funding_signed`).
    #[error("{message} is not expected now")]
    Unexpected {
        /// The message's name.
        message: &'static str,
    },
    /// `open_channel` reusing a temporary id of a pending open.
    #[error("temporary_channel_id already in use")]
    DuplicateTemporaryId,
    /// The peer already has as many unconfirmed inbound channels as we
    /// allow one peer, or all peers together have.
    #[error("too many pending channels ({limit} allowed {scope})")]
    TooManyPending {
        /// The limit reached.
        limit: usize,
        /// "per peer" or "in total".
        scope: &'static str,
    },
    /// `funding_created` naming the funding outpoint of a channel we have.
    #[error("funding_created names the funding of an existing channel")]
    FundingInUse,
    /// The funding output on chain is not the agreed 2-of-2 and amount.
    #[error("the funding output does not match the channel")]
    FundingMismatch,
    /// We could not fund the channel (our wallet's trouble, not the
    /// peer's; the channel is failed all the same).
    #[error("cannot fund the channel: {0}")]
    CannotFund(String),
    /// The open took longer than we wait.
    #[error("the channel open timed out")]
    Timeout,
    /// Whoever asked for the open went away before it completed.
    #[error("the channel open was cancelled")]
    CallerGone,
    /// The funding transaction's inputs were spent by another transaction.
    #[error("the funding transaction can never confirm (its inputs are spent)")]
    FundingDoubleSpent,
    /// The channel was failed earlier (its reason).
    #[error("the channel was failed: {0}")]
    ChannelFailed(String),
    /// We do not know the chain's tip yet, so we cannot time the funding.
    #[error("not synced to the chain yet; try again shortly")]
    NotSynced,
}

impl FaultKind {
    /// The BOLT 1 consequence.
    pub fn consequence(&self) -> Consequence {
        match self {
            FaultKind::Channel(e) => e.consequence(),
            FaultKind::Update(e) => e.consequence(),
            // BOLT 1: SHOULD send `error` with the unknown channel_id.
            FaultKind::UnknownChannel { .. } => Consequence::Fail,
            // Out of order but harmless: warn, keep the channel.
            FaultKind::Unexpected { .. } => Consequence::Warn,
            FaultKind::DuplicateTemporaryId
            | FaultKind::TooManyPending { .. }
            | FaultKind::FundingInUse
            | FaultKind::FundingMismatch
            | FaultKind::CannotFund(_)
            | FaultKind::Timeout
            | FaultKind::CallerGone
            | FaultKind::FundingDoubleSpent
            | FaultKind::ChannelFailed(_)
            | FaultKind::NotSynced => Consequence::Fail,
        }
    }
}

/// A fault about one channel (or all: [`ChannelId::ALL`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("channel {channel_id}: {kind}")]
pub struct PeerFault {
    /// The channel the peer's message named (temporary id before
    /// `funding_signed`).
    pub channel_id: ChannelId,
    /// What went wrong.
    pub kind: FaultKind,
}

impl PeerFault {
    /// A fault about `channel_id`.
    pub fn new(channel_id: ChannelId, kind: impl Into<FaultKind>) -> Self {
        Self {
            channel_id,
            kind: kind.into(),
        }
    }
}
