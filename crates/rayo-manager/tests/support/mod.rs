//! A deterministic multi-node simulation of the manager (DESIGN section 6):
//! N managers in one process, simulated time, an in-memory network that
//! delays, reorders (across peers, never within one connection) and drops
//! connections, in-memory stores that keep only what was committed, and the
//! embedded chain in-process. Every action a manager returns is applied as
//! rayod's driver applies it (persist the batch, then send, then the rest),
//! and the simulation can crash a node at any action boundary: its memory is
//! dropped, it is reloaded from its store, and it reconnects.
//!
//! A seed fixes every choice (scheduling, delays, entropy), so a seed
//! reproduces a run.
//!
//! The network is reliable unless [`Sim::flaky`] is set: then, at each
//! delivery, the connection carrying it may drop instead (both sides see
//! `PeerDisconnected`, what was in flight is lost both ways, what is sent
//! on it until it comes back is lost too) and is redialled after a random
//! delay, as rayod's reconnect loop does; time moves on by a random delay
//! between deliveries; and a crashed node's connections come back after a
//! delay too, not at once.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bitcoin::bip32::Xpriv;
use bitcoin::secp256k1::{PublicKey, Secp256k1};
use bitcoin::{Amount, Network, ScriptBuf, Transaction, Txid};
use rayo_chain::chain::{anyone_can_spend, Chain};
use rayo_chain::store::SqliteStore;
use rayo_channel::establish::ChannelPolicy;
use rayo_manager::record::ChannelPhase;
use rayo_manager::{
    Action, AddInvoiceCommand, ChannelRecord, Command, CommandError, Event, InvoiceRecord, Manager,
    ManagerConfig, OpenChannelCommand, PaymentRecord, Plan, Reply, RequestId, SendPaymentCommand,
    StoredState, Watch,
};
use rayo_wallet::{AddressType, WalletRecord};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::features::Features;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;

/// Simulated seconds at the start.
pub const START: u64 = 1_700_000_000;

/// The seeds a simulation runs: `RAYO_SIM_SEEDS=a,b,c` if set, else
/// `default`. A test may read its environment, the crate may not (its
/// clippy.toml bans `std::env`).
#[allow(clippy::disallowed_methods)]
pub fn seeds(default: &[u64]) -> Vec<u64> {
    match std::env::var("RAYO_SIM_SEEDS") {
        Ok(list) => list
            .split(',')
            .map(|s| s.trim().parse().expect("RAYO_SIM_SEEDS: numbers"))
            .collect(),
        Err(_) => default.to_vec(),
    }
}

/// A flaky network (see [`Sim::flaky`]); every choice comes from the
/// simulation's seeded [`Rng`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flaky {
    /// Chance, in thousandths, that a delivery on a live connection drops
    /// that connection instead of arriving (0: connections stay up).
    pub drop_per_mille: u64,
    /// A dropped connection (or a crashed node's) is redialled after
    /// `reconnect_secs.0..=reconnect_secs.1` simulated seconds.
    pub reconnect_secs: (u64, u64),
    /// Simulated seconds between two deliveries: `0..=max_delay_secs`.
    pub max_delay_secs: u64,
}

/// A small, seeded generator (SplitMix64): every choice of a run.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// 32 random bytes.
    pub fn bytes(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        out
    }
}

/// What a store keeps: only committed changesets, serialized as rayod's
/// SQLite store serializes them (JSON rows), so a reload proves they
/// round-trip.
#[derive(Debug, Clone, Default)]
pub struct MemStore {
    wallet: Vec<String>,
    channels: BTreeMap<ChannelId, String>,
    next_key_index: u32,
    invoices: BTreeMap<[u8; 32], String>,
    payments: BTreeMap<[u8; 32], String>,
    /// The peer's revoked commitments, appended: (channel, number) each
    /// once.
    pub revoked: Vec<(ChannelId, u64)>,
}

impl MemStore {
    /// Applies a changeset atomically.
    pub fn commit(&mut self, changes: &rayo_manager::Changeset) {
        for record in &changes.wallet {
            self.wallet.push(serde_json::to_string(record).unwrap());
        }
        for channel in &changes.channels {
            self.channels.insert(
                channel.channel_id(),
                serde_json::to_string(channel).unwrap(),
            );
        }
        for id in &changes.removed_channels {
            self.channels.remove(id);
        }
        if let Some(next) = changes.next_key_index {
            self.next_key_index = next;
        }
        for invoice in &changes.invoices {
            self.invoices.insert(
                invoice.payment_hash,
                serde_json::to_string(invoice).unwrap(),
            );
        }
        for payment in &changes.payments {
            self.payments.insert(
                payment.payment_hash,
                serde_json::to_string(payment).unwrap(),
            );
        }
        for (id, revoked) in &changes.revoked {
            self.revoked.push((*id, revoked.number));
        }
    }

