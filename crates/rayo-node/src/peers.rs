//! Peer connections: listening, dialling `pubkey@host:port`, the `init`
//! exchange, keep-alive pings, and the list the API shows.
//!
//! How a connection runs:
//! - The listener survives `accept()` errors (out of file descriptors, most
//!   often): it logs once per burst, backs off and keeps accepting.
//! - Inbound connections are capped before we read a byte: handshakes in
//!   progress (in total and per address) and connected peers (in total and
//!   per address). A connection over a cap is closed at once.
//! - Each peer then has a reader task (the socket's read half and the Noise
//!   `Decryptor`) and a writer task (the write half and the `Encryptor`),
//!   under a small supervising task. Every write has a time limit, so a peer
//!   that stops reading is disconnected instead of holding a task forever.
//! - What peers send reaches the node through a [`PeerInbox`]: one bounded
//!   queue per peer, served round-robin, so a chatty peer cannot starve the
//!   others; a peer whose queue is full is back-pressured (its reader waits,
//!   so TCP slows the peer down). `Disconnected` is never dropped.
//! - Every peer task runs in a `tracing` span naming the peer and its
//!   address.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use rayo_wire::features::Features;
use rayo_wire::message::{Init, Message, Ping, Pong, PING_NO_PONG_THRESHOLD};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tracing::Instrument;

use crate::connection::{Connection, ConnectionError, ConnectionReader, ConnectionWriter};

/// How long dialling, and then the `init` exchange, may each take before we
/// give up (the BOLT 8 handshake has its own limit,
/// [`crate::connection::HANDSHAKE_TIMEOUT`]).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time between keep-alive pings; a peer has that long to answer.
/// lnd pings every minute, LDK every timer tick (10 s); 30 s sits between.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(30);

/// Default time one write to a peer may take. A healthy peer takes a frame
/// in milliseconds; 30 s leaves room for a slow link while making sure a
/// peer that stops reading is dropped (lnd's write deadline is 5 s per
/// message, its idle timeout 5 minutes; LDK's socket layer has none).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// Default cap on inbound connections still in the BOLT 8 handshake or the
/// `init` exchange. A handshake takes a round trip or two, so honest peers
/// hold a slot for milliseconds; an attacker holding slots with silent
/// sockets gets at most this many, each for at most
/// [`crate::connection::HANDSHAKE_TIMEOUT`].
pub const MAX_INBOUND_HANDSHAKES: usize = 64;

/// Default cap on handshakes in progress from one address (an IPv4 address,
/// or an IPv6 /64): one host cannot take all the handshake slots. An honest
/// node makes one connection at a time.
pub const MAX_HANDSHAKES_PER_IP: usize = 8;

/// Default cap on connected inbound peers. LDK refuses inbound peers past
/// 250 without a funded channel (`MAX_NO_CHANNEL_PEERS`), eclair's limit was
/// 250 too; the peer layer does not know channels, so the cap counts every
/// inbound peer. Peers we dial are not counted (as in lnd since 0.19.2):
/// saved channel peers are redialled by us, so they get through even when
/// strangers fill the inbound slots.
pub const MAX_INBOUND_PEERS: usize = 250;

/// Default cap on connected inbound peers from one address (an IPv4
/// address, or an IPv6 /64): node ids are free to make, so without it one
/// host could take every inbound slot.
pub const MAX_PEERS_PER_IP: usize = 16;

/// Per-peer budget of messages waiting for the node, in units: a message
/// costs one unit per started [`INBOX_UNIT_BYTES`] (so at least one). 64
/// small messages, or 4 maximal ones, may wait; then the peer's reader
/// waits too. Memory held per peer stays under 64 × 4 KiB.
pub const INBOX_UNITS: u32 = 64;

/// The size one [`INBOX_UNITS`] unit stands for.
pub const INBOX_UNIT_BYTES: usize = 4096;

/// How many messages may wait to be written to one peer; a peer that lets
/// more pile up is too slow or stuck, and is disconnected
/// ([`Peers::send`] never blocks the node).
pub const OUTBOX_DEPTH: usize = 256;

/// Pong budget, as in lnd's ping flood limiter: a token bucket of this many
/// tokens per peer...
pub const PONG_BURST_TOKENS: u64 = 200;

/// ...refilled at this many tokens per second...
pub const PONG_TOKENS_PER_SEC: u64 = 10;

/// ...where a ping costs one token per started this many pong bytes (so at
/// least one, and ten for a maximal 65531-byte pong). A ping that asks for
/// no pong costs one token too, so it cannot bypass the budget. BOLT 1 says
/// every ping under 65532 bytes MUST be answered, so we answer every ping
/// the budget admits and disconnect a peer that exhausts it (which BOLT 1
/// always allows): 20 maximal pongs at once, then one per second, or 200
/// small ones and then 10 per second, is far beyond any keep-alive.
pub const PONG_BYTES_PER_TOKEN: u64 = 6554;

/// How many pongs may wait for the writer; then the reader waits, so a peer
/// that pings but does not read is back-pressured.
const PONG_QUEUE: usize = 4;

/// The pong size we ask for in our pings.
const PING_PONG_BYTES: u16 = 16;

/// First wait after a failed `accept()`; it doubles on each further failure.
pub const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);

/// Longest wait between `accept()` attempts while they keep failing.
pub const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// How long a disconnect waits for the messages queued before it (an
/// `error` the node sent first, say) to be written before closing anyway.
pub const DISCONNECT_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// The shortest ping interval and write timeout accepted; shorter values
/// are raised to it (a zero interval would make no sense and panic tokio).
const MIN_PERIOD: Duration = Duration::from_millis(10);

/// Why a peer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// That is our own node id.
    #[error("cannot connect to self")]
    SelfConnection,
    /// Already connected.
    #[error("already connected to peer: {0}")]
    AlreadyConnected(PublicKey),
    /// Not connected.
    #[error("peer {0} is not connected")]
    NotConnected(PublicKey),
    /// The peer did not take our messages fast enough: its outbox was full,
    /// so it was disconnected.
    #[error("peer {0} is not reading its messages and was disconnected")]
    Overloaded(PublicKey),
    /// The host could not be resolved or reached in time.
    #[error("cannot reach {address}: {reason}")]
    Unreachable {
        /// The address dialled.
        address: String,
        /// What failed.
        reason: String,
    },
    /// The handshake or `init` failed (wrong key, other network, features).
    #[error("connection to {address} failed: {source}")]
    Protocol {
        /// The address dialled.
        address: String,
        /// The failure.
        source: ConnectionError,
    },
    /// An inbound connection over one of the caps in [`PeerSettings`].
    #[error("connection refused: {0}")]
    OverCap(&'static str),
    /// The operating system's random number generator failed, so no
    /// handshake key could be made.
    #[error("no randomness for a handshake key: {0}")]
    NoRandomness(String),
}

/// What the API shows of a peer.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// The peer's node id.
    pub node_id: PublicKey,
    /// Its socket address.
    pub address: SocketAddr,
    /// True if it dialled us.
    pub inbound: bool,
    /// Encrypted bytes sent.
    pub bytes_sent: u64,
    /// Encrypted bytes received.
    pub bytes_received: u64,
    /// Round trip of the last answered ping.
    pub ping_time: Option<Duration>,
    /// The features from its `init`.
    pub features: Features,
}

