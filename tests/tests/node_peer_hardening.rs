//! Hostile peers against a real `rayod`, driven with raw sockets and Rayo's
//! own BOLT 8 transport: running out of file descriptors, silent sockets
//! holding handshakes, a peer that never reads, a ping flood. In each case
//! the daemon keeps serving: a fresh peer completes `init` and REST answers.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::Path;
use std::time::{Duration, Instant};

use rayo_e2e::node::{NodeDaemon, StartOptions};
use rayo_e2e::ChainDaemon;
use rayo_node::connection::{default_init, Connection};
use rayo_node::peers::{MAX_HANDSHAKES_PER_IP, PONG_BURST_TOKENS, PONG_TOKENS_PER_SEC};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::message::{Message, Ping};
use rayo_wire::secp256k1::{PublicKey, SecretKey};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn p2p_addr(node: &NodeDaemon) -> SocketAddr {
    node.p2p.parse().unwrap()
}

/// Raw socket options for [`tcp_from`].
#[derive(Default, Clone, Copy)]
struct Tcp {
    /// A tiny receive buffer and MSS: with them, a peer that does not read
    /// stalls the node's writes after ~100 KB instead of megabytes.
    tiny_window: bool,
}

/// A blocking TCP connection to `to` from the loopback address `from` (all
/// of 127.0.0.0/8 is loopback on Linux, so each test connection can have
/// its own source address).
fn tcp_from(from: Ipv4Addr, to: SocketAddr, options: Tcp) -> std::net::TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    if options.tiny_window {
        socket.set_recv_buffer_size(4096).unwrap();
        socket.set_tcp_mss(1000).unwrap();
    }
    socket
        .bind(&SocketAddr::V4(SocketAddrV4::new(from, 0)).into())
        .unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connecting to {to} from {from}: {e}"));
    socket.into()
}

fn tokio_stream(stream: std::net::TcpStream) -> tokio::net::TcpStream {
    stream.set_nonblocking(true).unwrap();
    tokio::net::TcpStream::from_std(stream).unwrap()
}

