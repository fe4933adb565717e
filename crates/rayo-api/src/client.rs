//! A blocking HTTPS client for a node's REST API (Rayo's or lnd's).
//!
//! It trusts only the node's own certificate (`tls.cert`, pinned as the one
//! root) and sends the access token the way lnd clients send a macaroon, hex in
//! the `Grpc-Metadata-macaroon` header.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::Agent;

use crate::types::{
    AddInvoiceResponse, ChannelBalanceResponse, Invoice, ListInvoiceRequest, ListInvoiceResponse,
    ListPaymentsRequest, ListPaymentsResponse, PayReq, SendRequest, SendResponse,
};
use crate::types::{
    ChannelPoint, ConnectPeerRequest, ConnectPeerResponse, DisconnectPeerResponse, GetInfoResponse,
    GetTransactionsRequest, GrpcCode, ListChannelsRequest, ListChannelsResponse, ListPeersResponse,
    ListUnspentRequest, ListUnspentResponse, NewAddressRequest, NewAddressResponse,
    OpenChannelRequest, PendingChannelsResponse, SendCoinsRequest, SendCoinsResponse, Status,
    StopRequest, StopResponse, TransactionDetails, WalletBalanceResponse,
};
use crate::types::{
    GenSeedResponse, InitWalletRequest, InitWalletResponse, UnlockWalletRequest,
    UnlockWalletResponse,
};

/// The header lnd's REST gateway reads the macaroon from; Rayo reads its
/// access token from it.
pub const TOKEN_HEADER: &str = "Grpc-Metadata-macaroon";

/// The access token's file name in a node's data directory (raw 32 bytes,
/// like lnd's `admin.macaroon`; readable only by its owner).
pub const TOKEN_FILE: &str = "access.token";

/// The TLS certificate's file name in a node's data directory (PEM, like
/// lnd's `tls.cert`), which clients pin.
pub const TLS_CERT_FILE: &str = "tls.cert";

/// How long a call may take by default, connecting included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

/// How long `open_channel` may take at least: the node answers only once the
/// peer has accepted, both sides have signed and the funding transaction is
/// broadcast.
pub const OPEN_CHANNEL_TIMEOUT: Duration = Duration::from_secs(120);

