//! `rayo openchannel`, `listchannels` and `pendingchannels` run as the real
//! binary against a fake node: lnd-shaped routes served over TLS with
//! rayo-node's `tls` module (the certificate, token and server rayod uses),
//! recording what the CLI sends.
//!
//! The fake node only checks what goes over the wire and answers canned
//! replies; channels themselves are tested end to end against rayod
//! (node_channel.rs).

use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rayo_api::types::{ConnectPeerRequest, ConnectPeerResponse, GrpcCode, Status};
use rayo_api::TOKEN_HEADER;
use rayo_e2e::binary;
use rayo_node::tls;

const PEER: &str = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";
const OTHER: &str = "03bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/// The requests the fake node received: "METHOD path?query" and the body.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A fake node on a free port, serving until the runtime is dropped.
struct FakeNode {
    _runtime: tokio::runtime::Runtime,
    rpcserver: String,
    seen: Seen,
}

impl FakeNode {
    /// Serves over TLS with a certificate and token made in `datadir`, as
    /// rayod does.
    fn start(datadir: &Path) -> FakeNode {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let (config, _) = tls::load_or_create_tls(datadir, &[]).unwrap();
        let token =
            tls::load_or_create_token(&datadir.join(rayo_api::TOKEN_FILE), [0x42; 32]).unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let rpcserver = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let seen = Seen::default();
        runtime.spawn(tls::serve_tls(
            listener,
            config,
            app(token, seen.clone()),
            std::future::pending::<()>(),
        ));
        FakeNode {
            _runtime: runtime,
            rpcserver,
            seen,
        }
    }

    /// The requests received so far, oldest first.
    fn requests(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

fn lnd_error(code: GrpcCode, message: &str) -> Response {
    let status = Status::new(code, message);
    let http = StatusCode::from_u16(status.http_status()).unwrap();
    (http, Json(status)).into_response()
}

fn json(body: &'static str) -> Response {
    ([("content-type", "application/json")], body).into_response()
}

fn app(token: String, seen: Seen) -> Router {
    Router::new()
        .route(
            "/v1/peers",
            post(|Json(req): Json<ConnectPeerRequest>| async move {
                match req.addr.host.as_str() {
                    // rayod's words for a peer that is connected already.
                    "127.0.0.1:9736" => lnd_error(
                        GrpcCode::Unknown,
                        &format!("already connected to peer: {}", req.addr.pubkey),
                    ),
                    "127.0.0.1:9" => lnd_error(
                        GrpcCode::Unavailable,
                        "dial 127.0.0.1:9: connection refused",
                    ),
                    _ => Json(ConnectPeerResponse {
                        status: "connected".into(),
                    })
                    .into_response(),
                }
            }),
        )
        .route(
            "/v1/channels",
            post(|body: String| async move {
                let req: serde_json::Value = serde_json::from_str(&body).unwrap();
                if req["local_funding_amount"] == "20000" {
                    return lnd_error(
                        GrpcCode::Unknown,
                        "channel is too small, the minimum channel size is: 100000 sat",
                    );
                }
                // lnd's answer: the txid bytes only (a oneof), internal order.
                json(r#"{"funding_txid_bytes": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "output_index": 1}"#)
            })
            // Two channels whatever the query: this fake node applies no filters.
            .get(|| async {
                json(
                    r#"{"channels": [
                    {"active": true, "remote_pubkey": "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc",
                     "channel_point": "ab:0", "chan_id": "443103186059264", "capacity": "1000000",
                     "local_balance": "996530", "remote_balance": "0", "commit_fee": "3470",
                     "initiator": true, "csv_delay": 144, "private": false,
                     "commitment_type": "STATIC_REMOTE_KEY"},
                    {"active": false, "remote_pubkey": "03bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                     "channel_point": "cd:1", "chan_id": "443103186059265", "capacity": "20000",
                     "private": true, "commitment_type": "STATIC_REMOTE_KEY"}]}"#,
                )
            }),
        )
        .route(
            "/v1/channels/pending",
            get(|| async {
                json(
                    r#"{"total_limbo_balance": "0", "pending_open_channels": [{"channel":
                    {"remote_node_pub": "03bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                     "channel_point": "ef:0", "capacity": "500000", "local_balance": "496530",
                     "initiator": "INITIATOR_LOCAL", "commitment_type": "STATIC_REMOTE_KEY"},
                    "commit_fee": "3470", "commit_weight": "724", "fee_per_kw": "2500",
                    "funding_expiry_blocks": 2016}],
                    "pending_closing_channels": [], "pending_force_closing_channels": [],
                    "waiting_close_channels": []}"#,
                )
            }),
        )
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let token = token.clone();
            let seen = seen.clone();
            async move {
                let given = req
                    .headers()
                    .get(TOKEN_HEADER)
                    .and_then(|v| v.to_str().ok());
                if !given.is_some_and(|given| tls::token_matches(&token, given)) {
                    return lnd_error(GrpcCode::Unauthenticated, "missing or wrong access token");
                }
                let (parts, body) = req.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                seen.lock().unwrap().push((
                    format!("{} {}", parts.method, parts.uri),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
                next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
                    .await
            }
        }))
}

