//! Normal operation on funded channels: the peer's dance messages
//! (`update_*`, `commitment_signed`, `revoke_and_ack`) go to the channel,
//! what they complete is settled or reported, and the channel signs
//! whenever it has something to sign. Every step stores the channel before
//! the messages it produced go out (the owner applies the batch's
//! changeset first).

use bitcoin::secp256k1::PublicKey;
use rayo_channel::keys::ChannelKeys;
use rayo_channel::normal::UpdateError;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;

use crate::action::Changeset;
use crate::fault::{FaultKind, PeerFault};
use crate::manager::Manager;
use crate::record::{ChannelPhase, FundedChannel};

/// The channel and name of a dance message, or `None` for other messages.
pub(crate) fn dance_channel(message: &Message) -> Option<(ChannelId, &'static str)> {
    Some(match message {
        Message::UpdateAddHtlc(m) => (m.channel_id, "update_add_htlc"),
        Message::UpdateFulfillHtlc(m) => (m.channel_id, "update_fulfill_htlc"),
        Message::UpdateFailHtlc(m) => (m.channel_id, "update_fail_htlc"),
        Message::UpdateFailMalformedHtlc(m) => (m.channel_id, "update_fail_malformed_htlc"),
        Message::UpdateFee(m) => (m.channel_id, "update_fee"),
        Message::CommitmentSigned(m) => (m.channel_id, "commitment_signed"),
        Message::RevokeAndAck(m) => (m.channel_id, "revoke_and_ack"),
        _ => return None,
    })
}

impl Manager {
    /// A dance message from `peer`. On a fault nothing of the channel
    /// changes (the step works on a copy, stored only on success).
    pub(crate) fn on_dance_message(
        &mut self,
        peer: PublicKey,
        message: Message,
    ) -> Result<(), PeerFault> {
        let Some((id, name)) = dance_channel(&message) else {
            return Ok(());
        };
        let mut channel = self.funded_with(peer, id, name)?;
        if let Some(failure) = &channel.failure {
            return Err(PeerFault::new(
                id,
                FaultKind::ChannelFailed(failure.reason.clone()),
            ));
        }
        let keys = self.keys_of(id)?;
        let fault = |e: UpdateError| PeerFault::new(id, e);
        let phase = &mut channel.phase;
        match message {
            Message::UpdateAddHtlc(m) => phase.on_update_add_htlc(&m).map_err(fault)?,
            Message::UpdateFulfillHtlc(m) => {
                let htlc = phase.on_update_fulfill_htlc(&m).map_err(fault)?;
                self.payment_succeeded(htlc.payment_hash, m.payment_preimage);
            }
            Message::UpdateFailHtlc(m) => phase.on_update_fail_htlc(&m).map_err(fault)?,
            Message::UpdateFailMalformedHtlc(m) => {
                phase.on_update_fail_malformed_htlc(&m).map_err(fault)?
            }
            Message::UpdateFee(m) => phase
                .on_update_fee(&m, self.config.policy.feerate_range)
                .map_err(fault)?,
            Message::CommitmentSigned(m) => {
                if let Some(revoke) = phase
                    .on_commitment_signed(&self.secp, &keys, &m)
                    .map_err(fault)?
                {
                    self.send(peer, Message::RevokeAndAck(revoke));
                }
            }
            Message::RevokeAndAck(m) => {
                let revoked = phase.on_revoke_and_ack(&self.secp, &m).map_err(fault)?;
                self.persist(Changeset {
                    revoked: vec![(id, revoked.commitment)],
                    ..Changeset::default()
                });
                for add in revoked.incoming {
                    if let Some(reply) = self.receive_htlc(&mut channel, add) {
                        self.send(peer, reply);
                    }
                }
                for failed in revoked.failed {
                    self.payment_failed_by_peer(&failed);
                }
            }
            _ => {}
        }
        self.sign_and_store(peer, id, channel, &keys);
        Ok(())
    }

    /// The keys of stored channel `id`.
    pub(crate) fn keys_of(&self, id: ChannelId) -> Result<ChannelKeys, PeerFault> {
        let index = self.channels.get(&id).map_or(0, |c| c.key_index);
        self.channel_keys(index)
            .map_err(|e| PeerFault::new(id, FaultKind::CannotFund(e)))
    }

    /// Signs what `channel` has to sign (queueing the `commitment_signed`)
    /// and stores it.
    pub(crate) fn sign_and_store(
        &mut self,
        peer: PublicKey,
        id: ChannelId,
        mut channel: FundedChannel,
        keys: &ChannelKeys,
    ) {
        match channel.phase.sign(&self.secp, keys) {
            Ok(Some(signed)) => self.send(peer, Message::CommitmentSigned(signed)),
            Ok(None) => {}
            Err(e) => tracing::error!(channel = %id, error = %e, "cannot sign the next commitment"),
        }
        self.store_funded(id, channel);
    }

    /// Funded, open channels with `peer`, by id.
    pub(crate) fn open_channels_with(&self, peer: PublicKey) -> Vec<ChannelId> {
        self.channels
            .iter()
            .filter(|(_, c)| {
                c.peer == peer && matches!(&c.phase, ChannelPhase::Funded(f) if f.failure.is_none())
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// The connection to `peer` dropped: each channel reverses the peer's
    /// unsigned updates (BOLT 2) and waits for reestablish.
    pub(crate) fn channels_disconnected(&mut self, peer: PublicKey) {
        for id in self.open_channels_with(peer) {
            let Ok(mut channel) = self.funded_with(peer, id, "disconnect") else {
                continue;
            };
            let before = channel.phase.commitments.clone();
            channel.phase.disconnected();
            if channel.phase.commitments != before {
                self.store_funded(id, channel);
            } else if let Some(ChannelPhase::Funded(stored)) =
                self.channels.get_mut(&id).map(|c| &mut c.phase)
            {
                // Only the link flag moved: memory only, nothing to store.
                stored.phase.commitments.link_ready = false;
            }
        }
    }
}
