//! Transport, authentication and output-format tests of `rayo chain`, run
//! against the real binary and a one-request fake JSON-RPC server.
//!
//! The fake server only checks what goes over the wire and answers canned
//! replies; the chain's behaviour is tested end to end against rayo-chaind.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::thread::JoinHandle;
use std::time::Duration;

/// One HTTP request as the fake server received it.
struct Request {
    head: String,
    body: String,
}

impl Request {
    /// The value of header `name` (case-insensitive), if sent.
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    /// The JSON-RPC request body, parsed.
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

/// Listens on a free port, answers one request with `status` and `body`, and
/// hands back what it received.
fn serve_once(status: &str, body: &str) -> (u16, JoinHandle<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        let request = loop {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "client closed before sending a full request");
            data.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&data).into_owned();
            let Some((head, body)) = text.split_once("\r\n\r\n") else {
                continue;
            };
            let request = Request {
                head: head.to_owned(),
                body: body.to_owned(),
            };
            let length: usize = request
                .header("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            if request.body.len() >= length {
                break request;
            }
        };
        stream.write_all(response.as_bytes()).unwrap();
        request
    });
    (port, handle)
}

/// A port on which nothing listens.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A fresh directory for this test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("chain_cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A data directory holding a bitcoind-style cookie.
fn datadir_with_cookie(name: &str, cookie: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::create_dir_all(dir.join("regtest")).unwrap();
    std::fs::write(dir.join("regtest").join(".cookie"), cookie).unwrap();
    dir
}

/// Runs `rayo chain <args>` with a clean environment for the chain flags.
fn rayo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rayo"))
        .arg("chain")
        .args(args)
        .env_remove("RAYO_HOME")
        .env_remove("RAYO_CHAIN_RPCUSER")
        .env_remove("RAYO_CHAIN_RPCPASSWORD")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn cookie_auth_and_request_shape() {
    let dir = datadir_with_cookie("cookie", "__cookie__:00ff");
    let (port, server) = serve_once("200 OK", r#"{"result":101,"error":null,"id":"rayo"}"#);
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &port.to_string(),
        "getblockcount",
    ]);
    let request = server.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "101\n");

    assert!(
        request.head.starts_with("POST / HTTP/1.1"),
        "{}",
        request.head
    );
    // base64("__cookie__:00ff")
    assert_eq!(
        request.header("authorization").as_deref(),
        Some("Basic X19jb29raWVfXzowMGZm")
    );
    assert!(request
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        request.json(),
        serde_json::json!({"jsonrpc": "1.0", "id": "rayo", "method": "getblockcount", "params": []})
    );
}

#[test]
fn default_datadir_comes_from_rayo_home() {
    let home = temp_dir("rayo_home");
    std::fs::create_dir_all(home.join("chain").join("regtest")).unwrap();
    std::fs::write(home.join("chain/regtest/.cookie"), "__cookie__:abc").unwrap();
    let (port, server) = serve_once("200 OK", r#"{"result":0,"error":null,"id":"rayo"}"#);
    let out = Command::new(env!("CARGO_BIN_EXE_rayo"))
        .args(["chain", "getblockcount", "--rpcport", &port.to_string()])
        .env("RAYO_HOME", &home)
        .env_remove("RAYO_CHAIN_RPCUSER")
        .env_remove("RAYO_CHAIN_RPCPASSWORD")
        .output()
        .unwrap();
    let request = server.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // base64("__cookie__:abc")
    assert_eq!(
        request.header("authorization").as_deref(),
        Some("Basic X19jb29raWVfXzphYmM=")
    );
}

#[test]
fn user_password_auth_and_string_result_without_quotes() {
    let hash = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
    let reply = format!(r#"{{"result":"{hash}","error":null,"id":"rayo"}}"#);
    let (port, server) = serve_once("200 OK", &reply);
    let out = rayo(&[
        "--rpcserver",
        &format!("127.0.0.1:{port}"),
        "--rpcuser",
        "alice",
        "--rpcpassword",
        "secret",
        "getblockhash",
        "0",
    ]);
    let request = server.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("{hash}\n"));
    // base64("alice:secret")
    assert_eq!(
        request.header("authorization").as_deref(),
        Some("Basic YWxpY2U6c2VjcmV0")
    );
    assert_eq!(request.json()["method"], "getblockhash");
    assert_eq!(request.json()["params"], serde_json::json!([0]));
}

#[test]
fn typed_verbs_convert_params() {
    let dir = datadir_with_cookie("typed", "__cookie__:1");
    let cases: &[(&[&str], &str, serde_json::Value)] = &[
        (&["generate", "3"], "generate", serde_json::json!([3])),
        (
            &["generate", "3", "--address", "bcrt1qabc"],
            "generatetoaddress",
            serde_json::json!([3, "bcrt1qabc"]),
        ),
        (
            &["getblock", "1111", "2"],
            "getblock",
            serde_json::json!(["1111", 2]),
        ),
        (
            &["getrawmempool", "true"],
            "getrawmempool",
            serde_json::json!([true]),
        ),
        (
            &["frobnicate", "5", "true", "abc", "[1]"],
            "frobnicate",
            serde_json::json!([5, true, "abc", [1]]),
        ),
    ];
    for (args, method, params) in cases {
        let (port, server) = serve_once("200 OK", r#"{"result":null,"error":null,"id":"rayo"}"#);
        let port = port.to_string();
        let mut argv = vec!["--datadir", dir.to_str().unwrap(), "--rpcport", &port];
        argv.extend_from_slice(args);
        let out = rayo(&argv);
        let request = server.join().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        // A null result prints nothing, as in bitcoin-cli.
        assert_eq!(stdout(&out), "");
        assert_eq!(request.json()["method"], *method, "{args:?}");
        assert_eq!(request.json()["params"], *params, "{args:?}");
    }
}

#[test]
fn json_result_is_pretty_printed_with_numbers_untouched() {
    let dir = datadir_with_cookie("pretty", "__cookie__:1");
    let (port, server) = serve_once(
        "200 OK",
        r#"{"result":{"vsize":141,"fees":{"base":0.00001410},"depends":[]},"error":null,"id":"rayo"}"#,
    );
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &port.to_string(),
        "getmempoolentry",
        "ab",
    ]);
    server.join().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\n  \"vsize\": 141,\n  \"fees\": {\n    \"base\": 0.00001410\n  },\n  \"depends\": []\n}\n"
    );
}