/// Runs `rayo --datadir DIR --rpcserver ADDR <args>`.
fn rayo(datadir: &Path, node: &FakeNode, args: &[&str]) -> Output {
    Command::new(binary("rayo"))
        .arg("--datadir")
        .arg(datadir)
        .args(["--rpcserver", &node.rpcserver])
        .args(args)
        .env("RAYO_HOME", datadir.join("home"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout_json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "stderr: {}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

const TXID: &str = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

#[test]
fn openchannel_sends_lnds_request_and_prints_the_funding_outpoint() {
    let dir = tempfile::tempdir().unwrap();
    let node = FakeNode::start(dir.path());

    let out = rayo(
        dir.path(),
        &node,
        &[
            "openchannel",
            &format!("--node_key={PEER}"),
            "--local_amt=1000000",
            "--push_amt=5000",
            "--sat_per_vbyte=2",
            "--private",
        ],
    );
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"funding_txid": TXID, "output_index": 1})
    );
    // lncli's format: four spaces.
    assert!(
        stdout(&out).contains("\n    \"funding_txid\""),
        "{}",
        stdout(&out)
    );
    let requests = node.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].0, "POST /v1/channels");
    let body: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    assert_eq!(body["node_pubkey_string"], PEER);
    assert_eq!(
        body["node_pubkey"],
        "AqFjPK/MAev7bXjjn2h6HwmVxi/JX1Hq0QoC7gvlUbXc"
    );
    assert_eq!(body["local_funding_amount"], "1000000");
    assert_eq!(body["push_sat"], "5000");
    assert_eq!(body["sat_per_vbyte"], "2");
    assert_eq!(body["private"], true);
    assert_eq!(body["min_confs"], 1);
    assert_eq!(body["spend_unconfirmed"], false);

    // lncli's positional form.
    let out = rayo(dir.path(), &node, &["openchannel", PEER, "250000"]);
    assert_eq!(stdout_json(&out)["funding_txid"], TXID);
    let (_, body) = node.requests().pop().unwrap();
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["local_funding_amount"], "250000");
    assert_eq!(body["push_sat"], "0");

    // The node's refusal is the error, exit status 1.
    let out = rayo(dir.path(), &node, &["openchannel", PEER, "20000"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("rayo: channel is too small"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn openchannel_connects_first_with_connect() {
    let dir = tempfile::tempdir().unwrap();
    let node = FakeNode::start(dir.path());

    // A new connection, then the open.
    let out = rayo(
        dir.path(),
        &node,
        &[
            "openchannel",
            PEER,
            "1000000",
            "--connect",
            "127.0.0.1:9735",
        ],
    );
    assert_eq!(stdout_json(&out)["output_index"], 1);
    let requests = node.requests();
    let lines: Vec<&str> = requests.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(lines, ["POST /v1/peers", "POST /v1/channels"]);
    let connect: serde_json::Value = serde_json::from_str(&requests[0].1).unwrap();
    assert_eq!(connect["addr"]["pubkey"], PEER);
    assert_eq!(connect["addr"]["host"], "127.0.0.1:9735");
    assert_eq!(connect["perm"], false);

    // Already connected: not an error, the open goes ahead.
    let out = rayo(
        dir.path(),
        &node,
        &[
            "openchannel",
            "--node_key",
            PEER,
            "--local_amt",
            "1000000",
            "--connect=127.0.0.1:9736",
        ],
    );
    assert_eq!(stdout_json(&out)["funding_txid"], TXID);
    assert_eq!(node.requests().len(), 4);

    // A failed connection stops before the open.
    let out = rayo(
        dir.path(),
        &node,
        &["openchannel", PEER, "1000000", "--connect", "127.0.0.1:9"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("connecting to the peer: dial 127.0.0.1:9: connection refused"),
        "{}",
        stderr(&out)
    );
    let requests = node.requests();
    assert_eq!(requests.len(), 5);
    assert_eq!(requests[4].0, "POST /v1/peers");
}

#[test]
fn bad_openchannel_input_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let node = FakeNode::start(dir.path());
    for (args, why) in [
        (
            &["openchannel", "02abc", "1000"][..],
            "not a node public key",
        ),
        (&["openchannel", PEER, "lots"][..], "not an amount"),
        (&["openchannel", PEER][..], "needs an amount"),
        (
            &["openchannel", PEER, "1000", "1000"][..],
            "below the local amount",
        ),
        (
            &["openchannel", "--node_key", PEER, "--local_amt=0"][..],
            "0 is not in 1..",
        ),
        (
            &["openchannel", PEER, "1000", "--connect", "h:x"][..],
            "invalid --connect",
        ),
        (
            &["listchannels", "--peer", "nope"][..],
            "not a node public key",
        ),
        (
            &["listchannels", "--active_only", "--inactive_only"][..],
            "not both",
        ),
    ] {
        let out = rayo(dir.path(), &node, args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(stderr(&out).contains(why), "{args:?}: {}", stderr(&out));
    }
    assert!(node.requests().is_empty(), "{:?}", node.requests());
}

#[test]
fn listchannels_and_pendingchannels_print_lnds_json() {
    let dir = tempfile::tempdir().unwrap();
    let node = FakeNode::start(dir.path());

    let all = stdout_json(&rayo(dir.path(), &node, &["listchannels"]));
    let channels = all["channels"].as_array().unwrap();
    assert_eq!(channels.len(), 2);
    assert_eq!(channels[0]["chan_id"], "443103186059264");
    assert_eq!(channels[0]["capacity"], "1000000");
    assert_eq!(channels[0]["local_balance"], "996530");
    assert_eq!(channels[0]["commit_fee"], "3470");
    assert_eq!(channels[0]["csv_delay"], 144);
    assert_eq!(channels[0]["initiator"], true);
    assert_eq!(channels[0]["commitment_type"], "STATIC_REMOTE_KEY");
    // Every field is printed, lnd's defaults included.
    assert_eq!(channels[1]["local_balance"], "0");
    assert_eq!(channels[1]["pending_htlcs"], serde_json::json!([]));
    assert_eq!(node.requests().pop().unwrap().0, "GET /v1/channels");

    // The filters go to the node, which applies them (lnd's REST does);
    // the CLI prints the answer as it came (this fake node ignores them).
    let active = stdout_json(&rayo(dir.path(), &node, &["listchannels", "--active_only"]));
    assert_eq!(active, all);
    assert_eq!(
        node.requests().pop().unwrap().0,
        "GET /v1/channels?active_only=true"
    );
    stdout_json(&rayo(
        dir.path(),
        &node,
        &["listchannels", "--private_only", "--peer", OTHER],
    ));
    let (line, _) = node.requests().pop().unwrap();
    assert!(
        line.starts_with("GET /v1/channels?private_only=true&peer=A7u7"),
        "{line}"
    );
    stdout_json(&rayo(
        dir.path(),
        &node,
        &["listchannels", "--inactive_only", "--peer", PEER],
    ));
    let (line, _) = node.requests().pop().unwrap();
    assert!(
        line.starts_with("GET /v1/channels?inactive_only=true&peer="),
        "{line}"
    );

    let pending = stdout_json(&rayo(dir.path(), &node, &["pendingchannels"]));
    let open = &pending["pending_open_channels"][0];
    assert_eq!(open["channel"]["capacity"], "500000");
    assert_eq!(open["channel"]["initiator"], "INITIATOR_LOCAL");
    assert_eq!(open["channel"]["remote_balance"], "0");
    assert_eq!(open["commit_fee"], "3470");
    assert_eq!(open["funding_expiry_blocks"], 2016);
    assert_eq!(pending["total_limbo_balance"], "0");
    assert_eq!(pending["waiting_close_channels"], serde_json::json!([]));
    assert_eq!(node.requests().pop().unwrap().0, "GET /v1/channels/pending");
}
