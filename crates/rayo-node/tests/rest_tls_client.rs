//! rayo-api's pinned-certificate [`Client`] against the real TLS server of
//! [`rayo_node::tls`] (its certificate, token and `serve_tls`), serving a few
//! lnd-shaped routes; and the `tls` module's own files.
//!
//! These tests live here, not in rayo-api, because they need both crates:
//! rayo-node depends on rayo-api, and rayo-api depends on nothing of the core.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, Request};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rayo_api::types::{
    AddressType, Chain, Channel, CommitmentType, ConnectPeerRequest, ConnectPeerResponse,
    DisconnectPeerResponse, Feature, GetInfoResponse, GrpcCode, Initiator, LightningAddress,
    ListChannelsRequest, ListChannelsResponse, NewAddressRequest, NewAddressResponse,
    OpenChannelRequest, Status,
};
use rayo_api::{Client, ClientError, TOKEN_HEADER};
use rayo_node::tls;
use tokio::sync::oneshot;

const PUBKEY: &str = "02a3b7b1f1fbd0f3e6c93cf0c7a6f2c6e7b16f7cd8a2ba7c6ad3f9f7e0c2d4b6a8";

struct Server {
    runtime: tokio::runtime::Runtime,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Serves the test routes over TLS with the certificate in `datadir`,
    /// accepting `token`.
    fn start(datadir: &Path, token: String) -> (Server, Vec<u8>) {
        Server::start_app(datadir, app(token))
    }

    /// Serves `app` over TLS with the certificate in `datadir`.
    fn start_app(datadir: &Path, app: Router) -> (Server, Vec<u8>) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (config, cert_pem) = tls::load_or_create_tls(datadir, &[]).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().unwrap().port()
        );
        let (stop, stopped) = oneshot::channel::<()>();
        let task = runtime.spawn(tls::serve_tls(listener, config, app, async {
            let _ = stopped.await;
        }));
        let server = Server {
            runtime,
            url,
            stop: Some(stop),
            task: Some(task),
        };
        (server, cert_pem)
    }

    /// Triggers a graceful stop and waits for `serve_tls` to return.
    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            self.runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(15), task).await })
                .expect("serve_tls stops within the drain time")
                .unwrap();
        }
    }
}

fn lnd_error(code: GrpcCode, message: &str) -> Response {
    let status = Status::new(code, message);
    let http = StatusCode::from_u16(status.http_status()).unwrap();
    (http, Json(status)).into_response()
}

fn app(token: String) -> Router {
    let token = Arc::new(token);
    Router::new()
        .route("/v1/getinfo", get(getinfo))
        .route("/v1/newaddress", get(newaddress))
        // lnd-shaped but hand-written: int64 as plain numbers, fields missing.
        .route(
            "/v1/balance/blockchain",
            get(|| async {
                (
                    [("content-type", "application/json")],
                    r#"{"total_balance": 5000000000, "confirmed_balance": "5000000000"}"#,
                )
            }),
        )
        .route("/v1/peers", post(connect))
        .route("/v1/peers/{pub_key}", delete(disconnect))
        .route("/v1/stop", post(|| async { "not json" }))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let token = token.clone();
            async move {
                let given = req
                    .headers()
                    .get(TOKEN_HEADER)
                    .and_then(|v| v.to_str().ok());
                if !given.is_some_and(|given| tls::token_matches(&token, given)) {
                    return lnd_error(GrpcCode::Unauthenticated, "missing or wrong access token");
                }
                next.run(req).await
            }
        }))
}

async fn getinfo() -> Json<GetInfoResponse> {
    Json(GetInfoResponse {
        version: "0.1.0".into(),
        identity_pubkey: PUBKEY.into(),
        alias: "bob".into(),
        num_peers: 1,
        block_height: 403,
        best_header_timestamp: 1_700_000_000,
        synced_to_chain: true,
        chains: vec![Chain {
            chain: "bitcoin".into(),
            network: "regtest".into(),
        }],
        uris: vec![format!("{PUBKEY}@127.0.0.1:9735")],
        features: [(
            1,
            Feature {
                name: "data-loss-protect".into(),
                is_required: false,
                is_known: true,
            },
        )]
        .into(),
        ..Default::default()
    })
}

async fn newaddress(Query(query): Query<HashMap<String, String>>) -> Response {
    let kind = query.get("type").map_or("0", String::as_str);
    match kind.parse::<AddressType>() {
        Ok(AddressType::NestedPubkeyHash) => Json(NewAddressResponse {
            address: "2N1LGaGg836mqSQqiuUBLfcyGBhyZbremDX".into(),
        })
        .into_response(),
        Ok(other) => lnd_error(GrpcCode::Unimplemented, &format!("{other} not served here")),
        Err(e) => lnd_error(GrpcCode::InvalidArgument, &e.to_string()),
    }
}