    /// What a restart reads.
    pub fn load(&self) -> StoredState {
        StoredState {
            wallet: self
                .wallet
                .iter()
                .map(|r| serde_json::from_str::<WalletRecord>(r).unwrap())
                .collect(),
            channels: self
                .channels
                .values()
                .map(|c| serde_json::from_str::<ChannelRecord>(c).unwrap())
                .collect(),
            next_key_index: self.next_key_index,
            invoices: self
                .invoices
                .values()
                .map(|i| serde_json::from_str(i).unwrap())
                .collect(),
            payments: self
                .payments
                .values()
                .map(|p| serde_json::from_str(p).unwrap())
                .collect(),
        }
    }

    /// The stored channels.
    pub fn channels(&self) -> Vec<ChannelRecord> {
        self.load().channels
    }
}

/// One simulated node.
pub struct SimNode {
    /// Its name, for messages.
    pub name: &'static str,
    /// Its node id.
    pub id: PublicKey,
    master: Xpriv,
    config: ManagerConfig,
    /// The manager; `None` while crashed.
    pub manager: Option<Manager>,
    /// Its durable state.
    pub store: MemStore,
    /// What its chain source was asked to watch.
    pub watches: BTreeSet<Watch>,
    /// Mempool transactions already delivered.
    seen_mempool: BTreeSet<Txid>,
    /// Answers to API calls.
    pub replies: BTreeMap<RequestId, Result<Reply, CommandError>>,
    /// Calls made whose answer a crash swallowed.
    pub lost: BTreeSet<RequestId>,
    /// Calls in flight.
    pub asked: BTreeSet<RequestId>,
    /// How many times it crashed: a batch cut by a crash stops applying.
    pub incarnation: u64,
}

/// What travels on one direction of a connection, in order.
#[derive(Debug, Clone)]
enum Delivery {
    /// A new connection, with its epoch (see [`Sim::epochs`]).
    Connected(Features, u64),
    Message(Message),
    Disconnected,
}

/// Where a run is, for crash decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashPlan {
    /// Never crash; count the boundaries.
    Count,
    /// Crash the node applying the action at this boundary.
    At(u64),
    /// Crash the node applying a batch of actions with a chance of one in
    /// `one_in` per batch, at one of the batch's boundaries chosen
    /// uniformly (both drawn from the seeded [`Rng`]), at most `max` times
    /// in the run. (Per batch, not per boundary: a restart's long batch of
    /// watches would draw most crashes otherwise.)
    Random {
        /// One chance in this many, per batch.
        one_in: usize,
        /// Most crashes in the run.
        max: usize,
    },
}

/// The simulated world.
pub struct Sim {
    /// Every choice.
    pub rng: Rng,
    /// Simulated time (seconds since the epoch).
    pub now: u64,
    /// The embedded chain, in-process.
    pub chain: Chain<SqliteStore>,
    /// The nodes.
    pub nodes: Vec<SimNode>,
    /// Directed links `(from, to)` with what is on the way.
    links: BTreeMap<(usize, usize), VecDeque<Delivery>>,
    /// Node pairs meant to be connected (reconnected after a crash).
    pub peerings: BTreeSet<(usize, usize)>,
    /// Boundaries passed since crashes were armed.
    pub boundaries: u64,
    /// Counting or crashing.
    pub crash: Option<CrashPlan>,
    /// Crashes that happened: `(boundary, node)`.
    pub crashes: Vec<(u64, usize)>,
    /// The boundary a [`CrashPlan::Random`] chose to crash at next.
    crash_target: Option<u64>,
    /// Funding transactions ever stored as awaiting `funding_signed`.
    pub unbroadcast_fundings: BTreeMap<Txid, usize>,
    next_request: u64,
    /// Every message any node sent: `(from, to, message)`.
    pub sent: Vec<(usize, PublicKey, Message)>,
    /// Every disconnect a node asked for: `(from, peer)`.
    pub disconnects: Vec<(usize, PublicKey)>,
    /// Where blocks are mined to (nobody's wallet).
    pub miner: ScriptBuf,
    /// A flaky network when set (see the module documentation); `None`
    /// keeps the network reliable.
    pub flaky: Option<Flaky>,
    /// Node pairs `(low, high)` whose connection is down, with the time it
    /// is redialled (flaky network only).
    down: BTreeMap<(usize, usize), u64>,
    /// `(node, peer)`: the node was told `peer` connected and not told it
    /// disconnected since.
    seen_up: BTreeSet<(usize, usize)>,
    /// Per node pair `(low, high)`: how many connections were opened. A
    /// message a node sends belongs to the connection it last saw open; if
    /// a newer one exists, the message went out on a dead socket and is lost
    /// (rayod writes to the old connection, which is gone).
    epochs: BTreeMap<(usize, usize), u64>,
    /// `(node, peer)`: the epoch of the connection the node last saw open.
    seen_epoch: BTreeMap<(usize, usize), u64>,
    /// When set, the invariants are checked against these initial holdings
    /// right after every crash.
    pub invariants_on_crash: Option<Vec<Amount>>,
    /// Events handed to managers so far.
    pub events: u64,
    /// Connections the flaky network dropped.
    pub drops: u64,
    /// Connections redialled after a drop or a crash.
    pub reconnects: u64,
}

