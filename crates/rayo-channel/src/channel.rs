//! The channel establishment state machine (BOLT 2, v1), one type per phase:
//!
//! ```text
//! opener:   Outbound ──accept_channel──▶ AwaitingFundingTx ──funding outpoint──▶
//!           AwaitingFundingSigned ──funding_signed──▶ Funded
//! acceptor: (open_channel) ──▶ AwaitingFundingCreated ──funding_created──▶ Funded
//! Funded:   ──depth reached──▶ channel_ready sent; ──channel_ready──▶ usable
//! ```
//!
//! Each transition consumes the previous phase, so a message can only be
//! handled in the phase that expects it. Nothing here does I/O: the caller
//! persists the returned phase, then sends the returned message (persist
//! before you speak).

use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::secp256k1::{PublicKey, Secp256k1, Signing, Verification};
use rayo_wire::bitcoin::{OutPoint, ScriptBuf, Transaction};
use rayo_wire::establish::{
    AcceptChannel, ChannelPoints, ChannelReady, FundingCreated, FundingSigned, OpenChannel,
};
use rayo_wire::features::Features;
use rayo_wire::ids::{ChannelId, ShortChannelId};

use crate::commitment::{
    CommitmentBuilder, CommitmentError, CommitmentFormat, CommitmentKeys, CommitmentTx,
    FeeShortfall, FundingOutput, Htlc, Side,
};
use crate::commitments::{Commitments, RemoteNext};
use crate::establish::{
    check_accept_channel, check_open_channel, supported_channel_type, ChannelPolicy, Consequence,
    EstablishError,
};
use crate::keys::{
    derive_public_key, derive_revocation_public_key, ChannelKeys, KeyDerivationError,
};
use crate::scripts::funding_script_pubkey;
use crate::spec::{CommitmentSpec, ReduceError};

/// Why a step of the establishment failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The peer's parameters are refused.
    #[error(transparent)]
    Establish(#[from] EstablishError),
    /// The peer's signature does not verify (or is not low-S).
    #[error("invalid {0} signature")]
    BadSignature(&'static str),
    /// A message about another channel.
    #[error("message for channel {got}, expected {expected}")]
    WrongChannel {
        /// The id we expected.
        expected: ChannelId,
        /// The id received.
        got: ChannelId,
    },
    /// The commitment could not be built.
    #[error(transparent)]
    Commitment(#[from] CommitmentError),
    /// A key the peer gave cannot be used.
    #[error(transparent)]
    Keys(#[from] KeyDerivationError),
    /// `channel_reestablish` shows the peer lost state, or a state we
    /// cannot be in.
    #[error("channel_reestablish: {0}")]
    Reestablish(String),
    /// `channel_reestablish` proves the peer holds a newer state than ours
    /// (it knows a revocation secret we have not given yet): we lost data.
    /// We must never broadcast our commitment; we ask the peer to close.
    #[error(
        "the peer is at revocation {0}, ahead of our state: we lost data and must not broadcast"
    )]
    RemoteAhead(u64),
    /// Our own bookkeeping does not add up: never expected.
    #[error(transparent)]
    Inconsistent(#[from] ReduceError),
}

impl ChannelError {
    /// What to do about it: refusals during establishment fail the channel
    /// (nothing is at stake yet); a bad signature fails it too.
    pub fn consequence(&self) -> Consequence {
        match self {
            ChannelError::Establish(e) => e.consequence(),
            ChannelError::WrongChannel { .. } => Consequence::Ignore,
            _ => Consequence::Fail,
        }
    }
}

/// What one side announced in `open_channel` / `accept_channel`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SideParams {
    /// Its dust limit (its own commitment trims below it).
    pub dust_limit: Sat,
    /// What it lets the other side have in flight.
    pub max_htlc_value_in_flight: Msat,
    /// What it requires the other side to keep.
    pub channel_reserve: Sat,
    /// Smallest HTLC it accepts.
    pub htlc_minimum: Msat,
    /// The delay it imposes on the OTHER side's to-self outputs.
    pub to_self_delay: u16,
    /// Most HTLCs the other side may offer it.
    pub max_accepted_htlcs: u16,
    /// Its keys.
    pub points: ChannelPoints,
}

/// What both sides agreed on, fixed for the channel's life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChannelSetup {
    /// Who opened (and funded, and pays commitment fees).
    pub opener: Side,
    /// The funding amount.
    pub capacity: Sat,
    /// Given to the acceptor at open.
    pub push: Msat,
    /// Commitment fee rate.
    pub feerate_per_kw: u32,
    /// Our parameters.
    pub local: SideParams,
    /// The peer's parameters.
    pub remote: SideParams,
    /// The negotiated channel type.
    pub channel_type: Features,
    /// Whether the channel is announced (`channel_flags` bit 0).
    pub announce: bool,
    /// Confirmations before `channel_ready`.
    pub minimum_depth: u32,
    /// The temporary id used until the funding outpoint is known.
    pub temporary_channel_id: ChannelId,
}

