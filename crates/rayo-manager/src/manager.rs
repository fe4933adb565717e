//! The state machine: every channel and the wallet, one owner, events in,
//! ordered actions out.

use std::collections::{BTreeMap, BTreeSet};

use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::{All, PublicKey, Secp256k1, SecretKey};
use bitcoin::{Network, OutPoint, ScriptBuf, Txid};
use rayo_channel::channel::{AwaitingFundingCreated, Outbound};
use rayo_channel::establish::ChannelPolicy;
use rayo_channel::keys::ChannelKeys;
use rayo_wallet::{UnsignedSpend, Wallet, WalletError, WalletRecord};
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Message, Warning};

use crate::action::{Action, Changeset, CommandError, Reply, Watch};
use crate::event::{Command, Event, RequestId};
use crate::fault::{Consequence, FaultKind, PeerFault};
use crate::record::{ChannelPhase, ChannelRecord, InvoiceRecord, PaymentRecord};

/// BOLT 2: a fundee may forget a channel whose funding transaction has not
/// confirmed this many blocks after `funding_signed`.
pub const FUNDING_TIMEOUT_BLOCKS: u32 = 2016;

/// The manager's settings.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// The chain we run on.
    pub network: Network,
    /// Our channel limits and defaults.
    pub policy: ChannelPolicy,
    /// Most inbound channels one peer may have unconfirmed (waiting for
    /// `funding_created` or for the funding to confirm): lnd's
    /// `--maxpendingchannels`, per peer, default 1.
    pub max_pending_per_peer: usize,
    /// Most unconfirmed inbound channels of all peers together.
    pub max_pending_total: usize,
    /// Seconds an `openchannel` call waits for the peer before it fails
    /// (and the open is abandoned, so it can never complete afterwards).
    pub open_timeout_secs: u64,
    /// Seconds a peer has from our `accept_channel` to its
    /// `funding_created`.
    pub inbound_timeout_secs: u64,
}

impl ManagerConfig {
    /// lnd-like defaults for `network` with `policy`.
    pub fn new(network: Network, policy: ChannelPolicy) -> Self {
        Self {
            network,
            policy,
            max_pending_per_peer: 1,
            max_pending_total: 50,
            open_timeout_secs: 60,
            inbound_timeout_secs: 60,
        }
    }
}

/// What the store hands back at startup.
#[derive(Debug, Clone, Default)]
pub struct StoredState {
    /// Every wallet record, in the order written.
    pub wallet: Vec<WalletRecord>,
    /// Every stored channel.
    pub channels: Vec<ChannelRecord>,
    /// The next free channel key index.
    pub next_key_index: u32,
    /// Every invoice.
    pub invoices: Vec<InvoiceRecord>,
    /// Every outgoing payment.
    pub payments: Vec<PaymentRecord>,
}

/// Opener: `open_channel` sent, `accept_channel` awaited.
#[derive(Debug, Clone)]
pub(crate) struct PendingOutbound {
    pub(crate) key_index: u32,
    pub(crate) phase: Outbound,
    pub(crate) funding_feerate: bitcoin::FeeRate,
    pub(crate) request: RequestId,
    pub(crate) deadline: u64,
}

/// Acceptor: `accept_channel` sent, `funding_created` awaited.
#[derive(Debug, Clone)]
pub(crate) struct PendingInbound {
    pub(crate) key_index: u32,
    pub(crate) phase: AwaitingFundingCreated,
    pub(crate) deadline: u64,
}

/// An `openchannel` call whose `funding_created` is out, waiting for
/// `funding_signed`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WaitingOpen {
    pub(crate) request: RequestId,
    pub(crate) deadline: u64,
}

/// The channel a message is about (temporary id before `funding_signed`).
fn channel_of(message: &Message) -> Option<ChannelId> {
    match message {
        Message::OpenChannel(m) => Some(m.temporary_channel_id),
        Message::AcceptChannel(m) => Some(m.temporary_channel_id),
        Message::FundingCreated(m) => Some(m.temporary_channel_id),
        Message::FundingSigned(m) => Some(m.channel_id),
        Message::ChannelReady(m) => Some(m.channel_id),
        Message::ChannelReestablish(m) => Some(m.channel_id),
        Message::Error(m) => Some(m.channel_id),
        Message::Warning(m) => Some(m.channel_id),
        _ => None,
    }
}

