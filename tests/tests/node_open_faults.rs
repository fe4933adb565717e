//! Channel opens that go wrong, against the real `rayod` and `rayo-chaind`:
//! a peer faking fundings by the thousand, a peer that never finishes the
//! open it started, and a crash of the opener between `funding_created`
//! and `funding_signed`. Raw peers are driven with Rayo's own protocol
//! crates (BOLT 8 transport, BOLT 2 phases), so they can misbehave on
//! purpose.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bitcoin::bip32::Xpriv;
use bitcoin::hashes::Hash;
use bitcoin::{Network, OutPoint, Txid};
use rayo_api::types::{
    ConnectPeerRequest, LightningAddress, NewAddressRequest, OpenChannelRequest,
};
use rayo_api::ClientError;
use rayo_channel::channel::{accept_channel, OpenRequest, Outbound};
use rayo_channel::establish::ChannelPolicy;
use rayo_channel::keys::ChannelKeys;
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::ChainDaemon;
use rayo_node::connection::{default_init, Connection};
use rayo_wire::amount::{Msat, Sat};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::establish::{AcceptChannel, FundingCreated};
use rayo_wire::ids::ChannelId;
use rayo_wire::message::Message;
use rayo_wire::secp256k1::{Secp256k1, SecretKey};
use serde_json::json;

/// lnd's `--maxpendingchannels` default: one unconfirmed inbound channel
/// per peer. `rayod`'s own default is higher, so the tests ask for it.
const MAX_PENDING: &str = "--maxpendingchannels=1";

/// How long any single answer from a daemon may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The node key of raw peer `seed`.
fn node_secret(seed: u8) -> SecretKey {
    SecretKey::from_slice(&[seed; 32]).unwrap()
}

/// The channel keys of raw peer `seed`.
fn channel_keys(seed: u8) -> ChannelKeys {
    let master = Xpriv::new_master(Network::Regtest, &[seed; 32]).unwrap();
    ChannelKeys::derive(&Secp256k1::new(), &master, Network::Regtest, 0).unwrap()
}

/// A temporary channel id unique to `n` (never the all-zero id).
fn temporary_id(n: u32) -> ChannelId {
    let mut id = [0x7e; 32];
    id[..4].copy_from_slice(&n.to_be_bytes());
    ChannelId(id)
}

