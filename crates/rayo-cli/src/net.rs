//! `rayo net up|status|down`: a local network (one `rayo-chaind` and one
//! `rayod` per node name) as background processes under one folder,
//! `<home>/net/<name>/`, described by `network.json` there.
//!
//! ```text
//! <home>/net/<name>/network.json        what runs where (see NetworkFile)
//! <home>/net/<name>/chain/              rayo-chaind --datadir (log: rayo-chaind.log)
//! <home>/net/<name>/<node>/             rayod --datadir (log: rayod.log)
//! ```
//!
//! The data directories outlive `rayo net down`, so the next `rayo net up`
//! finds the same wallets and chain (on the same ports where still free).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::process::{self, is_alive, send_signal, tail_block, wait_gone};
use crate::rpc_client::{Credentials, RpcClient};

/// The network used when `--name` is not given.
pub const DEFAULT_NETWORK: &str = "local";

/// The nodes a new network gets when `--nodes` is not given.
pub const DEFAULT_NODES: &[&str] = &["alice", "bob"];

/// The description file in a network's folder.
pub const NETWORK_FILE: &str = "network.json";

/// The chain's folder (and so a name no node may have).
const CHAIN_DIR: &str = "chain";

/// How long a daemon may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a daemon may take to exit after being asked to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// How many log lines are shown for a daemon that died.
const TAIL_LINES: usize = 10;

/// Whether the network was last started or stopped by `rayo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetState {
    /// Started by `rayo net up` (its daemons may have died since).
    Up,
    /// Stopped by `rayo net down`.
    Down,
}

/// `network.json`: the chain and nodes of one local network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFile {
    /// The network's name (its folder's name).
    pub name: String,
    /// Up or down.
    pub state: NetState,
    /// The chain daemon.
    pub chain: ChainRecord,
    /// The node daemons, in the order they were named.
    pub nodes: Vec<NodeRecord>,
}

/// The chain daemon of a network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainRecord {
    /// Its `--datadir` (the cookie is in `regtest/.cookie` inside).
    pub datadir: PathBuf,
    /// Its JSON-RPC port on 127.0.0.1.
    pub rpcport: u16,
    /// Its process id (of the last start).
    pub pid: u32,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
}

/// A node daemon of a network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// The node's name, also its alias.
    pub name: String,
    /// Its `--datadir` (with `tls.cert` and `access.token`).
    pub datadir: PathBuf,
    /// Its peer-to-peer address, `host:port`.
    pub p2p: String,
    /// Its REST address, `host:port` (HTTPS).
    pub rest: String,
    /// Its process id (of the last start).
    pub pid: u32,
    /// Its identity public key, hex.
    pub pubkey: String,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
}

impl NodeRecord {
    /// The REST base URL.
    pub fn url(&self) -> String {
        format!("https://{}", self.rest)
    }

    /// The node's TLS certificate.
    pub fn cert_path(&self) -> PathBuf {
        self.datadir.join(rayo_api::TLS_CERT_FILE)
    }

    /// The node's access token.
    pub fn token_path(&self) -> PathBuf {
        self.datadir.join(rayo_api::TOKEN_FILE)
    }

    /// Whether the recorded process is still this node.
    pub fn is_alive(&self) -> bool {
        is_alive(self.pid, &self.datadir)
    }
}

impl ChainRecord {
    /// Whether the recorded process is still this chain daemon.
    pub fn is_alive(&self) -> bool {
        is_alive(self.pid, &self.datadir)
    }
}

/// `--home`, else `$HOME/.rayo` (`RAYO_HOME` arrives through the flag).
pub fn home_dir(flag: Option<PathBuf>) -> Result<PathBuf, String> {
    home_dir_from(flag, std::env::var_os("HOME"))
}

fn home_dir_from(
    flag: Option<PathBuf>,
    home: Option<std::ffi::OsString>,
) -> Result<PathBuf, String> {
    if let Some(dir) = flag.filter(|d| !d.as_os_str().is_empty()) {
        return Ok(dir);
    }
    home.filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".rayo"))
        .ok_or_else(|| "no home directory: pass --home DIR or set RAYO_HOME".to_owned())
}

