//! The JSON-RPC server: HTTP POST with Basic auth (user/password or the
//! `.cookie` file), single and batch requests, Bitcoin Core's response
//! shapes and HTTP status codes.
//!
//! The server is reachable by anyone who can open a socket to it, so what a
//! client can make it spend is bounded before it proves who it is:
//! credentials are checked from the headers alone, and an unauthenticated
//! request gets its 401 without a byte of its body being read; the headers
//! must arrive within [`HEADER_TIMEOUT`] and the body within
//! [`BODY_TIMEOUT`], so a slow client (slowloris) cannot hold a connection;
//! only an authenticated request may send up to [`MAX_BODY_BYTES`].

mod json;
pub mod methods;
pub mod params;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use bitcoin::{FeeRate, ScriptBuf};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use self::methods::{Call, RpcChain};
use self::params::{code, Params};

/// The Bitcoin Core version whose RPC this server mirrors, as
/// `getnetworkinfo` reports it; clients pick response formats by it.
pub const CORE_COMPAT_VERSION: u32 = 280_000;

/// Largest request body accepted, as Bitcoin Core's HTTP server (32 MiB).
/// Only an authenticated request gets to send one: others are answered
/// from their headers.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long a client may take to send a request's headers, counted from when
/// the server starts waiting for them (so an idle keep-alive connection is
/// closed after it too). Bitcoin Core's `-rpcservertimeout` default (30 s);
/// past it the connection is closed, so a client trickling its headers
/// (slowloris) cannot hold a connection and its buffers.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an authenticated client may take to send a whole request body,
/// counted from the end of its headers. Past it the request is answered
/// `408 Request Timeout` and the connection is closed, so a stalled upload
/// does not hold up to [`MAX_BODY_BYTES`] of memory and a connection forever.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long open requests may take to finish once shutdown starts, so a
/// stalled client cannot keep the daemon from stopping.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause after a failed `accept` (typically out of file descriptors), so the
/// loop gives connections time to close instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The server's limits on what one client may make it wait for or buffer.
/// The daemon uses [`Default`] (Bitcoin Core's values); tests shorten the
/// timeouts to see them fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RpcServerConfig {
    /// See [`HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`BODY_TIMEOUT`].
    pub body_timeout: Duration,
    /// See [`MAX_BODY_BYTES`].
    pub max_body_bytes: usize,
}

