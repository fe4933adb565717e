//! The JSON-RPC server: HTTP POST with Basic auth (user/password or the
//! `.cookie` file), single and batch requests, Bitcoin Core's response
//! shapes and HTTP status codes.

mod json;
pub mod methods;
pub mod params;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use base64::Engine;
use bitcoin::{FeeRate, ScriptBuf};
use serde_json::{json, Value};
use tokio::sync::Notify;

use self::methods::{Call, RpcChain};
use self::params::{code, Params};

/// The Bitcoin Core version whose RPC this server mirrors, as
/// `getnetworkinfo` reports it; clients pick response formats by it.
pub const CORE_COMPAT_VERSION: u32 = 280_000;

/// Largest request body accepted, as Bitcoin Core's HTTP server (32 MiB).
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

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

async fn rpc(State(state): State<Arc<RpcState>>, headers: HeaderMap, body: Bytes) -> Response {
    if !state.authorized(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"jsonrpc\"")],
        )
            .into_response();
    }
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

/// The HTTP router: JSON-RPC on `/` (and the wallet paths clients use).
pub fn router(state: Arc<RpcState>) -> Router {
    Router::new()
        .route("/", post(rpc))
        .route("/wallet/{*wallet}", post(rpc))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Serves the RPC on `listener` until `stop` is called or `shutdown`
/// resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<RpcState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop_state = Arc::clone(&state);
    let stopped = async move {
        tokio::select! {
            _ = stop_state.stop.notified() => {}
            _ = shutdown => {}
        }
    };
    axum::serve(listener, router(state).into_make_service())
        .with_graceful_shutdown(stopped)
        .await
}

/// The address the server is bound to, for the ready line.
pub fn describe(addr: &SocketAddr) -> String {
    format!("http://{addr}/")
}
