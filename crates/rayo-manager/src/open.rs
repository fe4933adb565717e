//! Channel establishment (BOLT 2 v1) in the manager: `openchannel`, the
//! peer's establishment messages, and what a peer's `error` does.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::PublicKey;
use bitcoin::{Amount, OutPoint};
use rayo_channel::channel::{accept_channel, OpenRequest, Outbound};
use rayo_channel::commitment::Side;
use rayo_wallet::{AddressType, Recipients};
use rayo_wire::amount::Sat;
use rayo_wire::establish::{AcceptChannel, FundingCreated, OpenChannel};
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Message};

use crate::action::{Action, CommandError};
use crate::event::{OpenChannelCommand, RequestId};
use crate::fault::{FaultKind, PeerFault};
use crate::manager::{Manager, PendingInbound, PendingOutbound, WaitingOpen};
use crate::record::{ChannelPhase, ChannelRecord, Failure, FundedChannel};

/// The smallest channel we open: lnd's minimum channel size
/// (`funding.MinChanFundingSize`), so peers' defaults accept it.
pub const MIN_CHANNEL_SIZE: Sat = Sat(20_000);

fn unknown(channel_id: ChannelId, message: &'static str) -> PeerFault {
    PeerFault::new(channel_id, FaultKind::UnknownChannel { message })
}

