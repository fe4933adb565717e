//! What the node verbs tell a newcomer about a local network, run with the
//! real binary against a fake `network.json` (no daemon runs): without `-n`,
//! a network that is up is named with its nodes, rather than rayod's default
//! address being reported as not running.

use std::path::Path;
use std::process::Output;

/// Writes `<home>/net/<name>/network.json` with `state` and these nodes
/// (nothing runs: every pid is 0).
fn write_network(home: &Path, name: &str, state: &str, nodes: &[&str]) {
    let dir = home.join("net").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let nodes: Vec<serde_json::Value> = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            serde_json::json!({
                "name": node,
                "datadir": dir.join(node),
                "p2p": format!("127.0.0.1:{}", 40001 + 2 * i),
                "rest": format!("127.0.0.1:{}", 40002 + 2 * i),
                "pid": 0,
                "pubkey": format!("02{}", "ab".repeat(32)),
                "log": dir.join(node).join("rayod.log"),
            })
        })
        .collect();
    let json = serde_json::json!({
        "name": name,
        "state": state,
        "chain": {"datadir": dir.join("chain"), "rpcport": 18999, "pid": 0,
                  "log": dir.join("chain/rayo-chaind.log")},
        "nodes": nodes,
    });
    std::fs::write(dir.join("network.json"), json.to_string()).unwrap();
}

/// Runs `rayo --home <home> <args>`, which must fail with status 1; returns
/// its stderr.
fn fails(home: &Path, args: &[&str]) -> String {
    let out: Output = std::process::Command::new(env!("CARGO_BIN_EXE_rayo"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env_remove("RAYO_HOME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "rayo {args:?}: {stderr}");
    stderr
}

#[test]
fn without_n_a_running_local_network_names_the_nodes_to_pick() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    write_network(home, "local", "up", &["alice", "bob"]);

    let err = fails(home, &["getinfo"]);
    assert!(
        err.contains(
            "a local network is running with nodes alice, bob: pick one with -n NAME \
             (e.g. rayo -n alice getinfo)"
        ),
        "{err}"
    );
    assert!(!err.contains("net up"), "no `rayo net up` advice: {err}");
    // The example is the verb that was typed.
    let err = fails(home, &["walletbalance"]);
    assert!(err.contains("(e.g. rayo -n alice walletbalance)"), "{err}");
    // Another network: its name is in the example.
    write_network(home, "dev", "up", &["carol"]);
    let err = fails(home, &["--name", "dev", "listpeers"]);
    assert!(
        err.contains(
            "with nodes carol: pick one with -n NAME (e.g. rayo --name dev -n carol listpeers)"
        ),
        "{err}"
    );

    // A flag that names a node: that node is meant, no list of others.
    let empty = home.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = fails(home, &["getinfo", "--datadir", empty.to_str().unwrap()]);
    assert!(!err.contains("pick one"), "{err}");

    // A network that is down: start it, as before.
    write_network(home, "local", "down", &["alice", "bob"]);
    let err = fails(home, &["getinfo"]);
    assert!(!err.contains("pick one"), "{err}");
    assert!(err.contains("rayo net up"), "{err}");
}
