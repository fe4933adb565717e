//! A BOLT 8 peer connection over a tokio `TcpStream`: runs the handshake,
//! then sends and receives whole Lightning messages.
//!
//! This is a thin adapter around `rayo_wire::noise`; all protocol decisions
//! (act validation, framing, key rotation, message decoding) live there.

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
pub struct Connection {
    stream: TcpStream,
    remote_node_id: PublicKey,
    encryptor: Encryptor,
    decryptor: Decryptor,
    read_buf: Vec<u8>,
    bytes_sent: u64,
    bytes_received: u64,
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
        Self {
            stream,
            remote_node_id: transport.remote_static,
            encryptor: transport.encryptor,
            decryptor: transport.decryptor,
            read_buf: Vec::new(),
            bytes_sent: 0,
            bytes_received: 0,
        }
    }

    /// Encrypted bytes written to the socket since the handshake.
    pub fn bytes_sent(&self) -> u64 {
        self.bytes_sent
    }

    /// Encrypted bytes read from the socket since the handshake.
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received
    }

    /// The peer's node id, authenticated by the handshake.
    pub fn remote_node_id(&self) -> PublicKey {
        self.remote_node_id
    }

    /// Encrypts and sends one message.
    pub async fn send(&mut self, msg: &Message) -> Result<(), ConnectionError> {
        let frame = self.encryptor.encrypt(&msg.encode()?)?;
        self.stream.write_all(&frame).await?;
        self.bytes_sent += frame.len() as u64;
        Ok(())
    }

    /// The next known message; unknown odd messages are skipped, as BOLT 1
    /// says, and an unknown even one is an error. Cancel-safe: the only await
    /// is a socket read, and bytes read are handed to the decryptor at once,
    /// so it can race other futures in `tokio::select!`.
    pub async fn recv(&mut self) -> Result<Message, ConnectionError> {
        loop {
            if let Some(bytes) = self.decryptor.next_message()? {
                match Message::decode(&bytes)? {
                    Message::Unknown { msg_type } => {
                        tracing::debug!(msg_type, "ignoring unknown odd message");
                    }
                    msg => return Ok(msg),
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
            self.bytes_received += n as u64;
            self.decryptor.feed(&self.read_buf[..n]);
        }
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

/// Our default `init` for a node on the chain `chain`.
pub fn default_init(chain: rayo_wire::bitcoin::constants::ChainHash) -> Init {
    Init {
        features: Features::rayo_init(),
        networks: Some(vec![chain]),
        remote_addr: None,
    }
}
