//! `rayo-chaind` and `rayo chain` as real processes: the tutorial's chain
//! steps through the CLI, persistence across restarts and a kill -9 while
//! mining, and bad input at the RPC (malformed JSON, wrong parameters,
//! unknown methods, wrong credentials, an oversized body).

use std::process::Command;

use rayo_e2e::{binary, free_port, post_raw, ChainDaemon};
use serde_json::{json, Value};

const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

/// Runs `rayo chain <args>` against `daemon`; returns (exit ok, stdout, stderr).
fn rayo_chain(daemon: &ChainDaemon, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary("rayo"))
        .arg("chain")
        .arg("--datadir")
        .arg(&daemon.datadir)
        .args(["--rpcport", &daemon.port.to_string()])
        .args(args)
        .output()
        .expect("running rayo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    )
}

fn json_out(daemon: &ChainDaemon, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = rayo_chain(daemon, args);
    assert!(ok, "rayo chain {args:?} failed: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("not JSON: {stdout}"))
}

#[test]
fn tutorial_chain_steps_through_the_cli() {
    let daemon = ChainDaemon::start(&["--miningaddr", ADDRESS]);
    // Step 2 of the tutorial: 400 blocks to Alice's address.
    let hashes = json_out(&daemon, &["generate", "400", "--address", ADDRESS]);
    assert_eq!(hashes.as_array().unwrap().len(), 400);
    let info = json_out(&daemon, &["getblockchaininfo"]);
    assert_eq!(info["chain"], "regtest");
    assert_eq!(info["blocks"], 400);
    assert_eq!(info["bestblockhash"], hashes[399]);
    assert_eq!(info["softforks"]["segwit"]["active"], true);
    assert_eq!(info["softforks"]["taproot"]["active"], true);

    // btcd-style `generate` pays the --miningaddr.
    let mined = json_out(&daemon, &["generate", "1"]);
    let (_, count, _) = rayo_chain(&daemon, &["getblockcount"]);
    assert_eq!(count, "401");
    let block = json_out(&daemon, &["getblock", mined[0].as_str().unwrap(), "2"]);
    assert_eq!(
        block["tx"][0]["vout"][0]["scriptPubKey"]["address"],
        ADDRESS
    );
    // The regtest schedule: halved twice by height 401 (150, 300).
    assert_eq!(block["tx"][0]["vout"][0]["value"], 12.5);

    // Passthrough of a method without its own verb.
    let (ok, hash, _) = rayo_chain(&daemon, &["getblockhash", "7"]);
    assert!(ok);
    assert_eq!(hash, hashes[6].as_str().unwrap());
    // An RPC error is printed as bitcoin-cli does and exits non-zero.
    let (ok, _, stderr) = rayo_chain(&daemon, &["getblockhash", "9999"]);
    assert!(!ok);
    assert!(
        stderr.contains("error code: -8") && stderr.contains("Block height out of range"),
        "{stderr}"
    );
}

#[test]
fn chain_and_mempool_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut daemon = ChainDaemon::start_in(dir.path(), port, &[]);
    daemon.call("generatetoaddress", json!([3, ADDRESS]));
    let tip = daemon.call("getbestblockhash", json!([]));
    daemon.stop();
    assert!(
        !daemon.cookie_path().exists(),
        "cookie removed on clean stop"
    );

    let daemon = ChainDaemon::start_in(dir.path(), port, &[]);
    assert_eq!(daemon.call("getbestblockhash", json!([])), tip);
    assert_eq!(daemon.call("getblockcount", json!([])), 3);
}

#[test]
fn kill_during_mining_leaves_a_consistent_chain() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut daemon = ChainDaemon::start_in(dir.path(), port, &[]);
    daemon.call("generatetoaddress", json!([5, ADDRESS]));
    let url = daemon.url();
    let (user, pass) = daemon.cookie();
    let auth = base64_basic(&user, &pass);
    // A long mining call, killed while it runs.
    let miner = std::thread::spawn(move || {
        let body = json!({"method": "generatetoaddress", "params": [100000, ADDRESS]});
        post_raw(&url, Some(&auth), body.to_string().as_bytes())
    });
    std::thread::sleep(std::time::Duration::from_millis(1500));
    daemon.kill();
    let _ = miner.join();

    let daemon = ChainDaemon::start_in(dir.path(), port, &[]);
    let height = daemon.call("getblockcount", json!([])).as_u64().unwrap();
    assert!(height > 5, "mining made progress before the kill");
    // Every block up to the tip is readable and links to its parent.
    let tip = daemon.call(
        "getblock",
        json!([daemon.call("getbestblockhash", json!([])), 1]),
    );
    assert_eq!(tip["height"], height);
    let parent = daemon.call("getblockhash", json!([height - 1]));
    assert_eq!(tip["previousblockhash"], parent);
    // The UTXO set matches the chain: the tip's coinbase is unspent.
    let coinbase = tip["tx"][0].as_str().unwrap();
    let txout = daemon.call("gettxout", json!([coinbase, 0]));
    assert_eq!(txout["confirmations"], 1);
    // And the chain goes on.
    daemon.call("generatetoaddress", json!([1, ADDRESS]));
    assert_eq!(daemon.call("getblockcount", json!([])), height + 1);
}

