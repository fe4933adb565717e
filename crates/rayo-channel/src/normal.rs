//! BOLT 2 normal operation: the commitment dance on a funded channel.
//!
//! Each side holds its own commitment. An update (`update_add_htlc`,
//! `update_fulfill_htlc`, `update_fail_htlc`, `update_fail_malformed_htlc`,
//! `update_fee`) is proposed by one side, then enters the other side's
//! commitment when the proposer sends `commitment_signed`, and the
//! proposer's own once the other revokes its previous commitment and signs
//! back. So each side's updates move through three lists:
//!
//! ```text
//! ours:   proposed ──we sign──▶ signed ──they revoke──▶ acked ──they sign, we revoke──▶ (in both)
//! theirs: proposed ──they sign, we revoke──▶ acked ──we sign──▶ signed ──they revoke──▶ (in both)
//! ```
//!
//! Our next commitment is [`reduce`] of our current one with our acked
//! updates and their proposed ones; theirs is [`reduce`] of theirs with our
//! proposed and their acked. An HTLC the peer offered is irrevocably
//! committed (and may be settled) when it leaves their `signed` list.
//!
//! Every method here changes the channel in memory only; the caller
//! persists the channel before it sends what a method returns (DESIGN:
//! persist before you speak), so a `commitment_signed` or `revoke_and_ack`
//! is never out before the state it commits to is on disk.

use bitcoin::secp256k1::ecdsa::Signature;
use bitcoin::secp256k1::{PublicKey, Secp256k1, Signing, Verification};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::establish::ChannelReestablish;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::update::{
    CommitmentSigned, RevokeAndAck, UpdateAddHtlc, UpdateFailHtlc, UpdateFailMalformedHtlc,
    UpdateFee, UpdateFulfillHtlc, ONION_PACKET_LEN,
};

use crate::channel::{ChannelError, ChannelSetup, Funded};
use crate::commitment::{CommitmentFormat, CommitmentTx, Side};
pub use crate::commitments::{
    Commitments, LastSent, LocalChanges, LocalCommit, RemoteChanges, RemoteCommit, RemoteNext,
    RevokedCommitment,
};
use crate::establish::{ChannelPolicy, Consequence};
use crate::keys::{
    commitment_index, derive_private_key, derive_public_key, per_commitment_point, ChannelKeys,
};
use crate::spec::{
    preimage_matches, reduce, AddHtlc, CommitmentSpec, ReduceError, SpecHtlc, Update,
};

/// BOLT 2: `cltv_expiry` at or above this would be a time, not a height.
pub const MAX_CLTV_EXPIRY: u32 = 500_000_000;

/// The BADONION bit every `update_fail_malformed_htlc` code carries.
pub const BADONION: u16 = 0x8000;

/// An HTLC we are about to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingHtlc {
    /// The amount.
    pub amount: Msat,
    /// SHA256 of the preimage.
    pub payment_hash: [u8; 32],
    /// The expiry height.
    pub cltv_expiry: u32,
    /// The onion for the next hop.
    pub onion: Box<[u8; ONION_PACKET_LEN]>,
}

/// Why we cannot offer an HTLC now. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddHtlcError {
    /// The channel is not ready for payments.
    #[error("the channel is not usable")]
    NotUsable,
    /// BOLT 2: amounts are greater than 0 and at least the peer's minimum.
    #[error("amount {amount} msat is below the peer's htlc_minimum_msat {minimum}")]
    BelowMinimum {
        /// The amount offered.
        amount: Msat,
        /// The peer's minimum.
        minimum: Msat,
    },
    /// The expiry must be a height.
    #[error("cltv_expiry {0} is not a block height")]
    CltvNotAHeight(u32),
    /// The peer accepts no more HTLCs from us.
    #[error("the peer accepts at most {0} HTLCs in flight")]
    TooManyHtlcs(u16),
    /// The peer's `max_htlc_value_in_flight_msat` would be passed.
    #[error("at most {max} msat may be in flight to the peer, {in_flight} msat already are")]
    InFlightExceeded {
        /// The peer's limit.
        max: Msat,
        /// Already in flight.
        in_flight: Msat,
    },
    /// Our balance cannot pay it and keep the reserve (and, as funder, the
    /// commitment fee with a fee-spike buffer).
    #[error("insufficient balance: {available} msat can be sent now")]
    InsufficientBalance {
        /// What can be sent.
        available: Msat,
    },
    /// The funder (the peer) could not pay the commitment fee with one
    /// more HTLC while keeping its reserve.
    #[error("the peer could not pay the commitment fee with another HTLC")]
    FunderCannotAffordFee,
    /// Too much value would sit in trimmed HTLCs (lost to fees on chain).
    #[error("dust exposure would reach {exposure} msat, over our limit {limit}")]
    DustExposure {
        /// The exposure with this HTLC.
        exposure: Msat,
        /// Our limit.
        limit: Msat,
    },
}

/// Why we cannot settle or fail an HTLC the peer offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettleError {
    /// It is not in both commitments (or is already being removed).
    #[error("no irrevocably committed HTLC {0} from the peer")]
    NotCommitted(u64),
    /// The preimage does not match its payment hash.
    #[error("the preimage does not match HTLC {0}")]
    WrongPreimage(u64),
}