async fn connect(Json(req): Json<ConnectPeerRequest>) -> Response {
    if req.addr.pubkey == PUBKEY {
        lnd_error(GrpcCode::InvalidArgument, "cannot make connection to self")
    } else {
        Json(ConnectPeerResponse {
            status: format!(
                "connection to {}@{} initiated",
                req.addr.pubkey, req.addr.host
            ),
        })
        .into_response()
    }
}

async fn disconnect(UrlPath(pub_key): UrlPath<String>) -> Json<DisconnectPeerResponse> {
    Json(DisconnectPeerResponse {
        status: format!("disconnect from {pub_key} initiated"),
    })
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn client_talks_to_a_tls_server_and_reports_each_failure_precisely() {
    let dir = tempfile::tempdir().unwrap();
    let token_path = dir.path().join("access.token");
    let token = tls::load_or_create_token(&token_path, [0x5a; 32]).unwrap();
    assert_eq!(token, "5a".repeat(32));
    let (mut server, cert_pem) = Server::start(dir.path(), token.clone());
    let client = Client::new(&server.url, &cert_pem, &token).unwrap();

    // Typed answers.
    let info = client.get_info().unwrap();
    assert_eq!(info.identity_pubkey, PUBKEY);
    assert_eq!(info.block_height, 403);
    assert_eq!(info.best_header_timestamp, 1_700_000_000);
    assert_eq!(info.chains[0].network, "regtest");
    assert!(info.features[&1].is_known);

    let address = client
        .new_address(&NewAddressRequest {
            address_type: AddressType::NestedPubkeyHash,
            account: String::new(),
        })
        .unwrap();
    assert!(address.address.starts_with('2'));

    let balance = client.wallet_balance().unwrap();
    assert_eq!(balance.total_balance, 5_000_000_000);
    assert_eq!(balance.confirmed_balance, 5_000_000_000);
    assert_eq!(balance.locked_balance, 0);

    let connected = client
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: "03bb".into(),
                host: "127.0.0.1:9736".into(),
            },
            perm: false,
            timeout: 30,
        })
        .unwrap();
    assert_eq!(
        connected.status,
        "connection to 03bb@127.0.0.1:9736 initiated"
    );
    let disconnected = client.disconnect_peer("03bb").unwrap();
    assert_eq!(disconnected.status, "disconnect from 03bb initiated");

    // The node's own error message, code and status come through.
    let err = client
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: PUBKEY.into(),
                host: "127.0.0.1:9735".into(),
            },
            ..Default::default()
        })
        .unwrap_err();
    match err {
        ClientError::Api {
            status,
            code,
            ref message,
        } => {
            assert_eq!((status, code), (400, 3));
            assert_eq!(message, "cannot make connection to self");
        }
        other => panic!("expected Api, got {other:?}"),
    }
    let err = client
        .new_address(&NewAddressRequest {
            address_type: AddressType::TaprootPubkey,
            account: String::new(),
        })
        .unwrap_err();
    assert_eq!(err.grpc_code(), Some(GrpcCode::Unimplemented), "{err}");

    // A body that is not the promised JSON.
    assert!(matches!(client.stop(), Err(ClientError::Decode(_))));

    // A wrong or missing token: 401 with lnd's body. Upper-case hex (what
    // `xxd -u` gives) is the same token.
    let wrong = Client::new(&server.url, &cert_pem, &"00".repeat(32)).unwrap();
    assert!(matches!(wrong.get_info(), Err(ClientError::Unauthorized)));
    let missing = Client::new(&server.url, &cert_pem, "").unwrap();
    assert!(matches!(missing.get_info(), Err(ClientError::Unauthorized)));
    let upper = Client::new(&server.url, &cert_pem, &token.to_uppercase()).unwrap();
    assert_eq!(upper.get_info().unwrap().alias, "bob");

    // A client pinned to another node's certificate refuses this server.
    let other_dir = tempfile::tempdir().unwrap();
    let (_, other_cert) = tls::load_or_create_tls(other_dir.path(), &[]).unwrap();
    assert_ne!(other_cert, cert_pem);
    let pinned_elsewhere = Client::new(&server.url, &other_cert, &token).unwrap();
    match pinned_elsewhere.get_info() {
        Err(ClientError::Tls(reason)) => assert!(reason.contains("certificate"), "{reason}"),
        other => panic!("expected Tls, got {other:?}"),
    }

    // Garbage instead of a handshake, and a connection dropped mid-handshake:
    // the server keeps serving.
    let port = server.url.rsplit(':').next().unwrap();
    let mut raw = TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    raw.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    drop(raw);
    drop(TcpStream::connect(format!("127.0.0.1:{port}")).unwrap());
    assert_eq!(client.get_info().unwrap().alias, "bob");
    let fresh = Client::new(&format!("localhost:{port}"), &cert_pem, &token).unwrap();
    assert_eq!(fresh.get_info().unwrap().alias, "bob");

    // Graceful stop with a keep-alive connection open, then nothing listens.
    server.shutdown();
    match client.get_info() {
        Err(ClientError::NotRunning { url }) => assert_eq!(url, server.url),
        other => panic!("expected NotRunning, got {other:?}"),
    }
}