fn base64_basic(user: &str, pass: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
}

fn error_of(reply: &str) -> (i64, String) {
    let v: Value = serde_json::from_str(reply).unwrap_or_else(|_| panic!("not JSON: {reply}"));
    (
        v["error"]["code"].as_i64().unwrap(),
        v["error"]["message"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn bad_rpc_input_gets_core_errors_and_the_daemon_keeps_serving() {
    let daemon = ChainDaemon::start(&[]);

    let (status, body) = daemon.post(b"{not json");
    assert_eq!(status, 500);
    assert_eq!(error_of(&body).0, -32700);

    let (status, body) = daemon.post(br#"{"id":1,"method":"nosuchmethod","params":[]}"#);
    assert_eq!(status, 404);
    assert_eq!(error_of(&body), (-32601, "Method not found".into()));

    let (status, body) = daemon.post(br#"{"id":1,"method":"getblockhash","params":["x"]}"#);
    assert_eq!(status, 500);
    assert_eq!(error_of(&body).0, -3, "wrong type");

    let (_, body) = daemon.post(br#"{"id":1,"method":"getblockhash","params":[]}"#);
    assert_eq!(error_of(&body).0, -1, "missing parameter shows the usage");
    let (_, body) = daemon.post(br#"{"id":1,"method":"getblockcount","params":[1,2]}"#);
    assert_eq!(error_of(&body).0, -1, "too many parameters");

    let (_, body) = daemon.post(br#"{"id":1,"method":"getblock","params":["00"]}"#);
    assert_eq!(error_of(&body).0, -8);
    let (_, body) = daemon.post(
        br#"{"id":1,"method":"getblock","params":["0000000000000000000000000000000000000000000000000000000000000001"]}"#,
    );
    assert_eq!(error_of(&body), (-5, "Block not found".into()));

    let (_, body) = daemon.post(br#"{"id":1,"method":"estimatesmartfee","params":[0]}"#);
    assert_eq!(error_of(&body).0, -8, "conf_target out of range");
    let (_, body) = daemon.post(br#"{"id":1,"method":"estimatesmartfee","params":[6]}"#);
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert!(
        reply["result"]["feerate"].as_f64().unwrap() >= 0.00001,
        "{reply}"
    );
    assert!(
        reply["result"].get("errors").is_none(),
        "a quiet chain still answers"
    );

    let (_, body) = daemon.post(br#"{"id":1,"method":"sendrawtransaction","params":["zz"]}"#);
    assert_eq!(error_of(&body).0, -22);

    // Wrong and missing credentials: 401.
    let wrong = base64_basic("__cookie__", "nope");
    assert_eq!(post_raw(&daemon.url(), Some(&wrong), b"{}").0, 401);
    assert_eq!(post_raw(&daemon.url(), None, b"{}").0, 401);

    // A body over 32 MiB is refused without being processed: a 413, or the
    // connection closed under the upload (the server stops reading it).
    let big = vec![b' '; 33 * 1024 * 1024];
    match daemon.try_post(&big) {
        Ok((status, _)) => assert_eq!(status, 413),
        Err(ureq::Error::Io(e)) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        ),
        Err(e) => panic!("expected 413 or a closed connection, got {e}"),
    }

    // Batches answer each request, errors included, with HTTP 200.
    let (status, body) = daemon.post(
        br#"[{"id":1,"method":"getblockcount"},{"id":2,"method":"nope"},{"id":3,"method":"getbestblockhash"}]"#,
    );
    assert_eq!(status, 200);
    let replies: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(replies[0]["result"], 0);
    assert_eq!(replies[1]["error"]["code"], -32601);
    assert_eq!(replies[2]["id"], 3);

    // JSON-RPC 2.0 requests get a 2.0 reply with the id echoed, HTTP 200.
    let (status, body) = daemon.post(br#"{"jsonrpc":"2.0","id":"x","method":"nope"}"#);
    assert_eq!(status, 200);
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["id"], "x");
    assert_eq!(reply["error"]["code"], -32601);

    // Still serving.
    assert_eq!(daemon.call("getblockcount", json!([])), 0);
}
