//! A malicious peer ("Mallory", driven here with Rayo's own protocol
//! crates) against `rayod`: a `funding_created` that names the funding
//! outpoint of an existing channel is refused and leaves that channel
//! intact; a `funding_created` that points at an output which is not the
//! agreed 2-of-2 never becomes a usable channel.

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash;
use bitcoin::{Network, OutPoint, Txid};
use rayo_api::types::{
    ConnectPeerRequest, LightningAddress, NewAddressRequest, OpenChannelRequest,
};
use rayo_channel::channel::{OpenRequest, Outbound};
use rayo_channel::establish::ChannelPolicy;
use rayo_channel::keys::ChannelKeys;
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::ChainDaemon;
use rayo_node::connection::{default_init, Connection};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::secp256k1::{PublicKey, Secp256k1, SecretKey};
use serde_json::json;

/// Mallory dials `node`, opens a channel and sends `funding_created` for
/// `funding`; returns the first reply after it that is not a ping.
fn mallory_funds(node: &NodeDaemon, funding: OutPoint, seed: u8) -> Message {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let secp = Secp256k1::new();
        let secret = SecretKey::from_slice(&[seed; 32]).unwrap();
        let remote: PublicKey = node.pubkey.parse().unwrap();
        let stream = tokio::net::TcpStream::connect(&node.p2p).await.unwrap();
        let mut conn = Connection::connect(
            stream,
            &secret,
            SecretKey::from_slice(&[seed + 1; 32]).unwrap(),
            remote,
        )
        .await
        .unwrap();
        conn.exchange_init(default_init(ChainHash::REGTEST))
            .await
            .unwrap();
        let keys = ChannelKeys::derive(
            &secp,
            &Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap(),
            Network::Regtest,
            0,
        )
        .unwrap();
        let policy = ChannelPolicy::new(ChainHash::REGTEST);
        let request = OpenRequest {
            temporary_channel_id: ChannelId([seed; 32]),
            capacity: Sat(1_000_000),
            push: Msat(0),
            feerate_per_kw: 5_000,
            announce: false,
        };
        let (outbound, open) = Outbound::new(&secp, &policy, &keys, &request).unwrap();
        conn.send(&Message::OpenChannel(Box::new(open)))
            .await
            .unwrap();
        let accept = loop {
            match conn.recv().await.unwrap() {
                Message::AcceptChannel(accept) => break accept,
                Message::Ping(p) => conn
                    .send(&Message::Pong(p.response().unwrap()))
                    .await
                    .unwrap(),
                other => panic!("expected accept_channel, got {other:?}"),
            }
        };
        let awaiting = outbound.on_accept_channel(&accept, &policy).unwrap();
        let (_, created) = awaiting.funding_created(&secp, &keys, funding).unwrap();
        conn.send(&Message::FundingCreated(created)).await.unwrap();
        loop {
            match conn.recv().await {
                Ok(Message::Ping(p)) => conn
                    .send(&Message::Pong(p.response().unwrap()))
                    .await
                    .unwrap(),
                Ok(other) => return other,
                Err(e) => panic!("connection dropped: {e}"),
            }
        }
    })
}

#[test]
fn mallory_cannot_hijack_or_fake_a_funding() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let alice = NodeDaemon::start(&dir.path().join("alice"), "alice", &chain, &[]);
    let bob = NodeDaemon::start(&dir.path().join("bob"), "bob", &chain, &[]);
    let client = alice.client();
    let address = client
        .new_address(&NewAddressRequest::default())
        .unwrap()
        .address;
    chain.call("generatetoaddress", json!([101, address]));
    alice.wait_synced(&chain);
    client
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: bob.pubkey.clone(),
                host: bob.p2p.clone(),
            },
            ..ConnectPeerRequest::default()
        })
        .unwrap();
    let point = client
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: bob.pubkey.clone(),
            local_funding_amount: 1_000_000,
            private: true,
            ..OpenChannelRequest::default()
        })
        .unwrap();
    let txid = Txid::from_slice(&point.funding_txid_bytes).unwrap();
    let alice_bob = OutPoint {
        txid,
        vout: point.output_index,
    };

    // 1. Mallory names Alice and Bob's funding outpoint.
    match mallory_funds(&alice, alice_bob, 0x31) {
        Message::Error(e) => assert!(
            e.printable_data().contains("existing channel"),
            "{}",
            e.printable_data()
        ),
        other => panic!("expected an error, got {other:?}"),
    }
    chain.call("generatetoaddress", json!([3, address]));
    alice.wait_synced(&chain);
    let start = std::time::Instant::now();
    let channels = loop {
        let channels = client.list_channels().unwrap().channels;
        if !channels.is_empty() || start.elapsed().as_secs() > 30 {
            break channels;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(channels.len(), 1, "Alice and Bob's channel is intact");
    assert_eq!(channels[0].remote_pubkey, bob.pubkey);
    assert_eq!(
        channels[0].channel_point,
        format!("{txid}:{}", point.output_index)
    );

    // 2. Mallory points at a confirmed output that is not the 2-of-2 (a
    // coinbase): Alice signs (it cannot know yet) but never makes it usable.
    let block1 = chain.call("getblockhash", json!([1]));
    let coinbase = chain.call("getblock", json!([block1, 1]))["tx"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let fake = OutPoint {
        txid: coinbase.parse().unwrap(),
        vout: 0,
    };
    let reply = mallory_funds(&alice, fake, 0x41);
    assert!(matches!(reply, Message::FundingSigned(_)), "{reply:?}");
    assert_eq!(
        client
            .pending_channels()
            .unwrap()
            .pending_open_channels
            .len(),
        1
    );
    chain.call("generatetoaddress", json!([3, address]));
    alice.wait_synced(&chain);
    let start = std::time::Instant::now();
    while !client
        .pending_channels()
        .unwrap()
        .pending_open_channels
        .is_empty()
    {
        assert!(
            start.elapsed().as_secs() < 30,
            "the fake channel is forgotten"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        client.list_channels().unwrap().channels.len(),
        1,
        "only the real channel"
    );
}