/// The folder of network `name` under `home`.
pub fn network_dir(home: &Path, name: &str) -> PathBuf {
    home.join("net").join(name)
}

/// Checks a network or node name: it becomes a folder name and an alias.
pub fn check_name(name: &str, what: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} name `{name}`: use 1 to 32 letters, digits, `-` or `_`, starting with a letter or digit"
        ))
    }
}

/// Checks the node names of `--nodes`.
pub fn check_node_names(names: &[String]) -> Result<(), String> {
    if names.is_empty() {
        return Err("--nodes needs at least one node name".to_owned());
    }
    for (i, name) in names.iter().enumerate() {
        check_name(name, "node")?;
        if name == CHAIN_DIR {
            return Err(format!(
                "`{CHAIN_DIR}` cannot be a node name: it is the chain's folder"
            ));
        }
        if names[..i].contains(name) {
            return Err(format!("node `{name}` is named twice in --nodes"));
        }
    }
    Ok(())
}

/// Reads `<dir>/network.json`; `None` when there is none.
pub fn read_network(dir: &Path) -> Result<Option<NetworkFile>, String> {
    let path = dir.join(NETWORK_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is not a valid network file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes `<dir>/network.json` atomically (a temporary file renamed).
fn write_network(dir: &Path, net: &NetworkFile) -> Result<(), String> {
    let path = dir.join(NETWORK_FILE);
    let tmp = dir.join(format!("{NETWORK_FILE}.tmp"));
    let text = serde_json::to_string_pretty(net).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, text + "\n")
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The port of a recorded `host:port` address.
fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
}

/// Whether nothing listens on `port` of 127.0.0.1 (it can be bound).
fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Whether `port` is free, or becomes free within a few seconds: a daemon
/// that just died may take a moment to release its sockets.
fn port_frees_up(port: u16) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if port_free(port) {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Ports for the chain and each node's p2p and REST listeners, in that
/// order: the previous run's where still free, so that nodes which saved
/// each other's addresses (after `connect`) reconnect after `down` and `up`;
/// new free ports for the rest.
fn choose_ports(previous: Option<&NetworkFile>, names: &[String]) -> std::io::Result<Vec<u16>> {
    let mut wanted: Vec<Option<u16>> = vec![previous.map(|n| n.chain.rpcport)];
    for name in names {
        let node = previous.and_then(|n| n.nodes.iter().find(|r| &r.name == name));
        wanted.push(node.and_then(|r| port_of(&r.p2p)));
        wanted.push(node.and_then(|r| port_of(&r.rest)));
    }
    let mut taken = std::collections::HashSet::new();
    let wanted: Vec<Option<u16>> = wanted
        .into_iter()
        .map(|p| p.filter(|p| port_free(*p) && taken.insert(*p)))
        .collect();
    let missing = wanted.iter().filter(|p| p.is_none()).count();
    let mut fresh = process::free_ports(missing + taken.len())?
        .into_iter()
        .filter(|p| !taken.contains(p));
    wanted
        .into_iter()
        .map(|p| {
            p.or_else(|| fresh.next())
                .ok_or_else(|| std::io::Error::other("not enough free ports"))
        })
        .collect()
}

/// The chain of the running network `name`, `(datadir, rpcport)`, for
/// `rayo chain` without connection flags. `None` unless the network exists
/// and was last started (not stopped).
pub fn running_chain(home: &Path, name: &str) -> Option<(PathBuf, u16)> {
    let net = read_network(&network_dir(home, name)).ok()??;
    (net.state == NetState::Up).then_some((net.chain.datadir, net.chain.rpcport))
}

/// How `rayo` commands that mention a network should be spelled.
pub fn rayo_cmd(name: &str) -> String {
    if name == DEFAULT_NETWORK {
        "rayo".to_owned()
    } else {
        format!("rayo --name {name}")
    }
}

/// Holds the lock file of a network folder, so two `rayo net` commands do
/// not start or stop the same network at once.
struct NetLock(#[allow(dead_code)] File);

fn lock(dir: &Path, name: &str) -> Result<NetLock, String> {
    let path = dir.join(".net.lock");
    let file = File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    if file.try_lock().is_err() {
        return Err(format!(
            "another `rayo net` command is working on network `{name}`; try again when it is done"
        ));
    }
    Ok(NetLock(file))
}

/// A binary next to the running `rayo`.
fn sibling_binary(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate rayo itself: {e}"))?;
    let dir = exe
        .parent()
        .ok_or_else(|| format!("cannot locate the folder of {}", exe.display()))?;
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "cannot find {name} next to rayo (looked for {}); build it first: \
             `cargo build --workspace --bins` (add --release for release binaries)",
            path.display()
        ))
    }
}

