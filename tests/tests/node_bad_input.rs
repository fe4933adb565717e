//! Bad input at `rayod`'s REST API: each gets a clear, typed error, nothing
//! is half-written (no locked coins, no saved peer), and the node keeps
//! serving.

use rayo_api::types::{
    AddressType, ConnectPeerRequest, LightningAddress, NewAddressRequest, SendCoinsRequest,
};
use rayo_api::{Client, ClientError};
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::ChainDaemon;
use serde_json::json;

fn api_error<T: std::fmt::Debug>(result: Result<T, ClientError>) -> (u16, String) {
    match result {
        Err(ClientError::Api {
            status, message, ..
        }) => (status, message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn connect(client: &Client, pubkey: &str, host: &str) -> Result<(), ClientError> {
    client
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: pubkey.to_owned(),
                host: host.to_owned(),
            },
            ..ConnectPeerRequest::default()
        })
        .map(|_| ())
}

#[test]
fn bad_requests_get_clear_errors_and_change_nothing() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let alice = NodeDaemon::start(&dir.path().join("alice"), "alice", &chain, &[]);
    let client = alice.client();

    // Malformed pubkey@host.
    let (status, message) = api_error(connect(&client, "notakey", "127.0.0.1:9735"));
    assert_eq!(status, 400);
    assert!(message.contains("invalid peer address"), "{message}");
    // Unreachable host.
    let key = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";
    let (status, message) = api_error(connect(
        &client,
        key,
        &format!("127.0.0.1:{}", rayo_e2e::free_port()),
    ));
    assert_eq!(status, 503);
    assert!(message.contains("cannot reach"), "{message}");
    // Itself.
    let (status, message) = api_error(connect(&client, &alice.pubkey, &alice.p2p));
    assert_eq!(status, 400);
    assert!(message.contains("cannot connect to self"), "{message}");
    // A node on another network (signet; its chain need not be reachable).
    let stranger = NodeDaemon::start(
        &dir.path().join("signet"),
        "stranger",
        &chain,
        &["--network", "signet", "--bitcoind.rpchost", "127.0.0.1:1"],
    );
    let (_, message) = api_error(connect(&client, &stranger.pubkey, &stranger.p2p));
    assert!(message.contains("other networks"), "{message}");
    assert!(
        client.list_peers().unwrap().peers.is_empty(),
        "no failed peer stays listed"
    );

    // Money: fund Alice, then overspend and pay another network's address.
    let address = client
        .new_address(&NewAddressRequest {
            address_type: AddressType::WitnessPubkeyHash,
            ..NewAddressRequest::default()
        })
        .unwrap()
        .address;
    chain.call("generatetoaddress", json!([101, address]));
    alice.wait_synced(&chain);
    let before = client.wallet_balance().unwrap();
    // Coinbases 1 and 2 have 101 and 100 confirmations: both spendable in
    // the next block.
    assert_eq!(before.confirmed_balance, 2 * 50 * 100_000_000);
    let send = |addr: &str, amount: i64| {
        client.send_coins(&SendCoinsRequest {
            addr: addr.to_owned(),
            amount,
            sat_per_vbyte: 1,
            ..SendCoinsRequest::default()
        })
    };
    let (status, message) = api_error(send(&address, 150 * 100_000_000));
    assert_eq!(status, 400);
    assert!(message.to_lowercase().contains("insufficient"), "{message}");
    let mainnet = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    let (status, message) = api_error(send(mainnet, 1_000));
    assert_eq!(status, 400);
    assert!(message.contains("not for the regtest network"), "{message}");
    let (status, _) = api_error(send("garbage", 1_000));
    assert_eq!(status, 400);
    let (status, _) = api_error(send(&address, -5));
    assert_eq!(status, 400);
    // Nothing locked or spent by the failures.
    let after = client.wallet_balance().unwrap();
    assert_eq!(after.locked_balance, 0);
    assert_eq!(after.confirmed_balance, before.confirmed_balance);
    // An address type Rayo does not offer.
    let (status, message) = api_error(client.new_address(&NewAddressRequest {
        address_type: AddressType::UnusedWitnessPubkeyHash,
        ..NewAddressRequest::default()
    }));
    assert_eq!(status, 400);
    assert!(message.contains("not supported"), "{message}");

    // A wrong token is refused.
    let wrong = Client::new(
        &format!("https://{}", alice.rest),
        &std::fs::read(alice.datadir.join(rayo_api::TLS_CERT_FILE)).unwrap(),
        &"00".repeat(32),
    )
    .unwrap();
    assert!(matches!(wrong.get_info(), Err(ClientError::Unauthorized)));

    // Still serving, and a valid payment goes through.
    let txid = send(&address, 100_000).expect("a valid send");
    assert_eq!(txid.txid.len(), 64);
    assert_eq!(client.get_info().unwrap().identity_pubkey, alice.pubkey);
}