/// The node's channels and wallet behind one state machine. See the crate
/// documentation. Cloning gives an independent copy (benchmarks and
/// simulations fork a world with it).
#[derive(Clone)]
pub struct Manager {
    pub(crate) config: ManagerConfig,
    pub(crate) secp: Secp256k1<All>,
    master: Xpriv,
    pub(crate) wallet: Wallet,
    /// Connected peers and the features of their `init`.
    pub(crate) peers: BTreeMap<PublicKey, Features>,
    pub(crate) outbound: BTreeMap<(PublicKey, ChannelId), PendingOutbound>,
    pub(crate) inbound: BTreeMap<(PublicKey, ChannelId), PendingInbound>,
    /// Every stored channel, by channel id.
    pub(crate) channels: BTreeMap<ChannelId, ChannelRecord>,
    /// Opens whose `funding_created` is out, by channel id.
    pub(crate) waiting_opens: BTreeMap<ChannelId, WaitingOpen>,
    /// `sendcoins` transactions handed to the chain, waiting for its answer.
    pub(crate) sending: BTreeMap<Txid, (RequestId, UnsignedSpend)>,
    /// Funded opens whose funding is being handed to the chain: the call is
    /// answered with the outpoint when the chain answers.
    pub(crate) publishing: BTreeMap<Txid, (RequestId, OutPoint)>,
    pub(crate) next_key_index: u32,
    /// The node's identity key: peels onions, signs invoices.
    pub(crate) node_secret: SecretKey,
    /// Invoices by payment hash.
    pub(crate) invoices: BTreeMap<[u8; 32], InvoiceRecord>,
    /// Outgoing payments by payment hash.
    pub(crate) payments: BTreeMap<[u8; 32], PaymentRecord>,
    /// `sendpayment` calls waiting for their payment to end.
    pub(crate) waiting_payments: BTreeMap<[u8; 32], RequestId>,
    /// The keys of every stored channel, by key index: deriving them from
    /// the seed costs dozens of EC multiplications, and every dance message
    /// needs them.
    keys: BTreeMap<u32, ChannelKeys>,
    /// Scripts already asked of the chain source.
    watched_scripts: BTreeSet<ScriptBuf>,
    /// Funding outpoints already asked of the chain source.
    watched_outpoints: BTreeSet<OutPoint>,
    /// The `now` of the event being handled (seconds since the epoch).
    pub(crate) now: u64,
    /// The entropy of the event being handled.
    pub(crate) entropy: [u8; 32],
    /// The actions of the event being handled.
    pub(crate) out: Vec<Action>,
}

impl Manager {
    /// Rebuilds the manager from what the store holds. Opens that never got
    /// `funding_signed` are forgotten (their funding was never broadcast)
    /// and every coin lock is released (no open is in flight after a
    /// restart); the returned actions persist that, watch every funding
    /// output and the wallet's scripts, and rebroadcast our unconfirmed
    /// fundings.
    pub fn restore(
        config: ManagerConfig,
        master: Xpriv,
        stored: StoredState,
        now: u64,
    ) -> Result<(Manager, Vec<Action>), WalletError> {
        let wallet = Wallet::restore(&master, config.network, stored.wallet)?;
        let node_secret = rayo_wallet::node_secret(&master)?;
        let mut manager = Manager {
            config,
            secp: Secp256k1::new(),
            master,
            wallet,
            peers: BTreeMap::new(),
            outbound: BTreeMap::new(),
            inbound: BTreeMap::new(),
            channels: BTreeMap::new(),
            waiting_opens: BTreeMap::new(),
            sending: BTreeMap::new(),
            publishing: BTreeMap::new(),
            next_key_index: stored.next_key_index,
            node_secret,
            invoices: stored
                .invoices
                .into_iter()
                .map(|i| (i.payment_hash, i))
                .collect(),
            payments: stored
                .payments
                .into_iter()
                .map(|p| (p.payment_hash, p))
                .collect(),
            waiting_payments: BTreeMap::new(),
            keys: BTreeMap::new(),
            watched_scripts: BTreeSet::new(),
            watched_outpoints: BTreeSet::new(),
            now,
            entropy: [0; 32],
            out: Vec::new(),
        };
        let mut changes = Changeset::default();
        for mut record in stored.channels {
            let id = record.channel_id();
            match &mut record.phase {
                ChannelPhase::AwaitingFundingSigned { .. } => {
                    changes.removed_channels.push(id);
                    continue;
                }
                // Rows written before confirmations were stored: the short
                // channel id says where the funding confirmed.
                ChannelPhase::Funded(channel) if channel.confirmation.is_none() => {
                    if let Some(scid) = channel.phase.short_channel_id {
                        channel.confirmation = Some(crate::record::Confirmation {
                            height: scid.block(),
                            tx_index: scid.tx_index(),
                        });
                        changes.channels.push(record.clone());
                    }
                }
                _ => {}
            }
            // Every start is a new connection: the peer's unsigned updates
            // are reversed as at a disconnection.
            if let ChannelPhase::Funded(channel) = &mut record.phase {
                let before = channel.phase.commitments.clone();
                channel.phase.disconnected();
                if channel.phase.commitments != before {
                    changes.channels.push(record.clone());
                }
            }
            manager.cache_keys(record.key_index);
            manager.channels.insert(id, record);
        }
        let locked: Vec<OutPoint> = manager.wallet.locked().collect();
        for outpoint in locked {
            changes.wallet.extend(manager.wallet.unlock(outpoint));
        }
        manager.persist(changes);
        manager.rebroadcast_fundings();
        manager.watch_everything();
        let actions = std::mem::take(&mut manager.out);
        Ok((manager, actions))
    }