impl Default for RpcServerConfig {
    fn default() -> Self {
        Self {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

/// An RPC error: Core's code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// The numeric code (e.g. -5 not found, -8 invalid parameter).
    pub code: i32,
    /// The message.
    pub message: String,
}

impl RpcError {
    /// Builds an error.
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({"code": self.code, "message": self.message})
    }

    /// The HTTP status Core uses for this error on a JSON-RPC 1.0 call.
    fn http_status(&self) -> StatusCode {
        match self.code {
            code::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
            code::INVALID_REQUEST => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Shared daemon state the RPC handlers use.
pub struct RpcState {
    /// The chain; one lock, held for a whole call.
    pub chain: Mutex<RpcChain>,
    /// `user:password` expected in the Basic auth header.
    pub credentials: String,
    /// Where `generate` pays (btcd's `--miningaddr`).
    pub mining_script: Option<ScriptBuf>,
    /// `estimatesmartfee`'s answer when there is nothing to measure.
    pub fallback_feerate: FeeRate,
    /// When the daemon started, for `uptime`.
    pub started: Instant,
    /// Woken by the `stop` call.
    pub stop: Notify,
}

impl RpcState {
    /// Asks the daemon to shut down after answering.
    pub fn request_stop(&self) {
        self.stop.notify_one();
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
        else {
            return false;
        };
        base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .is_ok_and(|decoded| constant_time_eq(&decoded, self.credentials.as_bytes()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// One request of a call or batch: runs it and builds Core's response
/// object. Returns the HTTP status a lone 1.0 request would get.
fn handle_request(state: &RpcState, request: &Value) -> (Value, StatusCode) {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let v2 = request.get("jsonrpc").and_then(Value::as_str) == Some("2.0");
    let result = run(state, request);
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(_) if v2 => StatusCode::OK,
        Err(e) => e.http_status(),
    };
    let body = match (v2, result) {
        (true, Ok(r)) => json!({"jsonrpc": "2.0", "result": r, "id": id}),
        (true, Err(e)) => json!({"jsonrpc": "2.0", "error": e.to_json(), "id": id}),
        (false, Ok(r)) => json!({"result": r, "error": null, "id": id}),
        (false, Err(e)) => json!({"result": null, "error": e.to_json(), "id": id}),
    };
    (body, status)
}

fn run(state: &RpcState, request: &Value) -> Result<Value, RpcError> {
    let Value::Object(obj) = request else {
        return Err(RpcError::new(
            code::INVALID_REQUEST,
            "Invalid Request object",
        ));
    };
    let name = obj
        .get("method")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::new(code::INVALID_REQUEST, "Method must be a string"))?;
    let method = methods::find(name)
        .ok_or_else(|| RpcError::new(code::METHOD_NOT_FOUND, "Method not found"))?;
    let params = Params::new(
        obj.get("params"),
        method.params,
        method.required,
        method.usage,
    )?;
    let mut chain = state
        .chain
        .lock()
        .map_err(|_| RpcError::new(code::INTERNAL, "chain state poisoned by an earlier panic"))?;
    let mut call = Call {
        chain: &mut chain,
        state,
        now: now(),
    };
    (method.run)(&mut call, &params)
}

/// What the route handlers need: the daemon state and how long to wait for
/// a body.
#[derive(Clone)]
struct App {
    state: Arc<RpcState>,
    body_timeout: Duration,
}

/// Answers an unauthenticated request as Bitcoin Core does (401, empty body,
/// `WWW-Authenticate: Basic realm="jsonrpc"`) from its headers alone: the
/// body is never polled, so nobody without credentials can make the server
/// read or buffer one (and no `100 Continue` is sent for it). hyper then
/// closes the connection rather than drain a body that has not arrived.
async fn require_auth(
    State(state): State<Arc<RpcState>>,
    request: Request,
    next: Next,
) -> Response {
    if state.authorized(request.headers()) {
        return next.run(request).await;
    }
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Basic realm=\"jsonrpc\"")],
    )
        .into_response()
}

/// Marks `response` as the last on its connection: sent after a body that
/// was not (fully) read, the connection cannot carry another request.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// An authenticated call: reads the body (within the body timeout and the
/// size limit), runs it on a blocking thread and answers as Core does.
async fn rpc(State(app): State<App>, request: Request) -> Response {
    let body = match tokio::time::timeout(app.body_timeout, Bytes::from_request(request, &())).await
    {
        Ok(Ok(body)) => body,
        // Over the size limit (413), or the client broke off (400).
        Ok(Err(rejection)) => return closing(rejection.into_response()),
        Err(_) => {
            tracing::debug!(timeout = ?app.body_timeout, "RPC: request body timed out");
            return closing(
                (
                    StatusCode::REQUEST_TIMEOUT,
                    format!("request body not received within {:?}\n", app.body_timeout),
                )
                    .into_response(),
            );
        }
    };
    let state = app.state;
    let (body, status) = tokio::task::spawn_blocking(move || match serde_json::from_slice::<Value>(&body) {
        Err(_) => (
            json!({"result": null, "error": {"code": code::PARSE, "message": "Parse error"}, "id": null}),
            StatusCode::INTERNAL_SERVER_ERROR,
        ),
        Ok(Value::Array(batch)) => {
            let replies: Vec<Value> = batch.iter().map(|r| handle_request(&state, r).0).collect();
            (Value::Array(replies), StatusCode::OK)
        }
        Ok(single) => handle_request(&state, &single),
    })
    .await
    .unwrap_or_else(|_| {
        (
            json!({"result": null, "error": {"code": code::INTERNAL, "message": "internal error"}, "id": null}),
            StatusCode::INTERNAL_SERVER_ERROR,
        )
    });
    let mut text = serde_json::to_vec(&body).expect("JSON values serialize");
    text.push(b'\n');
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// The HTTP router: JSON-RPC POSTs on `/` (and the wallet paths clients
/// use), each behind the credentials check, which runs before the body is
/// read. The header timeout is the connection's, applied by [`serve`].
pub fn router(state: Arc<RpcState>, config: RpcServerConfig) -> Router {
    let app = App {
        state: Arc::clone(&state),
        body_timeout: config.body_timeout,
    };
    // The check wraps the handler, not the router, so a wrong method still
    // gets Core's 405 before any credentials are asked for.
    let call = post(rpc.layer(middleware::from_fn_with_state(state, require_auth)));
    Router::new()
        .route("/", call.clone())
        .route("/wallet/{*wallet}", call)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .with_state(app)
}

/// Serves the RPC on `listener` with `config`'s limits until `stop` is
/// called or `shutdown` resolves; then stops accepting and gives open
/// requests a few seconds to finish.
///
/// Each connection runs in its own task under hyper's HTTP/1 server with
/// the header timeout, so a slow or stalled client only holds its own
/// connection; `accept` errors (such as running out of file descriptors)
/// are logged and retried rather than ending the server.
pub async fn serve(
    listener: TcpListener,
    state: Arc<RpcState>,
    config: RpcServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(Arc::clone(&state), config);
    let stopped = async move {
        tokio::select! {
            _ = state.stop.notified() => {}
            _ = shutdown => {}
        }
    };
    tokio::pin!(stopped);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            () = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    connections.spawn(serve_connection(
                        tcp,
                        peer,
                        app.clone(),
                        config.header_timeout,
                        stop_rx.clone(),
                    ));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "RPC: accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One client connection: HTTP/1 with the header timeout, until the client
/// leaves, a timeout closes it, or shutdown drains it.
async fn serve_connection(
    tcp: TcpStream,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(app));
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "RPC: connection ended with an error");
            }
        }
        () = stopping(&mut stop) => {
            connection.as_mut().graceful_shutdown();
            if tokio::time::timeout(DRAIN_TIMEOUT, connection).await.is_err() {
                tracing::debug!(%peer, "RPC: request still open at shutdown, dropped");
            }
        }
    }
}

/// Completes once shutdown has started (or the server is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// The address the server is bound to, for the ready line.
pub fn describe(addr: &SocketAddr) -> String {
    format!("http://{addr}/")
}
