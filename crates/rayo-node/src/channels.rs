//! The node's channels: the establishment state machines of `rayo-channel`
//! driven by peer messages, the wallet (funding) and the chain
//! (confirmations). One task owns the flow ([`Node::channel_loop`]); every
//! state that commits to something is written to the store before the
//! message that commits to it is sent.

use std::collections::HashMap;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{PublicKey, Secp256k1};
use bitcoin::{Amount, FeeRate, Network, OutPoint, Transaction};
use rayo_channel::channel::{
    accept_channel, AwaitingFundingCreated, AwaitingFundingSigned, ChannelError, Funded,
    OpenRequest, Outbound,
};
use rayo_wallet::{AddressType, Recipients};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::{ErrorMessage, Message};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::node::{Node, NodeError};
use crate::peers::PeerEvent;
use crate::store::{NodeStore, SavedChannel, SqliteNodeStore, StoreError};

/// How long `openchannel` waits for the peer to complete the exchange.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(60);

/// A persisted channel phase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum StoredPhase {
    /// Opener: `funding_created` sent; the funding transaction is signed
    /// but must not be broadcast before `funding_signed`.
    AwaitingFundingSigned {
        /// The phase.
        phase: AwaitingFundingSigned,
        /// The signed funding transaction.
        funding_tx: Transaction,
    },
    /// Both first commitments signed.
    Funded {
        /// The phase.
        phase: Funded,
        /// The funding transaction, when we built it (to rebroadcast).
        funding_tx: Option<Transaction>,
    },
}

/// A channel known to the store.
#[derive(Debug, Clone)]
pub struct ChannelEntry {
    /// The peer.
    pub peer: PublicKey,
    /// The key index under the node seed.
    pub key_index: u32,
    /// The phase.
    pub phase: StoredPhase,
}

struct PendingOutbound {
    peer: PublicKey,
    key_index: u32,
    funding_feerate: FeeRate,
    phase: Outbound,
    respond: oneshot::Sender<Result<OutPoint, NodeError>>,
}

struct PendingInbound {
    peer: PublicKey,
    key_index: u32,
    phase: AwaitingFundingCreated,
}

/// Every channel, by phase.
#[derive(Default)]
pub struct ChannelBook {
    outbound: HashMap<ChannelId, PendingOutbound>,
    inbound: HashMap<ChannelId, PendingInbound>,
    /// Opens whose `funding_created` was sent: temporary id to channel id.
    awaiting_signed: HashMap<ChannelId, ChannelId>,
    /// API callers waiting for `funding_signed`, by channel id.
    waiting_api: HashMap<ChannelId, oneshot::Sender<Result<OutPoint, NodeError>>>,
    /// Persisted channels by channel id.
    pub(crate) stored: HashMap<ChannelId, ChannelEntry>,
}

fn id_hex(id: &ChannelId) -> String {
    id.to_string()
}

impl ChannelBook {
    /// Loads the persisted channels.
    pub fn load(store: &SqliteNodeStore, _network: Network) -> Result<ChannelBook, NodeError> {
        let mut book = ChannelBook::default();
        for saved in store.channels()? {
            let phase: StoredPhase = serde_json::from_str(&saved.state).map_err(|e| {
                NodeError::FailedPrecondition(format!("corrupt channel {}: {e}", saved.id))
            })?;
            let peer: PublicKey = saved.peer.parse().map_err(|_| {
                NodeError::FailedPrecondition(format!("corrupt channel peer {}", saved.peer))
            })?;
            let id = match &phase {
                StoredPhase::AwaitingFundingSigned { phase, .. } => phase.channel_id(),
                StoredPhase::Funded { phase, .. } => phase.channel_id,
            };
            book.stored.insert(
                id,
                ChannelEntry {
                    peer,
                    key_index: saved.key_index,
                    phase,
                },
            );
        }
        Ok(book)
    }
}

fn save(
    store: &mut SqliteNodeStore,
    id: &ChannelId,
    entry: &ChannelEntry,
) -> Result<(), StoreError> {
    store.save_channel(&SavedChannel {
        id: id_hex(id),
        peer: entry.peer.to_string(),
        key_index: entry.key_index,
        state: serde_json::to_string(&entry.phase).expect("channel phases serialize"),
    })
}

fn random_id() -> ChannelId {
    let mut id = [0u8; 32];
    bitcoin::secp256k1::rand::RngCore::fill_bytes(
        &mut bitcoin::secp256k1::rand::thread_rng(),
        &mut id,
    );
    ChannelId(id)
}

