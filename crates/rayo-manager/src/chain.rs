//! The chain in the manager: blocks confirm fundings (then `channel_ready`
//! at depth), spend funding outputs (the channel is closed on chain), and
//! time out fundings that never came; reorgs undo what they must.

use bitcoin::secp256k1::PublicKey;
use bitcoin::{Block, Transaction};
use rayo_wallet::WalletError;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Message};

use crate::fault::FaultKind;
use crate::manager::{Manager, FUNDING_TIMEOUT_BLOCKS};
use crate::record::{ChannelPhase, ChannelRecord, Confirmation, FundedChannel};

impl Manager {
    /// A block at `height`: the wallet takes it first (a block that does
    /// not extend the wallet's tip changes nothing: the chain source asks
    /// for the sync tip again), then every channel looks at it.
    pub(crate) fn block_connected(&mut self, height: u32, block: &Block) {
        match self.wallet.apply_block(block, height) {
            Ok(records) => self.persist_wallet(records),
            Err(WalletError::BlockDoesNotConnect { .. }) => return,
            Err(e) => {
                tracing::error!(height, error = %e, "block refused by the wallet");
                return;
            }
        }
        // Hashed once per block, not once per waiting channel.
        let txids: Vec<bitcoin::Txid> = block.txdata.iter().map(|tx| tx.compute_txid()).collect();
        let ids: Vec<ChannelId> = self.channels.keys().copied().collect();
        for id in ids {
            if let Some((_, _, channel)) = self.open_channel_state(id) {
                let funding = channel.funding();
                if channel.confirmation.is_none() {
                    let found = txids
                        .iter()
                        .position(|txid| *txid == funding.txid)
                        .map(|index| (index, &block.txdata[index]));
                    if let Some((index, tx)) = found {
                        let index = u32::try_from(index).unwrap_or(u32::MAX);
                        self.confirm_funding(id, tx, height, index);
                    }
                }
                let spend = block.txdata.iter().find(|tx| {
                    tx.input
                        .iter()
                        .any(|input| input.previous_output == funding)
                });
                if let Some(spending) = spend {
                    self.closed_on_chain(id, spending, height);
                }
            }
            self.check_funding(id, height);
        }
        self.rebroadcast_fundings();
    }

    /// A watched funding was already confirmed below our tip (a peer may
    /// name an old transaction): the same checks as in a new block.
    pub(crate) fn transaction_confirmed(&mut self, tx: &Transaction, height: u32, tx_index: u32) {
        let tip = self.tip_height();
        if height > tip {
            // Its block is still to come and says the same.
            return;
        }
        let txid = tx.compute_txid();
        let ids: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(_, c)| {
                matches!(&c.phase, ChannelPhase::Funded(f)
                    if f.funding().txid == txid && f.confirmation.is_none())
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.confirm_funding(id, tx, height, tx_index);
            self.check_funding(id, tip);
        }
    }

    /// The open (funded, not closed) channel `id`: peer, key index, state.
    fn open_channel_state(&self, id: ChannelId) -> Option<(PublicKey, u32, FundedChannel)> {
        let record = self.channels.get(&id)?;
        match &record.phase {
            ChannelPhase::Funded(channel) => Some((record.peer, record.key_index, channel.clone())),
            _ => None,
        }
    }

    /// Tells the peer, then forgets the channel.
    pub(crate) fn forget_channel(&mut self, id: ChannelId, peer: PublicKey, why: FaultKind) {
        tracing::warn!(channel = %id, %peer, reason = %why, "forgetting the channel");
        self.remove_channel(id);
        let data = why.to_string().into_bytes();
        self.send(
            peer,
            Message::Error(ErrorMessage {
                channel_id: id,
                data,
            }),
        );
    }

