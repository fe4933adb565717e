//! A broken or hostile peer over real TCP: each misbehaviour ends in a typed
//! error and a closed connection, never a panic or a hang.

use std::time::Duration;

use rayo_node::connection::{default_init, Connection, ConnectionError};
use rayo_wire::bitcoin::constants::ChainHash;
use rayo_wire::message::{Message, Ping};
use rayo_wire::noise::{HandshakeError, InitiatorAwaitingActTwo, TransportError};
use rayo_wire::secp256k1::{PublicKey, Secp256k1, SecretKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

fn public(byte: u8) -> PublicKey {
    key(byte).public_key(&Secp256k1::new())
}

/// A listener whose accepted connections go through Rayo's responder.
async fn rayo_listener() -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<Result<Connection, ConnectionError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        Connection::accept(stream, &key(0x21), key(0x22)).await
    });
    (addr, task)
}

/// Connects as a raw initiator and completes the handshake by hand, so the
/// test can then write arbitrary frames.
async fn raw_initiator(addr: std::net::SocketAddr) -> (TcpStream, rayo_wire::noise::Transport) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (state, act_one) =
        InitiatorAwaitingActTwo::start(&Secp256k1::new(), key(0x11), key(0x12), public(0x21));
    stream.write_all(&act_one).await.unwrap();
    let mut act_two = [0u8; 50];
    stream.read_exact(&mut act_two).await.unwrap();
    let (transport, act_three) = state.process_act_two(&act_two).unwrap();
    stream.write_all(&act_three).await.unwrap();
    (stream, transport)
}

/// A Rayo client connected to a Rayo server, handshake done.
async fn connected_pair() -> (Connection, Connection) {
    let (addr, server) = rayo_listener().await;
    let stream = TcpStream::connect(addr).await.unwrap();
    let client = Connection::connect(stream, &key(0x11), key(0x12), public(0x21))
        .await
        .unwrap();
    (client, server.await.unwrap().unwrap())
}

#[tokio::test]
async fn handshake_and_messages_work_both_ways() {
    let (mut client, mut server) = connected_pair().await;
    assert_eq!(server.remote_node_id(), public(0x11));
    assert_eq!(client.remote_node_id(), public(0x21));

    let init = default_init(ChainHash::REGTEST);
    let (theirs, _) = tokio::join!(
        client.exchange_init(init.clone()),
        server.exchange_init(init.clone())
    );
    assert_eq!(theirs.unwrap(), init);

    // Enough messages to cross two key rotations in each direction.
    for i in 0..1200u16 {
        let ping = Message::Ping(Ping {
            num_pong_bytes: i,
            ignored: vec![0; 3],
        });
        client.send(&ping).await.unwrap();
        assert_eq!(server.recv().await.unwrap(), ping);
    }
}

#[tokio::test]
async fn truncated_act_one_is_an_io_error() {
    let (addr, server) = rayo_listener().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&[0u8; 20]).await.unwrap();
    drop(stream);
    assert!(matches!(server.await.unwrap(), Err(ConnectionError::Io(_))));
}

#[tokio::test]
async fn corrupt_act_one_is_a_handshake_error() {
    let (addr, server) = rayo_listener().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (_, mut act_one) =
        InitiatorAwaitingActTwo::start(&Secp256k1::new(), key(0x11), key(0x12), public(0x21));
    act_one[49] ^= 0xff;
    stream.write_all(&act_one).await.unwrap();
    assert!(matches!(
        server.await.unwrap(),
        Err(ConnectionError::Handshake(HandshakeError::BadTag {
            act: 1
        }))
    ));
    // Rayo closed the socket: the peer reads end of file.
    let mut rest = Vec::new();
    assert_eq!(stream.read_to_end(&mut rest).await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_times_out() {
    let (addr, server) = rayo_listener().await;
    let _stream = TcpStream::connect(addr).await.unwrap();
    let result = tokio::time::timeout(Duration::from_secs(60), server).await;
    assert!(matches!(
        result.unwrap().unwrap(),
        Err(ConnectionError::HandshakeTimeout)
    ));
}

#[tokio::test]
async fn bad_mac_after_the_handshake_closes_the_connection() {
    let (addr, server) = rayo_listener().await;
    let (mut stream, mut transport) = raw_initiator(addr).await;
    let mut server = server.await.unwrap().unwrap();
    let mut frame = transport
        .encryptor
        .encrypt(&[0x00, 0x12, 0, 1, 0, 0])
        .unwrap();
    let last = frame.len() - 1;
    frame[last] ^= 1;
    stream.write_all(&frame).await.unwrap();
    assert!(matches!(
        server.recv().await,
        Err(ConnectionError::Transport(TransportError::BadTag))
    ));
}

#[tokio::test]
async fn malformed_and_unknown_even_messages_are_errors_unknown_odd_is_skipped() {
    let (addr, server) = rayo_listener().await;
    let (mut stream, mut transport) = raw_initiator(addr).await;
    let mut server = server.await.unwrap().unwrap();

    // An unknown odd message is skipped; the ping after it is delivered.
    let mut wire = transport.encryptor.encrypt(&[0x80, 0x01, 1, 2, 3]).unwrap();
    wire.extend(
        transport
            .encryptor
            .encrypt(&[0x00, 0x12, 0, 5, 0, 0])
            .unwrap(),
    );
    stream.write_all(&wire).await.unwrap();
    assert_eq!(
        server.recv().await.unwrap(),
        Message::Ping(Ping {
            num_pong_bytes: 5,
            ignored: vec![]
        })
    );

    // A ping cut short.
    let frame = transport.encryptor.encrypt(&[0x00, 0x12, 0]).unwrap();
    stream.write_all(&frame).await.unwrap();
    assert!(matches!(
        server.recv().await,
        Err(ConnectionError::Decode(_))
    ));

    let (addr, server) = rayo_listener().await;
    let (mut stream, mut transport) = raw_initiator(addr).await;
    let mut server = server.await.unwrap().unwrap();
    let frame = transport.encryptor.encrypt(&[0x80, 0x02]).unwrap();
    stream.write_all(&frame).await.unwrap();
    assert!(matches!(
        server.recv().await,
        Err(ConnectionError::Decode(
            rayo_wire::ser::DecodeError::UnknownEvenMessage(0x8002)
        ))
    ));
}

#[tokio::test]
async fn a_peer_on_another_network_is_refused() {
    let (mut client, mut server) = connected_pair().await;
    let (client_result, server_result) = tokio::join!(
        client.exchange_init(default_init(ChainHash::BITCOIN)),
        server.exchange_init(default_init(ChainHash::REGTEST))
    );
    assert!(matches!(
        client_result,
        Err(ConnectionError::NoCommonNetwork)
    ));
    assert!(matches!(
        server_result,
        Err(ConnectionError::NoCommonNetwork)
    ));
}

#[tokio::test]
async fn a_peer_requiring_an_unknown_feature_is_refused() {
    let (mut client, mut server) = connected_pair().await;
    let mut demanding = default_init(ChainHash::REGTEST);
    demanding.features.set_bit(200);
    let (_, server_result) = tokio::join!(
        client.exchange_init(demanding),
        server.exchange_init(default_init(ChainHash::REGTEST))
    );
    assert!(matches!(
        server_result,
        Err(ConnectionError::Features(
            rayo_wire::features::FeatureError::UnsupportedRequired(200)
        ))
    ));
}