/// The peer layer's knobs; [`Default`] gives the documented constants, and
/// tests (or `rayod`'s dev flags) shorten the times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSettings {
    /// Time between our pings; a peer that has not answered one by the next
    /// is disconnected.
    pub ping_interval: Duration,
    /// Longest time one write may take before the peer is disconnected.
    pub write_timeout: Duration,
    /// Inbound connections in the handshake or `init` exchange, in total.
    pub max_inbound_handshakes: usize,
    /// Inbound connections in the handshake or `init` exchange, per address.
    pub max_handshakes_per_ip: usize,
    /// Connected inbound peers, in total.
    pub max_inbound_peers: usize,
    /// Connected inbound peers, per address.
    pub max_peers_per_ip: usize,
}

impl Default for PeerSettings {
    fn default() -> Self {
        Self {
            ping_interval: DEFAULT_PING_INTERVAL,
            write_timeout: WRITE_TIMEOUT,
            max_inbound_handshakes: MAX_INBOUND_HANDSHAKES,
            max_handshakes_per_ip: MAX_HANDSHAKES_PER_IP,
            max_inbound_peers: MAX_INBOUND_PEERS,
            max_peers_per_ip: MAX_PEERS_PER_IP,
        }
    }
}

/// What the peer layer tells the node. Per peer the order is `Connected`,
/// then that connection's messages, then `Disconnected`; a reconnection's
/// `Connected` comes after the previous connection's `Disconnected`.
#[derive(Debug)]
pub enum PeerEvent {
    /// `init` exchanged: the peer is usable (channels reestablish now).
    Connected {
        /// The peer.
        peer: PublicKey,
        /// The features of its `init`.
        features: Features,
    },
    /// A channel message (or an `error`) from the peer; pings, pongs,
    /// warnings, gossip and unknown odd messages stay in the peer layer.
    Message {
        /// The peer.
        peer: PublicKey,
        /// The message.
        message: Message,
    },
    /// The connection ended. Always delivered for a delivered `Connected`.
    Disconnected {
        /// The peer.
        peer: PublicKey,
    },
}

/// Locks `mutex`, recovering it if a panic poisoned it: every critical
/// section here leaves the data consistent, so one panic must not turn every
/// later lock into another.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A fresh BOLT 8 ephemeral key from the operating system's generator.
fn fresh_ephemeral() -> Result<SecretKey, PeerError> {
    loop {
        let bytes =
            crate::entropy::random_32().map_err(|e| PeerError::NoRandomness(e.to_string()))?;
        // Zero or past the curve order: about 2^-128, draw again.
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return Ok(key);
        }
    }
}

// ---------------------------------------------------------------------------
// The inbox: per-peer bounded queues toward the node, served round-robin.

/// The node side of the peer layer: events from all peers, fair.
///
/// Each peer has its own queue of at most [`INBOX_UNITS`] units of messages;
/// [`PeerInbox::recv`] takes one event from each peer with something queued
/// in turn. A peer whose queue is full is not read from until the node
/// catches up. `Connected` and `Disconnected` are not counted against the
/// budget (there is one of each per connection), so `Disconnected` is never
/// dropped. A connection that ends before the node took its `Connected`, and
/// that sent nothing, is not reported at all: the node never knew of it, and
/// a peer reconnecting in a loop cannot grow its queue.
pub struct PeerInbox {
    inbox: Arc<Inbox>,
}

impl PeerInbox {
    /// The next event, waiting for one. `None` once the [`Peers`] is gone
    /// and every queued event was delivered. Cancel-safe: it can race other
    /// futures in `tokio::select!` without losing events.
    pub async fn recv(&mut self) -> Option<PeerEvent> {
        loop {
            let woken = self.inbox.wake.notified();
            if let Some(event) = self.inbox.pop() {
                return Some(event);
            }
            if lock(&self.inbox.state).producer_gone {
                return None;
            }
            woken.await;
        }
    }

    /// The next event if one is queued, without waiting (for a driver that
    /// handles events in batches).
    pub fn try_recv(&mut self) -> Option<PeerEvent> {
        self.inbox.pop()
    }
}

impl Drop for PeerInbox {
    fn drop(&mut self) {
        // The node stopped listening: wake every waiting reader so its
        // connection ends instead of waiting forever.
        let mut state = lock(&self.inbox.state);
        state.receiver_gone = true;
        for queue in state.queues.values() {
            queue.space.close();
        }
    }
}

#[derive(Default)]
struct Inbox {
    state: Mutex<InboxState>,
    wake: Notify,
}

#[derive(Default)]
struct InboxState {
    queues: HashMap<PublicKey, PeerQueue>,
    /// Peers with something queued, in serving order; each at most once.
    ready: VecDeque<PublicKey>,
    receiver_gone: bool,
    producer_gone: bool,
}

struct PeerQueue {
    entries: VecDeque<Entry>,
    /// The connection whose messages are accepted now.
    current: Option<u64>,
    /// Free units of the peer's budget; readers wait on it.
    space: Arc<Semaphore>,
    /// In `ready`.
    scheduled: bool,
}

enum Entry {
    Connected { generation: u64, features: Features },
    Message { message: Message, cost: u32 },
    Disconnected,
}

/// The units a message of `len` bytes costs.
fn message_cost(len: usize) -> u32 {
    let units = 1 + len / INBOX_UNIT_BYTES;
    u32::try_from(units).map_or(INBOX_UNITS, |u| u.min(INBOX_UNITS))
}

impl Inbox {
    /// Connection `generation` of `peer` is up: ends the previous one (its
    /// `Disconnected` first) and queues `Connected`. Returns the peer's
    /// budget, which the reader waits on.
    fn open(&self, peer: PublicKey, generation: u64, features: Features) -> Arc<Semaphore> {
        let mut state = lock(&self.state);
        let closed = state.receiver_gone;
        let InboxState { queues, ready, .. } = &mut *state;
        let queue = queues.entry(peer).or_insert_with(|| {
            let space = Arc::new(Semaphore::new(INBOX_UNITS as usize));
            if closed {
                space.close();
            }
            PeerQueue {
                entries: VecDeque::new(),
                current: None,
                space,
                scheduled: false,
            }
        });
        if let Some(old) = queue.current.take() {
            queue.end(old);
        }
        queue.current = Some(generation);
        queue.entries.push_back(Entry::Connected {
            generation,
            features,
        });
        queue.schedule(peer, ready);
        let space = Arc::clone(&queue.space);
        drop(state);
        self.wake.notify_one();
        space
    }

    /// Connection `generation` of `peer` ended: queues its `Disconnected`
    /// (once; later calls and calls for an older connection do nothing).
    fn close(&self, peer: &PublicKey, generation: u64) {
        let mut state = lock(&self.state);
        let InboxState { queues, ready, .. } = &mut *state;
        let Some(queue) = queues.get_mut(peer) else {
            return;
        };
        if queue.current != Some(generation) {
            return;
        }
        queue.current = None;
        queue.end(generation);
        queue.schedule(*peer, ready);
        if queue.entries.is_empty() && !queue.scheduled {
            queues.remove(peer);
        }
        drop(state);
        self.wake.notify_one();
    }

