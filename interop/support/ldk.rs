//! An LDK peer for interop tests and examples: LDK's `PeerManager` with no
//! channel, gossip, onion or custom handling, which still runs the full BOLT 8
//! transport, `init` feature negotiation and ping/pong liveness logic.
//!
//! Shared by `tests/` and `examples/` through `#[path]`, so LDK stays a
//! dev-dependency and nothing in Rayo's own crates links it.

use std::sync::Arc;

use lightning::ln::peer_handler::{
    ErroringMessageHandler, IgnoringMessageHandler, MessageHandler, PeerManager,
};
use lightning::sign::{KeysManager, NodeSigner, Recipient};
use lightning::util::logger::{Logger, Record};
use lightning_net_tokio::SocketDescriptor;
use rayo_wire::secp256k1::PublicKey;

/// LDK `Logger` that writes every record to stderr, so that when a test fails
/// the captured output shows LDK's own reason (e.g. "Peer ... requires
/// features unknown to us: [..]") for dropping Rayo.
pub struct StderrLogger;

impl Logger for StderrLogger {
    fn log(&self, record: Record) {
        eprintln!(
            "LDK {:<5} [{}:{}] {}",
            record.level, record.module_path, record.line, record.args
        );
    }
}

/// The concrete LDK peer manager: channel messages are answered with an
/// error, everything else is ignored.
pub type LdkPeerManager = PeerManager<
    SocketDescriptor,
    ErroringMessageHandler,
    IgnoringMessageHandler,
    IgnoringMessageHandler,
    Arc<StderrLogger>,
    IgnoringMessageHandler,
    Arc<KeysManager>,
    IgnoringMessageHandler,
>;

/// An LDK node: its peer manager and its node id (the key Rayo must
/// authenticate during the handshake).
pub struct LdkNode {
    /// Shared with lightning-net-tokio's per-connection tasks.
    pub peer_manager: Arc<LdkPeerManager>,
    /// LDK's static node public key.
    pub node_id: PublicKey,
}

impl LdkNode {
    /// Builds an LDK node from `seed` (which fixes its node id) and
    /// `ephemeral_data` (from which LDK derives handshake ephemeral keys).
    pub fn new(seed: [u8; 32], ephemeral_data: [u8; 32]) -> LdkNode {
        let keys = Arc::new(KeysManager::new(&seed, 1_700_000_000, 0, true));
        let node_id = keys
            .get_node_id(Recipient::Node)
            .expect("KeysManager has a node id");
        let handlers = MessageHandler {
            chan_handler: ErroringMessageHandler::new(),
            route_handler: IgnoringMessageHandler {},
            onion_message_handler: IgnoringMessageHandler {},
            custom_message_handler: IgnoringMessageHandler {},
            send_only_message_handler: IgnoringMessageHandler {},
        };
        let peer_manager = PeerManager::new(
            handlers,
            1_700_000_000,
            &ephemeral_data,
            Arc::new(StderrLogger),
            keys,
        );
        LdkNode {
            peer_manager: Arc::new(peer_manager),
            node_id,
        }
    }
}