    /// Handles one event at `now` (seconds since the epoch) with fresh
    /// `entropy`, and returns what to do, in order.
    pub fn handle(&mut self, event: Event, now: u64, entropy: [u8; 32]) -> Vec<Action> {
        self.now = now;
        self.entropy = entropy;
        match event {
            Event::PeerConnected { peer, features } => self.peer_connected(peer, features),
            Event::PeerDisconnected { peer } => self.peer_disconnected(peer),
            Event::PeerMessage { peer, message } => {
                // Every log line about this message names the channel.
                let span = tracing::info_span!("channel", channel_id = tracing::field::Empty);
                if let Some(id) = channel_of(&message) {
                    span.record("channel_id", tracing::field::display(id));
                }
                let _entered = span.enter();
                if let Err(fault) = self.on_message(peer, message) {
                    self.answer_fault(peer, fault);
                }
            }
            Event::BlockConnected { height, block } => self.block_connected(height, &block),
            Event::BlocksDisconnected { height } => self.blocks_disconnected(height),
            Event::TransactionConfirmed {
                tx,
                height,
                tx_index,
            } => self.transaction_confirmed(&tx, height, tx_index),
            Event::MempoolTransaction { tx } => {
                let records = self.wallet.apply_unconfirmed(&tx, now);
                self.persist_wallet(records);
            }
            Event::MempoolDropped { txid } => {
                let records = self.wallet.drop_unconfirmed(txid);
                self.persist_wallet(records);
            }
            Event::Command { id, command } => self.command(id, command),
            Event::BroadcastResult { txid, result } => self.broadcast_result(txid, result),
            Event::TransactionRejected { txid, reason } => self.transaction_rejected(txid, &reason),
            Event::CallDropped { id } => self.call_dropped(id),
            Event::Tick => self.tick(),
            Event::FeeEstimate { feerate_per_kw } => self.fee_estimate(feerate_per_kw),
        }
        self.watch_everything();
        std::mem::take(&mut self.out)
    }

    /// The wallet, to read.
    pub fn wallet(&self) -> &Wallet {
        &self.wallet
    }

