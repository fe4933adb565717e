//! The chain RPC against clients that do not play fair, over raw TCP to the
//! real server running in-process on a loopback port: credentials are
//! checked before any of the body is read, and clients that trickle their
//! headers or stall their body are cut off after the configured timeouts,
//! while everybody else is still served.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use bitcoin::FeeRate;
use rayo_chain::chain::Chain;
use rayo_chain::rpc::{self, RpcServerConfig, RpcState, MAX_BODY_BYTES};
use rayo_chain::store::SqliteStore;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;

const NOW: u32 = 1_700_000_000;
const CREDENTIALS: &str = "__cookie__:s3cret";

/// How long a test waits for something the server should do at once.
const PROMPTLY: Duration = Duration::from_secs(3);
/// The short timeouts the tests configure, so they fire within the test.
const SHORT: Duration = Duration::from_secs(1);
/// Margin under a timeout: a cut-off sooner than this was not the timeout.
const EARLY: Duration = Duration::from_millis(900);

/// The RPC server on a loopback port, on an empty in-memory chain; stopped
/// when dropped.
struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    async fn start(config: RpcServerConfig) -> Server {
        let chain = Chain::open(SqliteStore::in_memory().unwrap(), NOW).unwrap();
        let state = Arc::new(RpcState {
            chain: Mutex::new(chain),
            credentials: CREDENTIALS.to_owned(),
            mining_script: None,
            fallback_feerate: FeeRate::from_sat_per_kwu(5_000),
            started: Instant::now(),
            stop: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(rpc::serve(listener, state, config, async move {
            let _ = rx.await;
        }));
        Server {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// A connection that has sent `bytes`.
    async fn send(&self, bytes: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        stream
    }

    /// One authenticated JSON-RPC call on its own connection: (status, reply).
    async fn call(&self, method: &str) -> (u16, Value) {
        let body = format!(r#"{{"id":1,"method":"{method}","params":[]}}"#);
        let request = format!(
            "{}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            post_head(Some(CREDENTIALS)),
            body.len()
        );
        let mut stream = self.send(request.as_bytes()).await;
        let response = tokio::time::timeout(PROMPTLY, read_response(&mut stream))
            .await
            .expect("an authenticated call is answered promptly");
        let reply = serde_json::from_slice(&response.body).expect("a JSON reply");
        (response.status, reply)
    }

    /// Asserts an authenticated call still works.
    async fn assert_serving(&self) {
        let (status, reply) = self.call("getblockcount").await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["result"], 0);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A POST request line and headers, without Content-Length and the blank
/// line; with `Authorization` if `credentials` is given.
fn post_head(credentials: Option<&str>) -> String {
    let mut head =
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n".to_owned();
    if let Some(credentials) = credentials {
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        head.push_str(&format!("Authorization: Basic {encoded}\r\n"));
    }
    head
}

/// A parsed HTTP response.
struct Response {
    status: u16,
    /// Header names lower-cased.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response (headers, then a Content-Length body).
async fn read_response(stream: &mut TcpStream) -> Response {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("reading the response");
        assert!(n > 0, "connection closed before a response: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("reading the body");
        assert!(n > 0, "connection closed inside the body");
        body.extend_from_slice(&chunk[..n]);
    }
    Response {
        status,
        headers,
        body,
    }
}

/// Waits until the server closes `stream` (EOF or reset), discarding
/// anything it sends; panics if that takes longer than `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) {
    let wait = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, wait)
        .await
        .expect("the server closes the connection");
}

/// (a) A client without credentials announcing a 30 MiB body is answered 401
/// from its headers (on `/` and the wallet paths, with no or wrong
/// credentials), before it sends any of the body, as Bitcoin Core answers
/// (empty body, `WWW-Authenticate: Basic realm="jsonrpc"`); the server does
/// not wait for the body, and authenticated calls still work.
#[tokio::test]
async fn unauthenticated_request_is_refused_before_its_body_is_read() {
    let server = Server::start(RpcServerConfig::default()).await;
    let huge = 30 * 1024 * 1024;
    let cases = [
        ("/", None),
        ("/", Some("__cookie__:wrong")),
        ("/wallet/w", None),
    ];
    for (path, credentials) in cases {
        let head = format!("{}Content-Length: {huge}\r\n\r\n", post_head(credentials)).replacen(
            "POST / ",
            &format!("POST {path} "),
            1,
        );
        let mut stream = server.send(head.as_bytes()).await;
        let started = Instant::now();
        let response = tokio::time::timeout(PROMPTLY, read_response(&mut stream))
            .await
            .expect("401 arrives while the body is still unsent");
        assert!(started.elapsed() < PROMPTLY);
        assert_eq!(response.status, 401, "{path} with {credentials:?}");
        assert_eq!(
            response.header("www-authenticate"),
            Some(r#"Basic realm="jsonrpc""#)
        );
        assert!(response.body.is_empty());
        assert_eq!(response.header("content-length"), Some("0"));
        // Nor does the connection stay open waiting for the 30 MiB.
        closed_within(&mut stream, PROMPTLY).await;
    }
    server.assert_serving().await;
}

/// (b) A client that stops half way through its headers, and one that
/// trickles them a byte at a time (slowloris), are both disconnected once
/// the header timeout has passed since the request began, not reset by each
/// byte; others are served meanwhile and after.
#[tokio::test]
async fn slow_headers_are_dropped_after_the_header_timeout() {
    let server = Server::start(RpcServerConfig {
        header_timeout: SHORT,
        ..RpcServerConfig::default()
    })
    .await;
    let started = Instant::now();
    let mut stalled = server
        .send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        .await;
    let trickling = server.send(b"POST / HTTP/1.1\r\n").await;
    let (mut trickle_read, mut trickle_write) = trickling.into_split();
    let trickler = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if trickle_write.write_all(b"X").await.is_err() {
                return;
            }
        }
    });
    server.assert_serving().await;

    closed_within(&mut stalled, SHORT * 5).await;
    assert!(started.elapsed() >= EARLY, "closed before the timeout");
    let wait = async {
        let mut chunk = [0u8; 64];
        while let Ok(n) = trickle_read.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(SHORT * 5, wait)
        .await
        .expect("the trickling client is disconnected");
    let elapsed = started.elapsed();
    assert!(elapsed >= EARLY, "closed before the timeout");
    assert!(
        elapsed < SHORT * 3,
        "each trickled byte must not restart the timeout ({elapsed:?})"
    );
    trickler.abort();
    server.assert_serving().await;
}

/// (c) An authenticated client whose body stalls gets `408 Request Timeout`
/// with a message saying so, after the body timeout, and its connection is
/// closed; other clients are served while it stalls and after.
#[tokio::test]
async fn stalled_body_is_cut_off_after_the_body_timeout() {
    let server = Server::start(RpcServerConfig {
        body_timeout: SHORT,
        ..RpcServerConfig::default()
    })
    .await;
    let head = format!(
        "{}Content-Length: 100\r\n\r\n{{\"id\":1,",
        post_head(Some(CREDENTIALS))
    );
    let mut stream = server.send(head.as_bytes()).await;
    let started = Instant::now();
    server.assert_serving().await;

    let response = tokio::time::timeout(SHORT * 5, read_response(&mut stream))
        .await
        .expect("the stalled request is answered after the body timeout");
    assert!(started.elapsed() >= EARLY, "answered before the timeout");
    assert_eq!(response.status, 408);
    assert_eq!(response.header("connection"), Some("close"));
    let text = String::from_utf8_lossy(&response.body);
    assert!(
        text.contains("request body not received within 1s"),
        "{text}"
    );
    closed_within(&mut stream, PROMPTLY).await;
    server.assert_serving().await;
}

/// Authenticated requests keep the size limit: 32 MiB by default, and a body
/// over the configured limit is refused with 413.
#[tokio::test]
async fn authenticated_bodies_keep_the_size_limit() {
    assert_eq!(RpcServerConfig::default().max_body_bytes, MAX_BODY_BYTES);
    assert_eq!(MAX_BODY_BYTES, 32 * 1024 * 1024);
    let server = Server::start(RpcServerConfig {
        max_body_bytes: 1024,
        ..RpcServerConfig::default()
    })
    .await;
    let call = r#"{"id":1,"method":"getblockcount","params":[]}"#;
    for (size, status) in [(1024, 200), (1025, 413)] {
        let body = format!("{call}{}", " ".repeat(size - call.len()));
        let request = format!(
            "{}Content-Length: {size}\r\n\r\n{body}",
            post_head(Some(CREDENTIALS))
        );
        let mut stream = server.send(request.as_bytes()).await;
        let response = tokio::time::timeout(PROMPTLY, read_response(&mut stream))
            .await
            .expect("answered promptly");
        assert_eq!(response.status, status, "a {size}-byte body");
    }
    server.assert_serving().await;
}

/// As in Bitcoin Core, the method is checked before the credentials: a GET
/// without them gets 405, not 401.
#[tokio::test]
async fn wrong_method_is_refused_before_credentials_are_asked_for() {
    let server = Server::start(RpcServerConfig::default()).await;
    let mut stream = server
        .send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await;
    let response = tokio::time::timeout(PROMPTLY, read_response(&mut stream))
        .await
        .expect("answered promptly");
    assert_eq!(response.status, 405);
    assert_eq!(response.header("www-authenticate"), None);
}

/// The `stop` call is answered, then `serve` returns.
#[tokio::test]
async fn stop_call_is_answered_and_ends_the_server() {
    let mut server = Server::start(RpcServerConfig::default()).await;
    let (status, reply) = server.call("stop").await;
    assert_eq!(status, 200);
    assert_eq!(reply["result"], "rayo-chaind stopping");
    let task = server.task.take().unwrap();
    let result = tokio::time::timeout(PROMPTLY, task)
        .await
        .expect("serve returns after stop");
    assert!(result.unwrap().is_ok());
}