/// How long `send_payment_sync` may take at least: the node answers only
/// once the payment succeeded or failed, which waits for the payee.
pub const SEND_PAYMENT_TIMEOUT: Duration = Duration::from_secs(300);

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest response body read (a long transaction list stays far below).
const MAX_BODY: u64 = 256 * 1024 * 1024;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens at the address: the node is not running (or listens
    /// elsewhere).
    #[error("no node is running at {url} (connection refused)")]
    NotRunning {
        /// The base URL tried.
        url: String,
    },
    /// The TLS handshake failed, typically because the server's certificate is
    /// not the pinned one (another node, or a regenerated `tls.cert`), or the
    /// certificate given to the client is not a PEM certificate.
    #[error("TLS: {0}")]
    Tls(String),
    /// The node refused the access token (HTTP 401): missing or wrong.
    #[error("the node refused the access token (wrong or missing token)")]
    Unauthorized,
    /// The node answered with an error.
    #[error("{message} (HTTP {status}, code {code})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The gRPC code from the error body (see [`GrpcCode`]).
        code: i32,
        /// The node's error message.
        message: String,
    },
    /// A JSON body could not be encoded or decoded.
    #[error("unexpected response body: {0}")]
    Decode(#[from] serde_json::Error),
    /// The base URL is not a usable `https://host:port` URL.
    #[error("invalid node URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other transport failure: timeouts, resets, unknown hosts, ...
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl ClientError {
    /// The gRPC code of an [`ClientError::Api`] error.
    pub fn grpc_code(&self) -> Option<GrpcCode> {
        match self {
            ClientError::Api { code, .. } => {
                Some(GrpcCode::from_number(*code).unwrap_or(GrpcCode::Unknown))
            }
            ClientError::Unauthorized => Some(GrpcCode::Unauthenticated),
            _ => None,
        }
    }
}

/// A blocking client for one node. Cheap to clone; connections are reused.
#[derive(Clone)]
pub struct Client {
    agent: Agent,
    base_url: String,
    token: String,
    tls: TlsConfig,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token: it is a password.
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the node at `base_url` (`https://host:port`; a bare
    /// `host:port` means https), trusting only the certificate in
    /// `tls_cert_pem` (the node's `tls.cert`) and authenticating with `token`
    /// (hex, as sent in the header).
    pub fn new(base_url: &str, tls_cert_pem: &[u8], token: &str) -> Result<Self, ClientError> {
        let base_url = normalize_url(base_url)?;
        let certs = pem_certificates(tls_cert_pem)?;
        let tls = TlsConfig::builder()
            .root_certs(RootCerts::Specific(Arc::new(certs)))
            .build();
        Ok(Client {
            agent: agent(&tls, DEFAULT_TIMEOUT),
            base_url,
            token: token.trim().to_string(),
            tls,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Like [`Client::new`], reading the certificate from `tls_cert_path` and
    /// the token from `token_path` (see [`read_token_file`]).
    pub fn from_files(
        base_url: &str,
        tls_cert_path: &Path,
        token_path: &Path,
    ) -> Result<Self, ClientError> {
        let pem = std::fs::read(tls_cert_path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("reading {}: {e}", tls_cert_path.display()),
            )
        })?;
        let token = read_token_file(token_path)?;
        Client::new(base_url, &pem, &token)
    }

    /// The same client with another limit on how long one call may take.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.agent = agent(&self.tls, timeout);
        self.timeout = timeout;
        self
    }

    /// The node's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /v1/getinfo`: the node's identity, chain view and peers count.
    pub fn get_info(&self) -> Result<GetInfoResponse, ClientError> {
        self.get("/v1/getinfo", &[])
    }

    /// `GET /v1/newaddress?type=...`: a new wallet address.
    pub fn new_address(&self, req: &NewAddressRequest) -> Result<NewAddressResponse, ClientError> {
        let mut query = vec![("type", req.address_type.name().to_string())];
        if !req.account.is_empty() {
            query.push(("account", req.account.clone()));
        }
        self.get("/v1/newaddress", &query)
    }

    /// `GET /v1/balance/blockchain`: the on-chain wallet balance.
    pub fn wallet_balance(&self) -> Result<WalletBalanceResponse, ClientError> {
        self.get("/v1/balance/blockchain", &[])
    }

    /// `GET /v1/utxos?min_confs=..&max_confs=..`: the wallet's unspent outputs.
    pub fn list_unspent(
        &self,
        req: &ListUnspentRequest,
    ) -> Result<ListUnspentResponse, ClientError> {
        let mut query = vec![
            ("min_confs", req.min_confs.to_string()),
            ("max_confs", req.max_confs.to_string()),
        ];
        if !req.account.is_empty() {
            query.push(("account", req.account.clone()));
        }
        self.get("/v1/utxos", &query)
    }

    /// `POST /v1/transactions`: send on-chain coins.
    pub fn send_coins(&self, req: &SendCoinsRequest) -> Result<SendCoinsResponse, ClientError> {
        self.send("POST", "/v1/transactions", Some(req))
    }

    /// `GET /v1/transactions`: the wallet's on-chain transactions.
    pub fn get_transactions(
        &self,
        req: &GetTransactionsRequest,
    ) -> Result<TransactionDetails, ClientError> {
        let mut query = Vec::new();
        if req.start_height != 0 {
            query.push(("start_height", req.start_height.to_string()));
        }
        if req.end_height != 0 {
            query.push(("end_height", req.end_height.to_string()));
        }
        if !req.account.is_empty() {
            query.push(("account", req.account.clone()));
        }
        self.get("/v1/transactions", &query)
    }

    /// `POST /v1/peers`: connect to a peer.
    pub fn connect_peer(
        &self,
        req: &ConnectPeerRequest,
    ) -> Result<ConnectPeerResponse, ClientError> {
        self.send("POST", "/v1/peers", Some(req))
    }

    /// `GET /v1/peers`: the connected peers.
    pub fn list_peers(&self) -> Result<ListPeersResponse, ClientError> {
        self.get("/v1/peers", &[])
    }

    /// `DELETE /v1/peers/{pub_key}`: disconnect from a peer.
    pub fn disconnect_peer(&self, pub_key: &str) -> Result<DisconnectPeerResponse, ClientError> {
        let path = format!("/v1/peers/{}", percent_encode(pub_key));
        self.send::<(), _>("DELETE", &path, None)
    }

    /// `POST /v1/channels`: open a channel (lnd's `OpenChannelSync`). Answers
    /// with the funding output once the funding transaction is broadcast;
    /// this waits for the peer, so it may take up to [`OPEN_CHANNEL_TIMEOUT`]
    /// (or the client's own timeout, if longer).
    pub fn open_channel(&self, req: &OpenChannelRequest) -> Result<ChannelPoint, ClientError> {
        let client;
        let this = if self.timeout < OPEN_CHANNEL_TIMEOUT {
            client = self.clone().with_timeout(OPEN_CHANNEL_TIMEOUT);
            &client
        } else {
            self
        };
        this.send("POST", "/v1/channels", Some(req))
    }

    /// `GET /v1/channels`: every open channel.
    pub fn list_channels(&self) -> Result<ListChannelsResponse, ClientError> {
        self.list_channels_filtered(&ListChannelsRequest::default())
    }

    /// `GET /v1/channels?active_only=..&peer=..`: the open channels that pass
    /// the request's filters (only the filters set are sent).
    pub fn list_channels_filtered(
        &self,
        req: &ListChannelsRequest,
    ) -> Result<ListChannelsResponse, ClientError> {
        self.get("/v1/channels", &list_channels_query(req))
    }

    /// `GET /v1/channels/pending`: channels being opened or closed.
    pub fn pending_channels(&self) -> Result<PendingChannelsResponse, ClientError> {
        self.get("/v1/channels/pending", &[])
    }

    /// `GET /v1/balance/channels`: the balances of the open and pending
    /// channels.
    pub fn channel_balance(&self) -> Result<ChannelBalanceResponse, ClientError> {
        self.get("/v1/balance/channels", &[])
    }

    /// `POST /v1/invoices`: a new invoice (`addinvoice`).
    pub fn add_invoice(&self, req: &Invoice) -> Result<AddInvoiceResponse, ClientError> {
        self.send("POST", "/v1/invoices", Some(req))
    }

    /// `GET /v1/invoices`: the invoices the request's filters and page
    /// select (only the fields set are sent).
    pub fn list_invoices(
        &self,
        req: &ListInvoiceRequest,
    ) -> Result<ListInvoiceResponse, ClientError> {
        self.get("/v1/invoices", &list_invoices_query(req))
    }

    /// `GET /v1/invoice/{r_hash_str}`: the invoice of a payment hash (hex).
    pub fn lookup_invoice(&self, r_hash_hex: &str) -> Result<Invoice, ClientError> {
        let path = format!("/v1/invoice/{}", percent_encode(r_hash_hex));
        self.get(&path, &[])
    }

    /// `GET /v1/payreq/{pay_req}`: a BOLT 11 payment request decoded.
    pub fn decode_pay_req(&self, pay_req: &str) -> Result<PayReq, ClientError> {
        let path = format!("/v1/payreq/{}", percent_encode(pay_req));
        self.get(&path, &[])
    }

    /// `POST /v1/channels/transactions`: pay an invoice or a keysend (lnd's
    /// `SendPaymentSync`). Answers once the payment ended; a failed payment
    /// is an answer with `payment_error` set, not an error. This waits for
    /// the payee, so it may take up to [`SEND_PAYMENT_TIMEOUT`] (or the
    /// client's own timeout, if longer).
    pub fn send_payment_sync(&self, req: &SendRequest) -> Result<SendResponse, ClientError> {
        let client;
        let this = if self.timeout < SEND_PAYMENT_TIMEOUT {
            client = self.clone().with_timeout(SEND_PAYMENT_TIMEOUT);
            &client
        } else {
            self
        };
        this.send("POST", "/v1/channels/transactions", Some(req))
    }

    /// `GET /v1/payments`: the outgoing payments the request's filters and
    /// page select (`include_incomplete` is always sent, as lncli does).
    pub fn list_payments(
        &self,
        req: &ListPaymentsRequest,
    ) -> Result<ListPaymentsResponse, ClientError> {
        self.get("/v1/payments", &list_payments_query(req))
    }

    /// `POST /v1/stop`: ask the node to shut down.
    pub fn stop(&self) -> Result<StopResponse, ClientError> {
        self.send("POST", "/v1/stop", Some(&StopRequest {}))
    }

    /// `GET /v1/genseed`: fresh seed words for `rayo create`.
    pub fn gen_seed(&self) -> Result<GenSeedResponse, ClientError> {
        self.get("/v1/genseed", &[])
    }

    /// `POST /v1/initwallet`: creates the wallet of a node waiting for one.
    pub fn init_wallet(&self, req: &InitWalletRequest) -> Result<InitWalletResponse, ClientError> {
        self.send("POST", "/v1/initwallet", Some(req))
    }

    /// `POST /v1/unlockwallet`: unlocks a node waiting for its password.
    pub fn unlock_wallet(
        &self,
        req: &UnlockWalletRequest,
    ) -> Result<UnlockWalletResponse, ClientError> {
        self.send("POST", "/v1/unlockwallet", Some(req))
    }

    fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        let mut request = self
            .agent
            .get(format!("{}{path}", self.base_url))
            .header(TOKEN_HEADER, &self.token);
        for (key, value) in query {
            request = request.query(*key, value);
        }
        self.finish(request.call())
    }

    fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base_url);
        let response = match method {
            "DELETE" => self
                .agent
                .delete(url)
                .header(TOKEN_HEADER, &self.token)
                .call(),
            _ => {
                let body = match body {
                    Some(body) => serde_json::to_vec(body)?,
                    None => b"{}".to_vec(),
                };
                self.agent
                    .post(url)
                    .header(TOKEN_HEADER, &self.token)
                    .header("Content-Type", "application/json")
                    .send(&body[..])
            }
        };
        self.finish(response)
    }

    fn finish<T: DeserializeOwned>(
        &self,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let mut response = response.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.transport_error(e))?;
        if (200..300).contains(&status) {
            return Ok(serde_json::from_slice(&body)?);
        }
        if status == 401 {
            return Err(ClientError::Unauthorized);
        }
        Err(api_error(status, &body))
    }

    fn transport_error(&self, error: ureq::Error) -> ClientError {
        let not_running = || ClientError::NotRunning {
            url: self.base_url.clone(),
        };
        match error {
            ureq::Error::Io(e) => {
                if e.kind() == io::ErrorKind::ConnectionRefused {
                    return not_running();
                }
                match e
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    Some(tls) => tls_error(tls),
                    None => ClientError::Io(e),
                }
            }
            ureq::Error::ConnectionFailed => not_running(),
            ureq::Error::Rustls(e) => tls_error(&e),
            ureq::Error::Tls(e) => ClientError::Tls(e.to_string()),
            ureq::Error::Pem(e) => ClientError::Tls(format!("PEM: {e:?}")),
            ureq::Error::Timeout(t) => ClientError::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{} timed out ({t})", self.base_url),
            )),
            ureq::Error::HostNotFound => ClientError::Io(io::Error::new(
                io::ErrorKind::NotFound,
                format!("host of {} not found", self.base_url),
            )),
            ureq::Error::BadUri(reason) => ClientError::InvalidUrl {
                url: self.base_url.clone(),
                reason,
            },
            other => ClientError::Io(other.into_io()),
        }
    }
}