/// Why we cannot change the commitment fee rate now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeUpdateError {
    /// Only the funder sends `update_fee`.
    #[error("only the channel's funder sets the fee")]
    NotFunder,
    /// The channel is not ready.
    #[error("the channel is not usable")]
    NotUsable,
    /// Our balance could not pay it and keep the reserve.
    #[error("we could not pay a commitment fee at {0} sat/kw")]
    Unaffordable(u32),
}

/// A peer's dance message that breaks BOLT 2. Each says its consequence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
    /// About another channel.
    #[error("message for channel {0}, not this one")]
    WrongChannel(ChannelId),
    /// An update before `channel_ready` or before `channel_reestablish`.
    #[error("update before the channel is ready on this connection")]
    NotReady,
    /// An HTLC of 0 or under our minimum.
    #[error("HTLC of {amount} msat is under our minimum {minimum}")]
    BelowMinimum {
        /// The amount.
        amount: Msat,
        /// Our `htlc_minimum_msat`.
        minimum: Msat,
    },
    /// `cltv_expiry` of 500,000,000 or more.
    #[error("cltv_expiry {0} is not a block height")]
    CltvNotAHeight(u32),
    /// An HTLC id out of sequence.
    #[error("HTLC id {got}, expected {expected}")]
    UnexpectedHtlcId {
        /// The next id.
        expected: u64,
        /// The id received.
        got: u64,
    },
    /// Over our `max_accepted_htlcs`.
    #[error("more than our max_accepted_htlcs {0}")]
    TooManyHtlcs(u16),
    /// Over our `max_htlc_value_in_flight_msat`.
    #[error("more than our max_htlc_value_in_flight_msat {0}")]
    InFlightExceeded(Msat),
    /// The sender cannot pay the HTLC (with its reserve and, as funder, the
    /// commitment fee).
    #[error("the peer cannot afford this update with its reserve and the commitment fee")]
    CannotAfford,
    /// A removal names no HTLC of ours in both commitments.
    #[error("no committed HTLC {0} of ours to remove")]
    UnknownHtlc(u64),
    /// The preimage does not hash to the HTLC's payment hash.
    #[error("the preimage for HTLC {0} is wrong")]
    WrongPreimage(u64),
    /// `update_fail_malformed_htlc` without the BADONION bit.
    #[error("update_fail_malformed_htlc code {0:#06x} lacks the BADONION bit")]
    MalformedWithoutBadOnion(u16),
    /// `update_fee` from the side that does not pay the fee.
    #[error("update_fee from the fundee")]
    FeeFromFundee,
    /// `update_fee` outside our bounds.
    #[error("update_fee {got} sat/kw outside our bounds {min}..={max}")]
    FeeOutOfBounds {
        /// The rate sent.
        got: u32,
        /// Our lowest.
        min: u32,
        /// Our highest.
        max: u32,
    },
    /// The commitment signature does not verify.
    #[error("invalid commitment signature")]
    BadCommitmentSignature,
    /// An HTLC signature does not verify.
    #[error("invalid signature for HTLC output {0}")]
    BadHtlcSignature(usize),
    /// Not one HTLC signature per HTLC output.
    #[error("{got} HTLC signatures for {expected} HTLC outputs")]
    HtlcSignatureCount {
        /// HTLC outputs in our new commitment.
        expected: usize,
        /// Signatures received.
        got: usize,
    },
    /// `revoke_and_ack` while we wait for none.
    #[error("unexpected revoke_and_ack")]
    UnexpectedRevocation,
    /// The revealed secret is not the one of the commitment it revokes, or
    /// does not come from the peer's seed.
    #[error("wrong per-commitment secret for commitment {0}")]
    BadRevocationSecret(u64),
    /// Our own bookkeeping does not add up: never expected.
    #[error(transparent)]
    Inconsistent(#[from] ReduceError),
    /// The commitment cannot be built.
    #[error(transparent)]
    Channel(#[from] ChannelError),
}

impl UpdateError {
    /// What a peer hears. Limits and signatures get a `warning` and a
    /// disconnection (BOLT 2 allows it for each): the peer's uncommitted
    /// updates are then reversed, so nothing is lost and the channel lives.
    /// A wrong revocation secret fails the channel, as BOLT 2 requires, and
    /// so does an `update_fee` from the fundee (a broken peer).
    pub fn consequence(&self) -> Consequence {
        match self {
            UpdateError::WrongChannel(_) => Consequence::Ignore,
            UpdateError::BadRevocationSecret(_)
            | UpdateError::FeeFromFundee
            | UpdateError::Inconsistent(_)
            | UpdateError::Channel(_) => Consequence::Fail,
            _ => Consequence::Warn,
        }
    }
}

/// What a `revoke_and_ack` completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// The commitment just revoked, for the append-only penalty store.
    pub commitment: RevokedCommitment,
    /// HTLCs the peer offered that are now irrevocably committed: to be
    /// peeled and settled or failed.
    pub incoming: Vec<AddHtlc>,
    /// Our HTLCs the peer failed, now removed from both commitments.
    pub failed: Vec<FailedHtlc>,
}

/// One of our HTLCs, failed by the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedHtlc {
    /// The HTLC.
    pub htlc: SpecHtlc,
    /// How the peer failed it.
    pub reason: FailReason,
}