    /// Queues a message of connection `generation`, waiting while the
    /// peer's budget is spent. Fails once that connection is closed, or the
    /// node no longer listens.
    async fn push(
        &self,
        peer: PublicKey,
        generation: u64,
        space: &Arc<Semaphore>,
        message: Message,
        len: usize,
    ) -> Result<(), ()> {
        let cost = message_cost(len);
        let permit: OwnedSemaphorePermit = Arc::clone(space)
            .acquire_many_owned(cost)
            .await
            .map_err(|_| ())?;
        let mut state = lock(&self.state);
        let InboxState { queues, ready, .. } = &mut *state;
        let Some(queue) = queues
            .get_mut(&peer)
            .filter(|q| q.current == Some(generation))
        else {
            // Dropping the permit gives the units back.
            return Err(());
        };
        permit.forget();
        queue.entries.push_back(Entry::Message { message, cost });
        queue.schedule(peer, ready);
        drop(state);
        self.wake.notify_one();
        Ok(())
    }

    /// The next event, round-robin over peers.
    fn pop(&self) -> Option<PeerEvent> {
        let mut state = lock(&self.state);
        let InboxState { queues, ready, .. } = &mut *state;
        while let Some(peer) = ready.pop_front() {
            let Some(queue) = queues.get_mut(&peer) else {
                continue;
            };
            queue.scheduled = false;
            let Some(entry) = queue.entries.pop_front() else {
                if queue.current.is_none() {
                    queues.remove(&peer);
                }
                continue;
            };
            if let Entry::Message { cost, .. } = &entry {
                queue.space.add_permits(*cost as usize);
            }
            if !queue.entries.is_empty() {
                queue.schedule(peer, ready);
            } else if queue.current.is_none() {
                queues.remove(&peer);
            }
            return Some(match entry {
                Entry::Connected { features, .. } => PeerEvent::Connected { peer, features },
                Entry::Message { message, .. } => PeerEvent::Message { peer, message },
                Entry::Disconnected => PeerEvent::Disconnected { peer },
            });
        }
        None
    }

    /// The [`Peers`] is gone: `recv` ends once the queues are drained.
    fn producer_gone(&self) {
        lock(&self.state).producer_gone = true;
        self.wake.notify_one();
    }
}

impl PeerQueue {
    /// Queues the end of connection `generation`. A connection the node has
    /// not heard of yet (its `Connected` is still the last entry, so it sent
    /// nothing) vanishes without a trace instead: the node never sees it, and
    /// a peer that reconnects in a loop cannot grow the queue.
    fn end(&mut self, generation: u64) {
        let unseen = matches!(
            self.entries.back(),
            Some(Entry::Connected { generation: g, .. }) if *g == generation
        );
        if unseen {
            self.entries.pop_back();
        } else {
            self.entries.push_back(Entry::Disconnected);
        }
    }

    fn schedule(&mut self, peer: PublicKey, ready: &mut VecDeque<PublicKey>) {
        if !self.scheduled && !self.entries.is_empty() {
            self.scheduled = true;
            ready.push_back(peer);
        }
    }
}

// ---------------------------------------------------------------------------
// Caps, pong budget and accept backoff: small pure pieces.

/// The address a per-address cap counts: an IPv4 address, or an IPv6 /64
/// (one host usually has a whole /64).
fn cap_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut octets = v6.octets();
            octets[8..].fill(0);
            IpAddr::V6(octets.into())
        }
        v4 => v4,
    }
}

#[derive(Default)]
struct HandshakeCount {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// A handshake slot, given back when dropped.
struct HandshakeSlot {
    counts: Arc<Mutex<HandshakeCount>>,
    key: IpAddr,
}

impl HandshakeSlot {
    fn reserve(
        counts: &Arc<Mutex<HandshakeCount>>,
        ip: IpAddr,
        settings: &PeerSettings,
    ) -> Result<HandshakeSlot, PeerError> {
        let key = cap_key(ip);
        let mut c = lock(counts);
        if c.total >= settings.max_inbound_handshakes {
            return Err(PeerError::OverCap("too many handshakes in progress"));
        }
        // Checked before inserting: a refused address leaves no entry.
        if c.by_ip.get(&key).copied().unwrap_or(0) >= settings.max_handshakes_per_ip {
            return Err(PeerError::OverCap(
                "too many handshakes in progress from this address",
            ));
        }
        *c.by_ip.entry(key).or_insert(0) += 1;
        c.total += 1;
        Ok(HandshakeSlot {
            counts: Arc::clone(counts),
            key,
        })
    }
}

impl Drop for HandshakeSlot {
    fn drop(&mut self) {
        let mut c = lock(&self.counts);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_ip.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_ip.remove(&self.key);
            }
        }
    }
}

/// Why `node_id`, arriving inbound from `ip`, would exceed a peer cap. A
/// reconnection of a connected peer replaces it, so it is not counted.
fn peer_cap_refusal(
    peers: &HashMap<PublicKey, PeerHandle>,
    node_id: &PublicKey,
    ip: IpAddr,
    settings: &PeerSettings,
) -> Option<PeerError> {
    let key = cap_key(ip);
    let (mut inbound, mut from_ip) = (0usize, 0usize);
    for (id, handle) in peers {
        if id != node_id && handle.shared.inbound {
            inbound += 1;
            if cap_key(handle.shared.address.ip()) == key {
                from_ip += 1;
            }
        }
    }
    if inbound >= settings.max_inbound_peers {
        Some(PeerError::OverCap("too many inbound peers"))
    } else if from_ip >= settings.max_peers_per_ip {
        Some(PeerError::OverCap("too many peers from this address"))
    } else {
        None
    }
}

/// A per-peer token bucket for pongs (see [`PONG_BYTES_PER_TOKEN`]), in
/// thousandths of a token so the refill needs no floats.
struct PongBudget {
    millitokens: u64,
    last: Instant,
}

impl PongBudget {
    const CAPACITY: u64 = PONG_BURST_TOKENS * 1000;

    fn new(now: Instant) -> Self {
        Self {
            millitokens: Self::CAPACITY,
            last: now,
        }
    }

    /// Whether a ping asking for `num_pong_bytes` fits the budget at `now`
    /// (and spends it).
    fn admit(&mut self, num_pong_bytes: u16, now: Instant) -> bool {
        let elapsed_ms =
            u64::try_from(now.saturating_duration_since(self.last).as_millis()).unwrap_or(u64::MAX);
        // tokens/s × ms = thousandths of a token.
        let refill = elapsed_ms.saturating_mul(PONG_TOKENS_PER_SEC);
        self.millitokens = self.millitokens.saturating_add(refill).min(Self::CAPACITY);
        self.last = now;
        let pong_bytes = if num_pong_bytes < PING_NO_PONG_THRESHOLD {
            u64::from(num_pong_bytes)
        } else {
            0
        };
        let cost = pong_bytes
            .div_ceil(PONG_BYTES_PER_TOKEN)
            .clamp(1, PONG_BURST_TOKENS)
            * 1000;
        if self.millitokens >= cost {
            self.millitokens -= cost;
            true
        } else {
            false
        }
    }
}

/// Backoff between failing `accept()` calls: [`ACCEPT_BACKOFF_MIN`]
/// doubling up to [`ACCEPT_BACKOFF_MAX`], and one log line per burst.
#[derive(Default)]
struct AcceptBackoff {
    failures: u64,
}

