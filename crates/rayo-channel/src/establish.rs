//! BOLT 2 channel establishment (v1): our policy for channel parameters and
//! every check the spec requires of `open_channel` and `accept_channel`,
//! each failure typed with its consequence.
//!
//! The phases themselves (awaiting accept, awaiting funding, funded) build
//! on these checks.

use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::establish::{AcceptChannel, OpenChannel};
use rayo_wire::features::{Feature, Features};

/// Most HTLCs one side may offer (BOLT 2).
pub const MAX_ACCEPTED_HTLCS: u16 = 483;
/// Smallest dust limit a peer may ask for (BOLT 2, from BOLT 3's dust rules).
pub const MIN_DUST_LIMIT: Sat = Sat(354);
/// Channels of 2^24 sat or more need `option_support_large_channel`.
pub const LARGE_CHANNEL_THRESHOLD: Sat = Sat(1 << 24);

/// What a failed check means for the channel (DESIGN: a protocol error says
/// its consequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consequence {
    /// Drop the message, keep going.
    Ignore,
    /// Send `warning` and close the connection; the channel is not failed.
    Warn,
    /// Send `error` and forget the channel.
    Fail,
}

/// Why a proposed channel is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstablishError {
    /// The channel is for a chain we do not run on.
    #[error("channel is for an unknown chain")]
    UnknownChain,
    /// No `channel_type`, or not one we support.
    #[error("unsupported or missing channel_type: {0}")]
    ChannelType(String),
    /// `accept_channel`'s `channel_type` differs from ours.
    #[error("accept_channel's channel_type does not match open_channel's")]
    ChannelTypeMismatch,
    /// `push_msat` is more than the funding.
    #[error("push_msat {push} exceeds funding {funding}")]
    PushTooLarge {
        /// Pushed.
        push: Msat,
        /// Funded.
        funding: Sat,
    },
    /// Funding outside what we accept.
    #[error("funding {0} is outside what we accept ({1})")]
    FundingAmount(Sat, String),
    /// A large channel without `option_support_large_channel`.
    #[error("funding {0} needs option_support_large_channel")]
    LargeChannel(Sat),
    /// `to_self_delay` above our limit.
    #[error("to_self_delay {0} is larger than our limit {1}")]
    ToSelfDelay(u16, u16),
    /// `max_accepted_htlcs` above 483.
    #[error("max_accepted_htlcs {0} exceeds 483")]
    MaxAcceptedHtlcs(u16),
    /// Fee rate too low or too high.
    #[error("feerate_per_kw {0} is outside [{1}, {2}]")]
    Feerate(u32, u32, u32),
    /// `dust_limit_satoshis` below 354 or above our limit.
    #[error("dust_limit_satoshis {0} is outside [354, {1}]")]
    DustLimit(Sat, Sat),
    /// A channel reserve below a dust limit.
    #[error("channel_reserve_satoshis {reserve} is below dust_limit_satoshis {dust}")]
    ReserveBelowDust {
        /// The reserve.
        reserve: Sat,
        /// The dust limit it is below.
        dust: Sat,
    },
    /// A channel reserve larger than we accept.
    #[error("channel_reserve_satoshis {0} is more than we accept ({1})")]
    ReserveTooLarge(Sat, Sat),
    /// The opener cannot pay the first commitment's fee.
    #[error("the opener's {balance} cannot pay the commitment fee {fee}")]
    CannotPayFee {
        /// The opener's balance after the push.
        balance: Sat,
        /// The fee of the first commitment.
        fee: Sat,
    },
    /// Neither side's balance exceeds the reserve.
    #[error("neither side's initial balance exceeds the channel reserve")]
    BothBelowReserve,
    /// `minimum_depth` above our limit.
    #[error("minimum_depth {0} is more than we accept ({1})")]
    MinimumDepth(u32, u32),
    /// An `htlc_minimum_msat` that makes the channel useless.
    #[error("htlc_minimum_msat {0} is more than we accept")]
    HtlcMinimum(Msat),
    /// A `max_htlc_value_in_flight_msat` too small to be useful.
    #[error("max_htlc_value_in_flight_msat {0} is less than we accept")]
    MaxInFlight(Msat),
}

impl EstablishError {
    /// Every establishment refusal fails the channel (nothing is at stake
    /// yet, so there is nothing to keep).
    pub fn consequence(&self) -> Consequence {
        Consequence::Fail
    }
}