    /// The funding transaction is in a block at `height`, position
    /// `tx_index`. BOLT 2: its output must be the agreed 2-of-2 of the
    /// agreed amount; a peer that points elsewhere gets no channel.
    fn confirm_funding(&mut self, id: ChannelId, tx: &Transaction, height: u32, tx_index: u32) {
        let Some((peer, _, mut channel)) = self.open_channel_state(id) else {
            return;
        };
        let setup = &channel.phase.setup;
        let genuine = usize::try_from(channel.funding().vout)
            .ok()
            .and_then(|v| tx.output.get(v))
            .is_some_and(|o| {
                o.script_pubkey == setup.funding_script_pubkey()
                    && o.value.to_sat() == setup.capacity.0
            });
        if !genuine {
            self.forget_channel(id, peer, FaultKind::FundingMismatch);
            return;
        }
        channel.confirmation = Some(Confirmation { height, tx_index });
        self.store_funded(id, channel);
    }

    /// A transaction spending the funding output confirmed.
    fn closed_on_chain(&mut self, id: ChannelId, spending: &Transaction, height: u32) {
        let Some((peer, key_index, channel)) = self.open_channel_state(id) else {
            return;
        };
        if channel.confirmation.is_none() && !channel.is_ours() {
            // We never saw this funding confirm, so never checked that it
            // is the agreed 2-of-2: a peer may have named any output.
            self.forget_channel(id, peer, FaultKind::FundingMismatch);
            return;
        }
        let spending_txid = spending.compute_txid();
        tracing::info!(channel = %id, %spending_txid, "funding output spent: channel closed on chain");
        self.store_channel(ChannelRecord {
            peer,
            key_index,
            phase: ChannelPhase::ClosedOnChain {
                channel,
                spending_txid,
                height,
            },
        });
    }

    /// At chain height `height`: a confirmed funding deep enough sends
    /// `channel_ready` (once); a fundee's funding that never came within
    /// 2016 blocks is forgotten.
    fn check_funding(&mut self, id: ChannelId, height: u32) {
        let Some((peer, key_index, mut channel)) = self.open_channel_state(id) else {
            return;
        };
        match channel.confirmation {
            Some(conf) if !channel.phase.ready_sent && channel.failure.is_none() => {
                let depth = height.saturating_sub(conf.height).saturating_add(1);
                let ready = self.channel_keys(key_index).and_then(|keys| {
                    channel
                        .phase
                        .funding_confirmed(&self.secp, &keys, depth, conf.height, conf.tx_index)
                        .map_err(|e| e.to_string())
                });
                match ready {
                    Ok(Some(ready)) => {
                        self.store_funded(id, channel);
                        self.send(peer, Message::ChannelReady(ready));
                    }
                    Ok(None) => {}
                    Err(e) => tracing::error!(channel = %id, error = %e, "channel_ready"),
                }
            }
            None if !channel.is_ours()
                && height
                    >= channel
                        .funded_at_height
                        .saturating_add(FUNDING_TIMEOUT_BLOCKS) =>
            {
                self.forget_channel(id, peer, FaultKind::Timeout);
            }
            _ => {}
        }
    }

    /// Every block above `height` left the best chain: the wallet steps
    /// back, confirmations above it are undone, spends above it too.
    pub(crate) fn blocks_disconnected(&mut self, height: u32) {
        let records = self.wallet.disconnect_to(height);
        self.persist_wallet(records);
        let ids: Vec<ChannelId> = self.channels.keys().copied().collect();
        for id in ids {
            let Some(record) = self.channels.get(&id) else {
                continue;
            };
            let (peer, key_index) = (record.peer, record.key_index);
            // A funding that left the chain is pending again: its short
            // channel id and channel_ready come anew when it re-confirms.
            let unconfirm = |channel: &FundedChannel| {
                let mut channel = channel.clone();
                if channel.confirmation.is_some_and(|c| c.height > height) {
                    channel.confirmation = None;
                    channel.phase.short_channel_id = None;
                    channel.phase.ready_sent = false;
                }
                channel
            };
            match &record.phase {
                ChannelPhase::ClosedOnChain {
                    channel, height: h, ..
                } if *h > height => {
                    let channel = unconfirm(channel);
                    self.store_channel(ChannelRecord {
                        peer,
                        key_index,
                        phase: ChannelPhase::Funded(channel),
                    });
                }
                ChannelPhase::Funded(channel)
                    if channel.confirmation.is_some_and(|c| c.height > height) =>
                {
                    let channel = unconfirm(channel);
                    self.store_funded(id, channel);
                }
                _ => {}
            }
        }
    }
}