/// The peer's reason for failing one of our HTLCs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    /// An encrypted failure packet for the origin to decrypt.
    Packet(Vec<u8>),
    /// The next hop could not parse our onion.
    Malformed {
        /// SHA256 of the onion.
        sha256_of_onion: [u8; 32],
        /// The BADONION failure code.
        failure_code: u16,
    },
}

/// Balances as a wallet shows them, from our current commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    /// Ours, net of the commitment fee if we are the funder.
    pub local: Msat,
    /// The peer's, net of the fee if it is the funder.
    pub remote: Msat,
    /// The commitment fee.
    pub fee: Sat,
    /// Value in HTLCs we offered.
    pub outgoing_htlcs: Msat,
    /// Value in HTLCs the peer offered.
    pub incoming_htlcs: Msat,
    /// The commitment's fee rate, sat per 1000 weight (an `update_fee`
    /// changes it).
    pub feerate_per_kw: u32,
    /// The weight its fee is computed from: the base and every untrimmed
    /// HTLC output (BOLT 3).
    pub weight: u64,
}

/// The commitment fee `holder` pays with `spec` at `feerate_per_kw`.
fn commitment_fee(setup: &ChannelSetup, holder: Side, spec: &CommitmentSpec, feerate: u32) -> Msat {
    let format = CommitmentFormat::StaticRemoteKey;
    let dust = setup.dust_limit_of(holder);
    let untrimmed = spec
        .htlcs
        .iter()
        .filter(|h| !h.for_holder(holder).is_trimmed(format, feerate, dust))
        .count();
    Msat(format.commitment_fee(feerate, untrimmed).0 * 1000)
}

/// Value in HTLCs trimmed from `holder`'s commitment: lost to miners if it
/// goes on chain.
fn dust_exposure(setup: &ChannelSetup, holder: Side, spec: &CommitmentSpec) -> Msat {
    let format = CommitmentFormat::StaticRemoteKey;
    let dust = setup.dust_limit_of(holder);
    Msat(
        spec.htlcs
            .iter()
            .filter(|h| {
                h.for_holder(holder)
                    .is_trimmed(format, spec.feerate_per_kw, dust)
            })
            .map(|h| h.amount.0)
            .sum(),
    )
}

/// What `side` can still spend in `spec` (held by `holder`): its balance
/// minus its reserve and, when it is the funder, the fee at `fee_feerate`
/// with `extra_htlcs` more untrimmed outputs.
fn spendable(
    setup: &ChannelSetup,
    holder: Side,
    spec: &CommitmentSpec,
    side: Side,
    fee_feerate: u32,
    extra_htlcs: usize,
) -> i128 {
    let mut need = i128::from(setup.reserve_of(side).0) * 1000;
    if setup.opener == side {
        let fee = commitment_fee(setup, holder, spec, fee_feerate).0
            + CommitmentFormat::StaticRemoteKey.htlc_output_weight()
                * extra_htlcs as u64
                * u64::from(fee_feerate);
        need += i128::from(fee);
    }
    i128::from(spec.balance(side).0) - need
}

impl Funded {
    /// Offers an HTLC: checks BOLT 2's sender rules and our policy, then
    /// queues the `update_add_htlc`. Returns the HTLC id and the message
    /// to send now (none while the link is down: it goes at reestablish).
    pub fn add_htlc(
        &mut self,
        policy: &ChannelPolicy,
        offer: &OutgoingHtlc,
    ) -> Result<(u64, Option<Message>), AddHtlcError> {
        if !self.is_usable() {
            return Err(AddHtlcError::NotUsable);
        }
        let setup = &self.setup;
        let minimum = Msat(setup.remote.htlc_minimum.0.max(1));
        if offer.amount < minimum {
            return Err(AddHtlcError::BelowMinimum {
                amount: offer.amount,
                minimum,
            });
        }
        if offer.cltv_expiry >= MAX_CLTV_EXPIRY {
            return Err(AddHtlcError::CltvNotAHeight(offer.cltv_expiry));
        }
        let id = self.commitments.next_local_htlc_id;
        let update = Update::Add(AddHtlc {
            id,
            amount: offer.amount,
            payment_hash: offer.payment_hash,
            cltv_expiry: offer.cltv_expiry,
            onion: offer.onion.to_vec(),
            path_key: None,
        });
        let before = self
            .commitments
            .next_remote_spec(None)
            .map_err(|_| AddHtlcError::NotUsable)?;
        let Ok(next) = self.commitments.next_remote_spec(Some(&update)) else {
            return Err(AddHtlcError::InsufficientBalance {
                available: self.sendable(),
            });
        };
        let ours = next.offered_by(Side::Local).count();
        if ours > usize::from(setup.remote.max_accepted_htlcs) {
            return Err(AddHtlcError::TooManyHtlcs(setup.remote.max_accepted_htlcs));
        }
        let in_flight: u64 = before.offered_by(Side::Local).map(|h| h.amount.0).sum();
        if in_flight + offer.amount.0 > setup.remote.max_htlc_value_in_flight.0 {
            return Err(AddHtlcError::InFlightExceeded {
                max: setup.remote.max_htlc_value_in_flight,
                in_flight: Msat(in_flight),
            });
        }
        // As funder keep a fee-spike buffer: twice the rate, one more HTLC.
        let fee_rate = match setup.opener {
            Side::Local => next.feerate_per_kw.saturating_mul(2),
            Side::Remote => next.feerate_per_kw,
        };
        let extra = usize::from(setup.opener == Side::Local);
        if spendable(setup, Side::Remote, &next, Side::Local, fee_rate, extra) < 0 {
            return Err(AddHtlcError::InsufficientBalance {
                available: self.sendable(),
            });
        }
        if setup.opener == Side::Remote
            && spendable(
                setup,
                Side::Remote,
                &next,
                Side::Remote,
                next.feerate_per_kw,
                0,
            ) < 0
        {
            return Err(AddHtlcError::FunderCannotAffordFee);
        }
        let limit = policy.max_dust_htlc_exposure;
        for holder in [Side::Local, Side::Remote] {
            let exposure = dust_exposure(setup, holder, &next);
            if exposure > limit && exposure > dust_exposure(setup, holder, &before) {
                return Err(AddHtlcError::DustExposure { exposure, limit });
            }
        }
        self.commitments.next_local_htlc_id += 1;
        let message = self.queue(update);
        Ok((id, message))
    }