fn tls_error(error: &rustls::Error) -> ClientError {
    use rustls::CertificateError;
    match error {
        // Says itself which names the certificate has.
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => ClientError::Tls(error.to_string()),
        rustls::Error::InvalidCertificate(_) => ClientError::Tls(format!(
            "the server's certificate is not the pinned tls.cert ({error})"
        )),
        _ => ClientError::Tls(error.to_string()),
    }
}

/// Reads an access token file: its bytes, hex-encoded for the header, as lnd
/// clients do with a macaroon file (Rayo's token file holds raw bytes, like
/// lnd's `admin.macaroon`).
pub fn read_token_file(path: &Path) -> Result<String, ClientError> {
    let bytes = std::fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {}: {e}", path.display())))?;
    if bytes.is_empty() {
        return Err(ClientError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("token file {} is empty", path.display()),
        )));
    }
    Ok(hex::encode(bytes))
}

fn agent(tls: &TlsConfig, timeout: Duration) -> Agent {
    Agent::config_builder()
        .tls_config(tls.clone())
        .https_only(true)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .user_agent(concat!("rayo-api/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

fn normalize_url(base_url: &str) -> Result<String, ClientError> {
    let invalid = |reason: &str| ClientError::InvalidUrl {
        url: base_url.to_string(),
        reason: reason.to_string(),
    };
    let trimmed = base_url.trim();
    let authority = match trimmed.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some((scheme, _)) => {
            return Err(invalid(&format!(
                "the node serves HTTPS only, not {scheme}"
            )))
        }
        None => trimmed,
    }
    .trim_end_matches('/');
    if authority.is_empty() || authority.contains(['/', '?', '#', ' ', '@']) {
        return Err(invalid("expected https://host:port"));
    }
    Ok(format!("https://{authority}"))
}

fn pem_certificates(pem: &[u8]) -> Result<Vec<Certificate<'static>>, ClientError> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(ClientError::Tls(format!("reading the certificate: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(ClientError::Tls(
            "no PEM certificate in the given tls.cert".to_string(),
        ));
    }
    Ok(certs)
}

