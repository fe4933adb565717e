//! The seed at rest (issue 8, "Secrets at rest"): a node started without
//! `--noseedbackup` waits for `rayo create`, keeps its seed encrypted (the
//! words appear nowhere on disk), its files private, refuses a wrong
//! password at `rayo unlock` with a clear error while it keeps waiting, and
//! starts with the right one as the same node. A password file unlocks at
//! startup (with `--wallet-unlock-allow-create` a new node waits for
//! `rayo create`, as lnd's); a wrong one stops the daemon with a clear
//! error.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use rayo_api::ClientError;
use rayo_e2e::node::{NodeDaemon, StartOptions};
use rayo_e2e::{binary, free_port, ChainDaemon};

const PASSWORD: &str = "correct horse battery";

fn locked() -> StartOptions {
    StartOptions {
        locked: true,
        ..StartOptions::default()
    }
}

/// `rayo --rpcserver <node> --datadir <dir> <verb> --stdin` with `input`
/// on standard input.
fn rayo_with_stdin(node: &NodeDaemon, verb: &str, input: &str) -> Output {
    let mut child = Command::new(binary("rayo"))
        .args(["--rpcserver", &node.rest])
        .arg("--datadir")
        .arg(&node.datadir)
        .args([verb, "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running rayo");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn create_and_unlock_through_the_cli_refusing_a_wrong_password() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("alice");
    let mut node = NodeDaemon::start_with(&datadir, "alice", &chain, &[], &locked());
    // While it waits, the rest of the API says what to do.
    match node.client().get_info() {
        Err(ClientError::Api { message, .. }) => {
            assert!(message.contains("rayo unlock"), "{message}")
        }
        other => panic!("expected the locked answer, got {other:?}"),
    }
    // A password under 8 characters is refused before anything is created.
    let out = rayo_with_stdin(&node, "create", "short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));

    let out = rayo_with_stdin(&node, "create", &format!("{PASSWORD}\n"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("WRITE DOWN THIS SEED"), "{stdout}");
    let words: Vec<String> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .flat_map(|l| {
            l.split_whitespace()
                .filter(|w| !w.ends_with('.'))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(words.len(), 24, "{stdout}");
    node.wait_ready();
    let pubkey = node.pubkey.clone();
    assert_eq!(node.client().get_info().unwrap().identity_pubkey, pubkey);

    // Private files, and the words nowhere on disk.
    assert_eq!(mode(&datadir), 0o700);
    for name in ["node.sqlite", "node.sqlite-wal", "tls.key", "access.token"] {
        let path = datadir.join(name);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{name}");
        }
    }
    for name in ["node.sqlite", "node.sqlite-wal"] {
        if let Ok(bytes) = std::fs::read(datadir.join(name)) {
            let phrase = words[..3].join(" ");
            assert!(!contains(&bytes, &phrase), "{name} holds the seed words");
        }
    }
    node.stop();

    // Restart: locked again. A wrong password is refused, clearly, and the
    // node keeps waiting; the right one starts the same node.
    let mut node = NodeDaemon::start_with(&datadir, "alice", &chain, &[], &locked());
    let out = rayo_with_stdin(&node, "unlock", "not the password\n");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong wallet password"), "{stderr}");
    assert!(node.client().get_info().is_err(), "still locked");
    let out = rayo_with_stdin(&node, "unlock", &format!("{PASSWORD}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.wait_ready();
    assert_eq!(node.pubkey, pubkey);
    assert_eq!(node.client().get_info().unwrap().identity_pubkey, pubkey);
}

#[test]
fn a_password_file_unlocks_at_start_and_a_wrong_one_stops_the_daemon() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("bob");
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let flag = format!("--wallet-unlock-password-file={}", password_file.display());
    // No wallet and no --wallet-unlock-allow-create: a clear refusal.
    let refused = run_rayod(&datadir, &chain, &[&flag]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("rayo create"), "{stderr}");
    // With it (as lnd's), the node waits for `rayo create`; then the file
    // unlocks it at every start.
    let mut node = NodeDaemon::start_with(
        &datadir,
        "bob",
        &chain,
        &[&flag, "--wallet-unlock-allow-create"],
        &locked(),
    );
    assert!(node.pubkey.is_empty(), "waits for its wallet");
    let out = rayo_with_stdin(&node, "create", &format!("{PASSWORD}\n"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    node.wait_ready();
    let pubkey = node.pubkey.clone();
    node.stop();
    let mut node = NodeDaemon::start_with(&datadir, "bob", &chain, &[&flag], &locked());
    assert_eq!(node.pubkey, pubkey);
    node.stop();
    // A wrong password in the file: the daemon stops, saying why, and the
    // wallet is untouched (the right password still opens it).
    std::fs::write(&password_file, "wrong password\n").unwrap();
    let out = run_rayod(&datadir, &chain, &[&flag]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong wallet password"), "{stderr}");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let node = NodeDaemon::start_with(&datadir, "bob", &chain, &[&flag], &locked());
    assert_eq!(node.pubkey, pubkey);
}

#[test]
fn a_database_others_can_read_is_refused() {
    let chain = ChainDaemon::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let datadir = dir.path().join("carol");
    let mut node = NodeDaemon::start(&datadir, "carol", &chain, &[]);
    node.stop();
    let db = datadir.join("node.sqlite");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run_rayod(&datadir, &chain, &["--noseedbackup"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

/// Runs `rayod` on `datadir` to its exit (for starts that must fail).
fn run_rayod(datadir: &Path, chain: &ChainDaemon, args: &[&str]) -> Output {
    Command::new(binary("rayod"))
        .arg("--datadir")
        .arg(datadir)
        .args(["--network", "regtest"])
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .args(["--restlisten", &format!("127.0.0.1:{}", free_port())])
        .args(["--bitcoind.rpchost", &format!("127.0.0.1:{}", chain.port)])
        .arg("--bitcoind.rpccookie")
        .arg(chain.cookie_path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running rayod")
}