    /// What we could offer in one more HTLC now: our balance in the peer's
    /// next commitment, minus the reserve and (as funder) the fee with a
    /// fee-spike buffer, within the peer's in-flight limit.
    pub fn sendable(&self) -> Msat {
        let Ok(next) = self.commitments.next_remote_spec(None) else {
            return Msat(0);
        };
        let setup = &self.setup;
        // As funder: the new HTLC's output and the buffer's, at twice the
        // rate (what `add_htlc` checks for an untrimmed HTLC).
        let (rate, extra) = match setup.opener {
            Side::Local => (next.feerate_per_kw.saturating_mul(2), 2),
            Side::Remote => (next.feerate_per_kw, 0),
        };
        let by_balance = spendable(setup, Side::Remote, &next, Side::Local, rate, extra).max(0);
        let in_flight: u64 = next.offered_by(Side::Local).map(|h| h.amount.0).sum();
        let by_limit = setup
            .remote
            .max_htlc_value_in_flight
            .0
            .saturating_sub(in_flight);
        Msat((by_balance as u64).min(by_limit))
    }

    /// Claims the peer's HTLC `id` with its preimage.
    pub fn fulfill_htlc(
        &mut self,
        id: u64,
        preimage: [u8; 32],
    ) -> Result<Option<Message>, SettleError> {
        let htlc = self
            .commitments
            .committed_incoming(id)
            .ok_or(SettleError::NotCommitted(id))?;
        if !preimage_matches(&preimage, &htlc.payment_hash) {
            return Err(SettleError::WrongPreimage(id));
        }
        Ok(self.queue(Update::Fulfill { id, preimage }))
    }

    /// Fails the peer's HTLC `id` with an encrypted failure packet.
    pub fn fail_htlc(&mut self, id: u64, reason: Vec<u8>) -> Result<Option<Message>, SettleError> {
        self.commitments
            .committed_incoming(id)
            .ok_or(SettleError::NotCommitted(id))?;
        Ok(self.queue(Update::Fail { id, reason }))
    }

    /// Fails the peer's HTLC `id` whose onion we could not parse.
    pub fn fail_malformed_htlc(
        &mut self,
        id: u64,
        sha256_of_onion: [u8; 32],
        failure_code: u16,
    ) -> Result<Option<Message>, SettleError> {
        self.commitments
            .committed_incoming(id)
            .ok_or(SettleError::NotCommitted(id))?;
        Ok(self.queue(Update::FailMalformed {
            id,
            sha256_of_onion,
            failure_code: failure_code | BADONION,
        }))
    }

    /// As funder, sets a new commitment fee rate (`update_fee`).
    pub fn update_fee(&mut self, feerate_per_kw: u32) -> Result<Option<Message>, FeeUpdateError> {
        if self.setup.opener != Side::Local {
            return Err(FeeUpdateError::NotFunder);
        }
        if !self.is_usable() {
            return Err(FeeUpdateError::NotUsable);
        }
        let update = Update::Fee { feerate_per_kw };
        let next = self
            .commitments
            .next_remote_spec(Some(&update))
            .map_err(|_| FeeUpdateError::NotUsable)?;
        if spendable(
            &self.setup,
            Side::Remote,
            &next,
            Side::Local,
            feerate_per_kw,
            0,
        ) < 0
        {
            return Err(FeeUpdateError::Unaffordable(feerate_per_kw));
        }
        // A newer rate replaces one not yet signed.
        self.commitments
            .local_changes
            .proposed
            .retain(|u| !matches!(u, Update::Fee { .. }));
        Ok(self.queue(update))
    }

    /// The fee rate the next commitments will carry (a proposed
    /// `update_fee` included).
    pub fn pending_feerate(&self) -> u32 {
        self.commitments
            .next_remote_spec(None)
            .map(|s| s.feerate_per_kw)
            .unwrap_or(self.commitments.local.spec.feerate_per_kw)
    }

    fn queue(&mut self, update: Update) -> Option<Message> {
        let message = self
            .commitments
            .link_ready
            .then(|| update.to_message(self.channel_id));
        self.commitments.local_changes.proposed.push(update);
        message
    }