#[test]
fn rpc_error_with_http_500_is_printed_like_bitcoin_cli() {
    let dir = datadir_with_cookie("rpc500", "__cookie__:1");
    let (port, server) = serve_once(
        "500 Internal Server Error",
        r#"{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":"rayo"}"#,
    );
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &port.to_string(),
        "getblockhash",
        "999",
    ]);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "error code: -8\nerror message:\nBlock height out of range\n"
    );
}

#[test]
fn method_not_found_with_http_404() {
    let dir = datadir_with_cookie("rpc404", "__cookie__:1");
    let (port, server) = serve_once(
        "404 Not Found",
        r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":"rayo"}"#,
    );
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &port.to_string(),
        "nosuchmethod",
    ]);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error code: -32601\nerror message:\nMethod not found\n"
    );
}

#[test]
fn http_401_says_credentials_are_wrong() {
    let (port, server) = serve_once("401 Unauthorized", "");
    let out = rayo(&[
        "--rpcport",
        &port.to_string(),
        "--rpcuser",
        "u",
        "--rpcpassword",
        "bad",
        "getblockcount",
    ]);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("authorization failed (HTTP 401)"), "{err}");
    assert!(
        err.contains("Incorrect --rpcuser or --rpcpassword"),
        "{err}"
    );

    let dir = datadir_with_cookie("stale", "__cookie__:stale");
    let (port, server) = serve_once("401 Unauthorized", "");
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &port.to_string(),
        "getblockcount",
    ]);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(err.contains("rejected the cookie"), "{err}");
    assert!(err.contains(".cookie"), "{err}");
}

#[test]
fn non_json_error_status_is_reported() {
    let (port, server) = serve_once("403 Forbidden", "");
    let out = rayo(&[
        "--rpcport",
        &port.to_string(),
        "--rpcuser",
        "u",
        "getblockcount",
    ]);
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("HTTP 403"), "{}", stderr(&out));
}

#[test]
fn connection_refused_names_the_address_and_how_to_start() {
    let dir = datadir_with_cookie("refused", "__cookie__:1");
    let port = closed_port();
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &port.to_string(),
        "getblockcount",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(
        err.contains(&format!("rayo-chaind --datadir {}", dir.display())),
        "{err}"
    );
}

#[test]
fn missing_cookie_names_the_path_and_how_to_start() {
    let dir = temp_dir("nocookie");
    let out = rayo(&[
        "--datadir",
        dir.to_str().unwrap(),
        "--rpcport",
        &closed_port().to_string(),
        "getblockcount",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let cookie = dir.join("regtest").join(".cookie");
    assert!(err.contains(&cookie.display().to_string()), "{err}");
    assert!(
        err.contains(&format!("rayo-chaind --datadir {}", dir.display())),
        "{err}"
    );
}

#[test]
fn bad_json_parameter_fails_before_connecting() {
    let out = rayo(&[
        "--rpcuser",
        "u",
        "--rpcport",
        &closed_port().to_string(),
        "getblock",
        "00",
        "lots",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Error parsing JSON: lots"),
        "{}",
        stderr(&out)
    );
}