    /// Every stored channel.
    pub fn channels(&self) -> impl Iterator<Item = &ChannelRecord> + '_ {
        self.channels.values()
    }

    /// Opens in progress that are not stored yet (before `funding_created`),
    /// both directions: `(peer, temporary id)`.
    pub fn unstored_opens(&self) -> impl Iterator<Item = (PublicKey, ChannelId)> + '_ {
        self.outbound.keys().chain(self.inbound.keys()).copied()
    }

    /// Our fundings not confirmed yet go out again (a chain that lost them,
    /// or refused them while it lagged, gets them back).
    pub(crate) fn rebroadcast_fundings(&mut self) {
        let unconfirmed: Vec<bitcoin::Transaction> = self
            .channels
            .values()
            .filter_map(|c| match &c.phase {
                ChannelPhase::Funded(f) if f.confirmation.is_none() => f.funding_tx.clone(),
                _ => None,
            })
            .collect();
        for tx in unconfirmed {
            self.out.push(Action::Broadcast { tx, report: false });
        }
    }

    /// The wallet's tip height (0 before the first block).
    pub(crate) fn tip_height(&self) -> u32 {
        self.wallet.sync_tip().map_or(0, |t| t.height)
    }

    /// The keys of channel key index `index`.
    pub(crate) fn channel_keys(&self, index: u32) -> Result<ChannelKeys, String> {
        if let Some(keys) = self.keys.get(&index) {
            return Ok(keys.clone());
        }
        ChannelKeys::derive(&self.secp, &self.master, self.config.network, index)
            .map_err(|e| format!("channel keys {index}: {e}"))
    }

    /// Keeps the keys of a stored channel at hand.
    fn cache_keys(&mut self, index: u32) {
        if !self.keys.contains_key(&index) {
            if let Ok(keys) = self.channel_keys(index) {
                self.keys.insert(index, keys);
            }
        }
    }

    /// Hands out a fresh key index, persisted with the step that uses it.
    pub(crate) fn allocate_key_index(&mut self) -> Option<u32> {
        let index = self.next_key_index;
        self.next_key_index = index.checked_add(1)?;
        self.persist(Changeset {
            next_key_index: Some(self.next_key_index),
            ..Changeset::default()
        });
        Some(index)
    }

    /// Queues a changeset; consecutive ones are merged into one.
    pub(crate) fn persist(&mut self, changes: Changeset) {
        if changes.is_empty() {
            return;
        }
        if let Some(Action::Persist(last)) = self.out.last_mut() {
            last.merge(changes);
        } else {
            self.out.push(Action::Persist(changes));
        }
    }

    /// Queues wallet records.
    pub(crate) fn persist_wallet(&mut self, records: Vec<WalletRecord>) {
        self.persist(Changeset {
            wallet: records,
            ..Changeset::default()
        });
    }

    /// Stores `record` (memory and changeset).
    pub(crate) fn store_channel(&mut self, record: ChannelRecord) {
        let id = record.channel_id();
        self.cache_keys(record.key_index);
        self.persist(Changeset {
            channels: vec![record.clone()],
            ..Changeset::default()
        });
        self.channels.insert(id, record);
    }

    /// Forgets a stored channel (memory and changeset).
    pub(crate) fn remove_channel(&mut self, id: ChannelId) -> Option<ChannelRecord> {
        let record = self.channels.remove(&id)?;
        self.keys.remove(&record.key_index);
        self.persist(Changeset {
            removed_channels: vec![id],
            ..Changeset::default()
        });
        if let Some(channel) = record.funded() {
            if self.watched_outpoints.remove(&channel.funding()) {
                self.out
                    .push(Action::Unwatch(Watch::Outpoint(channel.funding())));
            }
        }
        Some(record)
    }

    /// Queues a message to `peer`, if connected (a message for a peer that
    /// is gone is dropped: reestablishment resends what matters).
    pub(crate) fn send(&mut self, peer: PublicKey, message: Message) {
        if self.peers.contains_key(&peer) {
            self.out.push(Action::Send { peer, message });
        }
    }

    /// Queues an API answer.
    pub(crate) fn reply(&mut self, id: RequestId, reply: Result<Reply, CommandError>) {
        self.out.push(Action::Reply { id, reply });
    }

    /// Tells the peer what its fault means, per its consequence, and fails
    /// the channel when it says so.
    pub(crate) fn answer_fault(&mut self, peer: PublicKey, fault: PeerFault) {
        let data = fault.kind.to_string().into_bytes();
        // An `error` with the all-zero id fails every channel with us
        // (BOLT 1): a peer's message naming id 0 never earns that.
        let consequence = match fault.kind.consequence() {
            Consequence::Fail if fault.channel_id.is_all() => Consequence::Warn,
            other => other,
        };
        match consequence {
            Consequence::Ignore => {
                tracing::debug!(%peer, %fault, "peer message ignored");
            }
            Consequence::Warn => {
                tracing::warn!(%peer, %fault, "peer warned");
                self.send(
                    peer,
                    Message::Warning(Warning {
                        channel_id: fault.channel_id,
                        data,
                    }),
                );
                if self.peers.contains_key(&peer) {
                    self.out.push(Action::Disconnect { peer });
                }
            }
            Consequence::Fail => {
                // A refused proposal is routine (and a peer can make many);
                // failing a funded channel is news.
                let funded = self
                    .channels
                    .get(&fault.channel_id)
                    .is_some_and(|c| c.peer == peer && c.funded().is_some());
                if funded {
                    tracing::warn!(%peer, %fault, "channel failed");
                } else {
                    tracing::debug!(%peer, %fault, "channel refused");
                }
                self.send(
                    peer,
                    Message::Error(ErrorMessage {
                        channel_id: fault.channel_id,
                        data,
                    }),
                );
                let reason = fault.kind.to_string();
                self.fail_unfunded(peer, fault.channel_id, &reason);
                self.mark_failed(
                    peer,
                    fault.channel_id,
                    rayo_channel::commitment::Side::Local,
                    &reason,
                );
            }
        }
    }

    /// Abandons any open with `peer` named by `id` (temporary or final)
    /// that has nothing at stake: its coins are unlocked, its row removed,
    /// its API caller told.
    pub(crate) fn fail_unfunded(&mut self, peer: PublicKey, id: ChannelId, reason: &str) {
        if let Some(pending) = self.outbound.remove(&(peer, id)) {
            self.reply(
                pending.request,
                Err(CommandError::FailedPrecondition(format!(
                    "the channel open failed: {reason}"
                ))),
            );
        }
        self.inbound.remove(&(peer, id));
        let unfunded: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(cid, c)| {
                c.peer == peer
                    && matches!(&c.phase, ChannelPhase::AwaitingFundingSigned { phase, .. }
                        if **cid == id || phase.temporary_channel_id() == id)
            })
            .map(|(cid, _)| *cid)
            .collect();
        for cid in unfunded {
            self.abandon_funding(cid, reason);
        }
    }

    /// Forgets an open whose `funding_created` is out but whose funding was
    /// never broadcast: unlocks its coins, removes its row, fails its call.
    pub(crate) fn abandon_funding(&mut self, id: ChannelId, reason: &str) {
        let Some(record) = self.remove_channel(id) else {
            return;
        };
        if let ChannelPhase::AwaitingFundingSigned { funding_tx, .. } = &record.phase {
            let records: Vec<WalletRecord> = funding_tx
                .input
                .iter()
                .filter_map(|i| self.wallet.unlock(i.previous_output))
                .collect();
            self.persist_wallet(records);
        }
        if let Some(waiting) = self.waiting_opens.remove(&id) {
            self.reply(
                waiting.request,
                Err(CommandError::FailedPrecondition(format!(
                    "the channel open failed: {reason}"
                ))),
            );
        }
    }

    fn peer_connected(&mut self, peer: PublicKey, features: Features) {
        self.peers.insert(peer, features);
        let reestablish: Vec<Message> = self
            .channels
            .values()
            .filter(|c| c.peer == peer)
            .filter_map(|c| match &c.phase {
                ChannelPhase::Funded(f) if f.failure.is_none() => {
                    let keys = self.channel_keys(c.key_index).ok()?;
                    f.phase
                        .reestablish(&self.secp, &keys)
                        .ok()
                        .map(Message::ChannelReestablish)
                }
                _ => None,
            })
            .collect();
        for message in reestablish {
            self.send(peer, message);
        }
    }

    /// A peer left: opens it had not completed are abandoned (coins
    /// unlocked, the API caller told); funded channels stay.
    fn peer_disconnected(&mut self, peer: PublicKey) {
        let outbound: Vec<ChannelId> = self
            .outbound
            .keys()
            .filter(|(p, _)| *p == peer)
            .map(|(_, id)| *id)
            .collect();
        let awaiting: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(_, c)| {
                c.peer == peer && matches!(c.phase, ChannelPhase::AwaitingFundingSigned { .. })
            })
            .map(|(id, _)| *id)
            .collect();
        for id in outbound.into_iter().chain(awaiting) {
            self.fail_unfunded(peer, id, "the peer disconnected");
        }
        self.inbound.retain(|(p, _), _| *p != peer);
        self.peers.remove(&peer);
        self.channels_disconnected(peer);
    }

    fn command(&mut self, id: RequestId, command: Command) {
        let result = match command {
            Command::OpenChannel(open) => {
                // The reply comes when the open completes or fails.
                if let Err(e) = self.open_channel(id, open) {
                    self.reply(id, Err(e));
                }
                return;
            }
            Command::SendCoins {
                script,
                amount,
                feerate,
                min_conf,
            } => {
                if let Err(e) = self.send_coins(id, script, amount, feerate, min_conf) {
                    self.reply(id, Err(e));
                }
                return;
            }
            Command::NewAddress { kind } => match self.wallet.reveal_address(kind, false) {
                Ok((address, record)) => {
                    self.persist_wallet(vec![record]);
                    Ok(Reply::Address(address))
                }
                Err(e) => Err(CommandError::FailedPrecondition(e.to_string())),
            },
            Command::WalletBalance => Ok(Reply::Balance(self.wallet.balance(self.tip_height()))),
            Command::ListUnspent { min_conf, max_conf } => Ok(Reply::Unspent(
                self.wallet
                    .list_unspent(self.tip_height(), min_conf, max_conf),
            )),
            Command::Transactions => Ok(Reply::Transactions(
                self.wallet.transactions(self.tip_height()),
            )),
            Command::Channels => Ok(Reply::Channels(self.channels.values().cloned().collect())),
            Command::SyncTip => Ok(Reply::SyncTip(self.wallet.sync_tip())),
            Command::AddInvoice(invoice) => self.add_invoice(invoice),
            Command::LookupInvoice { payment_hash } => self.lookup_invoice(payment_hash),
            Command::ListInvoices => {
                let mut invoices: Vec<InvoiceRecord> = self.invoices.values().cloned().collect();
                invoices.sort_by_key(|i| i.add_index);
                Ok(Reply::Invoices(invoices))
            }
            Command::SendPayment(payment) => {
                // The reply comes when the payment ends.
                if let Err(e) = self.send_payment(id, payment) {
                    self.reply(id, Err(e));
                }
                return;
            }
            Command::ListPayments => {
                let mut payments: Vec<PaymentRecord> = self.payments.values().cloned().collect();
                payments.sort_by_key(|p| p.index);
                Ok(Reply::Payments(payments))
            }
            Command::UnconfirmedTransactions => Ok(Reply::UnconfirmedTransactions(
                self.wallet
                    .transactions(self.tip_height())
                    .into_iter()
                    .filter(|t| t.confirmations == 0)
                    .map(|t| t.raw)
                    .collect(),
            )),
        };
        self.reply(id, result);
    }

    /// `sendcoins`: build, sign, lock, record as unconfirmed, persist, then
    /// hand to the chain; the reply waits for the chain's answer.
    fn send_coins(
        &mut self,
        id: RequestId,
        script: ScriptBuf,
        amount: Option<bitcoin::Amount>,
        feerate: bitcoin::FeeRate,
        min_conf: u32,
    ) -> Result<(), CommandError> {
        let recipients = match amount {
            Some(amount) => rayo_wallet::Recipients::Pay(vec![(script, amount)]),
            None => rayo_wallet::Recipients::SweepAll(script),
        };
        let refuse = |e: WalletError| CommandError::FailedPrecondition(e.to_string());
        let spend = self
            .wallet
            .build_transaction(
                &recipients,
                feerate,
                rayo_wallet::AddressType::P2wkh,
                min_conf,
            )
            .map_err(refuse)?;
        // The change address is revealed in memory: persist it whatever
        // happens next, or a restart would hand it out again.
        self.persist_wallet(spend.records.clone());
        let tx = self.wallet.sign(&spend).map_err(refuse)?;
        let mut records = self.wallet.lock_inputs(&spend);
        records.extend(self.wallet.apply_unconfirmed(&tx, self.now));
        self.persist_wallet(records);
        self.sending.insert(tx.compute_txid(), (id, spend));
        self.out.push(Action::Broadcast { tx, report: true });
        Ok(())
    }

    fn broadcast_result(&mut self, txid: Txid, result: Result<(), String>) {
        if let Some((id, funding)) = self.publishing.remove(&txid) {
            if let Err(reason) = &result {
                tracing::warn!(%txid, %reason, "the chain refused the funding for now; it will be rebroadcast");
            }
            self.reply(id, Ok(Reply::ChannelOpened(funding)));
            return;
        }
        let Some((id, spend)) = self.sending.remove(&txid) else {
            return;
        };
        match result {
            Ok(()) => self.reply(id, Ok(Reply::Sent(txid))),
            Err(reason) => {
                let mut records = self.wallet.drop_unconfirmed(txid);
                records.extend(self.wallet.unlock_inputs(&spend));
                self.persist_wallet(records);
                self.reply(
                    id,
                    Err(CommandError::FailedPrecondition(format!(
                        "the chain refused the transaction: {reason}"
                    ))),
                );
            }
        }
    }

    /// The chain will never take `txid`: out of the wallet, and a channel
    /// it was to fund is forgotten (nothing was ever at stake in it).
    fn transaction_rejected(&mut self, txid: Txid, reason: &str) {
        tracing::warn!(%txid, %reason, "an unconfirmed transaction can never confirm");
        let records = self.wallet.drop_unconfirmed(txid);
        self.persist_wallet(records);
        let funded: Vec<(PublicKey, ChannelId)> = self
            .channels
            .iter()
            .filter(|(_, c)| {
                matches!(&c.phase, ChannelPhase::Funded(f)
                    if f.funding().txid == txid && f.confirmation.is_none())
            })
            .map(|(id, c)| (c.peer, *id))
            .collect();
        for (peer, id) in funded {
            self.forget_channel(id, peer, FaultKind::FundingDoubleSpent);
        }
    }

    /// The caller of `id` is gone: an open it started and that has not
    /// reached `funding_signed` is abandoned, so it cannot complete behind
    /// the caller's back.
    fn call_dropped(&mut self, id: RequestId) {
        // A payment goes on without its caller.
        self.waiting_payments.retain(|_, waiting| *waiting != id);
        let outbound: Vec<(PublicKey, ChannelId)> = self
            .outbound
            .iter()
            .filter(|(_, p)| p.request == id)
            .map(|(k, _)| *k)
            .collect();
        let awaiting: Vec<(PublicKey, ChannelId)> = self
            .waiting_opens
            .iter()
            .filter(|(_, w)| w.request == id)
            .filter_map(|(cid, _)| self.channels.get(cid).map(|c| (c.peer, *cid)))
            .collect();
        for (peer, channel) in outbound.into_iter().chain(awaiting) {
            self.answer_fault(peer, PeerFault::new(channel, FaultKind::CallerGone));
        }
    }

    /// Timeouts: opens that took too long fail (and can never complete
    /// afterwards); inbound opens a peer left hanging are dropped.
    fn tick(&mut self) {
        let now = self.now;
        let late: Vec<(PublicKey, ChannelId)> = self
            .outbound
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(k, _)| *k)
            .collect();
        let late_funding: Vec<(PublicKey, ChannelId)> = self
            .waiting_opens
            .iter()
            .filter(|(_, w)| now >= w.deadline)
            .filter_map(|(id, _)| self.channels.get(id).map(|c| (c.peer, *id)))
            .collect();
        for (peer, id) in late.into_iter().chain(late_funding) {
            self.answer_fault(peer, PeerFault::new(id, FaultKind::Timeout));
        }
        let stale: Vec<(PublicKey, ChannelId)> = self
            .inbound
            .iter()
            .filter(|(_, p)| now >= p.deadline)
            .map(|(k, _)| *k)
            .collect();
        for (peer, id) in stale {
            self.answer_fault(peer, PeerFault::new(id, FaultKind::Timeout));
        }
    }

    /// Asks the chain source for the wallet's scripts and every funding
    /// output not asked for yet.
    fn watch_everything(&mut self) {
        // Runs after every event: only what is new is copied.
        let mut scripts: Vec<ScriptBuf> = self
            .wallet
            .script_pubkeys()
            .filter(|s| !self.watched_scripts.contains(*s))
            .map(|s| s.to_owned())
            .collect();
        scripts.sort();
        let outpoints: BTreeSet<OutPoint> = self
            .channels
            .values()
            .filter_map(|c| match &c.phase {
                ChannelPhase::Funded(f) => Some(f.funding()),
                _ => None,
            })
            .filter(|o| !self.watched_outpoints.contains(o))
            .collect();
        for script in scripts {
            self.watched_scripts.insert(script.clone());
            self.out.push(Action::Watch(Watch::Script(script)));
        }
        for outpoint in outpoints {
            self.watched_outpoints.insert(outpoint);
            self.out.push(Action::Watch(Watch::Outpoint(outpoint)));
        }
    }
}
