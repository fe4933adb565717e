//! Bad channel requests get a clear error, lock no coins, and leave the
//! node serving: an unconnected peer, more than the wallet has, a push of
//! the whole channel, a channel the peer refuses (below its minimum).

use rayo_api::types::{
    AddressType, ConnectPeerRequest, LightningAddress, NewAddressRequest, OpenChannelRequest,
};
use rayo_api::ClientError;
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::ChainDaemon;
use serde_json::json;

fn api_error<T: std::fmt::Debug>(result: Result<T, ClientError>) -> String {
    match result {
        Err(ClientError::Api { message, .. }) => message,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[test]
fn bad_channel_requests_are_refused_without_locking_coins() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let alice = NodeDaemon::start(&dir.path().join("alice"), "alice", &chain, &[]);
    let bob = NodeDaemon::start(&dir.path().join("bob"), "bob", &chain, &[]);
    let client = alice.client();
    let address = client
        .new_address(&NewAddressRequest {
            address_type: AddressType::WitnessPubkeyHash,
            ..NewAddressRequest::default()
        })
        .unwrap()
        .address;
    chain.call("generatetoaddress", json!([101, address]));
    alice.wait_synced(&chain);
    let open = |amount: i64, push: i64| {
        client.open_channel(&OpenChannelRequest {
            node_pubkey_string: bob.pubkey.clone(),
            local_funding_amount: amount,
            push_sat: push,
            private: true,
            ..OpenChannelRequest::default()
        })
    };

    let message = api_error(open(1_000_000, 0));
    assert!(message.contains("not connected"), "{message}");

    client
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: bob.pubkey.clone(),
                host: bob.p2p.clone(),
            },
            ..ConnectPeerRequest::default()
        })
        .unwrap();
    // More than the wallet holds (two mature coinbases: 100 BTC).
    let message = api_error(open(20_000_000_000, 0));
    assert!(message.to_lowercase().contains("insufficient"), "{message}");
    let message = api_error(open(1_000_000, 1_000_000));
    assert!(message.contains("push_sat"), "{message}");
    // Bob's policy refuses channels under 20,000 sat.
    let message = api_error(open(10_000, 0));
    assert!(message.contains("refused"), "{message}");

    // Nothing locked, nothing spent, no channel left behind; still serving.
    let balance = client.wallet_balance().unwrap();
    assert_eq!(balance.locked_balance, 0);
    assert_eq!(balance.confirmed_balance, 100 * 100_000_000);
    assert!(client
        .pending_channels()
        .unwrap()
        .pending_open_channels
        .is_empty());
    assert!(client.list_channels().unwrap().channels.is_empty());
    assert!(chain
        .call("getrawmempool", json!([]))
        .as_array()
        .unwrap()
        .is_empty());

    // A valid open still works afterwards.
    let point = open(100_000, 0).expect("a valid open");
    assert_eq!(point.output_index, 0);
}