impl AcceptBackoff {
    /// One more failure: how long to wait, and whether it starts a burst
    /// (and so should be logged).
    fn failed(&mut self) -> (Duration, bool) {
        self.failures = self.failures.saturating_add(1);
        let doublings = u32::try_from(self.failures - 1).unwrap_or(u32::MAX).min(16);
        let delay = ACCEPT_BACKOFF_MIN
            .saturating_mul(1 << doublings)
            .min(ACCEPT_BACKOFF_MAX);
        (delay, self.failures == 1)
    }

    /// A success: the number of failures in the burst it ends, if any.
    fn succeeded(&mut self) -> Option<u64> {
        (self.failures > 0).then(|| std::mem::take(&mut self.failures))
    }
}

// ---------------------------------------------------------------------------
// The peers.

/// What the reader, the writer and the API share about one connection.
struct PeerShared {
    node_id: PublicKey,
    address: SocketAddr,
    inbound: bool,
    features: Features,
    bytes_sent: AtomicU64,
    bytes_received: AtomicU64,
    ping: Mutex<PingState>,
}

#[derive(Default)]
struct PingState {
    /// When our unanswered ping went out.
    outstanding: Option<Instant>,
    rtt: Option<Duration>,
}

impl PeerShared {
    fn info(&self) -> PeerInfo {
        PeerInfo {
            node_id: self.node_id,
            address: self.address,
            inbound: self.inbound,
            bytes_sent: self.bytes_sent.load(Ordering::Relaxed),
            bytes_received: self.bytes_received.load(Ordering::Relaxed),
            ping_time: lock(&self.ping).rtt,
            features: self.features.clone(),
        }
    }
}

struct PeerHandle {
    shared: Arc<PeerShared>,
    /// Asks the connection's supervisor to close it.
    stop: Arc<Notify>,
    /// Dropping it (with the handle) lets the writer flush and close.
    outbox: mpsc::Sender<Message>,
    generation: u64,
}

/// The node's peers.
pub struct Peers {
    settings: PeerSettings,
    local_secret: SecretKey,
    local_id: PublicKey,
    init: Init,
    /// Lock order: `peers`, then the inbox's state.
    peers: Mutex<HashMap<PublicKey, PeerHandle>>,
    handshakes: Arc<Mutex<HandshakeCount>>,
    inbox: Arc<Inbox>,
    next_generation: AtomicU64,
}

impl Drop for Peers {
    fn drop(&mut self) {
        self.inbox.producer_gone();
    }
}

impl Peers {
    /// Peers for a node with `local_secret`, sending `init` on each
    /// connection; the [`PeerInbox`] is where the node reads what they say.
    pub fn new(
        local_secret: SecretKey,
        init: Init,
        mut settings: PeerSettings,
    ) -> (Arc<Peers>, PeerInbox) {
        settings.ping_interval = settings.ping_interval.max(MIN_PERIOD);
        settings.write_timeout = settings.write_timeout.max(MIN_PERIOD);
        let local_id = local_secret.public_key(&Secp256k1::signing_only());
        let inbox = Arc::new(Inbox::default());
        let peers = Arc::new(Self {
            settings,
            local_secret,
            local_id,
            init,
            peers: Mutex::new(HashMap::new()),
            handshakes: Arc::default(),
            inbox: Arc::clone(&inbox),
            next_generation: AtomicU64::new(0),
        });
        (peers, PeerInbox { inbox })
    }

    /// The settings in force (after raising too short times).
    pub fn settings(&self) -> &PeerSettings {
        &self.settings
    }