fn channel_of(msg: &Message) -> Option<ChannelId> {
    match msg {
        Message::OpenChannel(m) => Some(m.temporary_channel_id),
        Message::AcceptChannel(m) => Some(m.temporary_channel_id),
        Message::FundingCreated(m) => Some(m.temporary_channel_id),
        Message::FundingSigned(m) => Some(m.channel_id),
        Message::ChannelReady(m) => Some(m.channel_id),
        Message::ChannelReestablish(m) => Some(m.channel_id),
        Message::Error(m) => Some(m.channel_id),
        _ => None,
    }
}

impl Node {
    /// `openchannel`: proposes a channel to a connected peer and waits until
    /// it is funded (the funding transaction broadcast); returns the funding
    /// outpoint.
    pub async fn open_channel(
        &self,
        peer: PublicKey,
        capacity: Sat,
        push: Msat,
        announce: bool,
        funding_feerate: Option<FeeRate>,
    ) -> Result<OutPoint, NodeError> {
        if !self.peers.is_connected(&peer) {
            return Err(NodeError::FailedPrecondition(format!(
                "not connected to {peer}: connect first (or use --connect)"
            )));
        }
        let feerate_per_kw = self.commitment_feerate().await;
        let key_index = self.with_store(|s| s.next_channel_index())?;
        let keys = self.channel_keys(key_index)?;
        let request = OpenRequest {
            temporary_channel_id: random_id(),
            capacity,
            push,
            feerate_per_kw,
            announce,
        };
        let (phase, open) = Outbound::new(&Secp256k1::new(), &self.channel_policy, &keys, &request)
            .map_err(|e| NodeError::InvalidArgument(e.to_string()))?;
        // Enough coins for the funding? Fail now rather than after the peer
        // has accepted.
        self.with_wallet(|w, _| {
            w.estimate_fee(
                &Recipients::Pay(vec![(
                    bitcoin::ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::from_byte_array([0; 32])),
                    Amount::from_sat(capacity.0),
                )]),
                FeeRate::from_sat_per_vb_u32(1),
                AddressType::P2wkh,
                1,
            )
        })?;
        let funding_feerate = match funding_feerate {
            Some(rate) => rate,
            None => self.funding_feerate().await,
        };
        let (respond, answer) = oneshot::channel();
        self.channels
            .lock()
            .expect("channels lock")
            .outbound
            .insert(
                request.temporary_channel_id,
                PendingOutbound {
                    peer,
                    key_index,
                    funding_feerate,
                    phase,
                    respond,
                },
            );
        self.peers
            .send(&peer, Message::OpenChannel(Box::new(open)))?;
        match tokio::time::timeout(OPEN_TIMEOUT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(NodeError::FailedPrecondition(
                "the channel open was abandoned".into(),
            )),
            Err(_) => {
                self.abandon(&request.temporary_channel_id);
                Err(NodeError::FailedPrecondition(format!(
                    "{peer} did not complete the channel open within {OPEN_TIMEOUT:?}"
                )))
            }
        }
    }

    /// The funding transaction's fee rate when none is given: the chain's
    /// 6-block estimate, at least 1 sat/vB.
    async fn funding_feerate(&self) -> FeeRate {
        let sat_per_kvb = self
            .chain
            .fee_estimate(6)
            .await
            .ok()
            .flatten()
            .unwrap_or(1000);
        FeeRate::from_sat_per_kwu((sat_per_kvb / 4).max(250))
    }

    /// The commitment fee rate: the chain's estimate, never below 253.
    async fn commitment_feerate(&self) -> u32 {
        let sat_per_kvb = self
            .chain
            .fee_estimate(6)
            .await
            .ok()
            .flatten()
            .unwrap_or(1000);
        ((sat_per_kvb / 4) as u32).max(253)
    }

    /// Unlocks the coins of an unbroadcast funding transaction.
    fn unlock_funding(&self, entry: &ChannelEntry) {
        if let StoredPhase::AwaitingFundingSigned { funding_tx, .. } = &entry.phase {
            let outpoints: Vec<OutPoint> =
                funding_tx.input.iter().map(|i| i.previous_output).collect();
            let _ = self
                .wallet_op(|w| Ok(((), outpoints.iter().filter_map(|o| w.unlock(*o)).collect())));
        }
    }

    /// At start: opens that were waiting for `funding_signed` when the node
    /// stopped are forgotten (BOLT 2: the funding was never broadcast) and
    /// their coins unlocked.
    pub fn forget_unfinished_opens(&self) -> Result<(), NodeError> {
        let unfinished: Vec<(ChannelId, ChannelEntry)> = {
            let mut book = self.channels.lock().expect("channels lock");
            let ids: Vec<ChannelId> = book
                .stored
                .iter()
                .filter(|(_, e)| matches!(e.phase, StoredPhase::AwaitingFundingSigned { .. }))
                .map(|(id, _)| *id)
                .collect();
            ids.into_iter()
                .filter_map(|id| book.stored.remove(&id).map(|e| (id, e)))
                .collect()
        };
        for (id, entry) in unfinished {
            self.unlock_funding(&entry);
            self.with_store(|s| s.delete_channel(&id_hex(&id)))?;
        }
        Ok(())
    }

    /// Forgets an open that did not complete, unlocking its coins.
    fn abandon(&self, temporary: &ChannelId) {
        let mut book = self.channels.lock().expect("channels lock");
        book.outbound.remove(temporary);
        if let Some(id) = book.awaiting_signed.remove(temporary) {
            let unfunded = matches!(
                book.stored.get(&id).map(|e| &e.phase),
                Some(StoredPhase::AwaitingFundingSigned { .. })
            );
            if let Some(entry) = unfunded.then(|| book.stored.remove(&id)).flatten() {
                self.unlock_funding(&entry);
                let _ = self.with_store(|s| s.delete_channel(&id_hex(&id)));
            }
            book.waiting_api.remove(&id);
        }
    }

    /// Handles peer events until the node stops.
    pub async fn channel_loop(self: std::sync::Arc<Self>, mut events: mpsc::Receiver<PeerEvent>) {
        while let Some(event) = events.recv().await {
            match event {
                PeerEvent::Connected(peer) => self.reestablish_with(&peer),
                PeerEvent::Disconnected(peer) => self.peer_gone(&peer),
                PeerEvent::Message(peer, msg) => {
                    let channel = channel_of(&msg);
                    if let Err(e) = self.handle_channel_message(peer, *msg).await {
                        tracing::warn!(%peer, error = %e, "channel message refused");
                        // A protocol refusal fails the channel with the
                        // peer; our own storage or chain trouble is not the
                        // peer's fault, is not disclosed, and fails nothing.
                        let refusal = matches!(
                            e,
                            NodeError::FailedPrecondition(_) | NodeError::InvalidArgument(_)
                        );
                        if let Some(channel_id) = channel.filter(|_| refusal) {
                            let data = e.to_string().into_bytes();
                            let _ = self
                                .peers
                                .send(&peer, Message::Error(ErrorMessage { channel_id, data }));
                        }
                    }
                }
            }
        }
    }

    /// A peer disconnected: opens it had not completed are abandoned (their
    /// coins unlocked, the API caller told); funded channels stay.
    fn peer_gone(&self, peer: &PublicKey) {
        let unfinished: Vec<(ChannelId, Option<ChannelId>)> = {
            let mut book = self.channels.lock().expect("channels lock");
            book.inbound.retain(|_, p| p.peer != *peer);
            let mut list: Vec<(ChannelId, Option<ChannelId>)> = book
                .outbound
                .iter()
                .filter(|(_, p)| p.peer == *peer)
                .map(|(t, _)| (*t, None))
                .collect();
            list.extend(book.awaiting_signed.iter().filter_map(|(t, id)| {
                book.stored
                    .get(id)
                    .filter(|e| e.peer == *peer)
                    .map(|_| (*t, Some(*id)))
            }));
            list
        };
        for (temporary, id) in unfinished {
            self.fail_open(
                &temporary,
                &id.unwrap_or(temporary),
                "the peer disconnected",
            );
        }
    }

    fn reestablish_with(&self, peer: &PublicKey) {
        let secp = Secp256k1::new();
        let book = self.channels.lock().expect("channels lock");
        for entry in book.stored.values().filter(|e| e.peer == *peer) {
            if let StoredPhase::Funded { phase, .. } = &entry.phase {
                if let Ok(keys) = self.channel_keys(entry.key_index) {
                    if let Ok(msg) = phase.reestablish(&secp, &keys) {
                        let _ = self.peers.send(peer, Message::ChannelReestablish(msg));
                    }
                }
            }
        }
    }

    async fn handle_channel_message(&self, peer: PublicKey, msg: Message) -> Result<(), NodeError> {
        let secp = Secp256k1::new();
        let refuse = |e: ChannelError| NodeError::FailedPrecondition(e.to_string());
        match msg {
            Message::OpenChannel(open) => {
                let their_features = self.peers.features(&peer).unwrap_or_else(Features::empty);
                // Check first: a refused proposal costs no key index and no
                // write.
                rayo_channel::establish::check_open_channel(
                    &open,
                    &self.channel_policy,
                    &their_features,
                )
                .map_err(|e| NodeError::FailedPrecondition(e.to_string()))?;
                let key_index = {
                    let book = self.channels.lock().expect("channels lock");
                    if book.inbound.len() >= self.max_pending_inbound {
                        return Err(NodeError::FailedPrecondition(
                            "too many pending channels".into(),
                        ));
                    }
                    drop(book);
                    self.with_store(|s| s.next_channel_index())?
                };
                let keys = self.channel_keys(key_index)?;
                let (phase, accept) =
                    accept_channel(&secp, &self.channel_policy, &keys, &open, &their_features)
                        .map_err(refuse)?;
                self.channels.lock().expect("channels lock").inbound.insert(
                    open.temporary_channel_id,
                    PendingInbound {
                        peer,
                        key_index,
                        phase,
                    },
                );
                self.peers
                    .send(&peer, Message::AcceptChannel(Box::new(accept)))?;
            }
            Message::AcceptChannel(accept) => {
                let pending = {
                    let mut book = self.channels.lock().expect("channels lock");
                    let ours = book
                        .outbound
                        .get(&accept.temporary_channel_id)
                        .is_some_and(|p| p.peer == peer);
                    ours.then(|| book.outbound.remove(&accept.temporary_channel_id))
                        .flatten()
                }
                .ok_or_else(|| {
                    NodeError::FailedPrecondition("accept_channel for no open of ours".into())
                })?;
                let result = self.fund(
                    &secp,
                    peer,
                    pending.key_index,
                    pending.funding_feerate,
                    pending.phase,
                    &accept,
                );
                match result {
                    Ok((id, entry, created)) => {
                        // Persist before we speak: the signed (unbroadcast)
                        // funding transaction and its locked coins.
                        if let Err(e) = self.with_store(|s| save(s, &id, &entry)) {
                            self.unlock_funding(&entry);
                            let _ = pending
                                .respond
                                .send(Err(NodeError::FailedPrecondition(e.to_string())));
                            return Err(e);
                        }
                        let mut book = self.channels.lock().expect("channels lock");
                        book.awaiting_signed.insert(accept.temporary_channel_id, id);
                        book.waiting_api.insert(id, pending.respond);
                        book.stored.insert(id, entry);
                        drop(book);
                        self.peers.send(&peer, Message::FundingCreated(created))?;
                    }
                    Err(e) => {
                        let _ = pending
                            .respond
                            .send(Err(NodeError::FailedPrecondition(e.to_string())));
                        return Err(e);
                    }
                }
            }
            Message::FundingCreated(created) => {
                let pending = {
                    let mut book = self.channels.lock().expect("channels lock");
                    let ours = book
                        .inbound
                        .get(&created.temporary_channel_id)
                        .is_some_and(|p| p.peer == peer);
                    ours.then(|| book.inbound.remove(&created.temporary_channel_id))
                        .flatten()
                        .ok_or_else(|| {
                            NodeError::FailedPrecondition("funding_created for no channel".into())
                        })?
                };
                let keys = self.channel_keys(pending.key_index)?;
                let (funded, signed) = pending
                    .phase
                    .on_funding_created(&secp, &keys, &created)
                    .map_err(refuse)?;
                let id = funded.channel_id;
                let entry = ChannelEntry {
                    peer,
                    key_index: pending.key_index,
                    phase: StoredPhase::Funded {
                        phase: funded,
                        funding_tx: None,
                    },
                };
                // A funding outpoint names one channel only: never let a
                // peer's funding_created replace a channel we have.
                {
                    let mut book = self.channels.lock().expect("channels lock");
                    if book.stored.contains_key(&id) {
                        return Err(NodeError::FailedPrecondition(
                            "funding_created names the funding of an existing channel".into(),
                        ));
                    }
                    // Persist before we speak.
                    self.with_store(|s| save(s, &id, &entry))?;
                    book.stored.insert(id, entry);
                }
                self.peers.send(&peer, Message::FundingSigned(signed))?;
            }
            Message::FundingSigned(signed) => {
                let entry = self
                    .channels
                    .lock()
                    .expect("channels lock")
                    .stored
                    .get(&signed.channel_id)
                    .filter(|e| e.peer == peer)
                    .cloned()
                    .ok_or_else(|| {
                        NodeError::FailedPrecondition("funding_signed for no channel".into())
                    })?;
                let StoredPhase::AwaitingFundingSigned { phase, funding_tx } = entry.phase else {
                    return Err(NodeError::FailedPrecondition("funding_signed twice".into()));
                };
                let keys = self.channel_keys(entry.key_index)?;
                let temporary = phase.temporary_channel_id();
                match phase.on_funding_signed(&secp, &keys, &signed) {
                    Ok(funded) => {
                        self.funding_signed(peer, entry.key_index, funded, funding_tx)
                            .await?
                    }
                    Err(e) => {
                        self.fail_open(&temporary, &signed.channel_id, &e.to_string());
                        return Err(refuse(e));
                    }
                }
            }
            Message::ChannelReady(ready) => {
                self.update_funded(&peer, &ready.channel_id, |phase| {
                    phase.on_channel_ready(&ready)
                })?;
            }
            Message::ChannelReestablish(msg) => {
                let keys = self
                    .key_index_of(&msg.channel_id)
                    .map(|i| self.channel_keys(i))
                    .transpose()?;
                let Some(keys) = keys else {
                    return Err(NodeError::FailedPrecondition(
                        "channel_reestablish for unknown channel".into(),
                    ));
                };
                let resend = self.update_funded(&peer, &msg.channel_id, |phase| {
                    phase
                        .on_reestablish(&secp, &keys, &msg)
                        .map(|r| r.map(Message::ChannelReady))
                })?;
                if let Some(msg) = resend {
                    self.peers.send(&peer, msg)?;
                }
            }
            Message::Error(error) => {
                tracing::warn!(%peer, error = %error.printable_data(), "peer failed a channel");
                let book = self.channels.lock().expect("channels lock");
                let all = error.channel_id.is_all();
                let temporary = book
                    .outbound
                    .iter()
                    .filter(|(_, p)| p.peer == peer)
                    .map(|(t, _)| (*t, *t))
                    .chain(
                        book.awaiting_signed
                            .iter()
                            .filter(|(_, id)| book.stored.get(id).is_some_and(|e| e.peer == peer))
                            .map(|(t, id)| (*t, *id)),
                    )
                    .find(|(t, id)| all || *t == error.channel_id || *id == error.channel_id);
                drop(book);
                if let Some((temporary, id)) = temporary {
                    self.fail_open(&temporary, &id, &error.printable_data());
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Opener: builds and signs the funding transaction (not broadcast),
    /// locks its coins, persists the phase and returns `funding_created`.
    fn fund(
        &self,
        secp: &Secp256k1<bitcoin::secp256k1::All>,
        peer: PublicKey,
        key_index: u32,
        feerate: FeeRate,
        outbound: Outbound,
        accept: &rayo_wire::establish::AcceptChannel,
    ) -> Result<
        (
            ChannelId,
            ChannelEntry,
            rayo_wire::establish::FundingCreated,
        ),
        NodeError,
    > {
        let refuse = |e: ChannelError| NodeError::FailedPrecondition(e.to_string());
        let awaiting = outbound
            .on_accept_channel(accept, &self.channel_policy)
            .map_err(refuse)?;
        let script = awaiting.setup.funding_script_pubkey();
        let capacity = Amount::from_sat(awaiting.setup.capacity.0);
        let (funding_tx, spend) = self.wallet_op(|w| {
            let spend = w.build_transaction(
                &Recipients::Pay(vec![(script.clone(), capacity)]),
                feerate,
                AddressType::P2wkh,
                1,
            )?;
            let tx = w.sign(&spend)?;
            let records = spend.records.clone();
            Ok(((tx, spend), records))
        })?;
        let vout = funding_tx
            .output
            .iter()
            .position(|o| o.script_pubkey == script)
            .expect("the funding output is in the funding transaction") as u32;
        let keys = self.channel_keys(key_index)?;
        let funding = OutPoint {
            txid: funding_tx.compute_txid(),
            vout,
        };
        let (phase, created) = awaiting
            .funding_created(secp, &keys, funding)
            .map_err(refuse)?;
        // Lock the coins only once nothing else can fail here; the caller
        // stores the phase next, and unlocks if that fails.
        self.wallet_op(|w| Ok(((), w.lock_inputs(&spend))))?;
        let id = phase.channel_id();
        let entry = ChannelEntry {
            peer,
            key_index,
            phase: StoredPhase::AwaitingFundingSigned { phase, funding_tx },
        };
        Ok((id, entry, created))
    }

    /// Opener: `funding_signed` verified. Persist, then broadcast.
    async fn funding_signed(
        &self,
        peer: PublicKey,
        key_index: u32,
        funded: Funded,
        funding_tx: Transaction,
    ) -> Result<(), NodeError> {
        let id = funded.channel_id;
        let funding = funded.funding;
        let entry = ChannelEntry {
            peer,
            key_index,
            phase: StoredPhase::Funded {
                phase: funded,
                funding_tx: Some(funding_tx.clone()),
            },
        };
        let respond = {
            let mut book = self.channels.lock().expect("channels lock");
            // Abandoned meanwhile (API timeout, disconnect): the coins are
            // unlocked and the row gone; never broadcast then.
            let still_ours = book.awaiting_signed.values().any(|v| *v == id);
            if !still_ours {
                return Err(NodeError::FailedPrecondition(
                    "funding_signed for an open we abandoned".into(),
                ));
            }
            self.with_store(|s| save(s, &id, &entry))?;
            book.stored.insert(id, entry);
            book.awaiting_signed.retain(|_, v| *v != id);
            book.waiting_api.remove(&id)
        };
        let result = match self.chain.broadcast(&funding_tx).await {
            Ok(_) => {
                self.wallet_op(|w| {
                    Ok((
                        (),
                        w.apply_unconfirmed(&funding_tx, crate::node::unix_now()),
                    ))
                })?;
                Ok(funding)
            }
            Err(e) => Err(NodeError::Chain(e)),
        };
        if let Some(respond) = respond {
            let _ = respond.send(result);
        }
        Ok(())
    }

    fn fail_open(&self, temporary: &ChannelId, channel_id: &ChannelId, reason: &str) {
        let respond = {
            let mut book = self.channels.lock().expect("channels lock");
            let respond = book
                .waiting_api
                .remove(channel_id)
                .or_else(|| book.outbound.remove(temporary).map(|p| p.respond));
            book.awaiting_signed
                .entry(*temporary)
                .or_insert(*channel_id);
            respond
        };
        self.abandon(temporary);
        if let Some(respond) = respond {
            let _ = respond.send(Err(NodeError::FailedPrecondition(format!(
                "the channel open failed: {reason}"
            ))));
        }
    }

    fn key_index_of(&self, id: &ChannelId) -> Option<u32> {
        self.channels
            .lock()
            .expect("channels lock")
            .stored
            .get(id)
            .map(|e| e.key_index)
    }

    /// Applies `change` to a funded channel with `peer` and persists it.
    fn update_funded<T>(
        &self,
        peer: &PublicKey,
        id: &ChannelId,
        change: impl FnOnce(&mut Funded) -> Result<T, ChannelError>,
    ) -> Result<T, NodeError> {
        let mut book = self.channels.lock().expect("channels lock");
        let mut next = book
            .stored
            .get(id)
            .filter(|e| e.peer == *peer)
            .cloned()
            .ok_or_else(|| NodeError::FailedPrecondition(format!("unknown channel {id}")))?;
        let StoredPhase::Funded { phase, .. } = &mut next.phase else {
            return Err(NodeError::FailedPrecondition(format!(
                "channel {id} is not funded yet"
            )));
        };
        let value = change(phase).map_err(|e| NodeError::FailedPrecondition(e.to_string()))?;
        // Disk first, memory second, both under the lock: concurrent
        // updates (peer messages, confirmations) cannot lose each other.
        self.with_store(|s| save(s, id, &next))?;
        book.stored.insert(*id, next);
        Ok(value)
    }

    /// After each chain sync: funded channels whose funding is deep enough
    /// send `channel_ready`.
    pub(crate) async fn check_funding_depths(&self) -> Result<(), NodeError> {
        type Waiting = (
            ChannelId,
            PublicKey,
            u32,
            OutPoint,
            bitcoin::ScriptBuf,
            Sat,
            Option<Transaction>,
        );
        let waiting: Vec<Waiting> = {
            let book = self.channels.lock().expect("channels lock");
            book.stored
                .iter()
                .filter_map(|(id, e)| match &e.phase {
                    StoredPhase::Funded { phase, funding_tx } if !phase.ready_sent => Some((
                        *id,
                        e.peer,
                        e.key_index,
                        phase.funding,
                        phase.setup.funding_script_pubkey(),
                        phase.setup.capacity,
                        funding_tx.clone(),
                    )),
                    _ => None,
                })
                .collect()
        };
        for (id, peer, key_index, funding, script, capacity, funding_tx) in waiting {
            let matches = |output: Option<&bitcoin::TxOut>| {
                output.is_some_and(|o| o.script_pubkey == script && o.value.to_sat() == capacity.0)
            };
            let Some(depth) = self.chain.confirmations(funding).await? else {
                // Not an unspent output. If we built the funding, broadcast
                // it (again). If the transaction exists but its output is not
                // the agreed 2-of-2, the peer lied: forget the channel.
                if let Some(tx) = funding_tx {
                    if let Err(e) = self.chain.broadcast(&tx).await {
                        tracing::debug!(channel = %id, error = %e, "funding rebroadcast refused");
                    }
                } else if let Some(tx) = self.chain.transaction(funding.txid).await? {
                    if !matches(tx.output.get(funding.vout as usize)) {
                        self.forget_fake_channel(&id, &peer)?;
                    }
                }
                continue;
            };
            let Some(tip) = self.chain_tip() else {
                continue;
            };
            if depth == 0 {
                continue;
            }
            // Our tip may lag the chain by a block or two; look again later
            // rather than compute a height that does not exist yet.
            let Some(height) = (tip.height + 1).checked_sub(depth) else {
                continue;
            };
            let block = self
                .chain
                .block(self.chain.block_hash(height).await?)
                .await?;
            let Some(tx_index) = block
                .txdata
                .iter()
                .position(|t| t.compute_txid() == funding.txid)
            else {
                continue;
            };
            // BOLT 2: the funding output must be the agreed 2-of-2 of the
            // agreed amount; a peer that points elsewhere gets no channel.
            let output = block.txdata[tx_index].output.get(funding.vout as usize);
            let genuine =
                output.is_some_and(|o| o.script_pubkey == script && o.value.to_sat() == capacity.0);
            if !genuine {
                tracing::warn!(channel = %id, %peer, "funding output does not match the channel; forgetting it");
                self.channels
                    .lock()
                    .expect("channels lock")
                    .stored
                    .remove(&id);
                self.with_store(|s| s.delete_channel(&id_hex(&id)))?;
                let data = b"funding output does not match the channel".to_vec();
                let _ = self.peers.send(
                    &peer,
                    Message::Error(ErrorMessage {
                        channel_id: id,
                        data,
                    }),
                );
                continue;
            }
            let keys = self.channel_keys(key_index)?;
            let secp = Secp256k1::new();
            let ready = self.update_funded(&peer, &id, |phase| {
                phase.funding_confirmed(&secp, &keys, depth, height, tx_index as u32)
            })?;
            if let Some(ready) = ready {
                let _ = self.peers.send(&peer, Message::ChannelReady(ready));
            }
        }
        Ok(())
    }

    /// Forgets a channel whose funding output is not what was agreed, and
    /// tells the peer.
    fn forget_fake_channel(&self, id: &ChannelId, peer: &PublicKey) -> Result<(), NodeError> {
        tracing::warn!(channel = %id, %peer, "funding output does not match the channel; forgetting it");
        self.channels
            .lock()
            .expect("channels lock")
            .stored
            .remove(id);
        self.with_store(|s| s.delete_channel(&id_hex(id)))?;
        let data = b"funding output does not match the channel".to_vec();
        let _ = self.peers.send(
            peer,
            Message::Error(ErrorMessage {
                channel_id: *id,
                data,
            }),
        );
        Ok(())
    }

    /// A snapshot of every persisted channel.
    pub fn channel_list(&self) -> Vec<ChannelEntry> {
        let mut list: Vec<ChannelEntry> = self
            .channels
            .lock()
            .expect("channels lock")
            .stored
            .values()
            .cloned()
            .collect();
        list.sort_by_key(|e| e.key_index);
        list
    }
}