/// Our limits and defaults for channels, the values lnd and LDK users
/// would expect.
#[derive(Debug, Clone)]
pub struct ChannelPolicy {
    /// The chain we run on.
    pub chain_hash: ChainHash,
    /// Our dust limit.
    pub dust_limit: Sat,
    /// Smallest inbound channel we accept.
    pub min_funding: Sat,
    /// Whether we support channels of 2^24 sat or more.
    pub large_channels: bool,
    /// Largest `to_self_delay` we let a peer impose on us.
    pub max_to_self_delay: u16,
    /// The `to_self_delay` we ask of the peer.
    pub to_self_delay: u16,
    /// Confirmations we wait for (3 on regtest, as the tutorial).
    pub minimum_depth: u32,
    /// Most confirmations we are willing to wait for.
    pub max_minimum_depth: u32,
    /// Largest dust limit we accept from a peer.
    pub max_dust_limit: Sat,
    /// Largest reserve, as a share of capacity in percent.
    pub max_reserve_percent: u64,
    /// Largest `htlc_minimum_msat` we accept, as a share of capacity in
    /// percent.
    pub max_htlc_minimum_percent: u64,
    /// Accepted commitment fee rates, sat per 1000 weight.
    pub feerate_range: (u32, u32),
    /// Most value we let sit in trimmed HTLCs of either commitment (lost
    /// to miners on a force close); lnd's default, 500,000 sat.
    pub max_dust_htlc_exposure: Msat,
}

impl ChannelPolicy {
    /// Defaults for `chain_hash`: minimum depth 3 and delay 144 (lnd's),
    /// reserve at most 20%, fee rates 253..=100,000 sat/kw.
    pub fn new(chain_hash: ChainHash) -> Self {
        Self {
            chain_hash,
            dust_limit: MIN_DUST_LIMIT,
            min_funding: Sat(20_000),
            large_channels: true,
            max_to_self_delay: 2016,
            to_self_delay: 144,
            minimum_depth: 3,
            max_minimum_depth: 144,
            max_dust_limit: Sat(20_000),
            max_reserve_percent: 20,
            max_htlc_minimum_percent: 10,
            feerate_range: (253, 100_000),
            max_dust_htlc_exposure: Msat(500_000_000),
        }
    }

    /// The reserve we ask of a peer: 1% of capacity, never below either
    /// dust limit (BOLT 2 suggests 1%).
    pub fn reserve_for(&self, capacity: Sat, their_dust_limit: Sat) -> Sat {
        Sat((capacity.0 / 100)
            .max(self.dust_limit.0)
            .max(their_dust_limit.0))
    }
}

/// The only channel type Rayo opens and accepts today:
/// `option_static_remotekey`, required (anchors come later).
pub fn supported_channel_type() -> Features {
    let mut f = Features::empty();
    f.set_required(Feature::StaticRemoteKey);
    f
}

/// Weight of a commitment transaction without HTLC outputs (BOLT 3).
const COMMITMENT_WEIGHT: u64 = 724;

/// The fee of the first commitment (no HTLCs) at `feerate_per_kw`.
pub fn initial_commitment_fee(feerate_per_kw: u32) -> Sat {
    Sat(u64::from(feerate_per_kw) * COMMITMENT_WEIGHT / 1000)
}

/// Checks an inbound `open_channel` against BOLT 2 and our policy.
pub fn check_open_channel(
    open: &OpenChannel,
    policy: &ChannelPolicy,
    their_features: &Features,
) -> Result<(), EstablishError> {
    if open.chain_hash != policy.chain_hash {
        return Err(EstablishError::UnknownChain);
    }
    match &open.channel_type {
        None => return Err(EstablishError::ChannelType("missing".into())),
        Some(t) if *t != supported_channel_type() => {
            return Err(EstablishError::ChannelType(format!("{t:?}")));
        }
        Some(_) => {}
    }
    let funding_msat = open
        .funding_satoshis
        .to_msat()
        .ok_or(EstablishError::FundingAmount(
            open.funding_satoshis,
            "overflow".into(),
        ))?;
    if open.push_msat > funding_msat {
        return Err(EstablishError::PushTooLarge {
            push: open.push_msat,
            funding: open.funding_satoshis,
        });
    }
    if open.funding_satoshis < policy.min_funding || !open.funding_satoshis.is_valid_money() {
        return Err(EstablishError::FundingAmount(
            open.funding_satoshis,
            format!("at least {}", policy.min_funding),
        ));
    }
    let large_ok = policy.large_channels && their_features.supports(Feature::LargeChannel);
    if open.funding_satoshis >= LARGE_CHANNEL_THRESHOLD && !large_ok {
        return Err(EstablishError::LargeChannel(open.funding_satoshis));
    }
    if open.to_self_delay > policy.max_to_self_delay {
        return Err(EstablishError::ToSelfDelay(
            open.to_self_delay,
            policy.max_to_self_delay,
        ));
    }
    if open.max_accepted_htlcs > MAX_ACCEPTED_HTLCS {
        return Err(EstablishError::MaxAcceptedHtlcs(open.max_accepted_htlcs));
    }
    let (low, high) = policy.feerate_range;
    if !(low..=high).contains(&open.feerate_per_kw) {
        return Err(EstablishError::Feerate(open.feerate_per_kw, low, high));
    }
    check_dust_limit(open.dust_limit_satoshis, policy)?;
    if open.channel_reserve_satoshis < open.dust_limit_satoshis {
        return Err(EstablishError::ReserveBelowDust {
            reserve: open.channel_reserve_satoshis,
            dust: open.dust_limit_satoshis,
        });
    }
    check_reserve(open.channel_reserve_satoshis, open.funding_satoshis, policy)?;
    check_htlc_limits(
        open.htlc_minimum_msat,
        open.max_htlc_value_in_flight_msat,
        open.funding_satoshis,
        policy,
    )?;

    // The first commitment: the opener pays the fee from what it keeps.
    let opener = (funding_msat.0 - open.push_msat.0) / 1000;
    let fee = initial_commitment_fee(open.feerate_per_kw);
    let opener_after_fee = opener
        .checked_sub(fee.0)
        .ok_or(EstablishError::CannotPayFee {
            balance: Sat(opener),
            fee,
        })?;
    let acceptor = open.push_msat.0 / 1000;
    let reserve = open.channel_reserve_satoshis.0;
    if opener_after_fee <= reserve && acceptor <= reserve {
        return Err(EstablishError::BothBelowReserve);
    }
    Ok(())
}