    /// Accepts connections for as long as the node runs. A failing
    /// `accept()` (typically out of file descriptors) is logged once per
    /// burst and retried after a backoff; it never ends the loop.
    pub async fn listen(self: Arc<Self>, listener: TcpListener) {
        let mut backoff = AcceptBackoff::default();
        loop {
            match listener.accept().await {
                Ok((stream, address)) => {
                    if let Some(failures) = backoff.succeeded() {
                        tracing::info!(failures, "accepting peer connections again");
                    }
                    self.inbound(stream, address);
                }
                Err(e) => {
                    let (delay, first) = backoff.failed();
                    if first {
                        tracing::warn!(
                            error = %e,
                            "accepting a peer connection failed; retrying with backoff"
                        );
                    }
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Takes an accepted connection: refused at once over a handshake cap,
    /// otherwise handshaken in its own task.
    fn inbound(self: &Arc<Self>, stream: TcpStream, address: SocketAddr) {
        let slot = match HandshakeSlot::reserve(&self.handshakes, address.ip(), &self.settings) {
            Ok(slot) => slot,
            Err(e) => {
                tracing::debug!(%address, error = %e, "inbound connection refused");
                return; // dropping `stream` closes it
            }
        };
        let this = Arc::clone(self);
        let span = tracing::info_span!("inbound", %address);
        tokio::spawn(
            async move {
                let ephemeral = match fresh_ephemeral() {
                    Ok(key) => key,
                    Err(e) => {
                        tracing::error!(error = %e, "inbound connection dropped");
                        return;
                    }
                };
                let conn = match Connection::accept(stream, &this.local_secret, ephemeral).await {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::debug!(error = %e, "inbound handshake failed");
                        return;
                    }
                };
                let node_id = conn.remote_node_id();
                // Check the peer caps before spending an `init` exchange;
                // registration checks again, atomically.
                let refused =
                    peer_cap_refusal(&lock(&this.peers), &node_id, address.ip(), &this.settings);
                if let Some(e) = refused {
                    tracing::info!(peer = %node_id, error = %e, "inbound peer refused");
                    return;
                }
                if let Err(e) = this.start(conn, address, true, Some(slot)).await {
                    tracing::info!(peer = %node_id, error = %e, "inbound peer refused");
                }
            }
            .instrument(span),
        );
    }

    /// Dials `node_id` at `address` and completes `init`. Our own dials are
    /// not counted against the inbound caps.
    pub async fn connect(
        self: &Arc<Self>,
        node_id: PublicKey,
        address: &str,
    ) -> Result<(), PeerError> {
        if node_id == self.local_id {
            return Err(PeerError::SelfConnection);
        }
        if self.is_connected(&node_id) {
            return Err(PeerError::AlreadyConnected(node_id));
        }
        let unreachable = |reason: String| PeerError::Unreachable {
            address: address.to_owned(),
            reason,
        };
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
            .await
            .map_err(|_| unreachable("timed out".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
        let socket = stream.peer_addr().map_err(|e| unreachable(e.to_string()))?;
        let protocol = |source| PeerError::Protocol {
            address: address.to_owned(),
            source,
        };
        let conn = Connection::connect(stream, &self.local_secret, fresh_ephemeral()?, node_id)
            .await
            .map_err(protocol)?;
        self.start(conn, socket, false, None)
            .instrument(tracing::info_span!("outbound", peer = %node_id, address = %socket))
            .await
    }

    /// Exchanges `init`, registers the peer (replacing an older connection
    /// of the same node) and spawns its tasks. The handshake slot, if any,
    /// is held until then.
    async fn start(
        self: &Arc<Self>,
        mut conn: Connection,
        address: SocketAddr,
        inbound: bool,
        _slot: Option<HandshakeSlot>,
    ) -> Result<(), PeerError> {
        let protocol = |source| PeerError::Protocol {
            address: address.to_string(),
            source,
        };
        let theirs = tokio::time::timeout(CONNECT_TIMEOUT, conn.exchange_init(self.init.clone()))
            .await
            .map_err(|_| protocol(ConnectionError::HandshakeTimeout))?
            .map_err(protocol)?;
        let node_id = conn.remote_node_id();
        let shared = Arc::new(PeerShared {
            node_id,
            address,
            inbound,
            features: theirs.features.clone(),
            bytes_sent: AtomicU64::new(conn.bytes_sent()),
            bytes_received: AtomicU64::new(conn.bytes_received()),
            ping: Mutex::new(PingState::default()),
        });
        let stop = Arc::new(Notify::new());
        let (outbox, outbox_rx) = mpsc::channel(OUTBOX_DEPTH);
        let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
        let space = {
            let mut peers = lock(&self.peers);
            if inbound {
                if let Some(e) = peer_cap_refusal(&peers, &node_id, address.ip(), &self.settings) {
                    return Err(e);
                }
            }
            let handle = PeerHandle {
                shared: Arc::clone(&shared),
                stop: Arc::clone(&stop),
                outbox,
                generation,
            };
            if let Some(old) = peers.insert(node_id, handle) {
                old.stop.notify_one();
            }
            // Ends the old connection in the inbox first, so its
            // `Disconnected` comes before this `Connected`.
            self.inbox.open(node_id, generation, theirs.features)
        };
        // A root span: the peer's lines name it, whoever started it.
        let span = tracing::info_span!(parent: None, "peer", peer = %node_id, %address, inbound);
        span.in_scope(|| tracing::info!("peer connected"));
        let this = Arc::clone(self);
        let link = Link {
            shared,
            stop,
            outbox: outbox_rx,
            space,
            generation,
        };
        tokio::spawn(this.supervise(conn, link).instrument(span));
        Ok(())
    }

    /// Runs one connection's reader and writer until either ends or a
    /// disconnect is asked for, then unregisters it.
    async fn supervise(self: Arc<Self>, conn: Connection, link: Link) {
        let Link {
            shared,
            stop,
            outbox,
            space,
            generation,
        } = link;
        let node_id = shared.node_id;
        let (reader, writer) = conn.into_split();
        let (pong_tx, pong_rx) = mpsc::channel(PONG_QUEUE);
        let read = read_loop(
            reader,
            Reading {
                inbox: Arc::clone(&self.inbox),
                space,
                generation,
                pongs: pong_tx,
                shared: Arc::clone(&shared),
            },
        );
        let write = write_loop(
            writer,
            Writing {
                outbox,
                pongs: pong_rx,
                shared: Arc::clone(&shared),
                ping_interval: self.settings.ping_interval,
                write_timeout: self.settings.write_timeout,
            },
        );
        let mut reader_task = tokio::spawn(read.in_current_span());
        let mut writer_task = tokio::spawn(write.in_current_span());
        let reason = tokio::select! {
            joined = &mut reader_task => {
                writer_task.abort();
                let _ = (&mut writer_task).await;
                outcome(joined)
            }
            joined = &mut writer_task => {
                reader_task.abort();
                let _ = (&mut reader_task).await;
                outcome(joined)
            }
            () = stop.notified() => {
                reader_task.abort();
                let _ = (&mut reader_task).await;
                // The handle (and so the outbox's sender) is gone: the
                // writer sends what was queued, then closes.
                if tokio::time::timeout(DISCONNECT_FLUSH_TIMEOUT, &mut writer_task)
                    .await
                    .is_err()
                {
                    writer_task.abort();
                    let _ = (&mut writer_task).await;
                }
                "disconnect requested".to_owned()
            }
        };
        tracing::info!(%reason, "peer disconnected");
        let mut peers = lock(&self.peers);
        if peers
            .get(&node_id)
            .is_some_and(|h| h.generation == generation)
        {
            peers.remove(&node_id);
        }
        self.inbox.close(&node_id, generation);
    }

    /// Closes the connection to `node_id`. Messages queued for it before
    /// are still written (for up to [`DISCONNECT_FLUSH_TIMEOUT`]); the node
    /// gets `Disconnected` after the connection's last message.
    pub fn disconnect(&self, node_id: &PublicKey) -> Result<(), PeerError> {
        let mut peers = lock(&self.peers);
        let handle = peers
            .remove(node_id)
            .ok_or(PeerError::NotConnected(*node_id))?;
        handle.stop.notify_one();
        self.inbox.close(node_id, handle.generation);
        Ok(())
    }

    /// Queues `msg` for `node_id`; never blocks. A peer whose outbox is
    /// full is too slow or stuck: it is disconnected.
    pub fn send(&self, node_id: &PublicKey, msg: Message) -> Result<(), PeerError> {
        let mut peers = lock(&self.peers);
        let handle = peers
            .get(node_id)
            .ok_or(PeerError::NotConnected(*node_id))?;
        match handle.outbox.try_send(msg) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(PeerError::NotConnected(*node_id)),
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(peer = %node_id, "peer outbox full; disconnecting");
                if let Some(handle) = peers.remove(node_id) {
                    handle.stop.notify_one();
                    self.inbox.close(node_id, handle.generation);
                }
                Err(PeerError::Overloaded(*node_id))
            }
        }
    }

    /// The features `node_id` sent in its `init`, if connected (they also
    /// come with [`PeerEvent::Connected`]).
    pub fn features(&self, node_id: &PublicKey) -> Option<Features> {
        lock(&self.peers)
            .get(node_id)
            .map(|h| h.shared.features.clone())
    }

    /// True if connected to `node_id`.
    pub fn is_connected(&self, node_id: &PublicKey) -> bool {
        lock(&self.peers).contains_key(node_id)
    }

    /// Every connected peer, by node id.
    pub fn list(&self) -> Vec<PeerInfo> {
        let mut list: Vec<PeerInfo> = lock(&self.peers)
            .values()
            .map(|h| h.shared.info())
            .collect();
        list.sort_by_key(|p| p.node_id);
        list
    }
}

/// What a connection's supervisor is handed at registration.
struct Link {
    shared: Arc<PeerShared>,
    stop: Arc<Notify>,
    outbox: mpsc::Receiver<Message>,
    space: Arc<Semaphore>,
    generation: u64,
}

/// The reason a reader or writer task ended.
fn outcome(joined: Result<String, tokio::task::JoinError>) -> String {
    match joined {
        Ok(reason) => reason,
        Err(e) => {
            tracing::error!(error = %e, "peer task failed");
            format!("peer task failed: {e}")
        }
    }
}

struct Reading {
    inbox: Arc<Inbox>,
    space: Arc<Semaphore>,
    generation: u64,
    pongs: mpsc::Sender<Pong>,
    shared: Arc<PeerShared>,
}

/// Reads messages: answers pings (within the pong budget), takes pongs,
/// and queues the rest for the node. Returns why it stopped.
async fn read_loop(mut reader: ConnectionReader, ctx: Reading) -> String {
    let node_id = reader.remote_node_id();
    let mut budget = PongBudget::new(Instant::now());
    loop {
        let (message, len) = match reader.recv_sized().await {
            Ok(received) => received,
            Err(e) => return e.to_string(),
        };
        ctx.shared
            .bytes_received
            .store(reader.bytes_received(), Ordering::Relaxed);
        match message {
            Message::Ping(ping) => {
                if !budget.admit(ping.num_pong_bytes, Instant::now()) {
                    tracing::warn!("peer exceeded the ping budget (ping flood)");
                    return "ping flood: pong budget exhausted".into();
                }
                if let Some(pong) = ping.response() {
                    if ctx.pongs.send(pong).await.is_err() {
                        return "writer stopped".into();
                    }
                }
            }
            Message::Pong(pong) => {
                let mut ping = lock(&ctx.shared.ping);
                if pong.ignored.len() == usize::from(PING_PONG_BYTES) {
                    if let Some(sent) = ping.outstanding.take() {
                        ping.rtt = Some(sent.elapsed());
                    }
                }
            }
            Message::Warning(w) => {
                // Shortened: a peer's text is not allowed to fill the log.
                let shown: String = w.printable_data().chars().take(200).collect();
                tracing::info!(warning = %shown, "peer sent warning");
            }
            Message::Init(_) => return "second init: protocol violation".into(),
            // Gossip we neither keep nor asked for; queries go to the node,
            // which answers them.
            Message::Unknown { .. }
            | Message::Gossip { .. }
            | Message::GossipTimestampFilter(_)
            | Message::ReplyChannelRange(_)
            | Message::ReplyShortChannelIdsEnd(_) => {}
            // Channel messages (and errors about channels) go to the node,
            // which owns the channels.
            other => {
                let pushed = ctx
                    .inbox
                    .push(node_id, ctx.generation, &ctx.space, other, len)
                    .await;
                if pushed.is_err() {
                    return "connection closed by the node".into();
                }
            }
        }
    }
}

struct Writing {
    outbox: mpsc::Receiver<Message>,
    pongs: mpsc::Receiver<Pong>,
    shared: Arc<PeerShared>,
    ping_interval: Duration,
    write_timeout: Duration,
}

/// Writes what the node queued, our pongs and our pings, each within the
/// write timeout. Ends (after writing what was queued, then closing our
/// side) when the node drops the outbox. Returns why it stopped.
async fn write_loop(mut writer: ConnectionWriter, mut ctx: Writing) -> String {
    let mut ticker =
        tokio::time::interval_at(Instant::now() + ctx.ping_interval, ctx.ping_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let message = tokio::select! {
            Some(pong) = ctx.pongs.recv() => Message::Pong(pong),
            queued = ctx.outbox.recv() => match queued {
                Some(message) => message,
                None => {
                    let _ = writer.shutdown_within(ctx.write_timeout).await;
                    return "disconnect requested".into();
                }
            },
            _ = ticker.tick() => {
                let mut ping = lock(&ctx.shared.ping);
                if ping.outstanding.is_some() {
                    return "no pong within the ping interval".into();
                }
                ping.outstanding = Some(Instant::now());
                Message::Ping(Ping { num_pong_bytes: PING_PONG_BYTES, ignored: Vec::new() })
            }
        };
        if let Err(e) = writer.send_within(&message, ctx.write_timeout).await {
            tracing::info!(error = %e, "write to peer failed");
            return e.to_string();
        }
        ctx.shared
            .bytes_sent
            .store(writer.bytes_sent(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayo_wire::ids::ChannelId;
    use rayo_wire::message::ErrorMessage;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpSocket;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_slice(&[byte; 32]).unwrap()
    }

    fn public(byte: u8) -> PublicKey {
        key(byte).public_key(&Secp256k1::signing_only())
    }

    fn numbered(n: usize) -> Message {
        Message::Error(ErrorMessage {
            channel_id: ChannelId([0; 32]),
            data: n.to_string().into_bytes(),
        })
    }

    fn number_of(message: &Message) -> usize {
        match message {
            Message::Error(e) => String::from_utf8_lossy(&e.data).parse().unwrap(),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// A compact trace of events: `C:a`, `M:a:3`, `D:a` with peers named by
    /// the byte of their key.
    fn trace(event: &PeerEvent, names: &[(PublicKey, char)]) -> String {
        let name = |p: &PublicKey| names.iter().find(|(k, _)| k == p).unwrap().1;
        match event {
            PeerEvent::Connected { peer, .. } => format!("C:{}", name(peer)),
            PeerEvent::Message { peer, message } => {
                format!("M:{}:{}", name(peer), number_of(message))
            }
            PeerEvent::Disconnected { peer } => format!("D:{}", name(peer)),
        }
    }

    fn drain(inbox: &mut PeerInbox, names: &[(PublicKey, char)]) -> Vec<String> {
        std::iter::from_fn(|| inbox.try_recv())
            .map(|e| trace(&e, names))
            .collect()
    }

    fn test_inbox() -> (Arc<Inbox>, PeerInbox) {
        let inbox = Arc::new(Inbox::default());
        (
            Arc::clone(&inbox),
            PeerInbox {
                inbox: Arc::clone(&inbox),
            },
        )
    }

    #[tokio::test]
    async fn the_inbox_serves_peers_round_robin() {
        let (inbox, mut rx) = test_inbox();
        let (a, b) = (public(1), public(2));
        let names = [(a, 'a'), (b, 'b')];
        let space_a = inbox.open(a, 1, Features::empty());
        let space_b = inbox.open(b, 2, Features::empty());
        for n in 0..20 {
            inbox.push(a, 1, &space_a, numbered(n), 10).await.unwrap();
        }
        for n in 0..3 {
            inbox.push(b, 2, &space_b, numbered(n), 10).await.unwrap();
        }
        let events = drain(&mut rx, &names);
        assert_eq!(
            events[..8],
            ["C:a", "C:b", "M:a:0", "M:b:0", "M:a:1", "M:b:1", "M:a:2", "M:b:2"],
            "the quiet peer is served between the chatty one's messages"
        );
        let a_order: Vec<usize> = events[8..]
            .iter()
            .map(|e| e.rsplit(':').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(a_order, (3..20).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_full_queue_back_pressures_and_disconnected_still_arrives() {
        let (inbox, mut rx) = test_inbox();
        let a = public(1);
        let names = [(a, 'a')];
        let space = inbox.open(a, 7, Features::empty());
        for n in 0..INBOX_UNITS as usize {
            inbox.push(a, 7, &space, numbered(n), 10).await.unwrap();
        }
        // The budget is spent: the reader waits.
        let waiting = {
            let inbox = Arc::clone(&inbox);
            let space = Arc::clone(&space);
            tokio::spawn(async move { inbox.push(a, 7, &space, numbered(999), 10).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "a full queue makes the reader wait");
        inbox.close(&a, 7);
        let mut events = Vec::new();
        while let Ok(Some(event)) =
            tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
        {
            events.push(trace(&event, &names));
        }
        assert_eq!(events.len(), 2 + INBOX_UNITS as usize, "{events:?}");
        assert_eq!(events[0], "C:a");
        assert_eq!(
            events.last().unwrap(),
            "D:a",
            "Disconnected is never dropped"
        );
        assert!(!events.iter().any(|e| e == "M:a:999"));
        assert!(
            waiting.await.unwrap().is_err(),
            "the closed connection's push fails"
        );
    }

    #[tokio::test]
    async fn big_messages_spend_the_budget_by_size() {
        let (inbox, _rx) = test_inbox();
        let a = public(1);
        let space = inbox.open(a, 1, Features::empty());
        assert_eq!(message_cost(65_535), 16);
        for n in 0..4 {
            inbox.push(a, 1, &space, numbered(n), 65_535).await.unwrap();
        }
        let fifth = tokio::time::timeout(
            Duration::from_millis(50),
            inbox.push(a, 1, &space, numbered(4), 10),
        )
        .await;
        assert!(fifth.is_err(), "four maximal messages fill a peer's queue");
    }

    #[tokio::test]
    async fn a_reconnect_comes_after_the_previous_disconnect() {
        let (inbox, mut rx) = test_inbox();
        let a = public(1);
        let names = [(a, 'a')];
        let old = inbox.open(a, 1, Features::empty());
        inbox.push(a, 1, &old, numbered(1), 10).await.unwrap();
        // A new connection replaces the old one before it was closed.
        let new = inbox.open(a, 2, Features::empty());
        assert!(inbox.push(a, 1, &old, numbered(9), 10).await.is_err());
        inbox.push(a, 2, &new, numbered(2), 10).await.unwrap();
        inbox.close(&a, 1); // late, for the old connection: nothing
        inbox.close(&a, 2);
        inbox.close(&a, 2); // twice: once
        assert_eq!(
            drain(&mut rx, &names),
            ["C:a", "M:a:1", "D:a", "C:a", "M:a:2", "D:a"]
        );
    }

    #[tokio::test]
    async fn a_connection_the_node_never_saw_leaves_no_trace() {
        let (inbox, mut rx) = test_inbox();
        let a = public(1);
        let names = [(a, 'a')];
        // A peer reconnecting in a loop while the node is busy.
        for generation in 0..1000 {
            inbox.open(a, generation, Features::empty());
            inbox.close(&a, generation);
        }
        assert!(rx.try_recv().is_none());
        let space = inbox.open(a, 1000, Features::empty());
        inbox.push(a, 1000, &space, numbered(5), 10).await.unwrap();
        for generation in 1001..2000 {
            inbox.open(a, generation, Features::empty());
        }
        assert_eq!(drain(&mut rx, &names), ["C:a", "M:a:5", "D:a", "C:a"]);
    }

    #[tokio::test]
    async fn dropping_the_inbox_releases_waiting_readers_and_recv_ends_with_the_peers() {
        let (inbox, rx) = test_inbox();
        let a = public(1);
        let space = inbox.open(a, 1, Features::empty());
        for n in 0..INBOX_UNITS as usize {
            inbox.push(a, 1, &space, numbered(n), 10).await.unwrap();
        }
        let waiting = {
            let inbox = Arc::clone(&inbox);
            let space = Arc::clone(&space);
            tokio::spawn(async move { inbox.push(a, 1, &space, numbered(0), 10).await })
        };
        drop(rx);
        assert!(waiting.await.unwrap().is_err());

        let (peers, mut rx) = Peers::new(key(9), test_init(), PeerSettings::default());
        drop(peers);
        assert!(rx.recv().await.is_none());
    }

    #[test]
    fn the_pong_budget_allows_a_burst_then_a_rate() {
        let t0 = Instant::now();
        let mut budget = PongBudget::new(t0);
        for _ in 0..PONG_BURST_TOKENS {
            assert!(budget.admit(16, t0));
        }
        assert!(!budget.admit(16, t0), "the burst is spent");
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..PONG_TOKENS_PER_SEC {
            assert!(budget.admit(16, t1));
        }
        assert!(!budget.admit(16, t1));
        // Maximal pongs cost ten tokens; pings asking for none cost one.
        let mut budget = PongBudget::new(t0);
        for _ in 0..20 {
            assert!(budget.admit(65_531, t0));
        }
        assert!(!budget.admit(65_531, t0));
        let mut budget = PongBudget::new(t0);
        for _ in 0..PONG_BURST_TOKENS {
            assert!(budget.admit(u16::MAX, t0));
        }
        assert!(!budget.admit(u16::MAX, t0));
        // The bucket never holds more than the burst.
        let mut budget = PongBudget::new(t0);
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..PONG_BURST_TOKENS {
            assert!(budget.admit(0, later));
        }
        assert!(!budget.admit(0, later));
    }

    #[test]
    fn accept_backoff_doubles_to_a_cap_and_logs_once_per_burst() {
        let mut backoff = AcceptBackoff::default();
        let delays: Vec<(u128, bool)> = (0..10)
            .map(|_| {
                let (d, log) = backoff.failed();
                (d.as_millis(), log)
            })
            .collect();
        assert_eq!(
            delays,
            [
                (10, true),
                (20, false),
                (40, false),
                (80, false),
                (160, false),
                (320, false),
                (640, false),
                (1000, false),
                (1000, false),
                (1000, false)
            ]
        );
        assert_eq!(backoff.succeeded(), Some(10));
        assert_eq!(backoff.succeeded(), None);
        assert_eq!(backoff.failed(), (ACCEPT_BACKOFF_MIN, true));
        for _ in 0..100 {
            assert!(backoff.failed().0 <= ACCEPT_BACKOFF_MAX);
        }
    }

    #[test]
    fn per_address_caps_group_ipv6_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(cap_key(a), cap_key(b));
        assert_ne!(cap_key(a), cap_key(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(cap_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    fn test_init() -> Init {
        crate::connection::default_init(rayo_wire::bitcoin::constants::ChainHash::REGTEST)
    }

    /// A node's peer layer listening on loopback.
    async fn node(settings: PeerSettings) -> (Arc<Peers>, PeerInbox, SocketAddr) {
        let (peers, inbox) = Peers::new(key(0x42), test_init(), settings);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(Arc::clone(&peers).listen(listener));
        (peers, inbox, addr)
    }

    /// A TCP connection to `addr` from `from` (any 127.0.0.0/8 address is
    /// loopback on Linux).
    async fn tcp_from(from: [u8; 4], addr: SocketAddr, small_buffer: bool) -> TcpStream {
        let socket = TcpSocket::new_v4().unwrap();
        if small_buffer {
            socket.set_recv_buffer_size(4096).unwrap();
        }
        socket.bind(SocketAddr::from((from, 0))).unwrap();
        socket.connect(addr).await.unwrap()
    }

    /// A peer with key `byte` that completes the handshake and `init`.
    async fn peer_from(
        from: [u8; 4],
        addr: SocketAddr,
        byte: u8,
    ) -> Result<Connection, ConnectionError> {
        let stream = tcp_from(from, addr, false).await;
        let mut conn = Connection::connect(stream, &key(byte), key(0x99), public(0x42)).await?;
        conn.exchange_init(test_init()).await?;
        Ok(conn)
    }

    /// True if the peer closed `stream` within `within`.
    async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(within, stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }

    async fn next_event(inbox: &mut PeerInbox) -> PeerEvent {
        tokio::time::timeout(Duration::from_secs(10), inbox.recv())
            .await
            .expect("an event in time")
            .expect("the peers are alive")
    }

    #[tokio::test]
    async fn handshake_caps_close_extra_connections_at_once() {
        let settings = PeerSettings {
            max_handshakes_per_ip: 2,
            max_inbound_handshakes: 3,
            ..PeerSettings::default()
        };
        let (_peers, mut inbox, addr) = node(settings).await;
        let mut held = vec![
            tcp_from([127, 0, 0, 1], addr, false).await,
            tcp_from([127, 0, 0, 1], addr, false).await,
        ];
        let mut over_ip = tcp_from([127, 0, 0, 1], addr, false).await;
        assert!(closed_within(&mut over_ip, Duration::from_secs(1)).await);
        held.push(tcp_from([127, 0, 0, 2], addr, false).await);
        let mut over_total = tcp_from([127, 0, 0, 3], addr, false).await;
        assert!(closed_within(&mut over_total, Duration::from_secs(1)).await);
        for stream in &mut held {
            assert!(
                !closed_within(stream, Duration::from_millis(100)).await,
                "connections under the caps are kept"
            );
        }
        drop(held);
        // Once the silent connections are gone, a real peer gets in.
        let mut conn = None;
        for _ in 0..50 {
            if let Ok(c) = peer_from([127, 0, 0, 1], addr, 1).await {
                conn = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(conn.is_some(), "a real peer connects after the flood");
        assert!(
            matches!(next_event(&mut inbox).await, PeerEvent::Connected { peer, .. } if peer == public(1))
        );
    }

    #[tokio::test]
    async fn peer_caps_refuse_extra_peers_but_not_reconnections() {
        let settings = PeerSettings {
            max_peers_per_ip: 2,
            max_inbound_peers: 3,
            ..PeerSettings::default()
        };
        let (peers, mut inbox, addr) = node(settings).await;
        let _a = peer_from([127, 0, 0, 1], addr, 1).await.unwrap();
        let _b = peer_from([127, 0, 0, 1], addr, 2).await.unwrap();
        assert!(
            peer_from([127, 0, 0, 1], addr, 3).await.is_err(),
            "a third peer from one address is refused"
        );
        let _d = peer_from([127, 0, 0, 2], addr, 4).await.unwrap();
        assert!(
            peer_from([127, 0, 0, 3], addr, 5).await.is_err(),
            "a fourth inbound peer is refused"
        );
        let mut connected = Vec::new();
        for _ in 0..3 {
            match next_event(&mut inbox).await {
                PeerEvent::Connected { peer, .. } => connected.push(peer),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(connected, [public(1), public(2), public(4)]);
        // A connected peer reconnecting replaces its old connection.
        let _a2 = peer_from([127, 0, 0, 1], addr, 1).await.unwrap();
        assert!(
            matches!(next_event(&mut inbox).await, PeerEvent::Disconnected { peer } if peer == public(1))
        );
        assert!(
            matches!(next_event(&mut inbox).await, PeerEvent::Connected { peer, .. } if peer == public(1))
        );
        assert_eq!(peers.list().len(), 3);
    }

    #[tokio::test]
    async fn a_peer_that_never_reads_is_dropped_when_a_write_stalls() {
        let settings = PeerSettings {
            write_timeout: Duration::from_millis(300),
            ..PeerSettings::default()
        };
        let (peers, mut inbox, addr) = node(settings).await;
        let stream = tcp_from([127, 0, 0, 1], addr, true).await;
        let mut stuck = Connection::connect(stream, &key(1), key(0x99), public(0x42))
            .await
            .unwrap();
        stuck.exchange_init(test_init()).await.unwrap();
        let mut healthy = peer_from([127, 0, 0, 1], addr, 2).await.unwrap();
        for _ in 0..2 {
            assert!(matches!(
                next_event(&mut inbox).await,
                PeerEvent::Connected { .. }
            ));
        }
        // Far more than the socket buffers hold; `stuck` reads none of it.
        let big = Message::Error(ErrorMessage {
            channel_id: ChannelId([0; 32]),
            data: vec![b'x'; 60_000],
        });
        let started = Instant::now();
        for _ in 0..150 {
            if peers.send(&public(1), big.clone()).is_err() {
                break;
            }
        }
        let event = next_event(&mut inbox).await;
        assert!(matches!(event, PeerEvent::Disconnected { peer } if peer == public(1)));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(!peers.is_connected(&public(1)));
        // The other peer is unaffected.
        peers.send(&public(2), numbered(7)).unwrap();
        assert_eq!(number_of(&healthy.recv().await.unwrap()), 7);
        healthy.send(&numbered(8)).await.unwrap();
        assert!(
            matches!(next_event(&mut inbox).await, PeerEvent::Message { peer, message } if peer == public(2) && number_of(&message) == 8)
        );
        drop(stuck);
    }

    #[tokio::test]
    async fn a_full_outbox_disconnects_the_peer_and_the_node_hears_of_it() {
        let (peers, mut inbox, addr) = node(PeerSettings::default()).await;
        let stream = tcp_from([127, 0, 0, 1], addr, true).await;
        let mut stuck = Connection::connect(stream, &key(1), key(0x99), public(0x42))
            .await
            .unwrap();
        stuck.exchange_init(test_init()).await.unwrap();
        assert!(matches!(
            next_event(&mut inbox).await,
            PeerEvent::Connected { .. }
        ));
        let big = Message::Error(ErrorMessage {
            channel_id: ChannelId([0; 32]),
            data: vec![b'x'; 60_000],
        });
        let mut refused = None;
        for _ in 0..(OUTBOX_DEPTH + 200) {
            if let Err(e) = peers.send(&public(1), big.clone()) {
                refused = Some(e);
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            matches!(refused, Some(PeerError::Overloaded(_))),
            "{refused:?}"
        );
        assert!(matches!(
            next_event(&mut inbox).await,
            PeerEvent::Disconnected { .. }
        ));
        assert!(matches!(
            peers.send(&public(1), numbered(1)),
            Err(PeerError::NotConnected(_))
        ));
    }

    #[tokio::test]
    async fn disconnect_writes_what_was_queued_first() {
        let (peers, mut inbox, addr) = node(PeerSettings::default()).await;
        let mut conn = peer_from([127, 0, 0, 1], addr, 1).await.unwrap();
        assert!(matches!(
            next_event(&mut inbox).await,
            PeerEvent::Connected { .. }
        ));
        peers.send(&public(1), numbered(3)).unwrap();
        peers.disconnect(&public(1)).unwrap();
        assert!(!peers.is_connected(&public(1)));
        assert!(matches!(
            peers.disconnect(&public(1)),
            Err(PeerError::NotConnected(_))
        ));
        assert!(matches!(
            next_event(&mut inbox).await,
            PeerEvent::Disconnected { .. }
        ));
        assert_eq!(number_of(&conn.recv().await.unwrap()), 3);
        assert!(conn.recv().await.is_err(), "then the connection closes");
    }

    #[tokio::test]
    async fn peer_tasks_log_in_a_span_naming_the_peer() {
        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                lock(&self.0).extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        // The test runtime is single-threaded: every task logs here.
        let _guard = tracing::subscriber::set_default(subscriber);
        let (_peers, mut inbox, addr) = node(PeerSettings::default()).await;
        let conn = peer_from([127, 0, 0, 1], addr, 1).await.unwrap();
        assert!(matches!(
            next_event(&mut inbox).await,
            PeerEvent::Connected { .. }
        ));
        drop(conn);
        assert!(matches!(
            next_event(&mut inbox).await,
            PeerEvent::Disconnected { .. }
        ));
        let logs = String::from_utf8(lock(&captured.0).clone()).unwrap();
        let peer = format!("peer={}", public(1));
        for line in ["peer connected", "peer disconnected"] {
            let found = logs.lines().find(|l| l.contains(line)).unwrap_or_default();
            assert!(found.contains(&peer), "{line:?} names the peer: {logs}");
            assert!(found.contains("address=127.0.0.1:"), "{logs}");
        }
    }
}