/// Daemons started by this `up`; on failure they are stopped again (drop).
struct Started {
    children: Vec<Child>,
    keep: bool,
}

impl Drop for Started {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        // Nodes before the chain they talk to: reverse order of start.
        for child in self.children.iter().rev() {
            send_signal(child.id(), "TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        for child in self.children.iter_mut().rev() {
            while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Waits until `child` writes a line starting with `prefix` to `log` after
/// byte `offset`; returns that line. Fails, with the log's tail, when the
/// process exits first or [`READY_TIMEOUT`] passes.
fn wait_ready(
    child: &mut Child,
    log: &Path,
    offset: u64,
    prefix: &str,
    what: &str,
) -> Result<String, String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let text = process::read_from(log, offset);
        if let Some(line) = text.lines().find(|l| l.starts_with(prefix)) {
            return Ok(line.to_owned());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{what} exited ({status}) before it was ready\n{}",
                tail_block(log, TAIL_LINES)
            ));
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{what} was not ready after {} s\n{}",
                READY_TIMEOUT.as_secs(),
                tail_block(log, TAIL_LINES)
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What a node's ready line says: `(pubkey, p2p, rest)`.
///
/// `rayod ready: node <pubkey>@<p2p>, REST https://<rest>, network regtest`
pub fn parse_node_ready(line: &str) -> Option<(String, String, String)> {
    let rest = line.strip_prefix("rayod ready: node ")?;
    let (id, rest) = rest.split_once(", REST https://")?;
    let (pubkey, p2p) = id.split_once('@')?;
    let rest_addr = rest.split(',').next()?.trim();
    if pubkey.is_empty() || p2p.is_empty() || rest_addr.is_empty() {
        return None;
    }
    Some((pubkey.to_owned(), p2p.to_owned(), rest_addr.to_owned()))
}

/// `rayo net up`: starts the network; on a network that is up, restarts the
/// daemons that stopped (a crash, a `kill`) or says that all of them run.
pub fn up(home: &Path, name: &str, nodes: Option<Vec<String>>) -> Result<(), String> {
    check_name(name, "network")?;
    let dir = network_dir(home, name);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
    let _lock = lock(&dir, name)?;
    let previous = read_network(&dir)?;
    let cmd = rayo_cmd(name);

    if let Some(net) = previous.as_ref().filter(|n| n.state == NetState::Up) {
        let dead = dead_daemons(net);
        if dead.len() < net.nodes.len() + 1 {
            let mut net = net.clone();
            if dead.is_empty() {
                println!("network `{name}` is already up");
            } else {
                let restarted = restart_dead(&mut net, &cmd)?;
                write_network(&dir, &net)?;
                println!(
                    "network `{name}` was partly running; restarted what had stopped \
                     (the end of each log says why it stopped):"
                );
                for line in restarted {
                    println!("  {line}");
                }
            }
            let running: Vec<&str> = net.nodes.iter().map(|n| n.name.as_str()).collect();
            if nodes.as_ref().is_some_and(|n| *n != running) {
                println!(
                    "(--nodes is ignored: to change the nodes, `{cmd} net down` first, then `{cmd} net up --nodes ...`)"
                );
            }
            print_network(&net, &dir, false);
            return Ok(());
        }
        println!("network `{name}` was not stopped with `rayo net down` and none of its daemons runs; starting it again");
    }

    let names: Vec<String> = match nodes {
        Some(names) => names,
        None => match &previous {
            Some(net) if !net.nodes.is_empty() => {
                net.nodes.iter().map(|n| n.name.clone()).collect()
            }
            _ => DEFAULT_NODES.iter().map(|s| (*s).to_owned()).collect(),
        },
    };
    check_node_names(&names)?;
    let chaind = sibling_binary("rayo-chaind")?;
    let rayod = sibling_binary("rayod")?;

    let ports = choose_ports(previous.as_ref(), &names)
        .map_err(|e| format!("cannot find free ports on 127.0.0.1: {e}"))?;
    let mut started = Started {
        children: Vec::new(),
        keep: false,
    };

    // The chain first: the nodes read its cookie and sync from it.
    let chain = start_chain(&chaind, &dir.join(CHAIN_DIR), ports[0], &mut started)?;

    // The nodes all at once, then wait for each.
    let mut pending = Vec::new();
    for (i, node) in names.iter().enumerate() {
        let (p2p, rest) = (ports[1 + 2 * i], ports[2 + 2 * i]);
        pending.push(spawn_node(
            &rayod,
            node,
            &dir.join(node),
            (p2p, rest),
            &chain,
            &mut started,
        )?);
    }
    let mut records = Vec::new();
    for node in pending {
        records.push(wait_node(node, &mut started)?);
    }

    let net = NetworkFile {
        name: name.to_owned(),
        state: NetState::Up,
        chain,
        nodes: records,
    };
    write_network(&dir, &net)?;
    started.keep = true;
    println!("network `{name}` is up");
    print_network(&net, &dir, false);
    let first = &net.nodes[0].name;
    let hints = [
        (
            format!("{cmd} -n {first} getinfo"),
            "talk to a node (any lncli verb)",
        ),
        (
            format!("{cmd} chain generate 101 --address ADDR"),
            "mine blocks",
        ),
        (format!("{cmd} net status"), "see which daemons run"),
        (format!("{cmd} net down"), "stop everything (data is kept)"),
    ];
    let width = hints.iter().map(|(c, _)| c.len()).max().unwrap_or(0);
    println!();
    for (command, what) in hints {
        println!("  {command:<width$}  {what}");
    }
    Ok(())
}

/// Starts `rayo-chaind` on `rpcport` with its data in `chain_dir` (log
/// `rayo-chaind.log` there) and waits for it to be ready; the process joins
/// `started`.
fn start_chain(
    chaind: &Path,
    chain_dir: &Path,
    rpcport: u16,
    started: &mut Started,
) -> Result<ChainRecord, String> {
    std::fs::create_dir_all(chain_dir)
        .map_err(|e| format!("cannot create {}: {e}", chain_dir.display()))?;
    let log = chain_dir.join("rayo-chaind.log");
    let args: Vec<std::ffi::OsString> = vec![
        "--datadir".into(),
        chain_dir.into(),
        "--rpcport".into(),
        rpcport.to_string().into(),
        "--rpcbind".into(),
        "127.0.0.1".into(),
    ];
    let (child, offset) = process::spawn_detached(chaind, &args, &log)
        .map_err(|e| format!("cannot start {}: {e}", chaind.display()))?;
    let pid = child.id();
    started.children.push(child);
    let child = started.children.last_mut().expect("just pushed");
    wait_ready(child, &log, offset, "rayo-chaind ready:", "rayo-chaind")?;
    Ok(ChainRecord {
        datadir: chain_dir.to_owned(),
        rpcport,
        pid,
        log,
    })
}

/// A `rayod` started by [`spawn_node`], not known to be ready yet.
struct PendingNode {
    /// The node's name.
    name: String,
    /// Its `--datadir`.
    datadir: PathBuf,
    /// Its log file.
    log: PathBuf,
    /// Where this start's output begins in `log`.
    offset: u64,
    /// Its index in [`Started::children`].
    child: usize,
}

/// Starts `rayod` for node `name` with its data in `node_dir` (log
/// `rayod.log` there), listening on 127.0.0.1 at the `(p2p, rest)` ports and
/// syncing from `chain`; the process joins `started`. [`wait_node`] waits
/// for it, so that several nodes start at once.
fn spawn_node(
    rayod: &Path,
    name: &str,
    node_dir: &Path,
    (p2p, rest): (u16, u16),
    chain: &ChainRecord,
    started: &mut Started,
) -> Result<PendingNode, String> {
    std::fs::create_dir_all(node_dir)
        .map_err(|e| format!("cannot create {}: {e}", node_dir.display()))?;
    let log = node_dir.join("rayod.log");
    let cookie = chain.datadir.join("regtest").join(".cookie");
    let args: Vec<std::ffi::OsString> = vec![
        "--datadir".into(),
        node_dir.into(),
        "--network".into(),
        "regtest".into(),
        "--listen".into(),
        format!("127.0.0.1:{p2p}").into(),
        "--restlisten".into(),
        format!("127.0.0.1:{rest}").into(),
        "--alias".into(),
        name.into(),
        "--bitcoind.rpchost".into(),
        format!("127.0.0.1:{}", chain.rpcport).into(),
        "--bitcoind.rpccookie".into(),
        cookie.into(),
        "--noseedbackup".into(),
    ];
    let (child, offset) = process::spawn_detached(rayod, &args, &log)
        .map_err(|e| format!("cannot start {}: {e}", rayod.display()))?;
    started.children.push(child);
    Ok(PendingNode {
        name: name.to_owned(),
        datadir: node_dir.to_owned(),
        log,
        offset,
        child: started.children.len() - 1,
    })
}

/// Waits for a node of [`spawn_node`] to be ready; its record, from its
/// ready line.
fn wait_node(node: PendingNode, started: &mut Started) -> Result<NodeRecord, String> {
    let child = &mut started.children[node.child];
    let what = format!("rayod for node `{}`", node.name);
    let line = wait_ready(child, &node.log, node.offset, "rayod ready:", &what)?;
    let (pubkey, p2p, rest) = parse_node_ready(&line)
        .ok_or_else(|| format!("{what} printed an unexpected ready line: {line}"))?;
    Ok(NodeRecord {
        name: node.name,
        datadir: node.datadir,
        p2p,
        rest,
        pid: child.id(),
        pubkey,
        log: node.log,
    })
}

/// Restarts the daemons of `net` that are not running, each on its recorded
/// ports and data directory (so a node keeps its identity, wallet and the
/// address its peers know), and updates their records. Returns a line for
/// each one restarted. `cmd` spells `rayo` in advice.
fn restart_dead(net: &mut NetworkFile, cmd: &str) -> Result<Vec<String>, String> {
    let taken = |port: u16, what: &str| {
        format!(
            "cannot restart {what}: its port {port} is taken by another program; \
             `{cmd} net down`, then `{cmd} net up` starts the network on free ports"
        )
    };
    let mut started = Started {
        children: Vec::new(),
        keep: false,
    };
    let mut restarted = Vec::new();
    if !net.chain.is_alive() {
        let what = "the chain (rayo-chaind)";
        if !port_frees_up(net.chain.rpcport) {
            return Err(taken(net.chain.rpcport, what));
        }
        let chaind = sibling_binary("rayo-chaind")?;
        net.chain = start_chain(&chaind, &net.chain.datadir, net.chain.rpcport, &mut started)?;
        restarted.push(format!(
            "{what}, pid {}, log {}",
            net.chain.pid,
            net.chain.log.display()
        ));
    }
    let dead: Vec<usize> = (0..net.nodes.len())
        .filter(|&i| !net.nodes[i].is_alive())
        .collect();
    let mut pending = Vec::new();
    if !dead.is_empty() {
        let rayod = sibling_binary("rayod")?;
        for &i in &dead {
            let node = &net.nodes[i];
            let what = format!("node {} (rayod)", node.name);
            let mut ports = [0u16; 2];
            for (port, addr) in ports.iter_mut().zip([&node.p2p, &node.rest]) {
                *port = port_of(addr).ok_or_else(|| {
                    format!("cannot restart {what}: its recorded address `{addr}` has no port")
                })?;
                if !port_frees_up(*port) {
                    return Err(taken(*port, &what));
                }
            }
            let spawned = spawn_node(
                &rayod,
                &node.name,
                &node.datadir,
                (ports[0], ports[1]),
                &net.chain,
                &mut started,
            )?;
            pending.push((i, what, spawned));
        }
    }
    for (i, what, spawned) in pending {
        net.nodes[i] = wait_node(spawned, &mut started)?;
        let node = &net.nodes[i];
        restarted.push(format!(
            "{what}, pid {}, log {}",
            node.pid,
            node.log.display()
        ));
    }
    started.keep = true;
    Ok(restarted)
}

/// A daemon of the network that is not running.
struct Dead {
    /// `node bob (rayod`: the pid and `)` follow.
    name: String,
    pid: u32,
    log: PathBuf,
}

fn dead_daemons(net: &NetworkFile) -> Vec<Dead> {
    let mut dead = Vec::new();
    if !net.chain.is_alive() {
        dead.push(Dead {
            name: "chain (rayo-chaind".to_owned(),
            pid: net.chain.pid,
            log: net.chain.log.clone(),
        });
    }
    for node in &net.nodes {
        if !node.is_alive() {
            dead.push(Dead {
                name: format!("node {} (rayod", node.name),
                pid: node.pid,
                log: node.log.clone(),
            });
        }
    }
    dead
}

/// Prints the chain line and the node table; with `status`, each daemon's
/// pid and whether it is alive.
fn print_network(net: &NetworkFile, dir: &Path, status: bool) {
    print!("{}", network_table(net, dir, status));
}

/// The text [`print_network`] prints.
fn network_table(net: &NetworkFile, dir: &Path, status: bool) -> String {
    let running = |alive: bool| match (net.state, alive) {
        (_, true) => "alive",
        (NetState::Up, false) => "dead",
        (NetState::Down, false) => "stopped",
    };
    let mut out = format!("folder {}\n", dir.display());
    out.push_str(&format!(
        "chain  RPC 127.0.0.1:{}  (rayo-chaind, data {})",
        net.chain.rpcport,
        net.chain.datadir.display()
    ));
    if status {
        out.push_str(&format!(
            "  pid {}  {}",
            net.chain.pid,
            running(net.chain.is_alive())
        ));
    }
    out.push('\n');
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["NAME".to_owned()];
    if status {
        header.extend(["STATUS".to_owned(), "PID".to_owned()]);
    }
    header.extend(["PUBKEY", "P2P", "REST"].map(str::to_owned));
    rows.push(header);
    for node in &net.nodes {
        let mut row = vec![node.name.clone()];
        if status {
            row.push(running(node.is_alive()).to_owned());
            row.push(node.pid.to_string());
        }
        row.extend([node.pubkey.clone(), node.p2p.clone(), node.rest.clone()]);
        rows.push(row);
    }
    let columns = rows[0].len();
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| format!("{cell:<width$}", width = widths[c]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `rayo net status`: the table with liveness, and the log tail of every
/// daemon that died. Ok(true) when everything recorded is running.
pub fn status(home: &Path, name: &str) -> Result<bool, String> {
    check_name(name, "network")?;
    let dir = network_dir(home, name);
    let cmd = rayo_cmd(name);
    let Some(net) = read_network(&dir)? else {
        return Err(format!(
            "there is no network `{name}` in {} (no {NETWORK_FILE}); start one with `{cmd} net up`",
            home.display()
        ));
    };
    let dead = dead_daemons(&net);
    match net.state {
        NetState::Up if dead.is_empty() => println!("network `{name}` is up"),
        NetState::Up => println!(
            "network `{name}` is up, but {} of its {} daemons {} not running",
            dead.len(),
            net.nodes.len() + 1,
            if dead.len() == 1 { "is" } else { "are" }
        ),
        NetState::Down => println!("network `{name}` is down; start it with `{cmd} net up`"),
    }
    print_network(&net, &dir, true);
    if net.state == NetState::Up {
        for d in &dead {
            println!();
            println!("{}, pid {}) is dead", d.name, d.pid);
            println!("{}", tail_block(&d.log, TAIL_LINES));
        }
    }
    Ok(net.state == NetState::Up && dead.is_empty())
}

/// `rayo net down`: asks every node (REST `stop`) and then the chain (RPC
/// `stop`) to stop, waits for each, kills what remains.
pub fn down(home: &Path, name: &str) -> Result<(), String> {
    check_name(name, "network")?;
    let dir = network_dir(home, name);
    let nothing = || {
        println!(
            "there is no network `{name}` in {}; nothing to stop",
            home.display()
        );
    };
    if !dir.join(NETWORK_FILE).exists() {
        nothing();
        return Ok(());
    }
    let _lock = lock(&dir, name)?;
    let Some(mut net) = read_network(&dir)? else {
        nothing();
        return Ok(());
    };
    let nodes: Vec<&NodeRecord> = net.nodes.iter().filter(|n| n.is_alive()).collect();
    let chain_alive = net.chain.is_alive();
    if nodes.is_empty() && !chain_alive {
        if net.state == NetState::Up {
            net.state = NetState::Down;
            write_network(&dir, &net)?;
            println!("network `{name}` is down (none of its daemons was running)");
        } else {
            println!("network `{name}` is already down");
        }
        return Ok(());
    }

    let mut killed = Vec::new();
    let mut stopped = Vec::new();
    for node in &nodes {
        let asked =
            rayo_api::Client::from_files(&node.url(), &node.cert_path(), &node.token_path())
                .map(|c| c.with_timeout(Duration::from_secs(10)))
                .and_then(|c| c.stop());
        if asked.is_err() {
            send_signal(node.pid, "TERM");
        }
    }
    let procs: Vec<(u32, &Path)> = nodes.iter().map(|n| (n.pid, n.datadir.as_path())).collect();
    killed.extend(stop_remaining(
        &procs,
        &nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>(),
    ));
    stopped.extend(nodes.iter().map(|n| n.name.clone()));

    if chain_alive {
        let chain = &net.chain;
        let cookie = chain.datadir.join("regtest").join(".cookie");
        let asked = Credentials::from_cookie_file(&cookie)
            .and_then(|c| RpcClient::new("127.0.0.1", chain.rpcport, &c).call("stop", &[]));
        if asked.is_err() {
            send_signal(chain.pid, "TERM");
        }
        let procs = [(chain.pid, chain.datadir.as_path())];
        killed.extend(stop_remaining(&procs, &["chain".to_owned()]));
        stopped.push("chain".to_owned());
    }

    net.state = NetState::Down;
    write_network(&dir, &net)?;
    let survivors: Vec<String> = net
        .nodes
        .iter()
        .filter(|n| n.is_alive())
        .map(|n| format!("{} (pid {})", n.name, n.pid))
        .chain(
            net.chain
                .is_alive()
                .then(|| format!("chain (pid {})", net.chain.pid)),
        )
        .collect();
    if !survivors.is_empty() {
        return Err(format!(
            "could not stop {} of network `{name}`",
            survivors.join(", ")
        ));
    }
    print!("network `{name}` is down: stopped {}", stopped.join(", "));
    if killed.is_empty() {
        println!();
    } else {
        println!(
            " ({} did not stop within {} s and was killed)",
            killed.join(", "),
            STOP_TIMEOUT.as_secs()
        );
    }
    Ok(())
}

/// Waits [`STOP_TIMEOUT`] for `procs` to exit, then kills the rest with
/// SIGKILL; returns the names of those killed.
fn stop_remaining(procs: &[(u32, &Path)], names: &[String]) -> Vec<String> {
    let left = wait_gone(procs, STOP_TIMEOUT);
    let mut killed = Vec::new();
    for (i, (pid, _)) in procs.iter().enumerate() {
        if left.contains(pid) {
            send_signal(*pid, "KILL");
            killed.push(names[i].clone());
        }
    }
    if !left.is_empty() {
        wait_gone(procs, Duration::from_secs(5));
    }
    killed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(dir: &Path) -> NetworkFile {
        NetworkFile {
            name: "local".into(),
            state: NetState::Up,
            chain: ChainRecord {
                datadir: dir.join("chain"),
                rpcport: 18500,
                pid: 0,
                log: dir.join("chain/rayo-chaind.log"),
            },
            nodes: vec![NodeRecord {
                name: "alice".into(),
                datadir: dir.join("alice"),
                p2p: "127.0.0.1:9735".into(),
                rest: "127.0.0.1:8080".into(),
                pid: 0,
                pubkey: "02".repeat(33),
                log: dir.join("alice/rayod.log"),
            }],
        }
    }

    #[test]
    fn network_file_round_trips() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(read_network(tmp.path()).unwrap(), None);
        let net = sample(tmp.path());
        write_network(tmp.path(), &net).unwrap();
        assert_eq!(read_network(tmp.path()).unwrap(), Some(net.clone()));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(tmp.path().join(NETWORK_FILE)).unwrap())
                .unwrap();
        assert_eq!(json["state"], "up");
        assert_eq!(json["chain"]["rpcport"], 18500);
        assert_eq!(json["nodes"][0]["rest"], "127.0.0.1:8080");
        // Only a network marked up is used by `rayo chain`.
        let home = tmp.path();
        let dir = network_dir(home, "local");
        std::fs::create_dir_all(&dir).unwrap();
        write_network(&dir, &net).unwrap();
        assert_eq!(
            running_chain(home, "local"),
            Some((tmp.path().join("chain"), 18500))
        );
        assert_eq!(running_chain(home, "other"), None);
        write_network(
            &dir,
            &NetworkFile {
                state: NetState::Down,
                ..net
            },
        )
        .unwrap();
        assert_eq!(running_chain(home, "local"), None);
        std::fs::write(dir.join(NETWORK_FILE), "{").unwrap();
        assert!(read_network(&dir).unwrap_err().contains("not a valid"));
    }

    #[test]
    fn names_are_checked() {
        for good in ["local", "alice", "node-2", "a_b", "X1"] {
            assert!(check_name(good, "node").is_ok(), "{good}");
        }
        for bad in ["", "-x", "a/b", "..", "a b", "ü", &"x".repeat(33)] {
            assert!(check_name(bad, "node").is_err(), "{bad}");
        }
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_node_names(&v(&["alice", "bob"])).is_ok());
        assert!(check_node_names(&v(&[])).is_err());
        assert!(check_node_names(&v(&["alice", "alice"]))
            .unwrap_err()
            .contains("twice"));
        assert!(check_node_names(&v(&["chain"]))
            .unwrap_err()
            .contains("chain"));
    }

    #[test]
    fn homes() {
        assert_eq!(
            home_dir_from(Some("/r".into()), Some("/h".into())).unwrap(),
            PathBuf::from("/r")
        );
        assert_eq!(
            home_dir_from(Some("".into()), Some("/h".into())).unwrap(),
            PathBuf::from("/h/.rayo")
        );
        assert_eq!(
            home_dir_from(None, Some("/h".into())).unwrap(),
            PathBuf::from("/h/.rayo")
        );
        assert!(home_dir_from(None, None).is_err());
        assert_eq!(
            network_dir(Path::new("/h"), "local"),
            PathBuf::from("/h/net/local")
        );
    }

    #[test]
    fn ready_lines() {
        let pk = format!("02{}", "ab".repeat(32));
        let line = format!(
            "rayod ready: node {pk}@127.0.0.1:40001, REST https://127.0.0.1:40002, network regtest"
        );
        assert_eq!(
            parse_node_ready(&line),
            Some((pk, "127.0.0.1:40001".into(), "127.0.0.1:40002".into()))
        );
        assert_eq!(parse_node_ready("rayod ready: node x"), None);
        assert_eq!(parse_node_ready("something else"), None);
        assert_eq!(
            parse_node_ready("rayod ready: node @1:2, REST https://1:3, network regtest"),
            None
        );
    }

    #[test]
    fn table_lists_nodes() {
        let tmp = tempfile::tempdir().unwrap();
        let net = sample(tmp.path());
        let table = network_table(&net, tmp.path(), false);
        let alice = table.lines().find(|l| l.starts_with("alice")).unwrap();
        let cells: Vec<&str> = alice.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "alice",
                &"02".repeat(33),
                "127.0.0.1:9735",
                "127.0.0.1:8080"
            ]
        );
        assert!(table.contains("RPC 127.0.0.1:18500"));
        let table = network_table(&net, tmp.path(), true);
        let alice = table.lines().find(|l| l.starts_with("alice")).unwrap();
        assert_eq!(alice.split_whitespace().nth(1), Some("dead"));
        let down = NetworkFile {
            state: NetState::Down,
            ..net
        };
        let table = network_table(&down, tmp.path(), true);
        assert!(table.contains("stopped"));
    }
}
