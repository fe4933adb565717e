//! Peer connections: listening, dialling `pubkey@host:port`, the `init`
//! exchange, keep-alive pings, and the list the API shows.
//!
//! Each peer runs in its own task that owns its [`Connection`]; the shared
//! map only holds what the API reads (statistics) and a channel to ask the
//! task to stop.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bitcoin::secp256k1::{rand, PublicKey, SecretKey};
use rayo_wire::features::Features;
use rayo_wire::message::{Init, Message, Ping};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::connection::{Connection, ConnectionError};

/// How long dialling may take before we give up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a peer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    /// The address is not `pubkey@host:port`.
    #[error("invalid peer address {0:?}: expected <pubkey>@<host>:<port>")]
    BadAddress(String),
    /// That is our own node id.
    #[error("cannot connect to self")]
    SelfConnection,
    /// Already connected.
    #[error("already connected to peer: {0}")]
    AlreadyConnected(PublicKey),
    /// Not connected.
    #[error("peer {0} is not connected")]
    NotConnected(PublicKey),
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

struct PeerHandle {
    info: Arc<Mutex<PeerInfo>>,
    stop: mpsc::Sender<()>,
    outbox: mpsc::Sender<Message>,
    generation: u64,
}

/// How many messages may wait to be sent to one peer, or to be handled from
/// all peers; a peer that overflows is disconnected, never buffered without
/// bound.
pub const QUEUE_DEPTH: usize = 256;

/// What the peer layer tells the node.
#[derive(Debug)]
pub enum PeerEvent {
    /// `init` exchanged: the peer is usable (channels reestablish now).
    Connected(PublicKey),
    /// A channel message from the peer.
    Message(PublicKey, Box<Message>),
    /// The connection ended.
    Disconnected(PublicKey),
}

/// The node's peers.
pub struct Peers {
    events: mpsc::Sender<PeerEvent>,
    ping_interval: Duration,
    local_secret: SecretKey,
    local_id: PublicKey,
    init: Init,
    peers: Mutex<HashMap<PublicKey, PeerHandle>>,
    next_generation: Mutex<u64>,
}

fn fresh_ephemeral() -> SecretKey {
    SecretKey::new(&mut rand::thread_rng())
}

/// Splits `pubkey@host:port` (port defaults to 9735, as lncli's).
pub fn parse_peer_address(s: &str) -> Result<(PublicKey, String), PeerError> {
    let bad = || PeerError::BadAddress(s.to_owned());
    let (key, host) = s.split_once('@').ok_or_else(bad)?;
    let key: PublicKey = key.parse().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    let host = if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host.to_owned()
    } else {
        format!("{host}:9735")
    };
    Ok((key, host))
}

impl Peers {
    /// Peers for a node with `local_secret`, sending `init` on each
    /// connection and pinging every `ping_interval` (a peer has that long to
    /// answer).
    pub fn new(
        local_secret: SecretKey,
        init: Init,
        ping_interval: Duration,
        events: mpsc::Sender<PeerEvent>,
    ) -> Arc<Self> {
        let local_id = local_secret.public_key(&bitcoin::secp256k1::Secp256k1::new());
        Arc::new(Self {
            events,
            ping_interval,
            local_secret,
            local_id,
            init,
            peers: Mutex::new(HashMap::new()),
            next_generation: Mutex::new(0),
        })
    }

    /// Accepts connections until the listener fails.
    pub async fn listen(self: Arc<Self>, listener: TcpListener) {
        while let Ok((stream, address)) = listener.accept().await {
            let this = Arc::clone(&self);
            tokio::spawn(async move {
                match Connection::accept(stream, &this.local_secret, fresh_ephemeral()).await {
                    Ok(conn) => {
                        if let Err(e) = this.start(conn, address, true).await {
                            tracing::info!(%address, error = %e, "inbound peer refused");
                        }
                    }
                    Err(e) => tracing::debug!(%address, error = %e, "inbound handshake failed"),
                }
            });
        }
    }