impl ChannelSetup {
    fn balances(&self) -> (Msat, Msat) {
        let capacity = Msat(self.capacity.0 * 1000);
        let opener = Msat(capacity.0 - self.push.0);
        match self.opener {
            Side::Local => (opener, self.push),
            Side::Remote => (self.push, opener),
        }
    }

    /// The funding output's script: P2WSH of the 2-of-2.
    pub fn funding_script_pubkey(&self) -> ScriptBuf {
        funding_script_pubkey(
            &self.local.points.funding_pubkey,
            &self.remote.points.funding_pubkey,
        )
    }

    /// The first commitment's content: the opening balances, no HTLCs.
    pub fn initial_spec(&self) -> CommitmentSpec {
        let (to_local, to_remote) = self.balances();
        CommitmentSpec {
            feerate_per_kw: self.feerate_per_kw,
            to_local,
            to_remote,
            htlcs: Vec::new(),
        }
    }

    /// Our commitment number `n` with the opening balances, built with our
    /// per-commitment point for `n`.
    pub fn local_commitment<C: Signing + Verification>(
        &self,
        secp: &Secp256k1<C>,
        funding: OutPoint,
        number: u64,
        per_commitment_point: &PublicKey,
    ) -> Result<CommitmentTx, ChannelError> {
        let spec = self.initial_spec();
        self.commitment(
            secp,
            funding,
            Side::Local,
            number,
            per_commitment_point,
            &spec,
        )
    }

    /// The peer's commitment number `n` with the opening balances, built
    /// with its per-commitment point for `n`: what we sign for it.
    pub fn remote_commitment<C: Signing + Verification>(
        &self,
        secp: &Secp256k1<C>,
        funding: OutPoint,
        number: u64,
        their_per_commitment_point: &PublicKey,
    ) -> Result<CommitmentTx, ChannelError> {
        let spec = self.initial_spec();
        self.commitment(
            secp,
            funding,
            Side::Remote,
            number,
            their_per_commitment_point,
            &spec,
        )
    }

    /// The commitment number `number` held by `holder`, with the content
    /// `spec` (written from our side) and the holder's per-commitment point
    /// for that number. A fee the opener cannot pay is absorbed as BOLT 3
    /// says: the state was agreed by both, so it is built as it is.
    pub fn commitment<C: Signing + Verification>(
        &self,
        secp: &Secp256k1<C>,
        funding: OutPoint,
        holder: Side,
        number: u64,
        per_commitment_point: &PublicKey,
        spec: &CommitmentSpec,
    ) -> Result<CommitmentTx, ChannelError> {
        let mirrored;
        let view = match holder {
            Side::Local => self,
            Side::Remote => {
                mirrored = self.mirrored();
                &mirrored
            }
        };
        let htlcs: Vec<Htlc> = spec.htlcs.iter().map(|h| h.for_holder(holder)).collect();
        let keys = CommitmentKeys {
            revocation_pubkey: derive_revocation_public_key(
                secp,
                &view.remote.points.revocation_basepoint,
                per_commitment_point,
            )?,
            local_delayed_pubkey: derive_public_key(
                secp,
                &view.local.points.delayed_payment_basepoint,
                per_commitment_point,
            )?,
            remote_payment_pubkey: view.remote.points.payment_basepoint,
            local_htlc_pubkey: derive_public_key(
                secp,
                &view.local.points.htlc_basepoint,
                per_commitment_point,
            )?,
            remote_htlc_pubkey: derive_public_key(
                secp,
                &view.remote.points.htlc_basepoint,
                per_commitment_point,
            )?,
        };
        Ok(CommitmentBuilder {
            format: CommitmentFormat::StaticRemoteKey,
            funding: FundingOutput {
                outpoint: funding,
                amount: view.capacity,
                local_funding_pubkey: view.local.points.funding_pubkey,
                remote_funding_pubkey: view.remote.points.funding_pubkey,
            },
            commitment_number: number,
            local_payment_basepoint: view.local.points.payment_basepoint,
            remote_payment_basepoint: view.remote.points.payment_basepoint,
            opener: view.opener,
            to_self_delay: view.remote.to_self_delay,
            dust_limit: view.local.dust_limit,
            feerate_per_kw: spec.feerate_per_kw,
            to_local: spec.balance(holder),
            to_remote: spec.balance(holder.other()),
            htlcs: &htlcs,
            keys,
            fee_shortfall: if number == 0 {
                FeeShortfall::Reject
            } else {
                FeeShortfall::Absorb
            },
        }
        .build()?)
    }