fn api_error(status: u16, body: &[u8]) -> ClientError {
    match serde_json::from_slice::<Status>(body) {
        Ok(s) if !s.message.is_empty() || s.code != 0 => ClientError::Api {
            status,
            code: s.code,
            message: s.message,
        },
        _ => {
            let text = String::from_utf8_lossy(body).trim().to_string();
            ClientError::Api {
                status,
                code: GrpcCode::from_http_status(status).number(),
                message: if text.is_empty() {
                    format!("HTTP {status}")
                } else {
                    text
                },
            }
        }
    }
}

/// The query string of `GET /v1/channels`: the flags that are set, and the
/// peer as URL-safe base64 (grpc-gateway reads either base64 alphabet; this
/// one needs no escaping).
fn list_channels_query(req: &ListChannelsRequest) -> Vec<(&'static str, String)> {
    use base64::Engine as _;
    let mut query: Vec<(&'static str, String)> = [
        ("active_only", req.active_only),
        ("inactive_only", req.inactive_only),
        ("public_only", req.public_only),
        ("private_only", req.private_only),
        ("peer_alias_lookup", req.peer_alias_lookup),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| (name, "true".to_string()))
    .collect();
    if !req.peer.is_empty() {
        query.push((
            "peer",
            base64::engine::general_purpose::URL_SAFE.encode(&req.peer),
        ));
    }
    query
}