#[test]
fn not_running_when_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert_pem) = tls::load_or_create_tls(dir.path(), &[]).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}");
    let client = Client::new(&url, &cert_pem, "00").unwrap();
    match client.get_info() {
        Err(ClientError::NotRunning { url: reported }) => assert_eq!(reported, url),
        other => panic!("expected NotRunning, got {other:?}"),
    }
    let message = client.list_peers().unwrap_err().to_string();
    assert!(message.contains("no node is running"), "{message}");
}

#[test]
fn files_are_private_and_reloaded_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("alice");
    let hosts = ["alice.local".to_string(), "10.0.0.7".to_string()];
    let (_, first) = tls::load_or_create_tls(&datadir, &hosts).unwrap();
    let (_, second) = tls::load_or_create_tls(&datadir, &hosts).unwrap();
    assert_eq!(first, second, "a second load returns the same certificate");
    assert_eq!(std::fs::read(datadir.join(tls::CERT_FILE)).unwrap(), first);
    assert!(String::from_utf8(first.clone())
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));

    let token_path = datadir.join("access.token");
    let token = tls::load_or_create_token(&token_path, [1; 32]).unwrap();
    let again = tls::load_or_create_token(&token_path, [2; 32]).unwrap();
    assert_eq!(token, again, "an existing token is kept");
    assert_eq!(rayo_api::read_token_file(&token_path).unwrap(), token);
    assert_eq!(std::fs::read(&token_path).unwrap(), [1; 32]);
    assert!(!datadir.join("access.token.tmp").exists());

    assert!(tls::token_matches(&token, &token.to_uppercase()));
    assert!(!tls::token_matches(&token, &again[..62]));
    assert!(!tls::token_matches(&token, &"02".repeat(32)));
    assert!(!tls::token_matches("", ""));

    #[cfg(unix)]
    {
        assert_eq!(mode(&token_path), 0o600, "token file");
        assert_eq!(mode(&datadir.join(tls::KEY_FILE)), 0o600, "key file");
    }

    // A lost key means a new pair (nothing can use the old certificate).
    std::fs::remove_file(datadir.join(tls::KEY_FILE)).unwrap();
    let (_, regenerated) = tls::load_or_create_tls(&datadir, &hosts).unwrap();
    assert_ne!(regenerated, first);

    // A corrupt key is an error that names the file, not a silent new key.
    std::fs::write(datadir.join(tls::KEY_FILE), b"garbage").unwrap();
    let err = tls::load_or_create_tls(&datadir, &hosts).unwrap_err();
    assert!(err.to_string().contains("tls.key"), "{err}");
}

/// Extra host names given to `load_or_create_tls` are in the certificate, and
/// a name that is not is refused even with the right certificate pinned.
/// (Linux: the whole of 127.0.0.0/8 is loopback there.)
#[cfg(target_os = "linux")]
#[test]
fn certificate_names_the_extra_hosts() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let serve = |hosts: &[String]| {
        let dir = tempfile::tempdir().unwrap();
        let (config, cert_pem) = tls::load_or_create_tls(dir.path(), hosts).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.2:0"))
            .unwrap();
        let url = format!(
            "https://127.0.0.2:{}",
            listener.local_addr().unwrap().port()
        );
        let app = Router::new().route("/v1/getinfo", get(getinfo));
        runtime.spawn(tls::serve_tls(
            listener,
            config,
            app,
            std::future::pending::<()>(),
        ));
        (url, cert_pem)
    };
    let (named_url, named_cert) = serve(&["node.example".into(), "127.0.0.2".into()]);
    let (unnamed_url, unnamed_cert) = serve(&[]);

    let named = Client::new(&named_url, &named_cert, "").unwrap();
    assert_eq!(named.get_info().unwrap().alias, "bob");
    let unnamed = Client::new(&unnamed_url, &unnamed_cert, "").unwrap();
    match unnamed.get_info() {
        Err(ClientError::Tls(reason)) => assert!(reason.contains("certificate"), "{reason}"),
        other => panic!("expected Tls, got {other:?}"),
    }
}

