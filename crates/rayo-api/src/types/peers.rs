//! Lightning peers: `connect`, `listpeers` and `disconnect`.

use serde::{Deserialize, Serialize};

use crate::encoding::{bytes_base64, int32_number, int64_string, null_as_default};
use crate::types::FeatureMap;

proto_enum! {
    /// lnd's `Peer.SyncType`: how we sync gossip with a peer.
    PeerSyncType ("Peer.SyncType") default UnknownSync {
        /// Not known (Rayo before gossip sync).
        UnknownSync = 0 => "UNKNOWN_SYNC",
        /// We receive new graph updates from this peer.
        ActiveSync = 1 => "ACTIVE_SYNC",
        /// We do not receive new graph updates from this peer.
        PassiveSync = 2 => "PASSIVE_SYNC",
        /// The peer is pinned into an active sync.
        PinnedSync = 3 => "PINNED_SYNC",
    }
}

/// A Lightning node's network address: `pubkey` at `host`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LightningAddress {
    /// The node's identity public key, hex.
    pub pubkey: String,
    /// `host:port`, or `host` alone for the default port 9735 (see
    /// [`LightningAddress::host_port`]).
    pub host: String,
}

/// `POST /v1/peers` body: `ConnectPeerRequest`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectPeerRequest {
    /// Whom to connect to.
    #[serde(deserialize_with = "null_as_default")]
    pub addr: LightningAddress,
    /// Keep reconnecting in the background instead of connecting now.
    pub perm: bool,
    /// Connection timeout in seconds (0: the node's default).
    #[serde(with = "int64_string")]
    pub timeout: u64,
}

/// `POST /v1/peers`: `ConnectPeerResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConnectPeerResponse {
    /// What happened, for a person (lnd 0.18+; empty from older lnd).
    pub status: String,
}

/// An error a peer sent us.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimestampedError {
    /// When, Unix seconds.
    #[serde(with = "int64_string")]
    pub timestamp: u64,
    /// The error's text.
    pub error: String,
}

/// A connected peer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Peer {
    /// The peer's identity public key, hex.
    pub pub_key: String,
    /// The peer's network address, `host:port`.
    pub address: String,
    /// Bytes sent to the peer.
    #[serde(with = "int64_string")]
    pub bytes_sent: u64,
    /// Bytes received from the peer.
    #[serde(with = "int64_string")]
    pub bytes_recv: u64,
    /// Satoshis sent to the peer over channels.
    #[serde(with = "int64_string")]
    pub sat_sent: i64,
    /// Satoshis received from the peer over channels.
    #[serde(with = "int64_string")]
    pub sat_recv: i64,
    /// Whether the peer connected to us.
    pub inbound: bool,
    /// Last ping round trip in microseconds.
    #[serde(with = "int64_string")]
    pub ping_time: i64,
    /// How we sync gossip with the peer.
    pub sync_type: PeerSyncType,
    /// Features from the peer's `init`.
    pub features: FeatureMap,
    /// The latest errors from the peer (at most 10).
    pub errors: Vec<TimestampedError>,
    /// How often the peer went offline or came online.
    #[serde(with = "int32_number")]
    pub flap_count: i32,
    /// When the peer last flapped, Unix nanoseconds; 0 if never.
    #[serde(with = "int64_string")]
    pub last_flap_ns: i64,
    /// The payload of the peer's last ping (base64 in JSON).
    #[serde(with = "bytes_base64")]
    pub last_ping_payload: Vec<u8>,
}

/// `GET /v1/peers`: `ListPeersResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ListPeersResponse {
    /// The connected peers.
    pub peers: Vec<Peer>,
}

/// `DELETE /v1/peers/{pub_key}`: `DisconnectPeerResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DisconnectPeerResponse {
    /// What happened, for a person (lnd 0.18+; empty from older lnd).
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_encodings() {
        let peer = Peer {
            pub_key: "02bb".into(),
            bytes_sent: 1234,
            ping_time: 250,
            sync_type: PeerSyncType::PassiveSync,
            last_ping_payload: vec![1, 2, 3],
            ..Default::default()
        };
        let json = serde_json::to_value(&peer).unwrap();
        assert_eq!(json["bytes_sent"], "1234");
        assert_eq!(json["ping_time"], "250");
        assert_eq!(json["sync_type"], "PASSIVE_SYNC");
        assert_eq!(json["flap_count"], 0);
        assert_eq!(json["last_ping_payload"], "AQID");
        assert_eq!(serde_json::from_value::<Peer>(json).unwrap(), peer);
    }

    #[test]
    fn connect_requests() {
        let connect: ConnectPeerRequest = serde_json::from_str(
            r#"{"addr": {"pubkey": "02cc", "host": "127.0.0.1:9736"}, "perm": false, "timeout": "30"}"#,
        )
        .unwrap();
        assert_eq!(connect.addr.host, "127.0.0.1:9736");
        assert_eq!(connect.timeout, 30);
    }
}
