//! `rayod`'s wallet follows the chain through a reorg: blocks taken away by
//! `invalidateblock` take their coins with them, and `reconsiderblock` gives
//! them back, without a restart.

use rayo_api::types::{AddressType, NewAddressRequest};
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::ChainDaemon;
use serde_json::json;

#[test]
fn wallet_follows_invalidate_and_reconsider() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let alice = NodeDaemon::start(&dir.path().join("alice"), "alice", &chain, &[]);
    let client = alice.client();
    let address = client
        .new_address(&NewAddressRequest {
            address_type: AddressType::TaprootPubkey,
            ..NewAddressRequest::default()
        })
        .unwrap()
        .address;
    let hashes = chain.call("generatetoaddress", json!([101, address]));
    alice.wait_synced(&chain);
    // Coinbases 1 and 2 are mature at height 101.
    assert_eq!(
        client.wallet_balance().unwrap().confirmed_balance,
        100 * 100_000_000
    );

    // Take blocks 100 and 101 away: at tip 99 no coinbase has the 100
    // confirmations it needs.
    chain.call("invalidateblock", json!([hashes[99]]));
    alice.wait_synced(&chain);
    assert_eq!(client.get_info().unwrap().block_height, 99);
    assert_eq!(client.wallet_balance().unwrap().confirmed_balance, 0);

    chain.call("reconsiderblock", json!([hashes[99]]));
    alice.wait_synced(&chain);
    assert_eq!(client.get_info().unwrap().block_height, 101);
    assert_eq!(
        client.wallet_balance().unwrap().confirmed_balance,
        100 * 100_000_000
    );
}
