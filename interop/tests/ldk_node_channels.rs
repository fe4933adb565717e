//! Channels between `rayod` and LDK's `ldk-node` (anchors off, so both use
//! `option_static_remotekey`), on `rayo-chaind`, in both directions and
//! unannounced:
//!
//! 1. rayod opens 1,000,000 sat to ldk-node (through its REST API, as
//!    `openchannel --private`); once the funding is deep enough for both
//!    sides, rayod lists it active with its balance net of the commitment
//!    fee, and ldk-node lists it ready and usable with the same funding
//!    outpoint and capacity;
//! 2. ldk-node opens 500,000 sat to rayod; both sides report it usable and
//!    rayod shows the opener's balance net of the fee on the remote side;
//! 3. rayod is restarted on the same data directory (new ports): it dials
//!    ldk-node again (a saved peer), both channels are reestablished and
//!    usable on both sides; then ldk-node is restarted, and again.
//!
//! Every wait is bounded by [`harness::STEP_TIMEOUT`] and the whole scenario
//! by [`TEST_TIMEOUT`]; ldk-node's and rayod's logs, kept in the temporary
//! directory, are printed when the test fails.

#[path = "../support/ldk_node_harness.rs"]
#[allow(dead_code)] // each test uses part of the harness
mod harness;
#[path = "../support/miner.rs"]
mod miner;

use std::time::Duration;

use bitcoin::secp256k1::PublicKey;
use harness::{
    both_usable, ldk_channel, ldk_opens, rayod_opens, start_funded, start_rayod, wait_for,
    wait_ldk_usable, wait_rayod_channel, Env, CONFIRMATIONS,
};

/// Upper bound for the whole scenario once the binaries are built.
const TEST_TIMEOUT: Duration = Duration::from_secs(240);

/// The channel rayod opens to ldk-node.
const RAYO_CAPACITY: u64 = 1_000_000;

/// The channel ldk-node opens to rayod.
const LDK_CAPACITY: u64 = 500_000;

#[test]
fn rayod_and_ldk_node_open_channels_both_ways_and_survive_restarts() {
    harness::run_scenario(&[], TEST_TIMEOUT, scenario);
}

/// The test proper, run on its own thread under the overall timeout.
fn scenario(env: &Env<'_>) {
    let chain = env.chain;
    let nodes = start_funded(env);
    let ldk_id = nodes.ldk.node_id();

    // 1. rayod opens to ldk-node.
    let rayo_funding = rayod_opens(&nodes, RAYO_CAPACITY);
    let pending = nodes
        .rayod
        .client()
        .pending_channels()
        .expect("pendingchannels");
    assert_eq!(pending.pending_open_channels.len(), 1, "{pending:?}");
    nodes.miner.mine(chain, CONFIRMATIONS);

    let (rayod, ldk) = (&nodes.rayod, &nodes.ldk);
    let ours = wait_rayod_channel(rayod, rayo_funding);
    assert_eq!(ours.remote_pubkey, ldk_id.to_string());
    assert!(ours.initiator && ours.private && ours.static_remote_key);
    assert_eq!(ours.capacity, RAYO_CAPACITY as i64);
    assert!(ours.commit_fee > 0);
    assert_eq!(ours.local_balance, ours.capacity - ours.commit_fee);
    assert_eq!(ours.remote_balance, 0);
    assert_ne!(ours.chan_id, 0, "short channel id from the funding block");
    let theirs = wait_ldk_usable(ldk, rayo_funding);
    assert_eq!(theirs.counterparty_node_id.to_string(), rayod.pubkey);
    assert_eq!(theirs.channel_value_sats, RAYO_CAPACITY);
    assert!(!theirs.is_outbound && !theirs.is_announced);
    assert_eq!(theirs.short_channel_id, Some(ours.chan_id));
    assert_eq!(theirs.feerate_sat_per_1000_weight as i64, ours.fee_per_kw);
    assert_eq!(theirs.outbound_capacity_msat, 0);

    // 2. ldk-node opens to rayod.
    let rayo_id: PublicKey = rayod.pubkey.parse().expect("rayod pubkey");
    let ldk_funding = ldk_opens(&nodes, chain, LDK_CAPACITY);
    nodes.miner.mine(chain, CONFIRMATIONS);

    let ours = wait_rayod_channel(rayod, ldk_funding);
    assert_eq!(ours.remote_pubkey, ldk_id.to_string());
    assert!(!ours.initiator && ours.private);
    assert_eq!(ours.capacity, LDK_CAPACITY as i64);
    assert_eq!(ours.local_balance, 0);
    assert!(ours.commit_fee > 0);
    assert_eq!(ours.remote_balance, ours.capacity - ours.commit_fee);
    let theirs = wait_ldk_usable(ldk, ldk_funding);
    assert!(theirs.is_outbound && !theirs.is_announced);
    assert_eq!(theirs.channel_value_sats, LDK_CAPACITY);
    assert_eq!(theirs.feerate_sat_per_1000_weight as i64, ours.fee_per_kw);
    assert_eq!(theirs.short_channel_id, Some(ours.chan_id));

    let funded = [rayo_funding, ldk_funding];
    both_usable(rayod, ldk, &funded);
    assert!(rayod
        .client()
        .pending_channels()
        .expect("pendingchannels")
        .pending_open_channels
        .is_empty());

    // 3a. Restart rayod: it dials ldk-node again and both channels are
    // reestablished.
    let harness::Nodes {
        mut rayod,
        rayod_dir,
        ldk,
        ..
    } = nodes;
    env.rayod_slot.lock().expect("slot").take();
    rayod.stop();
    wait_for("ldk-node to see rayod leave", || {
        !ldk.list_peers()
            .iter()
            .any(|p| p.node_id == rayo_id && p.is_connected)
    });
    assert!(funded
        .iter()
        .all(|f| !ldk_channel(&ldk, *f).is_some_and(|c| c.is_usable)));
    let rayod = start_rayod(&rayod_dir, chain, env.rayod_slot);
    both_usable(&rayod, &ldk, &funded);

    // 3b. Restart ldk-node: rayod dials it again.
    ldk.stop().expect("ldk-node stops");
    wait_for("rayod to see ldk-node leave", || {
        !rayod
            .client()
            .list_peers()
            .expect("listpeers")
            .peers
            .iter()
            .any(|p| p.pub_key == ldk_id.to_string())
    });
    ldk.start().expect("ldk-node restarts");
    both_usable(&rayod, &ldk, &funded);

    ldk.stop().expect("ldk-node stops");
    drop(rayod);
}
