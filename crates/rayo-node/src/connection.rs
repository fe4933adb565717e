//! A BOLT 8 peer connection over a tokio `TcpStream`: runs the handshake,
//! then sends and receives whole Lightning messages.
//!
//! This is a thin adapter around `rayo_wire::noise`; all protocol decisions
//! (act validation, framing, key rotation, message decoding) live there.
//! After the handshake the connection splits into a [`ConnectionReader`]
//! (the read half and the `Decryptor`) and a [`ConnectionWriter`] (the write
//! half and the `Encryptor`), so one peer's reads and writes run in separate
//! tasks.

use std::time::Duration;

use rayo_wire::features::{FeatureError, Features};
use rayo_wire::message::{EncodeError, Init, Message};
use rayo_wire::noise::{
    Decryptor, Encryptor, HandshakeError, InitiatorAwaitingActTwo, ResponderAwaitingActOne,
    TransportError, ACT_ONE_LEN, ACT_THREE_LEN, ACT_TWO_LEN,
};
use rayo_wire::secp256k1::{PublicKey, Secp256k1, SecretKey};
use rayo_wire::ser::DecodeError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// How long the peer has to complete the handshake (lnd uses 15 seconds too).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a connection failed. Every variant means the connection is closed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The socket failed or the peer closed it.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The handshake did not complete in [`HANDSHAKE_TIMEOUT`].
    #[error("handshake timed out")]
    HandshakeTimeout,
    /// A write did not complete in time: the peer is not reading.
    #[error("write timed out after {0:?}: the peer is not reading")]
    WriteTimeout(Duration),
    /// The peer sent an invalid handshake act.
    #[error("handshake: {0}")]
    Handshake(#[from] HandshakeError),
    /// An encrypted frame failed to authenticate.
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// The peer sent a message we cannot accept.
    #[error("malformed message: {0}")]
    Decode(#[from] DecodeError),
    /// We tried to send a message that cannot be encoded.
    #[error("cannot encode message: {0}")]
    Encode(#[from] EncodeError),
    /// The first message was not `init`.
    #[error("expected init as the first message, got type {0}")]
    ExpectedInit(u16),
    /// The peer's features are incompatible with ours.
    #[error("incompatible features: {0}")]
    Features(#[from] FeatureError),
    /// The peer lists networks and none of them is ours.
    #[error("peer is on other networks than ours")]
    NoCommonNetwork,
}

/// An established, encrypted connection to one peer.
///
/// Used whole for the handshake and the `init` exchange (and by tests and
/// tools that drive a peer by hand); a running peer then splits it with
/// [`Connection::into_split`] so that reading and writing never wait on each
/// other.
pub struct Connection {
    reader: ConnectionReader,
    writer: ConnectionWriter,
}

/// The receiving half of a [`Connection`]: the socket's read half and the
/// Noise [`Decryptor`].
pub struct ConnectionReader {
    stream: OwnedReadHalf,
    remote_node_id: PublicKey,
    decryptor: Decryptor,
    read_buf: Vec<u8>,
    bytes_received: u64,
}

/// The sending half of a [`Connection`]: the socket's write half and the
/// Noise [`Encryptor`].
pub struct ConnectionWriter {
    stream: OwnedWriteHalf,
    remote_node_id: PublicKey,
    encryptor: Encryptor,
    /// Reused for each frame; never more than one maximal frame.
    frame: Vec<u8>,
    bytes_sent: u64,
}

impl Connection {
    /// Dial side: runs the BOLT 8 handshake as initiator over `stream`.
    /// `ephemeral` must be fresh randomness.
    pub async fn connect(
        mut stream: TcpStream,
        local_secret: &SecretKey,
        ephemeral: SecretKey,
        remote: PublicKey,
    ) -> Result<Connection, ConnectionError> {
        let secp = Secp256k1::signing_only();
        let handshake = async {
            let (state, act_one) =
                InitiatorAwaitingActTwo::start(&secp, *local_secret, ephemeral, remote);
            stream.write_all(&act_one).await?;
            let mut act_two = [0u8; ACT_TWO_LEN];
            stream.read_exact(&mut act_two).await?;
            let (transport, act_three) = state.process_act_two(&act_two)?;
            stream.write_all(&act_three).await?;
            Ok::<_, ConnectionError>(transport)
        };
        let transport = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| ConnectionError::HandshakeTimeout)??;
        Ok(Self::established(stream, transport))
    }

    /// Listen side: runs the BOLT 8 handshake as responder over `stream`.
    /// `ephemeral` must be fresh randomness.
    pub async fn accept(
        mut stream: TcpStream,
        local_secret: &SecretKey,
        ephemeral: SecretKey,
    ) -> Result<Connection, ConnectionError> {
        let secp = Secp256k1::signing_only();
        let handshake = async {
            let state = ResponderAwaitingActOne::new(&secp, *local_secret, ephemeral);
            let mut act_one = [0u8; ACT_ONE_LEN];
            stream.read_exact(&mut act_one).await?;
            let (state, act_two) = state.process_act_one(&act_one)?;
            stream.write_all(&act_two).await?;
            let mut act_three = [0u8; ACT_THREE_LEN];
            stream.read_exact(&mut act_three).await?;
            Ok::<_, ConnectionError>(state.process_act_three(&act_three)?)
        };
        let transport = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| ConnectionError::HandshakeTimeout)??;
        Ok(Self::established(stream, transport))
    }

    fn established(stream: TcpStream, transport: rayo_wire::noise::Transport) -> Self {
        // The dance is small messages answered at once: Nagle's algorithm
        // with delayed ACKs would hold each for tens of milliseconds.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let (read, write) = stream.into_split();
        let remote_node_id = transport.remote_static;
        Self {
            reader: ConnectionReader {
                stream: read,
                remote_node_id,
                decryptor: transport.decryptor,
                read_buf: Vec::new(),
                bytes_received: 0,
            },
            writer: ConnectionWriter {
                stream: write,
                remote_node_id,
                encryptor: transport.encryptor,
                frame: Vec::new(),
                bytes_sent: 0,
            },
        }
    }

    /// The two halves, so a reader task and a writer task can each own one:
    /// a peer that stops reading then stalls only our writes, never our
    /// reads (and the other way round).
    pub fn into_split(self) -> (ConnectionReader, ConnectionWriter) {
        (self.reader, self.writer)
    }

    /// Encrypted bytes written to the socket since the handshake.
    pub fn bytes_sent(&self) -> u64 {
        self.writer.bytes_sent
    }

    /// Encrypted bytes read from the socket since the handshake.
    pub fn bytes_received(&self) -> u64 {
        self.reader.bytes_received
    }

    /// The peer's node id, authenticated by the handshake.
    pub fn remote_node_id(&self) -> PublicKey {
        self.reader.remote_node_id
    }

    /// Encrypts and sends one message (no time limit: see
    /// [`ConnectionWriter::send_within`] for one).
    pub async fn send(&mut self, msg: &Message) -> Result<(), ConnectionError> {
        self.writer.send(msg).await
    }

    /// The next known message; see [`ConnectionReader::recv`].
    pub async fn recv(&mut self) -> Result<Message, ConnectionError> {
        self.reader.recv().await
    }

    /// Sends our `init` and waits for the peer's, which must be the first
    /// message. Checks the peer's features against ours and, when both sides
    /// list networks, that they share one. Returns the peer's `init`.
    pub async fn exchange_init(&mut self, ours: Init) -> Result<Init, ConnectionError> {
        self.send(&Message::Init(ours.clone())).await?;
        let theirs = match self.recv().await? {
            Message::Init(init) => init,
            other => return Err(ConnectionError::ExpectedInit(other.msg_type())),
        };
        theirs.features.check_peer(&ours.features)?;
        if let (Some(our_chains), Some(their_chains)) = (&ours.networks, &theirs.networks) {
            if !their_chains.iter().any(|c| our_chains.contains(c)) {
                return Err(ConnectionError::NoCommonNetwork);
            }
        }
        Ok(theirs)
    }
}

impl ConnectionReader {
    /// The peer's node id, authenticated by the handshake.
    pub fn remote_node_id(&self) -> PublicKey {
        self.remote_node_id
    }

    /// Encrypted bytes read from the socket since the handshake.
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// The next known message; unknown odd messages are skipped, as BOLT 1
    /// says, and an unknown even one is an error. Cancel-safe: the only await
    /// is a socket read, and bytes read are handed to the decryptor at once,
    /// so it can race other futures in `tokio::select!`.
    pub async fn recv(&mut self) -> Result<Message, ConnectionError> {
        Ok(self.recv_sized().await?.0)
    }

    /// Like [`ConnectionReader::recv`], also returning the message's
    /// decrypted length, so a caller can budget the memory that messages
    /// waiting for it hold by their size, not just their count.
    pub async fn recv_sized(&mut self) -> Result<(Message, usize), ConnectionError> {
        loop {
            if let Some(bytes) = self.decryptor.next_message()? {
                match Message::decode(&bytes)? {
                    Message::Unknown { msg_type } => {
                        tracing::debug!(msg_type, "ignoring unknown odd message");
                    }
                    msg => return Ok((msg, bytes.len())),
                }
                continue;
            }
            // Read no more than the frame in progress needs: memory per
            // connection stays bounded by one maximal frame.
            self.read_buf.resize(self.decryptor.bytes_needed(), 0);
            let n = self.stream.read(&mut self.read_buf).await?;
            if n == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
            self.bytes_received = self.bytes_received.saturating_add(n as u64);
            self.decryptor.feed(&self.read_buf[..n]);
        }
    }
}

impl ConnectionWriter {
    /// The peer's node id, authenticated by the handshake.
    pub fn remote_node_id(&self) -> PublicKey {
        self.remote_node_id
    }

    /// Encrypted bytes written to the socket since the handshake.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Encrypts and sends one message. Not cancel-safe: a send dropped
    /// midway leaves part of a frame on the wire, after which the connection
    /// can only be closed (which is what every caller does).
    pub async fn send(&mut self, msg: &Message) -> Result<(), ConnectionError> {
        self.frame.clear();
        self.encryptor
            .encrypt_into(&msg.encode()?, &mut self.frame)?;
        self.stream.write_all(&self.frame).await?;
        self.bytes_sent = self.bytes_sent.saturating_add(self.frame.len() as u64);
        Ok(())
    }

    /// [`ConnectionWriter::send`], failing with
    /// [`ConnectionError::WriteTimeout`] if the peer does not take the bytes
    /// within `limit`: a peer that stops reading must not hold a task (and
    /// the messages queued behind it) forever. The connection is unusable
    /// after a timeout.
    pub async fn send_within(
        &mut self,
        msg: &Message,
        limit: Duration,
    ) -> Result<(), ConnectionError> {
        tokio::time::timeout(limit, self.send(msg))
            .await
            .map_err(|_| ConnectionError::WriteTimeout(limit))?
    }

    /// Closes our direction of the connection (TCP FIN) once what was
    /// written is sent, waiting at most `limit` for it.
    pub async fn shutdown_within(&mut self, limit: Duration) -> Result<(), ConnectionError> {
        tokio::time::timeout(limit, self.stream.shutdown())
            .await
            .map_err(|_| ConnectionError::WriteTimeout(limit))??;
        Ok(())
    }
}

/// Our default `init` for a node on the chain `chain`.
pub fn default_init(chain: rayo_wire::bitcoin::constants::ChainHash) -> Init {
    Init {
        features: Features::rayo_init(),
        networks: Some(vec![chain]),
        remote_addr: None,
    }
}