    /// The same channel seen from the peer: roles swapped.
    fn mirrored(&self) -> ChannelSetup {
        ChannelSetup {
            opener: self.opener.other(),
            local: self.remote.clone(),
            remote: self.local.clone(),
            ..self.clone()
        }
    }

    /// The reserve `side` must keep: the amount the other side asked for.
    pub fn reserve_of(&self, side: Side) -> Sat {
        match side {
            Side::Local => self.remote.channel_reserve,
            Side::Remote => self.local.channel_reserve,
        }
    }

    /// The dust limit of `holder`'s commitment.
    pub fn dust_limit_of(&self, holder: Side) -> Sat {
        match holder {
            Side::Local => self.local.dust_limit,
            Side::Remote => self.remote.dust_limit,
        }
    }
}

fn side_from_open(open: &OpenChannel) -> SideParams {
    SideParams {
        dust_limit: open.dust_limit_satoshis,
        max_htlc_value_in_flight: open.max_htlc_value_in_flight_msat,
        channel_reserve: open.channel_reserve_satoshis,
        htlc_minimum: open.htlc_minimum_msat,
        to_self_delay: open.to_self_delay,
        max_accepted_htlcs: open.max_accepted_htlcs,
        points: open.points,
    }
}

fn side_from_accept(accept: &AcceptChannel) -> SideParams {
    SideParams {
        dust_limit: accept.dust_limit_satoshis,
        max_htlc_value_in_flight: accept.max_htlc_value_in_flight_msat,
        channel_reserve: accept.channel_reserve_satoshis,
        htlc_minimum: accept.htlc_minimum_msat,
        to_self_delay: accept.to_self_delay,
        max_accepted_htlcs: accept.max_accepted_htlcs,
        points: accept.points,
    }
}

fn our_points<C: Signing>(
    secp: &Secp256k1<C>,
    keys: &ChannelKeys,
) -> Result<ChannelPoints, ChannelError> {
    let public = keys.public(secp);
    Ok(ChannelPoints {
        funding_pubkey: public.funding_pubkey,
        revocation_basepoint: public.revocation_basepoint,
        payment_basepoint: public.payment_point,
        delayed_payment_basepoint: public.delayed_payment_basepoint,
        htlc_basepoint: public.htlc_basepoint,
        first_per_commitment_point: keys.per_commitment_point(secp, 0)?,
    })
}

/// What the opener asks for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OpenRequest {
    /// Fresh random id, unique per peer.
    pub temporary_channel_id: ChannelId,
    /// Channel size.
    pub capacity: Sat,
    /// Given to the peer.
    pub push: Msat,
    /// Commitment fee rate.
    pub feerate_per_kw: u32,
    /// Announce the channel (`--private` clears it).
    pub announce: bool,
}

/// Opener, `open_channel` sent, waiting for `accept_channel`.
#[derive(Debug, Clone)]
pub struct Outbound {
    open: OpenChannel,
}