    /// Signs the peer's next commitment when there is something to sign
    /// and no revocation is pending: returns the `commitment_signed`.
    pub fn sign<C: Signing + Verification>(
        &mut self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
    ) -> Result<Option<CommitmentSigned>, ChannelError> {
        let c = &self.commitments;
        let RemoteNext::Point(point) = c.remote_next else {
            return Ok(None);
        };
        if !c.link_ready || !c.has_changes_to_sign() {
            return Ok(None);
        }
        let spec = reduce(
            &c.remote.spec,
            &c.local_changes.proposed,
            &c.remote_changes.acked,
        )
        .map_err(|e| ChannelError::Reestablish(e.to_string()))?;
        let number = c.remote.number + 1;
        let tx = self
            .setup
            .commitment(secp, self.funding, Side::Remote, number, &point, &spec)?;
        let signature = tx.sign(secp, &keys.funding_key);
        let htlc_key = derive_private_key(secp, &keys.htlc_basepoint_secret, &point)?;
        let htlc_signatures: Vec<Signature> = tx
            .htlc_txs()
            .iter()
            .map(|htlc| htlc.sign(secp, &htlc_key))
            .collect();
        let c = &mut self.commitments;
        c.remote_next = RemoteNext::AwaitingRevocation {
            next: RemoteCommit {
                number,
                spec,
                txid: tx.txid(),
                point,
            },
            signature,
            htlc_signatures: htlc_signatures.clone(),
        };
        c.local_changes.signed = std::mem::take(&mut c.local_changes.proposed);
        c.remote_changes.signed = std::mem::take(&mut c.remote_changes.acked);
        c.last_sent = LastSent::CommitmentSigned;
        Ok(Some(CommitmentSigned {
            channel_id: self.channel_id,
            signature,
            htlc_signatures,
            funding_txid: Some(self.funding.txid),
        }))
    }

    fn check_channel(&self, channel_id: ChannelId) -> Result<(), UpdateError> {
        if channel_id != self.channel_id {
            return Err(UpdateError::WrongChannel(channel_id));
        }
        if !self.is_usable() || !self.commitments.link_ready {
            return Err(UpdateError::NotReady);
        }
        Ok(())
    }

    /// Handles `update_add_htlc`: BOLT 2's receiver checks against our
    /// limits, then the offer waits for the peer's `commitment_signed`.
    pub fn on_update_add_htlc(&mut self, msg: &UpdateAddHtlc) -> Result<(), UpdateError> {
        self.check_channel(msg.channel_id)?;
        let setup = &self.setup;
        let c = &self.commitments;
        if msg.id != c.next_remote_htlc_id {
            return Err(UpdateError::UnexpectedHtlcId {
                expected: c.next_remote_htlc_id,
                got: msg.id,
            });
        }
        let minimum = Msat(setup.local.htlc_minimum.0.max(1));
        if msg.amount_msat < minimum {
            return Err(UpdateError::BelowMinimum {
                amount: msg.amount_msat,
                minimum,
            });
        }
        if msg.cltv_expiry >= MAX_CLTV_EXPIRY {
            return Err(UpdateError::CltvNotAHeight(msg.cltv_expiry));
        }
        let update = Update::Add(AddHtlc::from(msg));
        let next = c
            .next_local_spec(Some(&update))
            .map_err(|_| UpdateError::CannotAfford)?;
        let theirs: Vec<&SpecHtlc> = next.offered_by(Side::Remote).collect();
        if theirs.len() > usize::from(setup.local.max_accepted_htlcs) {
            return Err(UpdateError::TooManyHtlcs(setup.local.max_accepted_htlcs));
        }
        let in_flight: u64 = theirs.iter().map(|h| h.amount.0).sum();
        if in_flight > setup.local.max_htlc_value_in_flight.0 {
            return Err(UpdateError::InFlightExceeded(
                setup.local.max_htlc_value_in_flight,
            ));
        }
        if spendable(
            setup,
            Side::Local,
            &next,
            Side::Remote,
            next.feerate_per_kw,
            0,
        ) < 0
        {
            return Err(UpdateError::CannotAfford);
        }
        let c = &mut self.commitments;
        c.next_remote_htlc_id += 1;
        c.remote_changes.proposed.push(update);
        Ok(())
    }

    /// Handles `update_fulfill_htlc`: the peer claims one of our HTLCs.
    /// Returns it: the payment succeeded (the preimage is ours to keep
    /// even if the update is later reversed by a disconnection).
    pub fn on_update_fulfill_htlc(
        &mut self,
        msg: &UpdateFulfillHtlc,
    ) -> Result<SpecHtlc, UpdateError> {
        self.check_channel(msg.channel_id)?;
        let htlc = self
            .commitments
            .committed_outgoing(msg.id)
            .ok_or(UpdateError::UnknownHtlc(msg.id))?;
        if !preimage_matches(&msg.payment_preimage, &htlc.payment_hash) {
            return Err(UpdateError::WrongPreimage(msg.id));
        }
        self.commitments
            .remote_changes
            .proposed
            .push(Update::Fulfill {
                id: msg.id,
                preimage: msg.payment_preimage,
            });
        Ok(htlc)
    }