/// The next message on `conn` that is not a ping (pings are answered, so
/// the node keeps the connection while we wait); panics after `within`
/// or if the connection drops.
async fn next_message(conn: &mut Connection, within: Duration) -> Message {
    tokio::time::timeout(within, async {
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
    .await
    .unwrap_or_else(|_| panic!("no message within {within:?}"))
}

/// The printable text of an `error`, panicking on anything else.
fn error_text(message: &Message) -> String {
    match message {
        Message::Error(e) => e.printable_data(),
        other => panic!("expected error, got {other:?}"),
    }
}

/// A raw peer that dials a `rayod` and opens channels to it (as opener).
struct Opener {
    keys: ChannelKeys,
    policy: ChannelPolicy,
    conn: Connection,
}

impl Opener {
    /// Dials `node` as raw peer `seed` and exchanges `init`.
    async fn dial(node: &NodeDaemon, seed: u8) -> Opener {
        let stream = tokio::net::TcpStream::connect(&node.p2p).await.unwrap();
        let mut conn = Connection::connect(
            stream,
            &node_secret(seed),
            SecretKey::from_slice(&[seed.wrapping_add(1); 32]).unwrap(),
            node.pubkey.parse().unwrap(),
        )
        .await
        .unwrap();
        conn.exchange_init(default_init(ChainHash::REGTEST))
            .await
            .unwrap();
        Opener {
            keys: channel_keys(seed),
            policy: ChannelPolicy::new(ChainHash::REGTEST),
            conn,
        }
    }

    /// Sends a valid `open_channel` with `temporary` and returns the phase
    /// and the node's answer.
    async fn open(&mut self, temporary: ChannelId) -> (Outbound, Message) {
        let request = OpenRequest {
            temporary_channel_id: temporary,
            capacity: Sat(100_000),
            push: Msat(0),
            feerate_per_kw: 2_500,
            announce: false,
        };
        let (phase, open) =
            Outbound::new(&Secp256k1::new(), &self.policy, &self.keys, &request).unwrap();
        self.conn
            .send(&Message::OpenChannel(Box::new(open)))
            .await
            .unwrap();
        (phase, next_message(&mut self.conn, ANSWER_WITHIN).await)
    }

    /// Sends a `funding_created` with a valid signature for `funding`, a
    /// transaction that does not exist, and returns the node's answer.
    async fn fake_funding(
        &mut self,
        phase: Outbound,
        accept: &AcceptChannel,
        funding: OutPoint,
    ) -> Message {
        let awaiting = phase.on_accept_channel(accept, &self.policy).unwrap();
        let (_, created) = awaiting
            .funding_created(&Secp256k1::new(), &self.keys, funding)
            .unwrap();
        self.conn
            .send(&Message::FundingCreated(created))
            .await
            .unwrap();
        next_message(&mut self.conn, ANSWER_WITHIN).await
    }
}

/// A raw peer listening for one connection that accepts the channel it is
/// offered (a real `accept_channel`), then goes silent on
/// `funding_created`: it reports that message and never answers it. The
/// thread ends when the node hangs up. Returns its pubkey and address.
fn silent_fundee(
    seed: u8,
) -> (
    String,
    String,
    mpsc::Receiver<FundingCreated>,
    JoinHandle<()>,
) {
    let secret = node_secret(seed);
    let pubkey = secret.public_key(&Secp256k1::new()).to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (report, created) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        runtime().block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let ephemeral = SecretKey::from_slice(&[seed.wrapping_add(1); 32]).unwrap();
            let mut conn = Connection::accept(stream, &secret, ephemeral)
                .await
                .unwrap();
            let theirs = conn
                .exchange_init(default_init(ChainHash::REGTEST))
                .await
                .unwrap();
            let Message::OpenChannel(open) = next_message(&mut conn, ANSWER_WITHIN).await else {
                panic!("expected open_channel");
            };
            let (_, accept) = accept_channel(
                &Secp256k1::new(),
                &ChannelPolicy::new(ChainHash::REGTEST),
                &channel_keys(seed),
                &open,
                &theirs.features,
            )
            .unwrap();
            conn.send(&Message::AcceptChannel(Box::new(accept)))
                .await
                .unwrap();
            match next_message(&mut conn, ANSWER_WITHIN).await {
                Message::FundingCreated(created) => report.send(created).unwrap(),
                other => panic!("expected funding_created, got {other:?}"),
            }
            // Silence: read (and answer pings) until the node is gone.
            while let Ok(message) = conn.recv().await {
                if let Message::Ping(p) = message {
                    let _ = conn.send(&Message::Pong(p.response().unwrap())).await;
                }
            }
        });
    });
    (pubkey, addr, created, handle)
}

/// What 101 blocks mined to a node leave it: two mature coinbases.
const MATURE_SAT: i64 = 100 * 100_000_000;

/// Mines 101 blocks to a new address of `node` ([`MATURE_SAT`] spendable)
/// and waits for its wallet to see them.
fn fund(node: &NodeDaemon, chain: &ChainDaemon) -> String {
    let address = node
        .client()
        .new_address(&NewAddressRequest::default())
        .unwrap()
        .address;
    chain.call("generatetoaddress", json!([101, address]));
    node.wait_synced(chain);
    address
}

fn connect(node: &NodeDaemon, pubkey: &str, host: &str) {
    node.client()
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: pubkey.to_owned(),
                host: host.to_owned(),
            },
            ..ConnectPeerRequest::default()
        })
        .unwrap();
}

fn open_request(pubkey: &str) -> OpenChannelRequest {
    OpenChannelRequest {
        node_pubkey_string: pubkey.to_owned(),
        local_funding_amount: 500_000,
        private: true,
        ..OpenChannelRequest::default()
    }
}