impl Outbound {
    /// Starts a channel: returns the phase and the `open_channel` to send.
    pub fn new<C: Signing>(
        secp: &Secp256k1<C>,
        policy: &ChannelPolicy,
        keys: &ChannelKeys,
        request: &OpenRequest,
    ) -> Result<(Outbound, OpenChannel), ChannelError> {
        let open = OpenChannel {
            chain_hash: policy.chain_hash,
            temporary_channel_id: request.temporary_channel_id,
            funding_satoshis: request.capacity,
            push_msat: request.push,
            dust_limit_satoshis: policy.dust_limit,
            max_htlc_value_in_flight_msat: request
                .capacity
                .to_msat()
                .filter(|m| m.is_valid_money())
                .ok_or_else(|| {
                    EstablishError::FundingAmount(request.capacity, "above 21 million BTC".into())
                })?,
            channel_reserve_satoshis: policy.reserve_for(request.capacity, policy.dust_limit),
            htlc_minimum_msat: Msat(1),
            feerate_per_kw: request.feerate_per_kw,
            to_self_delay: policy.to_self_delay,
            max_accepted_htlcs: crate::establish::MAX_ACCEPTED_HTLCS,
            points: our_points(secp, keys)?,
            channel_flags: u8::from(request.announce),
            upfront_shutdown_script: Some(Vec::new()),
            channel_type: Some(supported_channel_type()),
        };
        Ok((Outbound { open: open.clone() }, open))
    }

    /// Handles `accept_channel`.
    pub fn on_accept_channel(
        self,
        accept: &AcceptChannel,
        policy: &ChannelPolicy,
    ) -> Result<AwaitingFundingTx, ChannelError> {
        if accept.temporary_channel_id != self.open.temporary_channel_id {
            return Err(ChannelError::WrongChannel {
                expected: self.open.temporary_channel_id,
                got: accept.temporary_channel_id,
            });
        }
        check_accept_channel(accept, &self.open, policy)?;
        Ok(AwaitingFundingTx {
            setup: ChannelSetup {
                opener: Side::Local,
                capacity: self.open.funding_satoshis,
                push: self.open.push_msat,
                feerate_per_kw: self.open.feerate_per_kw,
                local: side_from_open(&self.open),
                remote: side_from_accept(accept),
                channel_type: self.open.channel_type.clone().unwrap_or_default(),
                announce: self.open.channel_flags & 1 == 1,
                minimum_depth: accept.minimum_depth,
                temporary_channel_id: self.open.temporary_channel_id,
            },
        })
    }
}

/// Opener, terms agreed: the node now builds (but must not broadcast) the
/// funding transaction paying [`ChannelSetup::funding_script_pubkey`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AwaitingFundingTx {
    /// The agreed terms.
    pub setup: ChannelSetup,
}

impl AwaitingFundingTx {
    /// Given the funding outpoint, signs the peer's first commitment and
    /// returns `funding_created`.
    pub fn funding_created<C: Signing + Verification>(
        self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
        funding: OutPoint,
    ) -> Result<(AwaitingFundingSigned, FundingCreated), ChannelError> {
        let theirs = self.setup.remote_commitment(
            secp,
            funding,
            0,
            &self.setup.remote.points.first_per_commitment_point,
        )?;
        let signature = theirs.sign(secp, &keys.funding_key);
        let message = FundingCreated {
            temporary_channel_id: self.setup.temporary_channel_id,
            funding_txid: funding.txid,
            funding_output_index: funding.vout as u16,
            signature,
        };
        Ok((
            AwaitingFundingSigned {
                setup: self.setup,
                funding,
            },
            message,
        ))
    }
}

/// Opener, `funding_created` sent, waiting for `funding_signed`; the
/// funding transaction must not be broadcast yet.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AwaitingFundingSigned {
    setup: ChannelSetup,
    funding: OutPoint,
}

impl AwaitingFundingSigned {
    /// The temporary id the peer still uses until `funding_signed`.
    pub fn temporary_channel_id(&self) -> ChannelId {
        self.setup.temporary_channel_id
    }

    /// The channel id once funded.
    pub fn channel_id(&self) -> ChannelId {
        ChannelId::from_funding(&self.funding.txid, self.funding.vout as u16)
    }

