//! The node as a whole: `getinfo` (identity, chain, features) and `stop`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::encoding::{int32_number, int64_string};

/// A feature bit's description, the value of `features` maps keyed by bit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Feature {
    /// The feature's name, e.g. `data-loss-protect`.
    pub name: String,
    /// Whether the bit is the required (even) one.
    pub is_required: bool,
    /// Whether we know this feature.
    pub is_known: bool,
}

/// Feature bits keyed by bit number (JSON object keys are the decimal bit).
pub type FeatureMap = BTreeMap<u32, Feature>;

/// A chain the node is on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Chain {
    /// The chain, `bitcoin`.
    pub chain: String,
    /// The network: `regtest`, `signet`, `testnet` or `mainnet`.
    pub network: String,
}

/// `GET /v1/getinfo`: `GetInfoResponse`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GetInfoResponse {
    /// The node software's version.
    pub version: String,
    /// The commit the node was built from.
    pub commit_hash: String,
    /// The node's identity public key, hex (33 bytes compressed).
    pub identity_pubkey: String,
    /// The node's alias.
    pub alias: String,
    /// The node's color, `#rrggbb`.
    pub color: String,
    /// Channels being opened.
    #[serde(with = "int32_number")]
    pub num_pending_channels: u32,
    /// Open channels whose peer is online.
    #[serde(with = "int32_number")]
    pub num_active_channels: u32,
    /// Open channels whose peer is offline.
    #[serde(with = "int32_number")]
    pub num_inactive_channels: u32,
    /// Connected peers.
    #[serde(with = "int32_number")]
    pub num_peers: u32,
    /// Height of the best block the node knows.
    #[serde(with = "int32_number")]
    pub block_height: u32,
    /// Hash of that block, hex.
    pub block_hash: String,
    /// That block's timestamp, Unix seconds.
    #[serde(with = "int64_string")]
    pub best_header_timestamp: i64,
    /// Whether the wallet has caught up with the chain.
    pub synced_to_chain: bool,
    /// Whether the node has caught up with the channel graph.
    pub synced_to_graph: bool,
    /// Deprecated: whether the network is testnet (use `chains`).
    pub testnet: bool,
    /// The chains the node is on (one).
    pub chains: Vec<Chain>,
    /// `pubkey@host:port` addresses where the node accepts peers.
    pub uris: Vec<String>,
    /// Features the node advertises.
    pub features: FeatureMap,
}

/// `POST /v1/stop` body: `StopRequest` (empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopRequest {}

/// `POST /v1/stop`: `StopResponse`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StopResponse {
    /// What happened, for a person (lnd 0.18+; empty from older lnd).
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getinfo_reads_an_lnd_shaped_answer() {
        let lnd = r##"{
            "version": "0.18.3-beta commit=v0.18.3-beta",
            "commit_hash": "abc",
            "identity_pubkey": "02aa",
            "alias": "bob",
            "color": "#3399ff",
            "num_pending_channels": 0,
            "num_active_channels": 1,
            "num_inactive_channels": 0,
            "num_peers": 2,
            "block_height": 403,
            "block_hash": "00ff",
            "best_header_timestamp": "1700000000",
            "synced_to_chain": true,
            "synced_to_graph": false,
            "testnet": false,
            "chains": [{"chain": "bitcoin", "network": "regtest"}],
            "uris": ["02aa@127.0.0.1:9735"],
            "features": {"0": {"name": "data-loss-protect", "is_required": true, "is_known": true}},
            "require_htlc_interceptor": false,
            "store_final_htlc_resolutions": false
        }"##;
        let info: GetInfoResponse = serde_json::from_str(lnd).unwrap();
        assert_eq!(info.num_peers, 2);
        assert_eq!(info.block_height, 403);
        assert_eq!(info.best_header_timestamp, 1_700_000_000);
        assert_eq!(info.chains[0].network, "regtest");
        assert!(info.features[&0].is_required);
        let back = serde_json::to_value(&info).unwrap();
        assert_eq!(back["best_header_timestamp"], "1700000000");
        assert_eq!(back["num_peers"], 2);
        assert_eq!(back["features"]["0"]["name"], "data-loss-protect");
    }
}