    /// Handles `update_fail_htlc`: the failure takes effect once both
    /// commitments drop the HTLC ([`Revoked::failed`]).
    pub fn on_update_fail_htlc(&mut self, msg: &UpdateFailHtlc) -> Result<(), UpdateError> {
        self.check_channel(msg.channel_id)?;
        self.commitments
            .committed_outgoing(msg.id)
            .ok_or(UpdateError::UnknownHtlc(msg.id))?;
        self.commitments.remote_changes.proposed.push(Update::Fail {
            id: msg.id,
            reason: msg.reason.clone(),
        });
        Ok(())
    }

    /// Handles `update_fail_malformed_htlc`.
    pub fn on_update_fail_malformed_htlc(
        &mut self,
        msg: &UpdateFailMalformedHtlc,
    ) -> Result<(), UpdateError> {
        self.check_channel(msg.channel_id)?;
        if msg.failure_code & BADONION == 0 {
            return Err(UpdateError::MalformedWithoutBadOnion(msg.failure_code));
        }
        self.commitments
            .committed_outgoing(msg.id)
            .ok_or(UpdateError::UnknownHtlc(msg.id))?;
        self.commitments
            .remote_changes
            .proposed
            .push(Update::FailMalformed {
                id: msg.id,
                sha256_of_onion: msg.sha256_of_onion,
                failure_code: msg.failure_code,
            });
        Ok(())
    }

    /// Handles `update_fee`: only from the funder, within `bounds`
    /// (sat/kw, inclusive), and affordable on our next commitment.
    pub fn on_update_fee(
        &mut self,
        msg: &UpdateFee,
        bounds: (u32, u32),
    ) -> Result<(), UpdateError> {
        if msg.channel_id != self.channel_id {
            return Err(UpdateError::WrongChannel(msg.channel_id));
        }
        if self.setup.opener != Side::Remote {
            return Err(UpdateError::FeeFromFundee);
        }
        self.check_channel(msg.channel_id)?;
        let (min, max) = bounds;
        if msg.feerate_per_kw < min || msg.feerate_per_kw > max {
            return Err(UpdateError::FeeOutOfBounds {
                got: msg.feerate_per_kw,
                min,
                max,
            });
        }
        let update = Update::Fee {
            feerate_per_kw: msg.feerate_per_kw,
        };
        let next = self.commitments.next_local_spec(Some(&update))?;
        if spendable(
            &self.setup,
            Side::Local,
            &next,
            Side::Remote,
            msg.feerate_per_kw,
            0,
        ) < 0
        {
            return Err(UpdateError::CannotAfford);
        }
        self.commitments.remote_changes.proposed.push(update);
        Ok(())
    }

    /// Handles `commitment_signed`: checks the signatures on our next
    /// commitment, makes it ours and revokes the previous one. Returns the
    /// `revoke_and_ack` to send (after persisting), or `None` for a
    /// signature of another funding transaction (ignored, BOLT 2).
    pub fn on_commitment_signed<C: Signing + Verification>(
        &mut self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
        msg: &CommitmentSigned,
    ) -> Result<Option<RevokeAndAck>, UpdateError> {
        self.check_channel(msg.channel_id)?;
        if msg
            .funding_txid
            .is_some_and(|txid| txid != self.funding.txid)
        {
            return Ok(None);
        }
        let c = &self.commitments;
        let spec = c.next_local_spec(None)?;
        let number = c.local.number + 1;
        let point = keys
            .per_commitment_point(secp, number)
            .map_err(ChannelError::from)?;
        let tx = self
            .setup
            .commitment(secp, self.funding, Side::Local, number, &point, &spec)?;
        self.verify_commitment(secp, &tx, &point, msg)?;
        let revoke = RevokeAndAck {
            channel_id: self.channel_id,
            per_commitment_secret: keys.per_commitment_secret(c.local.number),
            next_per_commitment_point: keys
                .per_commitment_point(secp, number + 1)
                .map_err(ChannelError::from)?,
        };
        let c = &mut self.commitments;
        let claimed = |updates: &[Update], offerer: Side| -> u64 {
            updates
                .iter()
                .filter(|u| matches!(u, Update::Fulfill { .. }))
                .filter_map(|u| u.removed_htlc())
                .filter_map(|id| c.local.spec.htlc(offerer, id))
                .map(|h| h.amount.0)
                .sum()
        };
        let received = claimed(&c.local_changes.acked, Side::Remote);
        let sent = claimed(&c.remote_changes.proposed, Side::Local);
        c.total_received = Msat(c.total_received.0 + received);
        c.total_sent = Msat(c.total_sent.0 + sent);
        c.local = LocalCommit {
            number,
            spec,
            signature: msg.signature,
            htlc_signatures: msg.htlc_signatures.clone(),
        };
        c.local_changes.acked.clear();
        let proposed = std::mem::take(&mut c.remote_changes.proposed);
        c.remote_changes.acked.extend(proposed);
        c.last_sent = LastSent::RevokeAndAck;
        Ok(Some(revoke))
    }