fn check_dust_limit(dust: Sat, policy: &ChannelPolicy) -> Result<(), EstablishError> {
    if dust < MIN_DUST_LIMIT || dust > policy.max_dust_limit {
        return Err(EstablishError::DustLimit(dust, policy.max_dust_limit));
    }
    Ok(())
}

fn check_reserve(
    reserve: Sat,
    capacity: Sat,
    policy: &ChannelPolicy,
) -> Result<(), EstablishError> {
    let max = Sat(capacity.0.saturating_mul(policy.max_reserve_percent) / 100);
    if reserve > max {
        return Err(EstablishError::ReserveTooLarge(reserve, max));
    }
    Ok(())
}

fn check_htlc_limits(
    htlc_minimum: Msat,
    max_in_flight: Msat,
    capacity: Sat,
    policy: &ChannelPolicy,
) -> Result<(), EstablishError> {
    let capacity_msat = capacity.0.saturating_mul(1000);
    if htlc_minimum.0 > capacity_msat.saturating_mul(policy.max_htlc_minimum_percent) / 100 {
        return Err(EstablishError::HtlcMinimum(htlc_minimum));
    }
    // Less than 1% of the channel in flight makes it useless for payments.
    if max_in_flight.0 < capacity_msat / 100 {
        return Err(EstablishError::MaxInFlight(max_in_flight));
    }
    Ok(())
}

/// Checks the `accept_channel` answering our `open`.
pub fn check_accept_channel(
    accept: &AcceptChannel,
    open: &OpenChannel,
    policy: &ChannelPolicy,
) -> Result<(), EstablishError> {
    match &accept.channel_type {
        None => return Err(EstablishError::ChannelType("missing".into())),
        Some(t) if Some(t) != open.channel_type.as_ref() => {
            return Err(EstablishError::ChannelTypeMismatch)
        }
        Some(_) => {}
    }
    if accept.minimum_depth > policy.max_minimum_depth {
        return Err(EstablishError::MinimumDepth(
            accept.minimum_depth,
            policy.max_minimum_depth,
        ));
    }
    if accept.to_self_delay > policy.max_to_self_delay {
        return Err(EstablishError::ToSelfDelay(
            accept.to_self_delay,
            policy.max_to_self_delay,
        ));
    }
    if accept.max_accepted_htlcs > MAX_ACCEPTED_HTLCS {
        return Err(EstablishError::MaxAcceptedHtlcs(accept.max_accepted_htlcs));
    }
    check_dust_limit(accept.dust_limit_satoshis, policy)?;
    // Each side's reserve must be above both dust limits.
    if accept.channel_reserve_satoshis < open.dust_limit_satoshis {
        return Err(EstablishError::ReserveBelowDust {
            reserve: accept.channel_reserve_satoshis,
            dust: open.dust_limit_satoshis,
        });
    }
    if open.channel_reserve_satoshis < accept.dust_limit_satoshis {
        return Err(EstablishError::ReserveBelowDust {
            reserve: open.channel_reserve_satoshis,
            dust: accept.dust_limit_satoshis,
        });
    }
    check_reserve(
        accept.channel_reserve_satoshis,
        open.funding_satoshis,
        policy,
    )?;
    check_htlc_limits(
        accept.htlc_minimum_msat,
        accept.max_htlc_value_in_flight_msat,
        open.funding_satoshis,
        policy,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;