/// The query string of `GET /v1/invoices`: the fields that are set.
fn list_invoices_query(req: &ListInvoiceRequest) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if req.pending_only {
        query.push(("pending_only", "true".to_string()));
    }
    for (name, value) in [
        ("index_offset", req.index_offset),
        ("num_max_invoices", req.num_max_invoices),
        ("creation_date_start", req.creation_date_start),
        ("creation_date_end", req.creation_date_end),
    ] {
        if value != 0 {
            query.push((name, value.to_string()));
        }
    }
    if req.reversed {
        query.push(("reversed", "true".to_string()));
    }
    query
}

/// The query string of `GET /v1/payments`: `include_incomplete` always,
/// the other fields when set.
fn list_payments_query(req: &ListPaymentsRequest) -> Vec<(&'static str, String)> {
    let mut query = vec![("include_incomplete", req.include_incomplete.to_string())];
    for (name, value) in [
        ("index_offset", req.index_offset),
        ("max_payments", req.max_payments),
        ("creation_date_start", req.creation_date_start),
        ("creation_date_end", req.creation_date_end),
    ] {
        if value != 0 {
            query.push((name, value.to_string()));
        }
    }
    for (name, set) in [
        ("reversed", req.reversed),
        ("count_total_payments", req.count_total_payments),
    ] {
        if set {
            query.push((name, "true".to_string()));
        }
    }
    query
}