    fn verify_commitment<C: Verification>(
        &self,
        secp: &Secp256k1<C>,
        tx: &CommitmentTx,
        point: &PublicKey,
        msg: &CommitmentSigned,
    ) -> Result<(), UpdateError> {
        tx.verify(
            secp,
            &msg.signature,
            &self.setup.remote.points.funding_pubkey,
        )
        .map_err(|_| UpdateError::BadCommitmentSignature)?;
        let htlc_txs = tx.htlc_txs();
        if htlc_txs.len() != msg.htlc_signatures.len() {
            return Err(UpdateError::HtlcSignatureCount {
                expected: htlc_txs.len(),
                got: msg.htlc_signatures.len(),
            });
        }
        let their_htlc_key =
            derive_public_key(secp, &self.setup.remote.points.htlc_basepoint, point)
                .map_err(ChannelError::from)?;
        for (i, (htlc, signature)) in htlc_txs.iter().zip(&msg.htlc_signatures).enumerate() {
            htlc.verify(secp, signature, &their_htlc_key)
                .map_err(|_| UpdateError::BadHtlcSignature(i))?;
        }
        Ok(())
    }

    /// Handles `revoke_and_ack`: checks the secret against the commitment
    /// it revokes, stores it, and moves on. Returns what became
    /// irrevocable.
    pub fn on_revoke_and_ack<C: Signing>(
        &mut self,
        secp: &Secp256k1<C>,
        msg: &RevokeAndAck,
    ) -> Result<Revoked, UpdateError> {
        self.check_channel(msg.channel_id)?;
        let c = &mut self.commitments;
        if !matches!(c.remote_next, RemoteNext::AwaitingRevocation { .. }) {
            return Err(UpdateError::UnexpectedRevocation);
        }
        let revoked_number = c.remote.number;
        let matches = per_commitment_point(secp, &msg.per_commitment_secret)
            .is_ok_and(|p| p == c.remote.point);
        if !matches {
            return Err(UpdateError::BadRevocationSecret(revoked_number));
        }
        c.their_secrets
            .insert_secret(msg.per_commitment_secret, commitment_index(revoked_number))
            .map_err(|_| UpdateError::BadRevocationSecret(revoked_number))?;
        let RemoteNext::AwaitingRevocation { next, .. } = std::mem::replace(
            &mut c.remote_next,
            RemoteNext::Point(msg.next_per_commitment_point),
        ) else {
            unreachable!("checked above");
        };
        let old = std::mem::replace(&mut c.remote, next);
        // The peer's commitment holds them now: they are never sent again,
        // so our HTLCs' onions need not be stored any longer.
        let signed = std::mem::take(&mut c.local_changes.signed);
        c.local_changes
            .acked
            .extend(signed.into_iter().map(|mut update| {
                if let Update::Add(add) = &mut update {
                    add.onion = Vec::new();
                }
                update
            }));
        let mut incoming = Vec::new();
        let mut failed = Vec::new();
        for update in std::mem::take(&mut c.remote_changes.signed) {
            match update {
                Update::Add(add) => incoming.push(add),
                Update::Fail { id, reason } => {
                    if let Some(htlc) = old.spec.htlc(Side::Local, id) {
                        failed.push(FailedHtlc {
                            htlc: *htlc,
                            reason: FailReason::Packet(reason),
                        });
                    }
                }
                Update::FailMalformed {
                    id,
                    sha256_of_onion,
                    failure_code,
                } => {
                    if let Some(htlc) = old.spec.htlc(Side::Local, id) {
                        failed.push(FailedHtlc {
                            htlc: *htlc,
                            reason: FailReason::Malformed {
                                sha256_of_onion,
                                failure_code,
                            },
                        });
                    }
                }
                Update::Fulfill { .. } | Update::Fee { .. } => {}
            }
        }
        Ok(Revoked {
            commitment: RevokedCommitment {
                number: old.number,
                txid: old.txid,
                spec: old.spec,
                point: old.point,
            },
            incoming,
            failed,
        })
    }

    /// The connection dropped: the peer's unsigned updates are reversed
    /// (BOLT 2); ours stay queued and are sent again after reestablish.
    pub fn disconnected(&mut self) {
        let c = &mut self.commitments;
        let dropped_adds = c
            .remote_changes
            .proposed
            .iter()
            .filter(|u| matches!(u, Update::Add(_)))
            .count() as u64;
        c.next_remote_htlc_id -= dropped_adds;
        c.remote_changes.proposed.clear();
        c.link_ready = false;
    }

    /// Our `channel_reestablish`: where our dance stands.
    pub fn reestablish<C: Signing>(
        &self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
    ) -> Result<ChannelReestablish, ChannelError> {
        let c = &self.commitments;
        let your_last_per_commitment_secret = match c.remote.number {
            0 => [0; 32],
            n => c
                .their_secrets
                .get_secret(commitment_index(n - 1))
                .unwrap_or([0; 32]),
        };
        Ok(ChannelReestablish {
            channel_id: self.channel_id,
            next_commitment_number: c.local.number + 1,
            next_revocation_number: c.remote.number,
            your_last_per_commitment_secret,
            my_current_per_commitment_point: keys.per_commitment_point(secp, c.local.number)?,
            next_funding: None,
            my_current_funding_locked: None,
        })
    }

