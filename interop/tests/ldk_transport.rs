//! Rayo's BOLT 8 transport and BOLT 1 `init`/`ping`/`pong` against LDK.
//!
//! LDK (`lightning` + `lightning-net-tokio`) is an independent implementation
//! of the same protocol, so a handshake and message exchange that LDK accepts
//! over a real TCP socket is evidence that Rayo speaks the wire protocol as
//! specified, not merely consistently with itself. Both directions are tested
//! because the initiator and responder run different halves of the Noise
//! handshake:
//!
//! * [`rayo_dials_ldk`]: Rayo is the initiator, LDK the responder.
//! * [`ldk_dials_rayo`]: LDK is the initiator, Rayo the responder; LDK's own
//!   ping timer is used to prove Rayo's pongs keep the connection alive.

#[path = "../support/ldk.rs"]
mod ldk;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::constants::ChainHash;
use lightning::ln::msgs::BaseMessageHandler;
use lightning::ln::peer_handler::{ErroringMessageHandler, IgnoringMessageHandler};
use rayo_node::connection::{default_init, Connection};
use rayo_wire::message::{Message, Ping, Pong};
use rayo_wire::secp256k1::{PublicKey, Secp256k1, SecretKey};
use tokio::net::{TcpListener, TcpStream};

use ldk::LdkNode;

/// Seed of LDK's `KeysManager` (and thus LDK's node id); fixed so runs are
/// reproducible.
const LDK_SEED: [u8; 32] = [0x33; 32];

/// Randomness LDK derives its handshake ephemeral keys from; fixed so runs
/// are reproducible.
const LDK_EPHEMERAL_DATA: [u8; 32] = [0x44; 32];

/// Upper bound for a whole test, so a protocol hang fails CI instead of
/// blocking it.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Upper bound for any single step (one message, one state change in LDK), so
/// a hang is reported with the step that hung.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// Length of the pong Rayo asks LDK for; an arbitrary value that is neither 0
/// nor LDK's own ping size, so a correct answer cannot be a coincidence.
const PONG_LEN: u16 = 1234;

/// Rayo's static node secret; fixed so runs are reproducible.
const RAYO_NODE_SECRET: [u8; 32] = [0x11; 32];

/// Rayo's handshake ephemeral secret; fixed so runs are reproducible.
const RAYO_EPHEMERAL_SECRET: [u8; 32] = [0x22; 32];

/// Rayo's fixed static secret and the node id derived from it.
fn rayo_keys() -> (SecretKey, PublicKey) {
    let secret = SecretKey::from_slice(&RAYO_NODE_SECRET).expect("valid secret");
    let public = PublicKey::from_secret_key(&Secp256k1::new(), &secret);
    (secret, public)
}

/// Rayo's fixed handshake ephemeral secret.
fn rayo_ephemeral() -> SecretKey {
    SecretKey::from_slice(&RAYO_EPHEMERAL_SECRET).expect("valid secret")
}

