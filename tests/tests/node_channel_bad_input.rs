//! Bad channel requests get a clear error, lock no coins, and leave the
//! node serving: an unconnected peer, more than the wallet has, a push of
//! the whole channel, a channel under the minimum size, a channel the peer
//! refuses (below its minimum).

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
    let bob = NodeDaemon::start(
        &dir.path().join("bob"),
        "bob",
        &chain,
        &["--minchansize", "50000"],
    );
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
    // A push below the funding but whose msat value overflows 64 bits is
    // refused with a clear error (it used to overflow in the handler).
    let message = api_error(open(i64::MAX, 100_000_000_000_000_000));
    assert!(message.contains("push_sat"), "{message}");
    let message = api_error(open(-5, 0));
    assert!(message.contains("local_funding_amount"), "{message}");
    // Under lnd's minimum channel size: refused before Bob hears of it.
    let message = api_error(open(10_000, 0));
    assert!(
        message.contains("under the minimum channel size of 20000 sat"),
        "{message}"
    );
    // Bob's policy (--minchansize) refuses channels under 50,000 sat.
    let message = api_error(open(30_000, 0));
    assert!(message.contains("at least 50000"), "{message}");

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

/// A peer that completes `init`, then hangs up when it sees `open_channel`.
fn flaky_peer() -> (String, String, std::thread::JoinHandle<()>) {
    use rayo_node::connection::{default_init, Connection};
    use rayo_wire::message::Message;
    use rayo_wire::secp256k1::{Secp256k1, SecretKey};
    let secret = SecretKey::from_slice(&[0x77; 32]).unwrap();
    let pubkey = secret.public_key(&Secp256k1::new()).to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let mut conn =
                Connection::accept(stream, &secret, SecretKey::from_slice(&[0x78; 32]).unwrap())
                    .await
                    .unwrap();
            conn.exchange_init(default_init(
                rayo_wire::bitcoin::constants::ChainHash::REGTEST,
            ))
            .await
            .unwrap();
            while let Ok(msg) = conn.recv().await {
                if matches!(msg, Message::OpenChannel(_)) {
                    return; // hang up mid-handshake
                }
            }
        });
    });
    (pubkey, addr, handle)
}

#[test]
fn a_peer_that_hangs_up_mid_open_leaves_nothing_locked() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let alice = NodeDaemon::start(&dir.path().join("alice"), "alice", &chain, &[]);
    let client = alice.client();
    let address = client
        .new_address(&NewAddressRequest::default())
        .unwrap()
        .address;
    chain.call("generatetoaddress", json!([101, address]));
    alice.wait_synced(&chain);
    let (pubkey, host, peer) = flaky_peer();
    client
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: pubkey.clone(),
                host,
            },
            ..ConnectPeerRequest::default()
        })
        .unwrap();
    let started = std::time::Instant::now();
    let message = api_error(client.open_channel(&OpenChannelRequest {
        node_pubkey_string: pubkey,
        local_funding_amount: 500_000,
        private: true,
        ..OpenChannelRequest::default()
    }));
    assert!(message.contains("disconnected"), "{message}");
    assert!(
        started.elapsed().as_secs() < 30,
        "the failure is reported at once, not after a timeout"
    );
    peer.join().unwrap();
    assert_eq!(client.wallet_balance().unwrap().locked_balance, 0);
    assert!(client
        .pending_channels()
        .unwrap()
        .pending_open_channels
        .is_empty());
}
