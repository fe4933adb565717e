//! `lnping`: connect to a Lightning node over BOLT 8, exchange `init`, and
//! measure ping/pong round trips, using Rayo's transport.
//!
//! ```text
//! cargo run -p rayo-interop --example lnping                      # against an in-process LDK peer
//! cargo run -p rayo-interop --example lnping -- PUBKEY@HOST:PORT [-c COUNT] [--network NAME]
//! ```
//!
//! With no target it starts an LDK node (an independent implementation) on
//! loopback and pings that, so it runs on a fresh machine with nothing else.

#[path = "../support/ldk.rs"]
mod ldk;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bitcoin::constants::ChainHash;
use bitcoin::secp256k1::rand::{thread_rng, RngCore};
use bitcoin::Network;
use rayo_node::connection::{default_init, Connection};
use rayo_wire::features::Feature;
use rayo_wire::message::{Message, Ping};
use rayo_wire::secp256k1::{PublicKey, SecretKey};
use tokio::net::{TcpListener, TcpStream};

/// What the command line asked for.
struct Args {
    target: Option<(PublicKey, SocketAddr)>,
    count: u16,
    network: Network,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        target: None,
        count: 5,
        network: Network::Regtest,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-c" | "--count" => {
                args.count = it.next().context("-c needs a number")?.parse()?;
            }
            "--network" => {
                let name = it.next().context("--network needs a name")?;
                args.network = name
                    .parse()
                    .with_context(|| format!("unknown network {name}"))?;
            }
            target => {
                let (key, addr) = target
                    .split_once('@')
                    .context("target must be PUBKEY@HOST:PORT")?;
                let key: PublicKey = key.parse().context("invalid node public key")?;
                let addr = std::net::ToSocketAddrs::to_socket_addrs(addr)
                    .with_context(|| format!("cannot resolve {addr}"))?
                    .next()
                    .with_context(|| format!("no address for {addr}"))?;
                args.target = Some((key, addr));
            }
        }
    }
    Ok(args)
}

fn random_secret() -> SecretKey {
    let mut bytes = [0u8; 32];
    loop {
        thread_rng().fill_bytes(&mut bytes);
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// Starts an LDK peer on loopback; returns its node id and address.
async fn start_ldk_peer() -> anyhow::Result<(PublicKey, SocketAddr)> {
    let mut seed = [0u8; 32];
    let mut ephemeral = [0u8; 32];
    thread_rng().fill_bytes(&mut seed);
    thread_rng().fill_bytes(&mut ephemeral);
    let node = ldk::LdkNode::new(seed, ephemeral);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let peer_manager = Arc::clone(&node.peer_manager);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let pm = Arc::clone(&peer_manager);
            if let Ok(stream) = stream.into_std() {
                tokio::spawn(lightning_net_tokio::setup_inbound(pm, stream));
            }
        }
    });
    println!(
        "no target given: started an LDK peer (lightning 0.2) at {}@{addr}",
        node.node_id
    );
    Ok((node.node_id, addr))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let (remote, addr) = match args.target {
        Some(target) => target,
        None => start_ldk_peer().await?,
    };
    let secret = random_secret();
    println!(
        "rayo node id {}",
        secret.public_key(&bitcoin::secp256k1::Secp256k1::new())
    );

    let started = Instant::now();
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot reach {addr}"))?;
    let mut conn = Connection::connect(stream, &secret, random_secret(), remote)
        .await
        .context("BOLT 8 handshake failed")?;
    println!("handshake with {remote}@{addr} in {:?}", started.elapsed());

    let chain = ChainHash::using_genesis_block(args.network);
    let theirs = conn
        .exchange_init(default_init(chain))
        .await
        .context("init exchange failed")?;
    let named: Vec<String> = theirs
        .features
        .set_bits()
        .map(|bit| match Feature::from_bit(bit) {
            Some(f) if bit % 2 == 0 => format!("{f:?} (required)"),
            Some(f) => format!("{f:?}"),
            None => format!("bit {bit}"),
        })
        .collect();
    println!("peer features: {}", named.join(", "));
    if let Some(networks) = &theirs.networks {
        println!("peer networks: {networks:?}");
    }

    for i in 1..=args.count {
        let num_pong_bytes = 64 * i;
        let sent = Instant::now();
        conn.send(&Message::Ping(Ping {
            num_pong_bytes,
            ignored: Vec::new(),
        }))
        .await?;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), conn.recv()).await {
                Err(_) => bail!("no pong within 10 s"),
                Ok(msg) => match msg? {
                    Message::Pong(pong) => {
                        if pong.ignored.len() != usize::from(num_pong_bytes) {
                            bail!(
                                "pong of {} bytes, asked for {num_pong_bytes}",
                                pong.ignored.len()
                            );
                        }
                        println!("pong {i}: {num_pong_bytes} bytes in {:?}", sent.elapsed());
                        break;
                    }
                    Message::Ping(ping) => {
                        if let Some(pong) = ping.response() {
                            conn.send(&Message::Pong(pong)).await?;
                        }
                    }
                    other => println!("peer sent {other:?}"),
                },
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