    /// Handles `funding_signed`: checks the peer's signature on our first
    /// commitment. On success the funding transaction may be broadcast.
    pub fn on_funding_signed<C: Signing + Verification>(
        self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
        msg: &FundingSigned,
    ) -> Result<Funded, ChannelError> {
        let channel_id = self.channel_id();
        if msg.channel_id != channel_id {
            return Err(ChannelError::WrongChannel {
                expected: channel_id,
                got: msg.channel_id,
            });
        }
        let ours = self.setup.local_commitment(
            secp,
            self.funding,
            0,
            &keys.per_commitment_point(secp, 0)?,
        )?;
        ours.verify(
            secp,
            &msg.signature,
            &self.setup.remote.points.funding_pubkey,
        )
        .map_err(|_| ChannelError::BadSignature("funding_signed"))?;
        let theirs = self.setup.remote_commitment(
            secp,
            self.funding,
            0,
            &self.setup.remote.points.first_per_commitment_point,
        )?;
        Ok(Funded::new(
            self.setup,
            self.funding,
            msg.signature,
            theirs.txid(),
        ))
    }
}

/// Acceptor: checks `open_channel` and answers with `accept_channel`.
pub fn accept_channel<C: Signing>(
    secp: &Secp256k1<C>,
    policy: &ChannelPolicy,
    keys: &ChannelKeys,
    open: &OpenChannel,
    their_features: &Features,
) -> Result<(AwaitingFundingCreated, AcceptChannel), ChannelError> {
    check_open_channel(open, policy, their_features)?;
    let accept = AcceptChannel {
        temporary_channel_id: open.temporary_channel_id,
        dust_limit_satoshis: policy.dust_limit,
        max_htlc_value_in_flight_msat: Msat(open.funding_satoshis.0 * 1000),
        channel_reserve_satoshis: policy
            .reserve_for(open.funding_satoshis, open.dust_limit_satoshis),
        htlc_minimum_msat: Msat(1),
        minimum_depth: policy.minimum_depth,
        to_self_delay: policy.to_self_delay,
        max_accepted_htlcs: crate::establish::MAX_ACCEPTED_HTLCS,
        points: our_points(secp, keys)?,
        upfront_shutdown_script: Some(Vec::new()),
        channel_type: open.channel_type.clone(),
    };
    let setup = ChannelSetup {
        opener: Side::Remote,
        capacity: open.funding_satoshis,
        push: open.push_msat,
        feerate_per_kw: open.feerate_per_kw,
        local: side_from_accept(&accept),
        remote: side_from_open(open),
        channel_type: open.channel_type.clone().unwrap_or_default(),
        announce: open.channel_flags & 1 == 1,
        minimum_depth: policy.minimum_depth,
        temporary_channel_id: open.temporary_channel_id,
    };
    Ok((AwaitingFundingCreated { setup }, accept))
}

/// Acceptor, `accept_channel` sent, waiting for `funding_created`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AwaitingFundingCreated {
    /// The agreed terms.
    pub setup: ChannelSetup,
}

impl AwaitingFundingCreated {
    /// Handles `funding_created`: checks the opener's signature on our
    /// first commitment and signs theirs (`funding_signed`).
    pub fn on_funding_created<C: Signing + Verification>(
        self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
        msg: &FundingCreated,
    ) -> Result<(Funded, FundingSigned), ChannelError> {
        if msg.temporary_channel_id != self.setup.temporary_channel_id {
            return Err(ChannelError::WrongChannel {
                expected: self.setup.temporary_channel_id,
                got: msg.temporary_channel_id,
            });
        }
        let funding = OutPoint {
            txid: msg.funding_txid,
            vout: u32::from(msg.funding_output_index),
        };
        let ours =
            self.setup
                .local_commitment(secp, funding, 0, &keys.per_commitment_point(secp, 0)?)?;
        ours.verify(
            secp,
            &msg.signature,
            &self.setup.remote.points.funding_pubkey,
        )
        .map_err(|_| ChannelError::BadSignature("funding_created"))?;
        let theirs = self.setup.remote_commitment(
            secp,
            funding,
            0,
            &self.setup.remote.points.first_per_commitment_point,
        )?;
        let signature = theirs.sign(secp, &keys.funding_key);
        let funded = Funded::new(self.setup, funding, msg.signature, theirs.txid());
        let reply = FundingSigned {
            channel_id: funded.channel_id,
            signature,
        };
        Ok((funded, reply))
    }
}