/// Receives the next message on `conn`, failing the test if none arrives
/// within [`STEP_TIMEOUT`] or the connection breaks; `what` names the step
/// for the failure message.
async fn recv(conn: &mut Connection, what: &str) -> Message {
    match tokio::time::timeout(STEP_TIMEOUT, conn.recv()).await {
        Ok(Ok(msg)) => msg,
        Ok(Err(e)) => panic!("connection failed while waiting for {what}: {e:?}"),
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// Sends `msg` on `conn`, failing the test on error or after
/// [`STEP_TIMEOUT`].
async fn send(conn: &mut Connection, msg: &Message, what: &str) {
    match tokio::time::timeout(STEP_TIMEOUT, conn.send(msg)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("sending {what} failed: {e:?}"),
        Err(_) => panic!("timed out sending {what}"),
    }
}

/// Exchanges `init` through Rayo's own `exchange_init` (so Rayo's feature
/// and network checks run against what LDK really sends), advertising
/// regtest so the `networks` TLV is exercised too. Also checks that Rayo
/// decoded exactly the feature bits LDK advertises.
async fn exchange_init(conn: &mut Connection) {
    let ours = default_init(ChainHash::REGTEST);
    let theirs = match tokio::time::timeout(STEP_TIMEOUT, conn.exchange_init(ours)).await {
        Ok(Ok(init)) => init,
        Ok(Err(e)) => panic!("init exchange with LDK failed: {e:?}"),
        Err(_) => panic!("timed out exchanging init with LDK"),
    };
    assert_eq!(
        theirs.features.set_bits().collect::<Vec<_>>(),
        ldk_init_bits(),
        "Rayo decoded LDK's init feature bits exactly"
    );
}

/// The feature bits LDK puts in its `init`: the union of what its message
/// handlers provide (only `ErroringMessageHandler` provides any).
fn ldk_init_bits() -> Vec<usize> {
    // These handlers ignore the peer's id; any valid key will do.
    let (_, any_id) = rayo_keys();
    // Fully qualified calls: both handlers `Deref` to themselves, which
    // sends method-call auto-deref into a loop.
    let features =
        BaseMessageHandler::provided_init_features(&ErroringMessageHandler::new(), any_id)
            | BaseMessageHandler::provided_init_features(&IgnoringMessageHandler {}, any_id);
    le_bits(features.le_flags())
}

/// The feature bits set in a little-endian LDK feature bit field, ascending.
fn le_bits(le_flags: &[u8]) -> Vec<usize> {
    (0..le_flags.len() * 8)
        .filter(|bit| le_flags[bit / 8] & (1 << (bit % 8)) != 0)
        .collect()
}

/// Polls `cond` until it holds, failing after [`STEP_TIMEOUT`]. LDK handles
/// Rayo's bytes on lightning-net-tokio's own tasks, so its state changes
/// some time after Rayo's `send` returns.
async fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until LDK has processed Rayo's `init` and lists Rayo as a connected
/// peer in the expected direction. If LDK rejected the `init` (e.g. over
/// feature bits), this fails and the LDK log above says why.
async fn wait_ldk_lists_rayo(ldk: &LdkNode, rayo_id: PublicKey, inbound: bool) {
    wait_until("LDK lists Rayo as connected", || {
        ldk.peer_manager.peer_by_node_id(&rayo_id).is_some()
    })
    .await;
    let peers = ldk.peer_manager.list_peers();
    let rayo = peers
        .iter()
        .find(|p| p.counterparty_node_id == rayo_id)
        .expect("list_peers agrees with peer_by_node_id");
    assert_eq!(
        rayo.is_inbound_connection, inbound,
        "LDK's view of the connection direction"
    );
    assert_eq!(peers.len(), 1, "LDK has exactly one peer");
    assert_eq!(
        le_bits(rayo.init_features.le_flags()),
        default_init(ChainHash::REGTEST)
            .features
            .set_bits()
            .collect::<Vec<_>>(),
        "LDK decoded exactly the feature bits Rayo sent"
    );
}

/// Rayo pings LDK asking for [`PONG_LEN`] bytes and checks the pong carries
/// exactly that many. Because LDK handles messages in order, this also proves
/// LDK has processed everything Rayo sent before the ping.
async fn rayo_ping_ldk(conn: &mut Connection) {
    let ping = Ping {
        num_pong_bytes: PONG_LEN,
        ignored: vec![0; 16],
    };
    send(conn, &Message::Ping(ping), "Rayo's ping").await;
    match recv(conn, "LDK's pong").await {
        Message::Pong(pong) => assert_eq!(
            pong.ignored.len(),
            usize::from(PONG_LEN),
            "LDK's pong has the requested length"
        ),
        other => panic!("expected LDK's pong, got {other:?}"),
    }
}

/// Receives LDK's timer ping and answers it with a pong of the requested
/// length, as BOLT 1 requires.
async fn answer_ldk_ping(conn: &mut Connection) {
    let ping = match recv(conn, "LDK's ping").await {
        Message::Ping(ping) => ping,
        other => panic!("expected LDK's ping, got {other:?}"),
    };
    let pong = Pong {
        ignored: vec![0; usize::from(ping.num_pong_bytes)],
    };
    send(conn, &Message::Pong(pong), "Rayo's pong").await;
}

/// Runs a test body under [`TEST_TIMEOUT`].
async fn with_timeout(body: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(TEST_TIMEOUT, body)
        .await
        .expect("test timed out");
}

/// Rayo initiates: LDK listens, Rayo connects, authenticates LDK's node id,
/// exchanges `init`, and gets a pong of the requested length.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rayo_dials_ldk() {
    with_timeout(async {
        let ldk = LdkNode::new(LDK_SEED, LDK_EPHEMERAL_DATA);
        let (rayo_secret, rayo_id) = rayo_keys();

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let pm = Arc::clone(&ldk.peer_manager);
        let ldk_side = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let stream = stream.into_std().expect("into_std");
            lightning_net_tokio::setup_inbound(pm, stream).await;
        });

        let stream = TcpStream::connect(addr).await.expect("connect");
        let mut conn = tokio::time::timeout(
            STEP_TIMEOUT,
            Connection::connect(stream, &rayo_secret, rayo_ephemeral(), ldk.node_id),
        )
        .await
        .expect("handshake timed out")
        .expect("BOLT 8 handshake with LDK");
        assert_eq!(conn.remote_node_id(), ldk.node_id);

        exchange_init(&mut conn).await;
        wait_ldk_lists_rayo(&ldk, rayo_id, true).await;

        rayo_ping_ldk(&mut conn).await;
        assert!(
            ldk.peer_manager.peer_by_node_id(&rayo_id).is_some(),
            "LDK still has Rayo connected after ping/pong"
        );

        ldk.peer_manager.disconnect_all_peers();
        ldk_side.abort();
    })
    .await;
}

