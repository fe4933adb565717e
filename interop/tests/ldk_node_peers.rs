//! `rayod` and LDK's `ldk-node` as peers on the same `rayo-chaind`: each
//! dials the other, both list the other as connected, and the connection
//! survives several keep-alive rounds in both directions (rayod pings every
//! 2 s here; LDK pings on its own timer and drops peers that do not answer).

use std::str::FromStr;
use std::thread;
use std::time::{Duration, Instant};

use bitcoin::Network;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::{Builder, Node};
use rayo_api::types::{ConnectPeerRequest, LightningAddress};
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::{free_port, ChainDaemon};
use serde_json::json;

/// Any single wait (a connection, a listing) must finish within this.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// How long both sides must stay connected: several rayod ping rounds and
/// more than one of LDK's peer timer ticks.
const KEEPALIVE_WINDOW: Duration = Duration::from_secs(15);

/// Polls `ready` until it holds, panicking after [`STEP_TIMEOUT`].
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < STEP_TIMEOUT,
            "timed out waiting for {what}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

/// An ldk-node on `chain`, listening on `port`.
fn start_ldk(chain: &ChainDaemon, dir: &std::path::Path, port: u16) -> Node {
    let (user, password) = chain.cookie();
    let mut builder = Builder::new();
    builder
        .set_network(Network::Regtest)
        .set_entropy_seed_bytes([0x5a; 64])
        .set_storage_dir_path(dir.join("ldk").to_string_lossy().into_owned())
        .set_chain_source_bitcoind_rpc("127.0.0.1".to_owned(), chain.port, user, password);
    builder
        .set_listening_addresses(vec![
            SocketAddress::from_str(&format!("127.0.0.1:{port}")).unwrap()
        ])
        .expect("listening address");
    let node = builder.build().expect("ldk-node builds");
    node.start().expect("ldk-node starts");
    node
}

/// True if rayod lists `ldk` as a connected peer in the given direction.
fn rayod_lists(rayod: &NodeDaemon, ldk: &Node, inbound: bool) -> bool {
    let peers = rayod.client().list_peers().expect("listpeers").peers;
    peers
        .iter()
        .any(|p| p.pub_key == ldk.node_id().to_string() && p.inbound == inbound)
}

/// True if ldk-node lists rayod as connected.
fn ldk_lists(ldk: &Node, rayod: &NodeDaemon) -> bool {
    ldk.list_peers()
        .iter()
        .any(|p| p.node_id.to_string() == rayod.pubkey && p.is_connected)
}

/// Both stay connected through the keep-alive window; rayod measured pings.
fn survives_pings(rayod: &NodeDaemon, ldk: &Node, inbound: bool) {
    let start = Instant::now();
    while start.elapsed() < KEEPALIVE_WINDOW {
        assert!(
            rayod_lists(rayod, ldk, inbound),
            "rayod dropped LDK after {:?}",
            start.elapsed()
        );
        assert!(
            ldk_lists(ldk, rayod),
            "LDK dropped rayod after {:?}",
            start.elapsed()
        );
        thread::sleep(Duration::from_secs(1));
    }
    let peers = rayod.client().list_peers().expect("listpeers").peers;
    let ldk_peer = peers
        .iter()
        .find(|p| p.pub_key == ldk.node_id().to_string())
        .expect("LDK listed");
    assert!(
        ldk_peer.ping_time > 0,
        "rayod measured LDK's pong round trip"
    );
    assert!(ldk_peer.bytes_recv > 0 && ldk_peer.bytes_sent > 0);
}

#[test]
fn rayod_and_ldk_node_connect_both_ways_and_stay_connected() {
    let chain = ChainDaemon::start(&[]);
    chain.call(
        "generatetoaddress",
        json!([1, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"]),
    );
    let dir = tempfile::tempdir().unwrap();
    let rayod = NodeDaemon::start(
        &dir.path().join("rayod"),
        "rayo",
        &chain,
        &["--dev.pinginterval", "2"],
    );
    let ldk_port = free_port();
    let ldk = start_ldk(&chain, dir.path(), ldk_port);

    // LDK dials rayod.
    let rayo_id = rayod.pubkey.parse().expect("rayod pubkey");
    ldk.connect(rayo_id, SocketAddress::from_str(&rayod.p2p).unwrap(), false)
        .expect("LDK connects to rayod");
    wait_for("rayod lists LDK (inbound)", || {
        rayod_lists(&rayod, &ldk, true)
    });
    assert!(ldk_lists(&ldk, &rayod));
    survives_pings(&rayod, &ldk, true);

    // And the other way: rayod dials LDK (through its REST API, as `connect`).
    ldk.disconnect(rayo_id).expect("LDK disconnects");
    wait_for("rayod sees LDK leave", || !rayod_lists(&rayod, &ldk, true));
    rayod
        .client()
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: ldk.node_id().to_string(),
                host: format!("127.0.0.1:{ldk_port}"),
            },
            ..ConnectPeerRequest::default()
        })
        .expect("rayod connects to LDK");
    wait_for("LDK lists rayod", || ldk_lists(&ldk, &rayod));
    assert!(rayod_lists(&rayod, &ldk, false));
    survives_pings(&rayod, &ldk, false);

    ldk.stop().expect("ldk-node stops");
}