/// What the channel routes received: (method and path with query, body).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// lnd-shaped channel routes that record each request.
fn channel_app(seen: Seen) -> Router {
    let record = seen.clone();
    Router::new()
        .route(
            "/v1/channels",
            post(|body: String| async move {
                let req: OpenChannelRequest = match serde_json::from_str(&body) {
                    Ok(req) => req,
                    Err(e) => return lnd_error(GrpcCode::InvalidArgument, &e.to_string()),
                };
                if req.local_funding_amount < 20_000 {
                    return lnd_error(
                        GrpcCode::Unknown,
                        "channel is too small, the minimum channel size is: 20000 sat",
                    );
                }
                if req.local_funding_amount == 1_500_000 {
                    // Slower than the client's own timeout in the test.
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                }
                // lnd answers with the txid bytes only (a oneof).
                (
                    [("content-type", "application/json")],
                    r#"{"funding_txid_bytes": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "output_index": 1}"#,
                )
                    .into_response()
            })
            .get(|| async {
                Json(ListChannelsResponse {
                    channels: vec![Channel {
                        active: true,
                        remote_pubkey: PUBKEY.into(),
                        chan_id: 443_103_186_059_264,
                        capacity: 1_000_000,
                        local_balance: 996_530,
                        commitment_type: CommitmentType::StaticRemoteKey,
                        alias_scids: vec![u64::MAX],
                        ..Default::default()
                    }],
                })
            }),
        )
        .route(
            "/v1/channels/pending",
            get(|| async {
                (
                    [("content-type", "application/json")],
                    r#"{"total_limbo_balance": "0", "pending_open_channels": [{"channel":
                        {"remote_node_pub": "03bb", "capacity": "20000",
                         "initiator": "INITIATOR_REMOTE"}, "commit_fee": "2810",
                         "funding_expiry_blocks": 2016}],
                       "pending_closing_channels": [], "pending_force_closing_channels": [],
                       "waiting_close_channels": []}"#,
                )
            }),
        )
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let record = record.clone();
            async move {
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                record.lock().unwrap().push((
                    format!("{} {}", parts.method, parts.uri),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
                next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                    .await
            }
        }))
}

#[test]
fn channel_calls_send_and_read_lnds_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Seen::default();
    let (mut server, cert_pem) = Server::start_app(dir.path(), channel_app(seen.clone()));
    let client = Client::new(&server.url, &cert_pem, "").unwrap();

    let point = client
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: PUBKEY.into(),
            local_funding_amount: 1_000_000,
            push_sat: 5_000,
            sat_per_vbyte: 3,
            min_confs: 1,
            private: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(point.output_index, 1);
    assert_eq!(
        point.txid().unwrap(),
        "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
    );
    let (line, body) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(line, "POST /v1/channels");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["node_pubkey_string"], PUBKEY);
    assert_eq!(body["local_funding_amount"], "1000000");
    assert_eq!(body["push_sat"], "5000");
    assert_eq!(body["sat_per_vbyte"], "3");
    assert_eq!(body["min_confs"], 1);
    assert_eq!(body["private"], true);

    // The node's refusal comes through as its message.
    let err = client
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: PUBKEY.into(),
            local_funding_amount: 1_000,
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 500, message, .. } if message.contains("too small")),
        "{err:?}"
    );

    // Opening waits longer than a client's short default.
    let impatient = client.clone().with_timeout(Duration::from_secs(1));
    let slow = impatient
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: PUBKEY.into(),
            local_funding_amount: 1_500_000,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(slow.output_index, 1);

    let channels = client.list_channels().unwrap();
    assert_eq!(channels.channels.len(), 1);
    let c = &channels.channels[0];
    assert_eq!(
        (c.chan_id, c.capacity, c.local_balance),
        (443_103_186_059_264, 1_000_000, 996_530)
    );
    assert_eq!(c.commitment_type, CommitmentType::StaticRemoteKey);
    assert_eq!(c.alias_scids, [u64::MAX]);
    assert_eq!(seen.lock().unwrap().pop().unwrap().0, "GET /v1/channels");

    let mut peer = vec![0x02];
    peer.extend([0xff; 32]);
    client
        .list_channels_filtered(&ListChannelsRequest {
            active_only: true,
            public_only: true,
            peer,
            ..Default::default()
        })
        .unwrap();
    // The peer's 33 bytes as URL-safe base64: nothing to escape.
    assert_eq!(
        seen.lock().unwrap().pop().unwrap().0,
        format!(
            "GET /v1/channels?active_only=true&public_only=true&peer=Av{}",
            "_".repeat(42)
        )
    );

    let pending = client.pending_channels().unwrap();
    let open = &pending.pending_open_channels[0];
    assert_eq!(open.channel.initiator, Initiator::Remote);
    assert_eq!(open.channel.capacity, 20_000);
    assert_eq!(
        (open.commit_fee, open.funding_expiry_blocks),
        (2_810, 2_016)
    );
    assert_eq!(
        seen.lock().unwrap().pop().unwrap().0,
        "GET /v1/channels/pending"
    );

    server.shutdown();
}