impl Sim {
    /// A world with `names` nodes, none connected, and a chain at genesis.
    pub fn new(seed: u64, names: &[&'static str]) -> Sim {
        let chain = Chain::open(SqliteStore::in_memory().unwrap(), START as u32).unwrap();
        let secp = Secp256k1::new();
        let nodes = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let master = Xpriv::new_master(Network::Regtest, &[i as u8 + 1; 32]).unwrap();
                let id = rayo_wallet::node_secret(&master).unwrap().public_key(&secp);
                let mut policy = ChannelPolicy::new(ChainHash::REGTEST);
                policy.minimum_depth = 3;
                let config = ManagerConfig::new(Network::Regtest, policy);
                SimNode {
                    name,
                    id,
                    master,
                    config,
                    manager: None,
                    store: MemStore::default(),
                    watches: BTreeSet::new(),
                    seen_mempool: BTreeSet::new(),
                    replies: BTreeMap::new(),
                    lost: BTreeSet::new(),
                    asked: BTreeSet::new(),
                    incarnation: 0,
                }
            })
            .collect();
        let mut sim = Sim {
            rng: Rng::new(seed),
            now: START,
            chain,
            nodes,
            links: BTreeMap::new(),
            peerings: BTreeSet::new(),
            boundaries: 0,
            crash: None,
            crashes: Vec::new(),
            crash_target: None,
            unbroadcast_fundings: BTreeMap::new(),
            next_request: 0,
            sent: Vec::new(),
            disconnects: Vec::new(),
            miner: anyone_can_spend().1,
            flaky: None,
            down: BTreeMap::new(),
            seen_up: BTreeSet::new(),
            epochs: BTreeMap::new(),
            seen_epoch: BTreeMap::new(),
            invariants_on_crash: None,
            events: 0,
            drops: 0,
            reconnects: 0,
        };
        for i in 0..sim.nodes.len() {
            sim.start(i);
        }
        sim
    }

    /// A world of `names` that has seen one block (a node refuses inbound
    /// opens before it knows the chain's tip).
    pub fn synced(seed: u64, names: &[&'static str]) -> Sim {
        let mut sim = Sim::new(seed, names);
        sim.mine(1);
        sim.sync_all();
        sim
    }

    /// Alice (node 0) with mature coins (101 blocks mined to her), Bob
    /// (node 1), both synced and connected.
    pub fn funded_pair(seed: u64) -> Sim {
        let mut sim = Sim::new(seed, &["alice", "bob"]);
        let address = sim.address(0);
        sim.mine_to(101, &address.script_pubkey());
        sim.sync_all();
        sim.connect(0, 1);
        sim.settle();
        sim
    }

    /// [`Sim::funded_pair`] with an open, usable channel of `capacity` from
    /// Alice to Bob, `push` given to Bob.
    pub fn open_pair(seed: u64, capacity: Sat, push: Msat) -> Sim {
        let mut sim = Sim::funded_pair(seed);
        let bob = sim.nodes[1].id;
        let request = sim.ask(
            0,
            Command::OpenChannel(OpenChannelCommand {
                peer: bob,
                capacity,
                push,
                announce: false,
                funding_feerate: bitcoin::FeeRate::from_sat_per_vb_u32(2),
                commitment_feerate_per_kw: 2_500,
            }),
        );
        sim.settle();
        assert!(matches!(
            sim.nodes[0].replies.get(&request),
            Some(Ok(Reply::ChannelOpened(_)))
        ));
        for _ in 0..4 {
            sim.mine(1);
            sim.sync_all();
            sim.settle();
        }
        for i in [0, 1] {
            assert!(
                sim.manager(i)
                    .channels()
                    .filter_map(|c| c.funded())
                    .all(|f| f.is_usable()),
                "the channel is usable"
            );
        }
        sim
    }

    /// Node `i`'s one funded channel.
    pub fn channel(&self, i: usize) -> rayo_manager::record::FundedChannel {
        self.manager(i)
            .channels()
            .find_map(|c| c.funded().cloned())
            .expect("a channel")
    }

    /// A new invoice of node `i` for `sat`.
    pub fn invoice(&mut self, i: usize, sat: u64) -> String {
        match self.call(
            i,
            Command::AddInvoice(AddInvoiceCommand {
                value_msat: Some(Msat(sat * 1000)),
                memo: "sim".into(),
                ..AddInvoiceCommand::default()
            }),
        ) {
            Some(Ok(Reply::Invoice(record))) => record.payment_request,
            other => panic!("addinvoice: {other:?}"),
        }
    }

    /// Node `i` pays `payment_request`; the answer lands in `replies`.
    pub fn pay(&mut self, i: usize, payment_request: &str) -> RequestId {
        self.ask(
            i,
            Command::SendPayment(SendPaymentCommand {
                payment_request: Some(payment_request.to_owned()),
                ..SendPaymentCommand::default()
            }),
        )
    }

    /// Node `i`'s payments.
    pub fn payments(&mut self, i: usize) -> Vec<PaymentRecord> {
        match self.call(i, Command::ListPayments) {
            Some(Ok(Reply::Payments(p))) => p,
            other => panic!("listpayments: {other:?}"),
        }
    }

    /// Node `i`'s invoices.
    pub fn invoices(&mut self, i: usize) -> Vec<InvoiceRecord> {
        match self.call(i, Command::ListInvoices) {
            Some(Ok(Reply::Invoices(v))) => v,
            other => panic!("listinvoices: {other:?}"),
        }
    }

    /// Changes node `i`'s settings (before anything happened to it).
    pub fn configure(&mut self, i: usize, change: impl FnOnce(&mut ManagerConfig)) {
        change(&mut self.nodes[i].config);
        self.nodes[i].manager = None;
        self.start(i);
    }

    /// The manager of node `i` (which must be running).
    pub fn manager(&self, i: usize) -> &Manager {
        self.nodes[i].manager.as_ref().expect("node is running")
    }

    /// (Re)starts node `i` from its store and applies the startup actions.
    fn start(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let (manager, actions) = Manager::restore(
            node.config.clone(),
            node.master,
            node.store.load(),
            self.now,
        )
        .unwrap();
        node.manager = Some(manager);
        node.watches.clear();
        node.seen_mempool.clear();
        // A fresh manager knows of no connected peer.
        self.seen_up.retain(|(node, _)| *node != i);
        self.seen_epoch.retain(|(node, _), _| *node != i);
        self.apply(i, actions);
    }

    /// A receive address of node `i`'s wallet.
    pub fn address(&mut self, i: usize) -> bitcoin::Address {
        match self.call(
            i,
            Command::NewAddress {
                kind: AddressType::P2wkh,
            },
        ) {
            Some(Ok(Reply::Address(a))) => a,
            other => panic!("newaddress: {other:?}"),
        }
    }

    /// Mines `count` blocks paying `script`.
    pub fn mine_to(&mut self, count: u32, script: &ScriptBuf) {
        self.chain.generate(count, script, self.now as u32).unwrap();
    }

    /// Mines `count` blocks to nobody's wallet.
    pub fn mine(&mut self, count: u32) {
        let miner = self.miner.clone();
        self.mine_to(count, &miner);
    }

    /// Sends a command to node `i` and returns its answer if it came within
    /// this step.
    pub fn call(&mut self, i: usize, command: Command) -> Option<Result<Reply, CommandError>> {
        let id = self.ask(i, command);
        self.nodes[i].replies.remove(&id)
    }

    /// Sends a command to node `i`; its answer lands in `replies`.
    pub fn ask(&mut self, i: usize, command: Command) -> RequestId {
        self.next_request += 1;
        let id = RequestId(self.next_request);
        self.nodes[i].asked.insert(id);
        self.deliver(i, Event::Command { id, command });
        id
    }

    /// Connects nodes `a` and `b` (both see `PeerConnected`).
    pub fn connect(&mut self, a: usize, b: usize) {
        let pair = (a.min(b), a.max(b));
        self.peerings.insert(pair);
        self.open_link(a, b);
    }

    fn open_link(&mut self, a: usize, b: usize) {
        let epoch = self.epochs.entry((a.min(b), a.max(b))).or_default();
        *epoch += 1;
        let epoch = *epoch;
        for (from, to) in [(a, b), (b, a)] {
            self.links
                .entry((from, to))
                .or_default()
                .push_back(Delivery::Connected(Features::rayo_init(), epoch));
        }
    }

    /// The messages on their way from `from` to `to`, in order.
    pub fn in_flight(&self, from: usize, to: usize) -> Vec<Message> {
        self.links
            .get(&(from, to))
            .into_iter()
            .flatten()
            .filter_map(|d| match d {
                Delivery::Message(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// A man in the middle: changes the messages on their way from `from`
    /// to `to`.
    pub fn tamper(&mut self, from: usize, to: usize, mut change: impl FnMut(&mut Message)) {
        for delivery in self.links.get_mut(&(from, to)).into_iter().flatten() {
            if let Delivery::Message(message) = delivery {
                change(message);
            }
        }
    }

    /// Puts `message` on its way from `from` to `to`, as if `from` sent it.
    pub fn inject(&mut self, from: usize, to: usize, message: Message) {
        self.links
            .entry((from, to))
            .or_default()
            .push_back(Delivery::Message(message));
    }

    /// Delivers what is in flight from `from` to `to` until `stop` says so
    /// of the next message (which stays queued). False if the queue ran dry.
    pub fn deliver_until(
        &mut self,
        from: usize,
        to: usize,
        mut stop: impl FnMut(&Message) -> bool,
    ) -> bool {
        loop {
            let Some(next) = self.links.get(&(from, to)).and_then(|q| q.front()) else {
                return false;
            };
            if let Delivery::Message(m) = next {
                if stop(m) {
                    return true;
                }
            }
            let delivery = self
                .links
                .get_mut(&(from, to))
                .unwrap()
                .pop_front()
                .unwrap();
            let event = self.event_for(from, to, delivery);
            self.deliver(to, event);
        }
    }

    /// Drops the connection between `a` and `b`: what was in flight is
    /// lost both ways, both see `PeerDisconnected`.
    pub fn drop_link(&mut self, a: usize, b: usize) {
        for (from, to) in [(a, b), (b, a)] {
            if let Some(queue) = self.links.get_mut(&(from, to)) {
                let connected = link_is_up(queue);
                queue.clear();
                if connected {
                    queue.push_back(Delivery::Disconnected);
                }
            }
        }
    }

    /// Drops the connection between `a` and `b` as a flaky network does:
    /// what was in flight is lost both ways, each side that knew the other
    /// connected sees `PeerDisconnected`, what is sent until the
    /// connection comes back is lost, and it is redialled after a random
    /// delay (of [`Sim::flaky`], or 5 s).
    pub fn drop_connection(&mut self, a: usize, b: usize) {
        for (from, to) in [(a, b), (b, a)] {
            let queue = self.links.entry((from, to)).or_default();
            queue.clear();
            if self.seen_up.contains(&(to, from)) {
                queue.push_back(Delivery::Disconnected);
            }
        }
        self.schedule_reconnect(a, b);
    }

    /// Marks the connection between `a` and `b` down (if it is not
    /// already) until a random delay has passed.
    fn schedule_reconnect(&mut self, a: usize, b: usize) {
        let (lo, hi) = self.flaky.map_or((5, 5), |f| f.reconnect_secs);
        let delay = lo + self.rng.below((hi.saturating_sub(lo) + 1) as usize) as u64;
        let at = self.now + delay;
        self.down.entry((a.min(b), a.max(b))).or_insert(at);
    }

    /// Redials every connection that is down and due at `now`.
    fn reconnect_due(&mut self) {
        let due: Vec<(usize, usize)> = self
            .down
            .iter()
            .filter(|(_, at)| **at <= self.now)
            .map(|(pair, _)| *pair)
            .collect();
        for (a, b) in due {
            self.down.remove(&(a, b));
            self.reconnects += 1;
            self.open_link(a, b);
        }
    }

    /// Is the connection between `a` and `b` down (dropped, not redialled
    /// yet)?
    pub fn is_down(&self, a: usize, b: usize) -> bool {
        self.down.contains_key(&(a.min(b), a.max(b)))
    }

    /// Every direction with something to deliver to a running node.
    fn busy_links(&self) -> Vec<(usize, usize)> {
        self.links
            .iter()
            .filter(|((_, to), q)| !q.is_empty() && self.nodes[*to].manager.is_some())
            .map(|(k, _)| *k)
            .collect()
    }

    /// Delivers one thing on a random busy link (so deliveries reorder
    /// across peers but never within a connection). False when idle.
    pub fn step_network(&mut self) -> bool {
        let busy = self.busy_links();
        if busy.is_empty() {
            return false;
        }
        let (from, to) = busy[self.rng.below(busy.len())];
        if let Some(flaky) = self.flaky {
            if !self.is_down(from, to)
                && flaky.drop_per_mille > 0
                && (self.rng.below(1000) as u64) < flaky.drop_per_mille
            {
                self.drops += 1;
                self.drop_connection(from, to);
                return true;
            }
        }
        let delivery = self
            .links
            .get_mut(&(from, to))
            .and_then(|q| q.pop_front())
            .expect("busy link");
        let event = self.event_for(from, to, delivery);
        self.deliver(to, event);
        true
    }

    /// The event `to` sees for a delivery from `from`, noting connections.
    fn event_for(&mut self, from: usize, to: usize, delivery: Delivery) -> Event {
        let peer = self.nodes[from].id;
        match delivery {
            Delivery::Connected(features, epoch) => {
                self.seen_up.insert((to, from));
                self.seen_epoch.insert((to, from), epoch);
                Event::PeerConnected { peer, features }
            }
            Delivery::Message(message) => {
                // Every message crosses the wire codec.
                let bytes = message.encode().unwrap();
                Event::PeerMessage {
                    peer,
                    message: Message::decode(&bytes).unwrap(),
                }
            }
            Delivery::Disconnected => {
                self.seen_up.remove(&(to, from));
                Event::PeerDisconnected { peer }
            }
        }
    }

    /// Brings node `i`'s chain view up to date: blocks it lacks, one by
    /// one, then the mempool transactions it watches.
    pub fn sync(&mut self, i: usize) {
        loop {
            let Some(manager) = &self.nodes[i].manager else {
                return;
            };
            let next = match manager.wallet().sync_tip() {
                None => 0,
                Some(tip) if tip.height >= self.chain.height() => break,
                Some(tip) => tip.height + 1,
            };
            let hash = self.chain.hash_at(next).unwrap();
            let block = self.chain.block(&hash).unwrap();
            self.deliver(
                i,
                Event::BlockConnected {
                    height: next,
                    block,
                },
            );
        }
        let entries: Vec<Transaction> = self
            .chain
            .mempool()
            .entries()
            .iter()
            .map(|e| e.tx.clone())
            .collect();
        for tx in entries {
            let node = &self.nodes[i];
            let txid = tx.compute_txid();
            let watched = tx.output.iter().any(|o| {
                node.watches
                    .contains(&Watch::Script(o.script_pubkey.clone()))
            }) || tx
                .input
                .iter()
                .any(|i| node.watches.contains(&Watch::Outpoint(i.previous_output)));
            if watched && !node.seen_mempool.contains(&txid) {
                self.nodes[i].seen_mempool.insert(txid);
                self.deliver(i, Event::MempoolTransaction { tx });
            }
            if self.nodes[i].manager.is_none() {
                return;
            }
        }
    }

    /// Syncs every running node.
    pub fn sync_all(&mut self) {
        for i in 0..self.nodes.len() {
            self.sync(i);
        }
    }

    /// Moves time on by `secs` and ticks every running node.
    pub fn advance(&mut self, secs: u64) {
        self.now += secs;
        if !self.down.is_empty() {
            self.reconnect_due();
        }
        for i in 0..self.nodes.len() {
            if self.nodes[i].manager.is_some() {
                self.deliver(i, Event::Tick);
            }
        }
    }

    /// Runs the network until nothing is in flight, with small random
    /// delays (time moves on between deliveries).
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            if !self.settle_step() {
                return;
            }
        }
        panic!("the network did not settle");
    }

    /// Runs at most `steps` steps of [`Sim::settle`]; false once nothing
    /// is in flight (nor waiting to be redialled).
    pub fn run_steps(&mut self, steps: usize) -> bool {
        (0..steps).all(|_| self.settle_step())
    }

    /// One step of [`Sim::settle`]: a random delay, then one delivery (or,
    /// when idle with a connection to redial, the wait for it). False when
    /// there was nothing to do.
    fn settle_step(&mut self) -> bool {
        if let Some(flaky) = self.flaky {
            let secs = self.rng.below(flaky.max_delay_secs as usize + 1) as u64;
            if secs > 0 {
                self.advance(secs);
            }
        } else if self.rng.below(4) == 0 {
            let secs = self.rng.below(3) as u64;
            self.advance(secs);
        }
        if self.step_network() {
            return true;
        }
        // Idle, but a connection is still to be redialled: wait for it.
        match self.down.values().min() {
            Some(&at) => {
                let secs = at.saturating_sub(self.now);
                self.advance(secs);
                true
            }
            None => false,
        }
    }

    /// Hands an event to node `i` and applies the actions.
    pub fn deliver(&mut self, i: usize, event: Event) {
        let entropy = self.rng.bytes();
        let now = self.now;
        let Some(manager) = self.nodes[i].manager.as_mut() else {
            return;
        };
        self.events += 1;
        let actions = manager.handle(event, now, entropy);
        self.apply(i, actions);
    }

    /// Passes an action boundary of node `i`; true if it crashed there.
    fn boundary(&mut self, i: usize) -> bool {
        let Some(plan) = self.crash else {
            return false;
        };
        let here = self.boundaries;
        self.boundaries += 1;
        let crash_here = match plan {
            CrashPlan::Count => false,
            CrashPlan::At(at) => at == here,
            CrashPlan::Random { .. } => {
                let hit = self.crash_target == Some(here);
                if self.crash_target.is_some_and(|t| t <= here) {
                    self.crash_target = None;
                }
                hit
            }
        };
        if crash_here {
            self.crashes.push((here, i));
            eprintln!("crash of {} at boundary {here}", self.nodes[i].name);
            self.crash_node(i);
            if let Some(initial) = self.invariants_on_crash.clone() {
                self.check_invariants(&initial);
            }
            return true;
        }
        false
    }

    /// Applies a batch as the driver does: persist the whole batch, then
    /// send, then broadcast, watch, reply, disconnect; a crash may cut it at
    /// any boundary.
    fn apply(&mut self, i: usize, actions: Vec<Action>) {
        let plan = Plan::new(actions);
        if let Some(CrashPlan::Random { one_in, max }) = self.crash {
            if self.crash_target.is_none()
                && self.crashes.len() < max
                && self.rng.below(one_in) == 0
            {
                let count = 1
                    + usize::from(!plan.changeset.is_empty())
                    + plan.sends.len()
                    + plan.after.len();
                self.crash_target = Some(self.boundaries + self.rng.below(count) as u64);
            }
        }
        if self.boundary(i) {
            return;
        }
        if !plan.changeset.is_empty() {
            for channel in &plan.changeset.channels {
                if let ChannelPhase::AwaitingFundingSigned { funding_tx, .. } = &channel.phase {
                    self.unbroadcast_fundings
                        .insert(funding_tx.compute_txid(), i);
                }
            }
            self.nodes[i].store.commit(&plan.changeset);
            if self.boundary(i) {
                return;
            }
        }
        for (peer, message) in plan.sends {
            self.sent.push((i, peer, message.clone()));
            let to = self.position(&peer);
            // On a dropped connection, or one replaced by a newer one the
            // sender has not seen yet, what is sent is lost.
            let lost = to.is_some_and(|to| {
                self.is_down(i, to)
                    || self.seen_epoch.get(&(i, to)) != self.epochs.get(&(i.min(to), i.max(to)))
            });
            if let Some(queue) = to.and_then(|to| self.links.get_mut(&(i, to))) {
                if link_is_up(queue) && !lost {
                    queue.push_back(Delivery::Message(message));
                }
            }
            if self.boundary(i) {
                return;
            }
        }
        for action in plan.after {
            match action {
                Action::Broadcast { tx, report } => {
                    let txid = tx.compute_txid();
                    let result = self
                        .chain
                        .accept_transaction(tx, self.now, false)
                        .map(|_| ())
                        .map_err(|e| e.to_string());
                    if report {
                        // The answer is a new event; if it crashes the node,
                        // the rest of this batch died with the old one.
                        let incarnation = self.nodes[i].incarnation;
                        self.deliver(i, Event::BroadcastResult { txid, result });
                        if self.nodes[i].incarnation != incarnation {
                            return;
                        }
                    }
                }
                Action::Watch(watch) => {
                    self.nodes[i].watches.insert(watch);
                }
                Action::Unwatch(watch) => {
                    self.nodes[i].watches.remove(&watch);
                }
                Action::Reply { id, reply } => {
                    self.nodes[i].asked.remove(&id);
                    self.nodes[i].replies.insert(id, reply);
                }
                Action::Disconnect { peer } => {
                    self.disconnects.push((i, peer));
                    if let Some(to) = self.position(&peer) {
                        if self.flaky.is_some() {
                            // The peer is redialled, as rayod does.
                            self.drop_connection(i, to);
                        } else {
                            self.drop_link(i, to);
                        }
                    }
                }
                Action::Persist(_) | Action::Send { .. } => unreachable!("sorted by Plan"),
            }
            if self.boundary(i) {
                return;
            }
        }
    }

    fn index_of(&self, id: &PublicKey) -> usize {
        self.position(id).expect("a node")
    }

    fn position(&self, id: &PublicKey) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == *id)
    }

    /// Messages node `from` sent to `to` so far.
    pub fn sent_to(&self, from: usize, to: &PublicKey) -> Vec<Message> {
        self.sent
            .iter()
            .filter(|(f, t, _)| *f == from && t == to)
            .map(|(_, _, m)| m.clone())
            .collect()
    }

    /// Crashes node `i`: memory gone; what it had sent is still delivered,
    /// then its peers see it disconnect; what was on its way to it is lost.
    /// It restarts from its store at once and reconnects (on a flaky
    /// network, after a random delay, like any dropped connection).
    pub fn crash_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        node.manager = None;
        node.incarnation += 1;
        let lost: Vec<RequestId> = std::mem::take(&mut node.asked).into_iter().collect();
        node.lost.extend(lost);
        for ((from, to), queue) in self.links.iter_mut() {
            if *to == i {
                queue.clear();
            } else if *from == i && link_is_up(queue) {
                queue.push_back(Delivery::Disconnected);
            }
        }
        self.start(i);
        let peers: Vec<(usize, usize)> = self
            .peerings
            .iter()
            .filter(|(a, b)| *a == i || *b == i)
            .copied()
            .collect();
        for (a, b) in peers {
            if self.flaky.is_some() {
                // Redialled after a while, like any dropped connection.
                self.schedule_reconnect(a, b);
            } else {
                self.open_link(a, b);
            }
        }
    }

    /// Is `txid` in the chain (mempool or a block of the active chain)?
    pub fn on_chain(&self, txid: &Txid) -> bool {
        self.chain.transaction(txid).ok().flatten().is_some()
    }

    /// Checks the invariants that must hold at any instant:
    /// * no coin is locked without an open awaiting `funding_signed`;
    /// * no abandoned funding transaction reached the chain;
    /// * both sides agree on every channel whose funding is on chain;
    /// * each wallet plus its channels holds what went in, minus fees.
    pub fn check_invariants(&self, initial: &[Amount]) {
        let mut funded_by: BTreeMap<ChannelId, (usize, ChannelRecord)> = BTreeMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(manager) = &node.manager else {
                continue;
            };
            // Locks only under an open in flight.
            let in_flight: BTreeSet<bitcoin::OutPoint> = manager
                .channels()
                .filter_map(|c| match &c.phase {
                    ChannelPhase::AwaitingFundingSigned { funding_tx, .. } => Some(funding_tx),
                    _ => None,
                })
                .flat_map(|tx| tx.input.iter().map(|i| i.previous_output))
                .collect();
            // A lock on an outpoint our own transaction spends is moot (it
            // is released when a block confirms the spend).
            let tip = manager.wallet().sync_tip().map_or(0, |t| t.height);
            let spent: BTreeSet<bitcoin::OutPoint> = manager
                .wallet()
                .transactions(tip)
                .iter()
                .flat_map(|t| t.raw.input.iter().map(|i| i.previous_output))
                .collect();
            for locked in manager.wallet().locked().filter(|o| !spent.contains(o)) {
                assert!(
                    in_flight.contains(&locked),
                    "{}: {locked} is locked without a channel",
                    node.name
                );
            }
            // Memory and store agree.
            let stored: BTreeSet<ChannelId> = node
                .store
                .channels()
                .iter()
                .map(|c| c.channel_id())
                .collect();
            let live: BTreeSet<ChannelId> = manager.channels().map(|c| c.channel_id()).collect();
            assert_eq!(stored, live, "{}: store and memory differ", node.name);
            for c in manager.channels() {
                if let Some(f) = c.funded() {
                    if self.on_chain(&f.funding().txid) {
                        funded_by
                            .entry(c.channel_id())
                            .or_insert_with(|| (i, c.clone()));
                    }
                }
            }
        }
        // Abandoned fundings never broadcast.
        for (txid, opener) in &self.unbroadcast_fundings {
            if self.on_chain(txid) {
                if let Some(manager) = &self.nodes[*opener].manager {
                    assert!(
                        manager
                            .channels()
                            .any(|c| c.funded().is_some_and(|f| f.funding().txid == *txid)),
                        "{}: funding {txid} is on chain but its channel was abandoned",
                        self.nodes[*opener].name
                    );
                }
            }
        }
        // Both sides know every channel whose funding is on chain.
        for (id, (i, record)) in &funded_by {
            let peer = self.index_of(&record.peer);
            let Some(manager) = &self.nodes[peer].manager else {
                continue;
            };
            let theirs = manager
                .channels()
                .find(|c| c.channel_id() == *id)
                .unwrap_or_else(|| {
                    panic!(
                        "{} has channel {id} on chain, {} does not",
                        self.nodes[*i].name, self.nodes[peer].name
                    )
                });
            let (ours, theirs) = (record.funded().unwrap(), theirs.funded().unwrap());
            assert_eq!(ours.funding(), theirs.funding());
            assert_eq!(ours.phase.setup.capacity, theirs.phase.setup.capacity);
            assert_ne!(ours.phase.setup.opener, theirs.phase.setup.opener);
            let (a_local, a_remote, fee) = ours.balances();
            let (b_local, b_remote, fee_b) = theirs.balances();
            assert_eq!((a_local, a_remote, fee), (b_remote, b_local, fee_b));
        }
        // Conservation: wallet + channel balances + fees paid = what went in.
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(manager) = &node.manager else {
                continue;
            };
            let wallet = manager.wallet();
            let tip = wallet.sync_tip().map_or(0, |t| t.height);
            let b = wallet.balance(tip);
            let mut held = b.confirmed + b.unconfirmed + b.immature + b.locked;
            for tx in wallet.transactions(tip) {
                if tx.amount.is_negative() {
                    held += tx.fee.expect("our own transactions have known fees");
                }
            }
            for c in manager.channels() {
                if let Some(f) = c.funded().filter(|f| self.on_chain(&f.funding().txid)) {
                    let (local, _, fee) = f.balances();
                    held += Amount::from_sat(local.0);
                    if f.is_ours() {
                        held += Amount::from_sat(fee.0);
                    }
                }
            }
            let pushed: u64 = self.pushed(i);
            let expected =
                (initial[i] + Amount::from_sat(self.received(i))) - Amount::from_sat(pushed);
            assert_eq!(held, expected, "{}: wallet + channels + fees", node.name);
        }
    }

    /// Satoshis node `i` pushed to peers in channels whose funding is on
    /// chain, plus the rounding the msat balances lose.
    fn pushed(&self, i: usize) -> u64 {
        self.channels_on_chain(i)
            .filter(|f| f.is_ours())
            .map(|f| f.phase.setup.push.to_sat_floor().0)
            .sum()
    }

    /// Satoshis node `i` was pushed.
    fn received(&self, i: usize) -> u64 {
        self.channels_on_chain(i)
            .filter(|f| !f.is_ours())
            .map(|f| f.phase.setup.push.to_sat_floor().0)
            .sum()
    }

    fn channels_on_chain(
        &self,
        i: usize,
    ) -> impl Iterator<Item = rayo_manager::record::FundedChannel> + '_ {
        self.nodes[i]
            .manager
            .iter()
            .flat_map(|m| m.channels())
            .filter_map(|c| c.funded().cloned())
            .filter(|f| self.on_chain(&f.funding().txid))
    }
}

fn link_is_up(queue: &VecDeque<Delivery>) -> bool {
    // A link is up unless the last thing queued on it is a disconnect.
    !matches!(queue.back(), Some(Delivery::Disconnected))
}