/// Escapes everything but RFC 3986 unreserved characters, for a path segment.
fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalized() {
        assert_eq!(
            normalize_url("https://127.0.0.1:8080/").unwrap(),
            "https://127.0.0.1:8080"
        );
        assert_eq!(
            normalize_url("localhost:8080").unwrap(),
            "https://localhost:8080"
        );
        assert!(matches!(
            normalize_url("http://localhost:8080"),
            Err(ClientError::InvalidUrl { .. })
        ));
        assert!(normalize_url("https://").is_err());
        assert!(normalize_url("").is_err());
        assert_eq!(
            normalize_url("HTTPS://[::1]:8080").unwrap(),
            "https://[::1]:8080"
        );
        assert!(normalize_url("https://host:1/v1").is_err());
    }

    #[test]
    fn error_bodies_become_api_errors() {
        let e = api_error(
            400,
            br#"{"code":3,"message":"invalid address type","details":[]}"#,
        );
        match e {
            ClientError::Api {
                status,
                code,
                message,
            } => {
                assert_eq!(
                    (status, code, message.as_str()),
                    (400, 3, "invalid address type")
                );
            }
            other => panic!("{other:?}"),
        }
        match api_error(503, b"") {
            ClientError::Api { code, message, .. } => {
                assert_eq!(code, GrpcCode::Unavailable.number());
                assert_eq!(message, "HTTP 503");
            }
            other => panic!("{other:?}"),
        }
        match api_error(500, b"boom\n") {
            ClientError::Api { message, .. } => assert_eq!(message, "boom"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn debug_output_hides_the_token() {
        let pem = b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
        let client = Client::new("localhost:8080", pem, "deadbeef").unwrap();
        let shown = format!("{client:?}");
        assert!(shown.contains("https://localhost:8080"), "{shown}");
        assert!(!shown.contains("deadbeef"), "{shown}");
    }

    #[test]
    fn list_channels_query_sends_only_what_is_set() {
        assert!(list_channels_query(&ListChannelsRequest::default()).is_empty());
        let query = list_channels_query(&ListChannelsRequest {
            active_only: true,
            private_only: true,
            peer: vec![0xfb, 0xff, 0x02],
            ..Default::default()
        });
        assert_eq!(
            query,
            [
                ("active_only", "true".to_string()),
                ("private_only", "true".to_string()),
                ("peer", "-_8C".to_string()),
            ]
        );
    }

    #[test]
    fn list_queries_send_what_is_set() {
        assert!(list_invoices_query(&ListInvoiceRequest::default()).is_empty());
        let query = list_invoices_query(&ListInvoiceRequest {
            pending_only: true,
            index_offset: 5,
            num_max_invoices: 10,
            reversed: true,
            ..Default::default()
        });
        assert_eq!(
            query,
            [
                ("pending_only", "true".to_string()),
                ("index_offset", "5".to_string()),
                ("num_max_invoices", "10".to_string()),
                ("reversed", "true".to_string()),
            ]
        );
        assert_eq!(
            list_payments_query(&ListPaymentsRequest::default()),
            [("include_incomplete", "false".to_string())]
        );
        let query = list_payments_query(&ListPaymentsRequest {
            include_incomplete: true,
            max_payments: 3,
            reversed: true,
            count_total_payments: true,
            ..Default::default()
        });
        assert_eq!(
            query,
            [
                ("include_incomplete", "true".to_string()),
                ("max_payments", "3".to_string()),
                ("reversed", "true".to_string()),
                ("count_total_payments", "true".to_string()),
            ]
        );
    }

    #[test]
    fn open_channel_waits_at_least_its_own_timeout() {
        let pem = b"-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n";
        let client = Client::new("localhost:8080", pem, "").unwrap();
        assert_eq!(client.timeout, DEFAULT_TIMEOUT);
        let short = client.with_timeout(Duration::from_secs(5));
        assert_eq!(short.timeout, Duration::from_secs(5));
    }

    #[test]
    fn helpers() {
        assert_eq!(percent_encode("02ab/ c"), "02ab%2F%20c");
        assert!(matches!(
            pem_certificates(b"nope"),
            Err(ClientError::Tls(_))
        ));
    }
}