    /// Dials `node_id` at `address` and completes `init`.
    pub async fn connect(
        self: &Arc<Self>,
        node_id: PublicKey,
        address: &str,
    ) -> Result<(), PeerError> {
        if node_id == self.local_id {
            return Err(PeerError::SelfConnection);
        }
        if self
            .peers
            .lock()
            .expect("peers lock")
            .contains_key(&node_id)
        {
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
        let conn = Connection::connect(stream, &self.local_secret, fresh_ephemeral(), node_id)
            .await
            .map_err(protocol)?;
        self.start(conn, socket, false).await.map_err(protocol)
    }

    /// Exchanges `init`, registers the peer and spawns its task.
    async fn start(
        self: &Arc<Self>,
        mut conn: Connection,
        address: SocketAddr,
        inbound: bool,
    ) -> Result<(), ConnectionError> {
        let theirs = tokio::time::timeout(CONNECT_TIMEOUT, conn.exchange_init(self.init.clone()))
            .await
            .map_err(|_| ConnectionError::HandshakeTimeout)??;
        let node_id = conn.remote_node_id();
        let info = Arc::new(Mutex::new(PeerInfo {
            node_id,
            address,
            inbound,
            bytes_sent: conn.bytes_sent(),
            bytes_received: conn.bytes_received(),
            ping_time: None,
            features: theirs.features,
        }));
        let (stop, stop_rx) = mpsc::channel(1);
        let (outbox, outbox_rx) = mpsc::channel(QUEUE_DEPTH);
        let generation = {
            let mut next = self.next_generation.lock().expect("generation lock");
            *next += 1;
            *next
        };
        let replaced = self.peers.lock().expect("peers lock").insert(
            node_id,
            PeerHandle {
                info: Arc::clone(&info),
                stop,
                outbox,
                generation,
            },
        );
        if let Some(old) = replaced {
            let _ = old.stop.try_send(());
        }
        tracing::info!(peer = %node_id, %address, inbound, "peer connected");
        let _ = self.events.send(PeerEvent::Connected(node_id)).await;
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let queues = Queues {
                stop: stop_rx,
                outbox: outbox_rx,
                events: this.events.clone(),
            };
            let reason = run_peer(conn, &info, queues, this.ping_interval).await;
            tracing::info!(peer = %node_id, reason = %reason, "peer disconnected");
            let removed = {
                let mut peers = this.peers.lock().expect("peers lock");
                let current = peers
                    .get(&node_id)
                    .is_some_and(|h| h.generation == generation);
                if current {
                    peers.remove(&node_id);
                }
                current
            };
            if removed {
                let _ = this.events.send(PeerEvent::Disconnected(node_id)).await;
            }
        });
        Ok(())
    }

    /// Asks the peer's task to close the connection.
    pub fn disconnect(&self, node_id: &PublicKey) -> Result<(), PeerError> {
        let handle = self
            .peers
            .lock()
            .expect("peers lock")
            .remove(node_id)
            .ok_or(PeerError::NotConnected(*node_id))?;
        let _ = handle.stop.try_send(());
        // The task sees it was removed and stays quiet; tell the node here.
        let _ = self.events.try_send(PeerEvent::Disconnected(*node_id));
        Ok(())
    }

    /// Queues `msg` for `node_id`. A peer whose queue is full is too slow or
    /// stuck, and is disconnected.
    pub fn send(&self, node_id: &PublicKey, msg: Message) -> Result<(), PeerError> {
        let peers = self.peers.lock().expect("peers lock");
        let handle = peers
            .get(node_id)
            .ok_or(PeerError::NotConnected(*node_id))?;
        if handle.outbox.try_send(msg).is_err() {
            let _ = handle.stop.try_send(());
            return Err(PeerError::NotConnected(*node_id));
        }
        Ok(())
    }

    /// The features `node_id` sent in its `init`, if connected.
    pub fn features(&self, node_id: &PublicKey) -> Option<Features> {
        self.peers
            .lock()
            .expect("peers lock")
            .get(node_id)
            .map(|h| h.info.lock().expect("peer info lock").features.clone())
    }

    /// True if connected to `node_id`.
    pub fn is_connected(&self, node_id: &PublicKey) -> bool {
        self.peers.lock().expect("peers lock").contains_key(node_id)
    }

    /// Every connected peer.
    pub fn list(&self) -> Vec<PeerInfo> {
        let mut list: Vec<PeerInfo> = self
            .peers
            .lock()
            .expect("peers lock")
            .values()
            .map(|h| h.info.lock().expect("peer info lock").clone())
            .collect();
        list.sort_by_key(|p| p.node_id);
        list
    }
}