/// LDK initiates: Rayo listens and accepts, learns LDK's node id from the
/// handshake, exchanges `init`, and answers LDK's timer pings well enough
/// that LDK keeps the connection; Rayo's own ping is answered too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldk_dials_rayo() {
    with_timeout(async {
        let ldk = LdkNode::new(LDK_SEED, LDK_EPHEMERAL_DATA);
        let (rayo_secret, rayo_id) = rayo_keys();

        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("local addr");
        let _ldk_conn =
            lightning_net_tokio::connect_outbound(Arc::clone(&ldk.peer_manager), rayo_id, addr)
                .await
                .expect("LDK connects over TCP");

        let (stream, _) = tokio::time::timeout(STEP_TIMEOUT, listener.accept())
            .await
            .expect("accept timed out")
            .expect("accept");
        let mut conn = tokio::time::timeout(
            STEP_TIMEOUT,
            Connection::accept(stream, &rayo_secret, rayo_ephemeral()),
        )
        .await
        .expect("handshake timed out")
        .expect("BOLT 8 handshake with LDK");
        assert_eq!(
            conn.remote_node_id(),
            ldk.node_id,
            "the handshake reveals LDK's node id"
        );

        exchange_init(&mut conn).await;
        wait_ldk_lists_rayo(&ldk, rayo_id, false).await;

        // Tick 1: LDK pings every peer and marks it as awaiting a pong.
        ldk.peer_manager.timer_tick_occurred();
        ldk.peer_manager.process_events();
        answer_ldk_ping(&mut conn).await;
        // LDK handles messages in order, so once this pong arrives LDK has
        // also processed Rayo's pong above.
        rayo_ping_ldk(&mut conn).await;

        // Tick 2: a peer that left a ping unanswered would be dropped here.
        // LDK only sends a fresh ping to a peer whose pong it received (one
        // that merely sent other traffic is kept but not pinged), so the
        // ping below proves LDK counted Rayo's pong as the answer.
        ldk.peer_manager.timer_tick_occurred();
        ldk.peer_manager.process_events();
        assert!(
            ldk.peer_manager.peer_by_node_id(&rayo_id).is_some(),
            "LDK disconnected Rayo at the ping timer tick"
        );
        answer_ldk_ping(&mut conn).await;
        rayo_ping_ldk(&mut conn).await;

        // Tick 3: still connected after the second round.
        ldk.peer_manager.timer_tick_occurred();
        ldk.peer_manager.process_events();
        assert!(
            ldk.peer_manager.peer_by_node_id(&rayo_id).is_some(),
            "LDK disconnected Rayo at the second ping timer tick"
        );
        answer_ldk_ping(&mut conn).await;

        ldk.peer_manager.disconnect_all_peers();
    })
    .await;
}