    /// Handles the peer's `channel_reestablish`: checks it against our
    /// state (BOLT 2 "Message Retransmission") and returns what to send
    /// again, in the order first sent: `channel_ready` if neither side has
    /// moved past commitment 0, our last `revoke_and_ack` and our last
    /// `commitment_signed` (with its updates) if the peer missed them, and
    /// then our queued updates. The link is ready afterwards.
    pub fn on_reestablish<C: Signing>(
        &mut self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
        msg: &ChannelReestablish,
    ) -> Result<Vec<Message>, ChannelError> {
        if msg.channel_id != self.channel_id {
            return Err(ChannelError::WrongChannel {
                expected: self.channel_id,
                got: msg.channel_id,
            });
        }
        let c = &self.commitments;
        let local = c.local.number;
        let revocation = msg.next_revocation_number;
        let secret_for = |n: u64| keys.per_commitment_secret(n);
        let claimed_secret_ok = revocation == 0 && msg.your_last_per_commitment_secret == [0; 32]
            || revocation > 0 && msg.your_last_per_commitment_secret == secret_for(revocation - 1);
        if revocation > local {
            return Err(if claimed_secret_ok {
                ChannelError::RemoteAhead(revocation)
            } else {
                ChannelError::Reestablish(format!(
                    "peer expects revocation {revocation} but we are at commitment {local}"
                ))
            });
        }
        if !claimed_secret_ok {
            return Err(ChannelError::Reestablish(
                "your_last_per_commitment_secret is not ours".into(),
            ));
        }
        let resend_revoke = match local - revocation {
            0 => false,
            1 => true,
            _ => {
                return Err(ChannelError::Reestablish(format!(
                    "peer lost state: it expects revocation {revocation}, we revoked up to {}",
                    local - 1
                )))
            }
        };
        let next = msg.next_commitment_number;
        if next == 0 {
            return Err(ChannelError::Reestablish(
                "next_commitment_number 0: the peer has no commitment (BOLT 2: fail the channel)"
                    .into(),
            ));
        }
        let resend_commit = match &c.remote_next {
            RemoteNext::AwaitingRevocation { next: signed, .. } if next == signed.number => true,
            RemoteNext::AwaitingRevocation { next: signed, .. } if next == signed.number + 1 => {
                false
            }
            _ if next == c.remote.number + 1 => false,
            _ => {
                return Err(ChannelError::Reestablish(format!(
                    "peer expects commitment_signed {next}, ours is at {}",
                    c.remote.number
                )))
            }
        };
        let mut out = Vec::new();
        if next == 1 && local == 0 && self.ready_sent {
            out.push(Message::ChannelReady(self.channel_ready(secp, keys)?));
        }
        let revoke = resend_revoke
            .then(|| -> Result<Message, ChannelError> {
                Ok(Message::RevokeAndAck(RevokeAndAck {
                    channel_id: self.channel_id,
                    per_commitment_secret: keys.per_commitment_secret(local - 1),
                    next_per_commitment_point: keys.per_commitment_point(secp, local + 1)?,
                }))
            })
            .transpose()?;
        let mut commit = Vec::new();
        if let (
            true,
            RemoteNext::AwaitingRevocation {
                signature,
                htlc_signatures,
                ..
            },
        ) = (resend_commit, &c.remote_next)
        {
            commit.extend(
                c.local_changes
                    .signed
                    .iter()
                    .map(|u| u.to_message(self.channel_id)),
            );
            commit.push(Message::CommitmentSigned(CommitmentSigned {
                channel_id: self.channel_id,
                signature: *signature,
                htlc_signatures: htlc_signatures.clone(),
                funding_txid: Some(self.funding.txid),
            }));
        }
        match (revoke, c.last_sent) {
            (Some(revoke), LastSent::CommitmentSigned) => {
                out.push(revoke);
                out.extend(commit);
            }
            (Some(revoke), _) => {
                out.extend(commit);
                out.push(revoke);
            }
            (None, _) => out.extend(commit),
        }
        out.extend(
            c.local_changes
                .proposed
                .iter()
                .map(|u| u.to_message(self.channel_id)),
        );
        self.commitments.link_ready = true;
        Ok(out)
    }

    /// Balances from our current commitment, as `channelbalance` shows.
    pub fn balances(&self) -> Balances {
        let spec = &self.commitments.local.spec;
        let fee = commitment_fee(&self.setup, Side::Local, spec, spec.feerate_per_kw);
        let (mut local, mut remote) = (spec.to_local, spec.to_remote);
        match self.setup.opener {
            Side::Local => local = local.saturating_sub(fee),
            Side::Remote => remote = remote.saturating_sub(fee),
        }
        let sum = |side| Msat(spec.offered_by(side).map(|h| h.amount.0).sum());
        let format = CommitmentFormat::StaticRemoteKey;
        let untrimmed = spec
            .htlcs
            .iter()
            .filter(|h| {
                !h.for_holder(Side::Local).is_trimmed(
                    format,
                    spec.feerate_per_kw,
                    self.setup.local.dust_limit,
                )
            })
            .count() as u64;
        Balances {
            feerate_per_kw: spec.feerate_per_kw,
            weight: format.commitment_base_weight() + format.htlc_output_weight() * untrimmed,
            local,
            remote,
            fee: fee.to_sat_floor(),
            outgoing_htlcs: sum(Side::Local),
            incoming_htlcs: sum(Side::Remote),
        }
    }

    /// Trimmed value in our current commitment and the peer's, whichever
    /// is larger: what a force close now would give to miners.
    pub fn dust_exposure(&self) -> Msat {
        let c = &self.commitments;
        dust_exposure(&self.setup, Side::Local, &c.local.spec).max(dust_exposure(
            &self.setup,
            Side::Remote,
            &c.remote.spec,
        ))
    }
}