impl Manager {
    /// `openchannel`: checks, then sends `open_channel`. The reply comes
    /// later, when the open completes or fails.
    pub(crate) fn open_channel(
        &mut self,
        request: RequestId,
        open: OpenChannelCommand,
    ) -> Result<(), CommandError> {
        let OpenChannelCommand {
            peer,
            capacity,
            push,
            announce,
            funding_feerate,
            commitment_feerate_per_kw,
        } = open;
        if !self.peers.contains_key(&peer) {
            return Err(CommandError::FailedPrecondition(format!(
                "not connected to {peer}: connect first (or use --connect)"
            )));
        }
        if capacity < MIN_CHANNEL_SIZE {
            return Err(CommandError::InvalidArgument(format!(
                "a channel of {} sat is under the minimum channel size of {} sat",
                capacity.0, MIN_CHANNEL_SIZE.0
            )));
        }
        let capacity_msat = capacity
            .to_msat()
            .ok_or_else(|| CommandError::InvalidArgument("the channel size is too large".into()))?;
        if push >= capacity_msat {
            return Err(CommandError::InvalidArgument(
                "push_sat must be less than the channel size".into(),
            ));
        }
        // Enough coins for the funding? Fail now rather than after the peer
        // has accepted.
        let placeholder =
            bitcoin::ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([0; 32]));
        self.wallet
            .estimate_fee(
                &Recipients::Pay(vec![(placeholder, Amount::from_sat(capacity.0))]),
                funding_feerate,
                AddressType::P2wkh,
                1,
            )
            .map_err(|e| CommandError::FailedPrecondition(e.to_string()))?;
        let temporary_channel_id = ChannelId(self.entropy);
        if self.outbound.contains_key(&(peer, temporary_channel_id)) {
            return Err(CommandError::FailedPrecondition(
                "temporary channel id collision; try again".into(),
            ));
        }
        let key_index = self.allocate_key_index().ok_or_else(|| {
            CommandError::FailedPrecondition("channel key indexes exhausted".into())
        })?;
        let keys = self
            .channel_keys(key_index)
            .map_err(CommandError::FailedPrecondition)?;
        let open_request = OpenRequest {
            temporary_channel_id,
            capacity,
            push,
            feerate_per_kw: commitment_feerate_per_kw,
            announce,
        };
        let (phase, open) = Outbound::new(&self.secp, &self.config.policy, &keys, &open_request)
            .map_err(|e| CommandError::InvalidArgument(e.to_string()))?;
        self.outbound.insert(
            (peer, temporary_channel_id),
            PendingOutbound {
                key_index,
                phase,
                funding_feerate,
                request,
                deadline: self.now.saturating_add(self.config.open_timeout_secs),
            },
        );
        self.send(peer, Message::OpenChannel(Box::new(open)));
        Ok(())
    }

    /// A message from `peer`. Channel messages drive establishment; the
    /// rest is the peer layer's business.
    pub(crate) fn on_message(
        &mut self,
        peer: PublicKey,
        message: Message,
    ) -> Result<(), PeerFault> {
        match message {
            Message::OpenChannel(open) => self.on_open_channel(peer, &open),
            Message::AcceptChannel(accept) => self.on_accept_channel(peer, &accept),
            Message::FundingCreated(created) => self.on_funding_created(peer, &created),
            Message::FundingSigned(signed) => {
                let id = signed.channel_id;
                let Some(record) = self.channels.get(&id).filter(|c| c.peer == peer) else {
                    return Err(unknown(id, "funding_signed"));
                };
                let ChannelPhase::AwaitingFundingSigned { phase, funding_tx } = &record.phase
                else {
                    return Err(PeerFault::new(
                        id,
                        FaultKind::Unexpected {
                            message: "funding_signed",
                        },
                    ));
                };
                let (phase, funding_tx, key_index) =
                    (phase.clone(), funding_tx.clone(), record.key_index);
                let keys = self
                    .channel_keys(key_index)
                    .map_err(|e| PeerFault::new(id, FaultKind::CannotFund(e)))?;
                let funded = phase
                    .on_funding_signed(&self.secp, &keys, &signed)
                    .map_err(|e| PeerFault::new(id, e))?;
                let funding = funded.funding;
                let records = self.wallet.apply_unconfirmed(&funding_tx, self.now);
                self.persist_wallet(records);
                self.store_channel(ChannelRecord {
                    peer,
                    key_index,
                    phase: ChannelPhase::Funded(FundedChannel {
                        phase: funded,
                        funding_tx: Some(funding_tx.clone()),
                        funded_at_height: self.tip_height(),
                        confirmation: None,
                        failure: None,
                    }),
                });
                self.out.push(Action::Broadcast {
                    tx: funding_tx,
                    report: true,
                });
                // The call is answered once the chain has the funding (as
                // lnd's openchannel returns after publishing), so a block
                // mined next includes it. The open is complete either way:
                // a refused funding is rebroadcast.
                if let Some(waiting) = self.waiting_opens.remove(&id) {
                    self.publishing
                        .insert(funding.txid, (waiting.request, funding));
                }
                Ok(())
            }
            Message::ChannelReady(ready) => {
                let id = ready.channel_id;
                let mut channel = self.funded_with(peer, id, "channel_ready")?;
                channel
                    .phase
                    .on_channel_ready(&ready)
                    .map_err(|e| PeerFault::new(id, e))?;
                self.store_funded(id, channel);
                Ok(())
            }
            Message::ChannelReestablish(msg) => {
                let id = msg.channel_id;
                if let Some(ChannelPhase::ClosedOnChain { .. }) = self
                    .channels
                    .get(&id)
                    .filter(|c| c.peer == peer)
                    .map(|c| &c.phase)
                {
                    return Ok(());
                }
                let channel = self.funded_with(peer, id, "channel_reestablish")?;
                // A failed channel is not resumed: the peer hears it again.
                if let Some(failure) = &channel.failure {
                    return Err(PeerFault::new(
                        id,
                        FaultKind::ChannelFailed(failure.reason.clone()),
                    ));
                }
                let key_index = self.channels[&id].key_index;
                let keys = self
                    .channel_keys(key_index)
                    .map_err(|e| PeerFault::new(id, FaultKind::CannotFund(e)))?;
                let mut channel = channel;
                let resend = channel
                    .phase
                    .on_reestablish(&self.secp, &keys, &msg)
                    .map_err(|e| PeerFault::new(id, e))?;
                for message in resend {
                    self.send(peer, message);
                }
                // Queued updates may now be signed.
                self.sign_and_store(peer, id, channel, &keys);
                Ok(())
            }
            Message::Error(error) => {
                self.on_peer_error(peer, &error);
                Ok(())
            }
            Message::Warning(warning) => {
                let shown: String = warning.printable_data().chars().take(200).collect();
                tracing::info!(%peer, warning = %shown, "peer sent warning");
                Ok(())
            }
            Message::UpdateAddHtlc(_)
            | Message::UpdateFulfillHtlc(_)
            | Message::UpdateFailHtlc(_)
            | Message::UpdateFailMalformedHtlc(_)
            | Message::UpdateFee(_)
            | Message::CommitmentSigned(_)
            | Message::RevokeAndAck(_) => self.on_dance_message(peer, message),
            Message::QueryChannelRange(_)
            | Message::QueryShortChannelIds(_)
            | Message::ReplyChannelRange(_)
            | Message::ReplyShortChannelIdsEnd(_)
            | Message::GossipTimestampFilter(_) => {
                self.on_gossip_query(peer, &message);
                Ok(())
            }
            // The peer layer answers pings, checks init, skips gossip.
            Message::Init(_)
            | Message::Ping(_)
            | Message::Pong(_)
            | Message::Gossip { .. }
            | Message::Unknown { .. } => Ok(()),
        }
    }

    /// The funded (open) channel `id` with `peer`, for a message that needs
    /// one.
    pub(crate) fn funded_with(
        &self,
        peer: PublicKey,
        id: ChannelId,
        message: &'static str,
    ) -> Result<FundedChannel, PeerFault> {
        match self.channels.get(&id).filter(|c| c.peer == peer) {
            Some(ChannelRecord {
                phase: ChannelPhase::Funded(channel),
                ..
            }) => Ok(channel.clone()),
            Some(_) => Err(PeerFault::new(id, FaultKind::Unexpected { message })),
            None => Err(unknown(id, message)),
        }
    }

    /// Replaces the funded channel `id`'s state and persists it.
    pub(crate) fn store_funded(&mut self, id: ChannelId, channel: FundedChannel) {
        if let Some(record) = self.channels.get(&id) {
            let record = ChannelRecord {
                peer: record.peer,
                key_index: record.key_index,
                phase: ChannelPhase::Funded(channel),
            };
            self.store_channel(record);
        }
    }

    /// Marks the funded channel `id` with `peer` failed (once), by `by`,
    /// with `reason`. A channel with another peer is never touched: a peer
    /// may name any channel id.
    pub(crate) fn mark_failed(&mut self, peer: PublicKey, id: ChannelId, by: Side, reason: &str) {
        let ours = self.channels.get(&id).filter(|c| c.peer == peer);
        if let Some(ChannelPhase::Funded(channel)) = ours.map(|c| &c.phase) {
            // Nothing of ours is at stake in a channel the peer funds and
            // has not confirmed: forget it (a failed row would otherwise
            // escape the pending limits and pile up).
            if !channel.is_ours() && channel.confirmation.is_none() {
                tracing::info!(%peer, channel = %id, %reason, "unconfirmed inbound channel failed; forgetting it");
                self.remove_channel(id);
                return;
            }
            if channel.failure.is_none() {
                let mut channel = channel.clone();
                channel.failure = Some(Failure {
                    by,
                    reason: reason.to_owned(),
                });
                self.store_funded(id, channel);
            }
        }
    }

    /// Inbound channels of `peer` (or of everyone) that are not confirmed:
    /// waiting for `funding_created`, or funded but not on chain yet.
    fn pending_inbound(&self, peer: Option<PublicKey>) -> usize {
        let of = |p: &PublicKey| peer.is_none_or(|q| q == *p);
        let waiting = self.inbound.keys().filter(|(p, _)| of(p)).count();
        let unconfirmed = self
            .channels
            .values()
            .filter(|c| of(&c.peer))
            .filter(|c| {
                matches!(&c.phase, ChannelPhase::Funded(f)
                    if !f.is_ours() && f.confirmation.is_none() && f.failure.is_none())
            })
            .count();
        waiting + unconfirmed
    }

    fn on_open_channel(&mut self, peer: PublicKey, open: &OpenChannel) -> Result<(), PeerFault> {
        let temporary = open.temporary_channel_id;
        if self.inbound.contains_key(&(peer, temporary)) {
            return Err(PeerFault::new(temporary, FaultKind::DuplicateTemporaryId));
        }
        let features = self
            .peers
            .get(&peer)
            .cloned()
            .unwrap_or_else(Features::empty);
        // The 2016-block funding deadline counts from our tip.
        if self.wallet.sync_tip().is_none() {
            return Err(PeerFault::new(temporary, FaultKind::NotSynced));
        }
        // Check first: a refused proposal costs no key index and no write.
        rayo_channel::establish::check_open_channel(open, &self.config.policy, &features)
            .map_err(|e| PeerFault::new(temporary, rayo_channel::channel::ChannelError::from(e)))?;
        let limits = [
            (Some(peer), self.config.max_pending_per_peer, "per peer"),
            (None, self.config.max_pending_total, "in total"),
        ];
        for (scope_peer, limit, scope) in limits {
            if self.pending_inbound(scope_peer) >= limit {
                return Err(PeerFault::new(
                    temporary,
                    FaultKind::TooManyPending { limit, scope },
                ));
            }
        }
        let key_index = self.allocate_key_index().ok_or_else(|| {
            PeerFault::new(
                temporary,
                FaultKind::CannotFund("key indexes exhausted".into()),
            )
        })?;
        let keys = self
            .channel_keys(key_index)
            .map_err(|e| PeerFault::new(temporary, FaultKind::CannotFund(e)))?;
        let (phase, accept) =
            accept_channel(&self.secp, &self.config.policy, &keys, open, &features)
                .map_err(|e| PeerFault::new(temporary, e))?;
        self.inbound.insert(
            (peer, temporary),
            PendingInbound {
                key_index,
                phase,
                deadline: self.now.saturating_add(self.config.inbound_timeout_secs),
            },
        );
        self.send(peer, Message::AcceptChannel(Box::new(accept)));
        Ok(())
    }

    /// Opener: terms agreed. Builds and signs the funding transaction (not
    /// broadcast), locks its coins and stores the phase with them, in one
    /// changeset, before `funding_created` goes out.
    fn on_accept_channel(
        &mut self,
        peer: PublicKey,
        accept: &AcceptChannel,
    ) -> Result<(), PeerFault> {
        let temporary = accept.temporary_channel_id;
        let Some(pending) = self.outbound.remove(&(peer, temporary)) else {
            return Err(unknown(temporary, "accept_channel"));
        };
        let request = pending.request;
        match self.fund(peer, pending, accept) {
            Ok(()) => Ok(()),
            Err(fault) => {
                self.reply(
                    request,
                    Err(CommandError::FailedPrecondition(format!(
                        "the channel open failed: {}",
                        fault.kind
                    ))),
                );
                Err(fault)
            }
        }
    }

    fn fund(
        &mut self,
        peer: PublicKey,
        pending: PendingOutbound,
        accept: &AcceptChannel,
    ) -> Result<(), PeerFault> {
        let temporary = accept.temporary_channel_id;
        let fault = |kind: FaultKind| PeerFault::new(temporary, kind);
        let awaiting = pending
            .phase
            .on_accept_channel(accept, &self.config.policy)
            .map_err(|e| fault(e.into()))?;
        let script = awaiting.setup.funding_script_pubkey();
        let capacity = Amount::from_sat(awaiting.setup.capacity.0);
        let cannot_fund = |e: rayo_wallet::WalletError| fault(FaultKind::CannotFund(e.to_string()));
        let spend = self
            .wallet
            .build_transaction(
                &Recipients::Pay(vec![(script.clone(), capacity)]),
                pending.funding_feerate,
                AddressType::P2wkh,
                1,
            )
            .map_err(cannot_fund)?;
        // The change address is revealed in memory: persist it whatever
        // happens next.
        self.persist_wallet(spend.records.clone());
        let funding_tx = self.wallet.sign(&spend).map_err(cannot_fund)?;
        let vout = funding_tx
            .output
            .iter()
            .position(|o| o.script_pubkey == script)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| fault(FaultKind::CannotFund("no funding output".into())))?;
        let keys = self
            .channel_keys(pending.key_index)
            .map_err(|e| fault(FaultKind::CannotFund(e)))?;
        let funding = OutPoint {
            txid: funding_tx.compute_txid(),
            vout,
        };
        let (phase, created): (_, FundingCreated) = awaiting
            .funding_created(&self.secp, &keys, funding)
            .map_err(|e| fault(e.into()))?;
        let id = phase.channel_id();
        if self.channels.contains_key(&id) {
            return Err(fault(FaultKind::FundingInUse));
        }
        // One changeset: the change address, the coin locks and the row.
        let records = self.wallet.lock_inputs(&spend);
        self.persist_wallet(records);
        self.store_channel(ChannelRecord {
            peer,
            key_index: pending.key_index,
            phase: ChannelPhase::AwaitingFundingSigned { phase, funding_tx },
        });
        self.waiting_opens.insert(
            id,
            WaitingOpen {
                request: pending.request,
                deadline: pending.deadline,
            },
        );
        self.send(peer, Message::FundingCreated(created));
        Ok(())
    }

    /// Acceptor: `funding_created` checked and signed; the funded phase is
    /// stored before `funding_signed` goes out.
    fn on_funding_created(
        &mut self,
        peer: PublicKey,
        created: &FundingCreated,
    ) -> Result<(), PeerFault> {
        let temporary = created.temporary_channel_id;
        let Some(pending) = self.inbound.remove(&(peer, temporary)) else {
            return Err(unknown(temporary, "funding_created"));
        };
        let keys = self
            .channel_keys(pending.key_index)
            .map_err(|e| PeerFault::new(temporary, FaultKind::CannotFund(e)))?;
        let (funded, signed) = pending
            .phase
            .on_funding_created(&self.secp, &keys, created)
            .map_err(|e| PeerFault::new(temporary, e))?;
        let id = funded.channel_id;
        // A funding outpoint names one channel only: never let a peer's
        // funding_created replace a channel we have.
        if self.channels.contains_key(&id) {
            return Err(PeerFault::new(temporary, FaultKind::FundingInUse));
        }
        self.store_channel(ChannelRecord {
            peer,
            key_index: pending.key_index,
            phase: ChannelPhase::Funded(FundedChannel {
                phase: funded,
                funding_tx: None,
                funded_at_height: self.tip_height(),
                confirmation: None,
                failure: None,
            }),
        });
        self.send(peer, Message::FundingSigned(signed));
        Ok(())
    }

    /// BOLT 1: the peer failed a channel (or all, with the zero id). Opens
    /// in progress are abandoned; a funded channel keeps its state, marked
    /// failed with the peer's text (its unilateral close comes with
    /// closing). An unknown channel id is ignored.
    fn on_peer_error(&mut self, peer: PublicKey, error: &ErrorMessage) {
        let text = error.printable_data();
        let shown: String = text.chars().take(200).collect();
        tracing::info!(%peer, channel = %error.channel_id, error = %shown, "peer failed a channel");
        let all = error.channel_id.is_all();
        let named = |id: &ChannelId| all || *id == error.channel_id;
        let opens: Vec<ChannelId> = self
            .outbound
            .keys()
            .chain(self.inbound.keys())
            .filter(|(p, id)| *p == peer && named(id))
            .map(|(_, id)| *id)
            .collect();
        let reason = format!("the peer failed it: {text}");
        for id in opens {
            self.fail_unfunded(peer, id, &reason);
        }
        let stored: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(id, c)| {
                c.peer == peer
                    && (named(id)
                        || matches!(&c.phase, ChannelPhase::AwaitingFundingSigned { phase, .. }
                            if named(&phase.temporary_channel_id())))
            })
            .map(|(id, _)| *id)
            .collect();
        for id in stored {
            match self.channels.get(&id).map(|c| &c.phase) {
                Some(ChannelPhase::AwaitingFundingSigned { .. }) => {
                    self.abandon_funding(id, &reason);
                }
                Some(ChannelPhase::Funded(_)) => self.mark_failed(peer, id, Side::Remote, &text),
                _ => {}
            }
        }
    }
}