/// A funded channel: both first commitments signed. Waits for the funding
/// depth and the peer's `channel_ready`, then is usable; payments then
/// flow through [`Commitments`] (see [`crate::normal`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Funded {
    /// The agreed terms.
    pub setup: ChannelSetup,
    /// The funding outpoint.
    pub funding: OutPoint,
    /// The channel id.
    pub channel_id: ChannelId,
    /// Set once the funding transaction is deep enough.
    pub short_channel_id: Option<ShortChannelId>,
    /// We sent `channel_ready`.
    pub ready_sent: bool,
    /// The peer sent `channel_ready`.
    pub ready_received: bool,
    /// The commitment dance.
    pub commitments: Commitments,
}

impl Funded {
    fn new(
        setup: ChannelSetup,
        funding: OutPoint,
        remote_signature: rayo_wire::bitcoin::secp256k1::ecdsa::Signature,
        remote_txid: rayo_wire::bitcoin::Txid,
    ) -> Self {
        Self {
            channel_id: ChannelId::from_funding(&funding.txid, funding.vout as u16),
            commitments: Commitments::new(
                setup.initial_spec(),
                remote_signature,
                remote_txid,
                setup.remote.points.first_per_commitment_point,
            ),
            setup,
            funding,
            short_channel_id: None,
            ready_sent: false,
            ready_received: false,
        }
    }

    /// Our current commitment, fully signed: what we would broadcast to
    /// close unilaterally.
    pub fn signed_local_commitment<C: Signing + Verification>(
        &self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
    ) -> Result<Transaction, ChannelError> {
        let c = &self.commitments;
        let point = keys.per_commitment_point(secp, c.local.number)?;
        let ours = self.setup.commitment(
            secp,
            self.funding,
            Side::Local,
            c.local.number,
            &point,
            &c.local.spec,
        )?;
        Ok(ours.signed_tx(&ours.sign(secp, &keys.funding_key), &c.local.signature))
    }

    /// The funding transaction is confirmed at `depth` in block `height` at
    /// position `tx_index`: once deep enough, returns the `channel_ready`
    /// to send (once).
    pub fn funding_confirmed<C: Signing>(
        &mut self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
        depth: u32,
        height: u32,
        tx_index: u32,
    ) -> Result<Option<ChannelReady>, ChannelError> {
        if depth < self.setup.minimum_depth.max(1) || self.ready_sent {
            return Ok(None);
        }
        self.short_channel_id = ShortChannelId::new(height, tx_index, self.funding.vout as u16);
        self.ready_sent = true;
        Ok(Some(self.channel_ready(secp, keys)?))
    }

    pub(crate) fn channel_ready<C: Signing>(
        &self,
        secp: &Secp256k1<C>,
        keys: &ChannelKeys,
    ) -> Result<ChannelReady, ChannelError> {
        Ok(ChannelReady {
            channel_id: self.channel_id,
            second_per_commitment_point: keys.per_commitment_point(secp, 1)?,
            short_channel_id_alias: None,
        })
    }

    /// Handles the peer's `channel_ready`.
    pub fn on_channel_ready(&mut self, msg: &ChannelReady) -> Result<(), ChannelError> {
        if msg.channel_id != self.channel_id {
            return Err(ChannelError::WrongChannel {
                expected: self.channel_id,
                got: msg.channel_id,
            });
        }
        // A repeated channel_ready (after a reconnection) is ignored.
        if !self.ready_received {
            self.ready_received = true;
            if self.commitments.remote_next == RemoteNext::Unknown {
                self.commitments.remote_next = RemoteNext::Point(msg.second_per_commitment_point);
            }
        }
        Ok(())
    }

    /// Both sides sent `channel_ready`: payments may flow.
    pub fn is_usable(&self) -> bool {
        self.ready_sent && self.ready_received
    }
}