/// The queues a peer task reads and writes.
struct Queues {
    stop: mpsc::Receiver<()>,
    outbox: mpsc::Receiver<Message>,
    events: mpsc::Sender<PeerEvent>,
}

async fn run_peer(
    mut conn: Connection,
    info: &Mutex<PeerInfo>,
    mut queues: Queues,
    ping_interval: Duration,
) -> String {
    let node_id = conn.remote_node_id();
    const PING_BYTES: u16 = 16;
    let mut ticker = tokio::time::interval(ping_interval);
    ticker.tick().await;
    let mut outstanding: Option<Instant> = None;
    loop {
        let result: Result<(), ConnectionError> = tokio::select! {
            _ = queues.stop.recv() => return "disconnect requested".into(),
            Some(msg) = queues.outbox.recv() => conn.send(&msg).await,
            _ = ticker.tick() => {
                if outstanding.is_some() {
                    return "no pong within the ping interval".into();
                }
                outstanding = Some(Instant::now());
                conn.send(&Message::Ping(Ping { num_pong_bytes: PING_BYTES, ignored: Vec::new() })).await
            }
            received = conn.recv() => match received {
                Ok(Message::Ping(ping)) => match ping.response() {
                    Some(pong) => conn.send(&Message::Pong(pong)).await,
                    None => Ok(()),
                },
                Ok(Message::Pong(pong)) => {
                    if let Some(sent) = outstanding.take().filter(|_| pong.ignored.len() == usize::from(PING_BYTES)) {
                        info.lock().expect("peer info lock").ping_time = Some(sent.elapsed());
                    }
                    Ok(())
                }
                Ok(Message::Error(e)) => {
                    tracing::warn!(error = %e.printable_data(), "peer sent error");
                    let _ = queues.events.send(PeerEvent::Message(node_id, Box::new(Message::Error(e)))).await;
                    Ok(())
                }
                Ok(Message::Warning(w)) => {
                    tracing::warn!(warning = %w.printable_data(), "peer sent warning");
                    Ok(())
                }
                Ok(Message::Init(_)) => return "second init: protocol violation".into(),
                Ok(Message::Unknown { .. } | Message::Gossip { .. }) => Ok(()),
                // Channel messages (and errors about channels) go to the
                // node, which owns the channels.
                Ok(other) => {
                    if queues.events.send(PeerEvent::Message(node_id, Box::new(other))).await.is_err() {
                        return "node stopped".into();
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
        };
        if let Err(e) = result {
            return e.to_string();
        }
        let mut info = info.lock().expect("peer info lock");
        info.bytes_sent = conn.bytes_sent();
        info.bytes_received = conn.bytes_received();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addresses_parse_like_lncli() {
        let key = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";
        let (k, host) = parse_peer_address(&format!("{key}@127.0.0.1:9736")).unwrap();
        assert_eq!(k.to_string(), key);
        assert_eq!(host, "127.0.0.1:9736");
        let (_, host) = parse_peer_address(&format!("{key}@localhost")).unwrap();
        assert_eq!(host, "localhost:9735");
        for bad in ["", "nokey", "02zz@1.2.3.4:1", &format!("{key}@"), key] {
            assert!(parse_peer_address(bad).is_err(), "{bad}");
        }
    }
}