/// A BOLT 8 peer with key `[seed; 32]` over `stream`, `init` exchanged.
async fn bolt8_over(
    stream: std::net::TcpStream,
    node: &NodeDaemon,
    seed: u8,
) -> Result<Connection, String> {
    let remote: PublicKey = node.pubkey.parse().unwrap();
    let secret = SecretKey::from_slice(&[seed; 32]).unwrap();
    let ephemeral = SecretKey::from_slice(&[seed.wrapping_add(1).max(1); 32]).unwrap();
    let mut conn = Connection::connect(tokio_stream(stream), &secret, ephemeral, remote)
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::timeout(
        Duration::from_secs(10),
        conn.exchange_init(default_init(ChainHash::REGTEST)),
    )
    .await
    .map_err(|_| "init timed out".to_owned())?
    .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// A real peer completing `init`, retried for up to `within` (the node may
/// still be closing the connections of a flood).
async fn real_peer(node: &NodeDaemon, seed: u8, within: Duration) -> Connection {
    let started = Instant::now();
    loop {
        let attempt =
            match std::net::TcpStream::connect_timeout(&p2p_addr(node), Duration::from_secs(5)) {
                Ok(stream) => bolt8_over(stream, node, seed).await,
                Err(e) => Err(e.to_string()),
            };
        match attempt {
            Ok(conn) => return conn,
            Err(e) if started.elapsed() > within => {
                panic!("no BOLT 8 peer could connect within {within:?}: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn node_id(seed: u8) -> String {
    let secret = SecretKey::from_slice(&[seed; 32]).unwrap();
    secret
        .public_key(&rayo_wire::secp256k1::Secp256k1::new())
        .to_string()
}

fn peer_ids(node: &NodeDaemon) -> Vec<String> {
    node.client()
        .list_peers()
        .expect("listpeers")
        .peers
        .into_iter()
        .map(|p| p.pub_key)
        .collect()
}

/// Polls REST until `node` answers `getinfo`, for up to `within`.
fn rest_answers(node: &NodeDaemon, within: Duration) {
    let started = Instant::now();
    while let Err(e) = node.client().get_info() {
        assert!(started.elapsed() < within, "REST did not answer: {e}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Sends a ping on `conn` and waits for its pong (answering the node's own
/// pings meanwhile).
async fn ping_pong(conn: &mut Connection) {
    conn.send(&Message::Ping(Ping {
        num_pong_bytes: 4,
        ignored: Vec::new(),
    }))
    .await
    .unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match conn.recv().await.unwrap() {
                Message::Pong(pong) if pong.ignored.len() == 4 => return,
                Message::Ping(p) => {
                    if let Some(pong) = p.response() {
                        conn.send(&Message::Pong(pong)).await.unwrap();
                    }
                }
                _ => {}
            }
        }
    })
    .await
    .expect("a pong in time");
}

fn log_lines(path: &Path, needle: &str) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_listener_survives_running_out_of_file_descriptors() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rayod.log");
    let node = NodeDaemon::start_with(
        &dir.path().join("node"),
        "node",
        &chain,
        &[],
        &StartOptions {
            max_open_files: Some(64),
            log_file: Some(log.clone()),
            ..StartOptions::default()
        },
    );
    rest_answers(&node, Duration::from_secs(10));
    // 80 silent connections, each from its own address so no per-address
    // cap closes them: the daemon (64 descriptors) runs out while
    // accepting them.
    let flood: Vec<std::net::TcpStream> = (0..80u8)
        .map(|i| {
            tcp_from(
                Ipv4Addr::new(127, 0, 1, 2 + i),
                p2p_addr(&node),
                Tcp::default(),
            )
        })
        .collect();
    // Let it fail for a while: it backs off, and logs once per burst.
    std::thread::sleep(Duration::from_secs(3));
    drop(flood);

    let runtime = runtime();
    let mut peer = runtime.block_on(real_peer(&node, 0x51, Duration::from_secs(20)));
    runtime.block_on(ping_pong(&mut peer));
    rest_answers(&node, Duration::from_secs(10));
    assert!(peer_ids(&node).contains(&node_id(0x51)));
    let failures = log_lines(&log, "accepting a peer connection failed");
    assert!(
        !failures.is_empty(),
        "the daemon never ran out of descriptors; the test proved nothing"
    );
    assert!(
        failures.len() <= 5,
        "accept errors are logged once per burst, not per failure: {failures:#?}"
    );
    assert!(
        !log_lines(&log, "accepting peer connections again").is_empty(),
        "the end of the burst is logged"
    );
}

#[test]
fn the_per_address_handshake_cap_closes_extra_connections_at_once() {
    use std::io::Read;
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let node = NodeDaemon::start(&dir.path().join("node"), "node", &chain, &[]);
    let local = Ipv4Addr::LOCALHOST;
    let mut silent: Vec<std::net::TcpStream> = (0..MAX_HANDSHAKES_PER_IP)
        .map(|_| tcp_from(local, p2p_addr(&node), Tcp::default()))
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // One more from the same address: closed before a byte is read.
    let mut extra = tcp_from(local, p2p_addr(&node), Tcp::default());
    extra
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = extra.read(&mut byte);
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the connection over the cap is closed, got {read:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "closed at once");
    // The ones under the cap are still waiting for their act one.
    for stream in &mut silent {
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let read = stream.read(&mut byte);
        assert!(
            read.as_ref().is_err_and(|e| matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            )),
            "a connection under the cap stays open, got {read:?}"
        );
    }
    // Another address is not affected, even now.
    let runtime = runtime();
    let other = tcp_from(Ipv4Addr::new(127, 0, 2, 1), p2p_addr(&node), Tcp::default());
    let _other = runtime.block_on(bolt8_over(other, &node, 0x61)).unwrap();
    drop(silent);
    let mut peer = runtime.block_on(real_peer(&node, 0x62, Duration::from_secs(5)));
    runtime.block_on(ping_pong(&mut peer));
    let ids = peer_ids(&node);
    assert!(
        ids.contains(&node_id(0x61)) && ids.contains(&node_id(0x62)),
        "{ids:?}"
    );
}

#[test]
fn a_peer_that_never_reads_is_disconnected_by_the_write_timeout() {
    const WRITE_TIMEOUT_SECS: u64 = 2;
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rayod.log");
    let timeout_flag = format!("--dev.writetimeout={WRITE_TIMEOUT_SECS}");
    let node = NodeDaemon::start_with(
        &dir.path().join("node"),
        "node",
        &chain,
        &[&timeout_flag],
        &StartOptions {
            log_file: Some(log.clone()),
            ..StartOptions::default()
        },
    );
    let runtime = runtime();
    let mut healthy = runtime.block_on(real_peer(&node, 0x71, Duration::from_secs(5)));
    let stuck_stream = tcp_from(
        Ipv4Addr::new(127, 0, 3, 1),
        p2p_addr(&node),
        Tcp { tiny_window: true },
    );
    let mut stuck = runtime
        .block_on(bolt8_over(stuck_stream, &node, 0x72))
        .unwrap();
    assert!(peer_ids(&node).contains(&node_id(0x72)));
    // Ask for ten maximal pongs (well within the pong budget) and never
    // read them: the node's writes to this peer stall.
    runtime.block_on(async {
        for _ in 0..10 {
            stuck
                .send(&Message::Ping(Ping {
                    num_pong_bytes: 65_531,
                    ignored: Vec::new(),
                }))
                .await
                .unwrap();
        }
    });
    let started = Instant::now();
    let limit = Duration::from_secs(WRITE_TIMEOUT_SECS + 6);
    while peer_ids(&node).contains(&node_id(0x72)) {
        assert!(
            started.elapsed() < limit,
            "a peer that never reads is still connected after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // The reason is in the log, on a line naming the peer.
    let timed_out = log_lines(&log, "write timed out");
    assert!(
        timed_out.iter().any(|l| l.contains(&node_id(0x72))),
        "the write timeout is logged in the peer's span: {timed_out:#?}"
    );
    // Everything else is unaffected.
    runtime.block_on(ping_pong(&mut healthy));
    rest_answers(&node, Duration::from_secs(5));
    assert!(peer_ids(&node).contains(&node_id(0x71)));
    let mut fresh = runtime.block_on(real_peer(&node, 0x73, Duration::from_secs(5)));
    runtime.block_on(ping_pong(&mut fresh));
    drop(stuck);
}

#[test]
fn a_ping_flood_gets_a_bounded_number_of_pongs() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let node = NodeDaemon::start(&dir.path().join("node"), "node", &chain, &[]);
    let runtime = runtime();
    // A peer pinging like any implementation gets every pong (BOLT 1).
    let mut polite = runtime.block_on(real_peer(&node, 0x81, Duration::from_secs(5)));
    runtime.block_on(async {
        for _ in 0..5 {
            ping_pong(&mut polite).await;
        }
    });
    // A flooder sends 1,000 pings as fast as it can while reading.
    let flooder = runtime.block_on(real_peer(&node, 0x82, Duration::from_secs(5)));
    let (pongs, elapsed, closed) = runtime.block_on(async move {
        let (mut reader, mut writer) = flooder.into_split();
        let started = Instant::now();
        let counting = tokio::spawn(async move {
            let mut pongs = 0u64;
            let closed = loop {
                match tokio::time::timeout(Duration::from_secs(5), reader.recv()).await {
                    Ok(Ok(Message::Pong(_))) => pongs += 1,
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) => break true,
                    Err(_) => break false,
                }
            };
            (pongs, closed)
        });
        for _ in 0..1000 {
            let ping = Message::Ping(Ping {
                num_pong_bytes: 8,
                ignored: Vec::new(),
            });
            if writer.send(&ping).await.is_err() {
                break;
            }
        }
        let (pongs, closed) = counting.await.unwrap();
        (pongs, started.elapsed(), closed)
    });
    let bound = PONG_BURST_TOKENS + PONG_TOKENS_PER_SEC * (elapsed.as_secs() + 1);
    assert!(
        pongs <= bound,
        "{pongs} pongs for 1000 pings in {elapsed:?}; at most {bound} allowed"
    );
    assert!(pongs > 0, "pings within the budget are answered");
    assert!(closed, "a peer flooding past the budget is disconnected");
    // The node keeps serving the others.
    runtime.block_on(ping_pong(&mut polite));
    let mut fresh = runtime.block_on(real_peer(&node, 0x83, Duration::from_secs(5)));
    runtime.block_on(ping_pong(&mut fresh));
    rest_answers(&node, Duration::from_secs(5));
    let ids = peer_ids(&node);
    assert!(!ids.contains(&node_id(0x82)), "{ids:?}");
    assert!(
        ids.contains(&node_id(0x81)) && ids.contains(&node_id(0x83)),
        "{ids:?}"
    );
}