fn mempool(chain: &ChainDaemon) -> Vec<String> {
    chain
        .call("getrawmempool", json!([]))
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

/// Proves that `funding_created` for a made-up funding transaction (with a
/// valid signature) cannot create unconfirmed channels without bound: of
/// 1,000 opens by one peer, one becomes a pending channel and the 999
/// others are refused with an `error` naming them, "too many pending
/// channels (1 allowed per peer)"; `pendingchannels` shows that one channel
/// only, the node still serves REST and another peer can still open. Before the restructure the pending limit only counted opens
/// waiting for `funding_created`, so every fake funding became a stored
/// `Funded` row (1,000 pending channels, each polled on chain).
#[test]
fn a_thousand_fake_funding_created_leave_one_pending_channel() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let bob = NodeDaemon::start(&dir.path().join("bob"), "bob", &chain, &[MAX_PENDING]);
    let client = bob.client();
    let rt = runtime();
    const MALLORY: u8 = 0x51;
    let mut mallory = rt.block_on(Opener::dial(&bob, MALLORY));

    let started = Instant::now();
    let (mut funded, mut refused) = (Vec::new(), 0);
    for n in 0..1_000u32 {
        let (phase, answer) = rt.block_on(mallory.open(temporary_id(n)));
        match answer {
            Message::AcceptChannel(accept) => {
                let mut txid = [0xfa; 32];
                txid[..4].copy_from_slice(&n.to_be_bytes());
                let funding = OutPoint {
                    txid: Txid::from_byte_array(txid),
                    vout: 0,
                };
                let signed = rt.block_on(mallory.fake_funding(phase, &accept, funding));
                assert!(
                    matches!(signed, Message::FundingSigned(_)),
                    "open {n}: {signed:?}"
                );
                funded.push(funding);
            }
            Message::Error(ref e) => {
                assert_eq!(e.channel_id, temporary_id(n), "the error names open {n}");
                let text = error_text(&answer);
                assert!(
                    text.contains("too many pending channels (1 allowed per peer)"),
                    "open {n}: {text}"
                );
                refused += 1;
            }
            other => panic!("open {n}: unexpected {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    eprintln!("1,000 open_channel round trips (and one fake funding) in {elapsed:?}");
    assert_eq!(funded.len(), 1, "one fake funding is accepted: {funded:?}");
    assert_eq!(refused, 999);

    // One pending channel, Mallory's, on the made-up funding.
    let pending = client.pending_channels().unwrap().pending_open_channels;
    assert_eq!(pending.len(), 1, "{pending:?}");
    let mallory_id = node_secret(MALLORY)
        .public_key(&Secp256k1::new())
        .to_string();
    assert_eq!(pending[0].channel.remote_node_pub, mallory_id);
    assert_eq!(
        pending[0].channel.channel_point,
        format!("{}:{}", funded[0].txid, funded[0].vout)
    );
    assert!(client.list_channels().unwrap().channels.is_empty());

    // Still serving, and another peer is not blocked by Mallory.
    assert_eq!(client.get_info().unwrap().identity_pubkey, bob.pubkey);
    let mut honest = rt.block_on(Opener::dial(&bob, 0x52));
    let (_, answer) = rt.block_on(honest.open(temporary_id(0)));
    assert!(
        matches!(answer, Message::AcceptChannel(_)),
        "the honest peer's open: {answer:?}"
    );
}

/// Proves that the pending-open limit is per peer and that an open left
/// hanging times out: Mallory's `open_channel` is accepted and she never
/// sends `funding_created`; her second open is refused ("per peer") while
/// an honest peer's open is accepted; after the manager's inbound timeout
/// (60 s) Mallory gets an `error` naming her open, saying it timed out,
/// and can open again. Before the restructure the limit was global and had
/// no timeout: one idle peer blocked every inbound open, forever.
#[test]
fn one_idle_peer_holding_an_open_does_not_block_others() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let bob = NodeDaemon::start(&dir.path().join("bob"), "bob", &chain, &[MAX_PENDING]);
    let rt = runtime();
    let mut mallory = rt.block_on(Opener::dial(&bob, 0x61));

    let (_, answer) = rt.block_on(mallory.open(temporary_id(1)));
    let accepted_at = Instant::now();
    assert!(matches!(answer, Message::AcceptChannel(_)), "{answer:?}");
    // Her second open waits for the first.
    let (_, answer) = rt.block_on(mallory.open(temporary_id(2)));
    let text = error_text(&answer);
    assert!(text.contains("per peer"), "{text}");
    // Meanwhile an honest peer opens (with the same temporary id: opens are
    // keyed by peer and id).
    let mut honest = rt.block_on(Opener::dial(&bob, 0x62));
    let (_, answer) = rt.block_on(honest.open(temporary_id(1)));
    assert!(
        matches!(answer, Message::AcceptChannel(_)),
        "the honest peer's open: {answer:?}"
    );

    // Mallory stays silent: the node gives up on her open after its
    // inbound timeout and tells her so.
    let answer = rt.block_on(next_message(&mut mallory.conn, Duration::from_secs(75)));
    let waited = accepted_at.elapsed();
    let Message::Error(ref error) = answer else {
        panic!("expected error, got {answer:?}");
    };
    assert_eq!(error.channel_id, temporary_id(1));
    let text = error_text(&answer);
    assert!(text.contains("timed out"), "{text}");
    assert!(
        waited >= Duration::from_secs(55),
        "the open timed out after {waited:?}, before the 60 s timeout"
    );
    eprintln!("Mallory's open timed out after {waited:?}");
    // Her slot is free again.
    let (_, answer) = rt.block_on(mallory.open(temporary_id(3)));
    assert!(matches!(answer, Message::AcceptChannel(_)), "{answer:?}");
    assert!(bob
        .client()
        .pending_channels()
        .unwrap()
        .pending_open_channels
        .is_empty());
}

/// Proves crash safety of the opener between `funding_created` and
/// `funding_signed`: Alice's coins are locked and her channel row stored
/// when `funding_created` goes out; she is killed (SIGKILL) while the peer
/// holds its `funding_signed`. The `openchannel` call in flight fails
/// (connection dropped, not a success). After a restart on the same data
/// dir nothing is locked, the whole balance is confirmed, no channel is
/// pending, the funding was never broadcast, and the coins fund a new
/// channel with a cooperative peer. Before the restructure
/// `forget_unfinished_opens` was never called and the coins stayed locked
/// forever.
#[test]
fn kill_between_funding_created_and_funding_signed_unlocks_the_coins() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let alice_dir = dir.path().join("alice");
    let mut alice = NodeDaemon::start(&alice_dir, "alice", &chain, &[]);
    let bob = NodeDaemon::start(&dir.path().join("bob"), "bob", &chain, &[]);
    fund(&alice, &chain);
    let balance = alice.client().wallet_balance().unwrap();
    assert_eq!(balance.confirmed_balance, MATURE_SAT);
    assert_eq!(balance.locked_balance, 0);

    let (peer, host, created, fundee) = silent_fundee(0x71);
    connect(&alice, &peer, &host);
    let opening = {
        let client = alice.client();
        let request = open_request(&peer);
        std::thread::spawn(move || client.open_channel(&request))
    };
    let created = created
        .recv_timeout(ANSWER_WITHIN)
        .expect("Alice sends funding_created");
    // The window: the coins are locked, the open call is waiting.
    assert!(alice.client().wallet_balance().unwrap().locked_balance > 0);
    assert!(!opening.is_finished());

    alice.kill();
    let answer = opening.join().unwrap();
    assert!(
        matches!(answer, Err(ClientError::Io(_))),
        "the open call in flight fails with the dropped connection: {answer:?}"
    );
    fundee.join().unwrap();

    let alice = NodeDaemon::start(&alice_dir, "alice", &chain, &[]);
    alice.wait_synced(&chain);
    let client = alice.client();
    let balance = client.wallet_balance().unwrap();
    assert_eq!(balance.locked_balance, 0, "{balance:?}");
    assert_eq!(balance.confirmed_balance, MATURE_SAT, "{balance:?}");
    assert_eq!(balance.unconfirmed_balance, 0, "{balance:?}");
    let pending = client.pending_channels().unwrap();
    assert!(pending.pending_open_channels.is_empty(), "{pending:?}");
    assert!(client.list_channels().unwrap().channels.is_empty());
    assert!(mempool(&chain).is_empty(), "nothing was broadcast");
    let funding_txid = created.funding_txid.to_string();
    let (status, _) = chain.post(
        json!({"jsonrpc": "1.0", "id": 1, "method": "getrawtransaction",
               "params": [funding_txid]})
        .to_string()
        .as_bytes(),
    );
    assert_ne!(status, 200, "the chain never saw {funding_txid}");

    // The coins are spendable: they fund a channel with a cooperative peer.
    connect(&alice, &bob.pubkey, &bob.p2p);
    let point = client
        .open_channel(&open_request(&bob.pubkey))
        .expect("a new open with the unlocked coins");
    let txid = Txid::from_slice(&point.funding_txid_bytes).unwrap();
    assert_ne!(txid, created.funding_txid);
    assert_eq!(mempool(&chain), vec![txid.to_string()]);
}
