//! The node verbs, lncli's names and flags: `rayo getinfo`, `rayo newaddress
//! np2wkh`, `rayo connect <pubkey>@<host>`, ... Each finds the node (`-n NAME`
//! of a local network, `--datadir`, or `--rpcserver` with `--tlscertpath` and
//! `--tokenpath`), calls its REST API through `rayo-api`'s client and prints
//! the answer as lncli does: lnd's JSON, indented by four spaces.

use std::io::Write as _;
use std::net::{TcpStream, ToSocketAddrs as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Subcommand};
use rayo_api::types::{
    AddressType, Channel, ChannelPoint, ConnectPeerRequest, GetTransactionsRequest,
    LightningAddress, ListChannelsRequest, ListUnspentRequest, NewAddressRequest,
    OpenChannelRequest, SendCoinsRequest,
};
use rayo_api::{Client, ClientError, TLS_CERT_FILE, TOKEN_FILE};
use serde::Serialize;

use crate::net;

/// The REST address lncli's users expect a local node at (lnd's `restlisten`).
pub const DEFAULT_RPCSERVER: &str = "127.0.0.1:8080";

/// The REST port assumed when `--rpcserver` names only a host.
const DEFAULT_REST_PORT: u16 = 8080;

/// The peer-to-peer port a `connect` address without one gets (BOLT 1).
const DEFAULT_P2P_PORT: u16 = 9735;

/// How a node is reached. Accepted before the verb (`rayo -n alice getinfo`,
/// as lncli's global options) and after it (`rayo getinfo -n alice`).
///
/// The ids differ from the flag names: `rayo chain` has its own global
/// `--datadir` and `--rpcserver`, and clap copies a global's value to every
/// argument of the same id in the parent command.
#[derive(Args, Debug, Clone, Default, PartialEq, Eq)]
#[command(next_help_heading = "Node connection")]
pub struct NodeFlags {
    /// A node of the local network (`rayo net up`): finds its REST address,
    /// certificate and token itself. The network is --name (default local)
    #[arg(id = "node_name", short = 'n', long = "node", value_name = "NAME")]
    pub node: Option<String>,

    /// The node's REST address, HOST:PORT [default: 127.0.0.1:8080]
    #[arg(id = "node_rpcserver", long = "rpcserver", value_name = "HOST:PORT")]
    pub rpcserver: Option<String>,

    /// The node's data directory: the certificate is DIR/tls.cert and the
    /// token DIR/access.token [default: $RAYO_HOME/node, rayod's default]
    #[arg(id = "node_datadir", long = "datadir", value_name = "DIR")]
    pub datadir: Option<PathBuf>,

    /// The node's TLS certificate (pinned) [default: DATADIR/tls.cert]
    #[arg(id = "node_tlscertpath", long = "tlscertpath", value_name = "FILE")]
    pub tlscertpath: Option<PathBuf>,

    /// The node's access token (lncli's --macaroonpath) [default: DATADIR/access.token]
    #[arg(
        id = "node_tokenpath",
        long = "tokenpath",
        visible_alias = "macaroonpath",
        value_name = "FILE"
    )]
    pub tokenpath: Option<PathBuf>,
}

impl NodeFlags {
    /// These flags with every flag given in `over` replacing its value here
    /// (flags after the verb win over flags before it).
    pub fn merged(self, over: NodeFlags) -> NodeFlags {
        NodeFlags {
            node: over.node.or(self.node),
            rpcserver: over.rpcserver.or(self.rpcserver),
            datadir: over.datadir.or(self.datadir),
            tlscertpath: over.tlscertpath.or(self.tlscertpath),
            tokenpath: over.tokenpath.or(self.tokenpath),
        }
    }

    /// Whether any flag is given.
    pub fn any(&self) -> bool {
        *self != NodeFlags::default()
    }
}

/// The node verbs.
#[derive(Subcommand, Debug)]
pub enum NodeCommand {
    /// Show the node's identity, chain height, peers and addresses
    Getinfo {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Create a new on-chain address of the wallet
    Newaddress {
        /// The address type: p2wkh (native segwit), np2wkh (segwit nested in
        /// p2sh) or p2tr (taproot)
        #[arg(value_name = "TYPE", default_value = "p2wkh",
              value_parser = ["p2wkh", "np2wkh", "p2tr"])]
        address_type: String,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Show the on-chain wallet balance (confirmed, unconfirmed, locked)
    Walletbalance {
        /// Accepted for lncli compatibility and has no effect: every address
        /// of a Rayo wallet is segwit, so the balance is always witness-only
        #[arg(long = "witness_only", action = ArgAction::Set, num_args = 0..=1,
              require_equals = true, default_value = "false", default_missing_value = "true",
              hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        witness_only: bool,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// List the wallet's unspent outputs (all of them by default)
    Listunspent {
        /// The minimum number of confirmations of an output listed
        #[arg(long = "min_confs", alias = "min-confs", value_name = "N",
              value_parser = clap::value_parser!(i32).range(0..),
              conflicts_with = "min_confs_arg")]
        min_confs: Option<i32>,
        /// The maximum number of confirmations of an output listed (0: no maximum)
        #[arg(long = "max_confs", alias = "max-confs", value_name = "N",
              value_parser = clap::value_parser!(i32).range(0..),
              conflicts_with = "max_confs_arg")]
        max_confs: Option<i32>,
        /// List only outputs without a confirmation
        #[arg(long = "unconfirmed_only", action = ArgAction::Set, num_args = 0..=1,
              require_equals = true, default_value = "false", default_missing_value = "true",
              hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new(),
              conflicts_with_all = ["min_confs", "max_confs", "min_confs_arg", "max_confs_arg"])]
        unconfirmed_only: bool,
        /// --min_confs as lncli's first argument
        #[arg(value_name = "MIN_CONFS", value_parser = clap::value_parser!(i32).range(0..))]
        min_confs_arg: Option<i32>,
        /// --max_confs as lncli's second argument
        #[arg(value_name = "MAX_CONFS", value_parser = clap::value_parser!(i32).range(0..))]
        max_confs_arg: Option<i32>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Send coins on-chain: --addr A --amt SAT, or --addr A --sweepall
    #[command(after_help = "As in lncli, `rayo sendcoins ADDR AMT` works too.")]
    Sendcoins(SendCoinsArgs),
    /// List the wallet's on-chain transactions
    Listchaintxns {
        /// The lowest block height of a transaction listed
        #[arg(long = "start_height", alias = "start-height", value_name = "HEIGHT",
              value_parser = clap::value_parser!(i32).range(0..))]
        start_height: Option<i32>,
        /// The highest block height of a transaction listed; -1 (or unset)
        /// includes unconfirmed transactions
        #[arg(long = "end_height", alias = "end-height", value_name = "HEIGHT",
              allow_negative_numbers = true,
              value_parser = clap::value_parser!(i32).range(-1..))]
        end_height: Option<i32>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Connect to a Lightning peer: <pubkey>@<host>[:port] (port 9735 by default)
    Connect {
        /// The peer: its identity public key, `@`, its host and port
        #[arg(value_name = "PUBKEY@HOST[:PORT]")]
        address: String,
        /// Keep reconnecting in the background instead of connecting now
        #[arg(long, action = ArgAction::Set, num_args = 0..=1,
              require_equals = true, default_value = "false", default_missing_value = "true",
              hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        perm: bool,
        /// How long to try to connect, in seconds (30s and 1m work too)
        #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs)]
        timeout: Option<u64>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Disconnect from a peer
    Disconnect {
        /// The peer's identity public key
        #[arg(
            value_name = "PUBKEY",
            required_unless_present = "node_key",
            conflicts_with = "node_key"
        )]
        pubkey: Option<String>,
        /// The peer's identity public key (lncli's flag form)
        #[arg(long = "node_key", alias = "node-key", value_name = "PUBKEY")]
        node_key: Option<String>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// List the connected peers
    Listpeers {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Open a channel to a peer: --node_key PUBKEY --local_amt SAT
    #[command(
        after_help = "As in lncli, `rayo openchannel PUBKEY LOCAL_AMT [PUSH_AMT]` works too.\n\
                            The peer must be connected, or give its address with --connect.\n\
                            Prints the funding transaction's txid and output index once it is broadcast;\n\
                            the channel is listed by `pendingchannels` until it has enough confirmations."
    )]
    Openchannel(OpenChannelArgs),
    /// List the open channels
    Listchannels {
        /// Only channels that are active (the peer is online)
        #[arg(long = "active_only", alias = "active-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        active_only: bool,
        /// Only channels that are not active
        #[arg(long = "inactive_only", alias = "inactive-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        inactive_only: bool,
        /// Only channels announced to the network
        #[arg(long = "public_only", alias = "public-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        public_only: bool,
        /// Only private channels
        #[arg(long = "private_only", alias = "private-only", action = ArgAction::Set,
              num_args = 0..=1, require_equals = true, default_value = "false",
              default_missing_value = "true", hide_default_value = true, value_name = "BOOL",
              value_parser = BoolishValueParser::new())]
        private_only: bool,
        /// Only channels with this peer (its identity public key)
        #[arg(long, value_name = "PUBKEY")]
        peer: Option<String>,
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// List the channels being opened (waiting for confirmations) or closed
    Pendingchannels {
        #[command(flatten)]
        conn: NodeFlags,
    },
    /// Stop the node
    Stop {
        #[command(flatten)]
        conn: NodeFlags,
    },
}

/// `rayo sendcoins`.
#[derive(Args, Debug)]
pub struct SendCoinsArgs {
    /// The address to send to
    #[arg(long, value_name = "ADDR", conflicts_with = "addr_arg")]
    addr: Option<String>,
    /// The amount in satoshis
    #[arg(long, value_name = "SAT", value_parser = clap::value_parser!(i64).range(1..),
          conflicts_with = "amt_arg")]
    amt: Option<i64>,
    /// Send all the wallet's coins (less the fee) to the address
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new(),
          conflicts_with_all = ["amt", "amt_arg"])]
    sweepall: bool,
    /// The fee rate in sat/vB [default: the node's estimate]
    #[arg(long = "sat_per_vbyte", alias = "sat-per-vbyte", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    sat_per_vbyte: Option<u64>,
    /// The confirmation target in blocks for the fee estimate
    #[arg(long = "conf_target", alias = "conf-target", value_name = "BLOCKS",
          value_parser = clap::value_parser!(i32).range(1..),
          conflicts_with = "sat_per_vbyte")]
    conf_target: Option<i32>,
    /// The minimum confirmations of the coins spent; 0 spends unconfirmed coins too
    #[arg(long = "min_confs", alias = "min-confs", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(i32).range(0..))]
    min_confs: i32,
    /// A label kept with the transaction
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// The address, as lncli's first argument
    #[arg(value_name = "ADDR")]
    addr_arg: Option<String>,
    /// The amount in satoshis, as lncli's second argument
    #[arg(value_name = "AMT", value_parser = clap::value_parser!(i64).range(1..))]
    amt_arg: Option<i64>,
    #[command(flatten)]
    conn: NodeFlags,
}

/// `rayo openchannel`: lncli's flags, and its positional form
/// `PUBKEY LOCAL_AMT [PUSH_AMT]` (a value given by flag is skipped in it).
#[derive(Args, Debug)]
pub struct OpenChannelArgs {
    /// The peer's identity public key (66 hex characters)
    #[arg(long = "node_key", alias = "node-key", value_name = "PUBKEY")]
    node_key: Option<String>,
    /// Connect to the peer at HOST:PORT first (no error if already connected)
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// The satoshis the wallet puts into the channel (its capacity)
    #[arg(long = "local_amt", alias = "local-amt", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(1..))]
    local_amt: Option<i64>,
    /// The satoshis of the channel given to the peer at open
    #[arg(long = "push_amt", alias = "push-amt", value_name = "SAT",
          value_parser = clap::value_parser!(i64).range(0..))]
    push_amt: Option<i64>,
    /// The funding transaction's fee rate in sat/vB [default: the node's estimate]
    #[arg(long = "sat_per_vbyte", alias = "sat-per-vbyte", value_name = "N",
          value_parser = clap::value_parser!(u64).range(1..))]
    sat_per_vbyte: Option<u64>,
    /// The confirmation target in blocks for the funding fee estimate
    #[arg(long = "conf_target", alias = "conf-target", value_name = "BLOCKS",
          value_parser = clap::value_parser!(i32).range(1..),
          conflicts_with = "sat_per_vbyte")]
    conf_target: Option<i32>,
    /// Keep the channel private: not announced to the network
    #[arg(long, action = ArgAction::Set, num_args = 0..=1,
          require_equals = true, default_value = "false", default_missing_value = "true",
          hide_default_value = true, value_name = "BOOL",
          value_parser = BoolishValueParser::new())]
    private: bool,
    /// The minimum confirmations of the coins that fund the channel; 0 spends
    /// unconfirmed coins too
    #[arg(long = "min_confs", alias = "min-confs", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(i32).range(0..))]
    min_confs: i32,
    /// A note kept with the channel, for yourself (at most 500 characters)
    #[arg(long, value_name = "TEXT")]
    memo: Option<String>,
    /// PUBKEY LOCAL_AMT [PUSH_AMT], as lncli takes them
    #[arg(value_name = "ARGS", num_args = 0..=3)]
    args: Vec<String>,
    #[command(flatten)]
    conn: NodeFlags,
}

/// `30`, `30s`, `2m` as seconds.
fn parse_duration_secs(text: &str) -> Result<u64, String> {
    let (number, unit) = match text.strip_suffix('s') {
        Some(n) => (n, 1),
        None => match text.strip_suffix('m') {
            Some(n) => (n, 60),
            None => (text, 1),
        },
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a duration: use seconds such as 30 or 30s, or 2m"))
}

/// Checks a node identity public key as typed: 33 bytes compressed, hex.
pub fn check_pubkey(key: &str) -> Result<(), String> {
    let hex = key.len() == 66 && key.bytes().all(|b| b.is_ascii_hexdigit());
    if hex && (key.starts_with("02") || key.starts_with("03")) {
        Ok(())
    } else {
        Err(format!(
            "`{key}` is not a node public key: expected 66 hex characters starting with 02 or 03 \
             (a node's identity_pubkey from getinfo)"
        ))
    }
}

/// The 33 bytes of a node public key typed as hex (checked with
/// [`check_pubkey`]).
pub fn pubkey_bytes(key: &str) -> Result<Vec<u8>, String> {
    check_pubkey(key)?;
    let digit = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
    Ok(key
        .as_bytes()
        .chunks(2)
        .map(|pair| digit(pair[0]) << 4 | digit(pair[1]))
        .collect())
}

/// Splits `<pubkey>@<host>[:port]` (IPv6 as `[::1]:9735`), checking both
/// parts. A missing port is left out: the node dials 9735.
pub fn parse_peer_address(text: &str) -> Result<LightningAddress, String> {
    let bad = |why: String| format!("invalid peer address `{text}`: {why}");
    let (pubkey, host) = text
        .trim()
        .split_once('@')
        .ok_or_else(|| bad("expected <pubkey>@<host>[:port]".to_owned()))?;
    check_pubkey(pubkey).map_err(bad)?;
    check_host_port(host, DEFAULT_P2P_PORT).map_err(bad)?;
    Ok(LightningAddress {
        pubkey: pubkey.to_owned(),
        host: host.to_owned(),
    })
}

/// Checks `host[:port]` (IPv6 in brackets); returns `host:port` with
/// `default_port` added when none is given.
fn check_host_port(text: &str, default_port: u16) -> Result<String, String> {
    if text.is_empty() {
        return Err("the host is missing".to_owned());
    }
    if text.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '@' | '?' | '#')) {
        return Err(format!("`{text}` is not a host[:port]"));
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{text}`: missing `]` after the IPv6 address"))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("`{text}`: expected `:PORT` after `]`")),
            },
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            Some(_) => {
                return Err(format!(
                    "`{text}`: write an IPv6 address in brackets, such as [::1]:9735"
                ))
            }
            None => (text, None),
        }
    };
    if host.is_empty() {
        return Err(format!("`{text}`: the host is missing"));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => {
                return Err(format!(
                    "`{text}`: the port must be a number from 1 to 65535"
                ))
            }
        },
    };
    Ok(if text.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// `--rpcserver` as the base URL of the node's REST API.
pub fn rest_url(rpcserver: &str) -> Result<String, String> {
    let text = rpcserver.trim();
    let authority = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some((scheme, _)) => {
            return Err(format!(
                "invalid --rpcserver `{rpcserver}`: the node's REST API is HTTPS only, not {scheme}"
            ))
        }
        None => text,
    }
    .trim_end_matches('/');
    let authority = check_host_port(authority, DEFAULT_REST_PORT)
        .map_err(|why| format!("invalid --rpcserver `{rpcserver}`: {why}"))?;
    Ok(format!("https://{authority}"))
}

/// A node to talk to, resolved from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The REST base URL, `https://host:port`.
    pub url: String,
    /// The pinned certificate.
    pub cert: PathBuf,
    /// The access token file.
    pub token: PathBuf,
    /// How to start the node, for the not-running message.
    pub start_hint: String,
    /// Known not to run (a node of a network that is down or died): no
    /// request is tried.
    pub known_down: bool,
}

/// Finds the node the flags name. `home` and `network` locate `-n` nodes.
pub fn resolve(flags: &NodeFlags, home: &Path, network: &str) -> Result<Target, String> {
    let net_cmd = if network == net::DEFAULT_NETWORK {
        "rayo net up".to_owned()
    } else {
        format!("rayo --name {network} net up")
    };
    let mut target = match &flags.node {
        Some(name) => {
            if flags.datadir.is_some() {
                return Err(
                    "give -n NAME (a node of a local network) or --datadir DIR, not both"
                        .to_owned(),
                );
            }
            let dir = net::network_dir(home, network);
            let netfile = net::read_network(&dir)?.ok_or_else(|| {
                format!(
                    "there is no local network `{network}` in {} (no {}); start one with `{net_cmd}`",
                    home.display(),
                    net::NETWORK_FILE
                )
            })?;
            let node = netfile
                .nodes
                .iter()
                .find(|n| &n.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = netfile.nodes.iter().map(|n| n.name.as_str()).collect();
                    format!(
                        "network `{network}` has no node `{name}` (its nodes: {})",
                        names.join(", ")
                    )
                })?;
            let up = netfile.state == net::NetState::Up;
            let alive = up && node.is_alive();
            let start_hint = if up && !alive {
                // `up` refuses a partly running network: restart all of it.
                let base = net_cmd.trim_end_matches(" net up");
                format!(
                    "`{base} net down` and `{net_cmd}` (`{base} net status` shows why it stopped)"
                )
            } else {
                format!("`{net_cmd}`")
            };
            Target {
                url: format!("https://{}", node.rest),
                cert: node.cert_path(),
                token: node.token_path(),
                start_hint,
                known_down: !alive,
            }
        }
        None => {
            let datadir = flags.datadir.clone().unwrap_or_else(|| home.join("node"));
            Target {
                url: rest_url(DEFAULT_RPCSERVER)?,
                cert: datadir.join(TLS_CERT_FILE),
                token: datadir.join(TOKEN_FILE),
                start_hint: format!("`rayod --datadir {}` or `rayo net up`", datadir.display()),
                known_down: false,
            }
        }
    };
    if let Some(server) = &flags.rpcserver {
        target.url = rest_url(server)?;
        target.known_down = false;
    }
    if let Some(cert) = &flags.tlscertpath {
        target.cert = cert.clone();
    }
    if let Some(token) = &flags.tokenpath {
        target.token = token.clone();
    }
    Ok(target)
}

fn not_running(target: &Target) -> String {
    format!(
        "cannot reach the node at {}: is rayod running? start it with {}",
        target.url, target.start_hint
    )
}

/// Whether something accepts TCP connections at the URL's address
/// (`Some(false)`: refused; `None`: cannot tell).
fn listening(url: &str) -> Option<bool> {
    let authority = url.strip_prefix("https://").unwrap_or(url);
    let addrs: Vec<_> = authority.to_socket_addrs().ok()?.collect();
    let mut refused = false;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            Ok(_) => return Some(true),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => refused = true,
            Err(_) => {}
        }
    }
    refused.then_some(false)
}

/// The client for `target`, or the message saying why there is none.
fn client(target: &Target) -> Result<Client, String> {
    if target.known_down {
        return Err(not_running(target));
    }
    let missing = [
        (
            &target.cert,
            "TLS certificate",
            TLS_CERT_FILE,
            "--tlscertpath",
        ),
        (&target.token, "access token", TOKEN_FILE, "--tokenpath"),
    ]
    .into_iter()
    .find(|(path, ..)| !path.exists());
    if let Some((path, what, file, flag)) = missing {
        // No files is what a node that never ran looks like: say that first.
        if listening(&target.url) == Some(false) {
            return Err(not_running(target));
        }
        return Err(format!(
            "no {what} at {}: pass the node's {file} with {flag}, its data directory with \
             --datadir, or a node of `rayo net up` with -n NAME",
            path.display()
        ));
    }
    Client::from_files(&target.url, &target.cert, &target.token).map_err(|e| describe(e, target))
}

/// The message for a failed call.
fn describe(error: ClientError, target: &Target) -> String {
    let url = &target.url;
    match error {
        ClientError::NotRunning { .. } => not_running(target),
        ClientError::Unauthorized => format!(
            "the node at {url} refused the access token from {}: it is another node's or \
             outdated; pass this node's {TOKEN_FILE} with --tokenpath (or use --datadir/-n)",
            target.token.display()
        ),
        ClientError::Tls(message) => format!(
            "TLS with the node at {url} failed: {message}; is {} this node's certificate? \
             pass its {TLS_CERT_FILE} with --tlscertpath (or use --datadir/-n)",
            target.cert.display()
        ),
        ClientError::Api { message, .. } => message,
        ClientError::Decode(e) => format!("unexpected answer from the node at {url}: {e}"),
        ClientError::InvalidUrl { url, reason } => format!("invalid node URL {url}: {reason}"),
        ClientError::Io(e) => format!("cannot talk to the node at {url}: {e}"),
    }
}

/// Prints `value` as lncli prints a response: JSON indented by four spaces.
fn print_json<T: Serialize>(value: &T) -> Result<(), String> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| format!("cannot print the answer: {e}"))?;
    out.push(b'\n');
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = std::io::stdout().lock().write_all(&out);
    Ok(())
}

/// The connection flags given after the verb.
pub fn flags_of(command: &NodeCommand) -> &NodeFlags {
    match command {
        NodeCommand::Getinfo { conn }
        | NodeCommand::Newaddress { conn, .. }
        | NodeCommand::Walletbalance { conn, .. }
        | NodeCommand::Listunspent { conn, .. }
        | NodeCommand::Sendcoins(SendCoinsArgs { conn, .. })
        | NodeCommand::Listchaintxns { conn, .. }
        | NodeCommand::Connect { conn, .. }
        | NodeCommand::Disconnect { conn, .. }
        | NodeCommand::Listpeers { conn }
        | NodeCommand::Openchannel(OpenChannelArgs { conn, .. })
        | NodeCommand::Listchannels { conn, .. }
        | NodeCommand::Pendingchannels { conn }
        | NodeCommand::Stop { conn } => conn,
    }
}

/// A node verb's request, checked before anything is sent.
#[derive(Debug, PartialEq)]
enum Request {
    GetInfo,
    NewAddress(NewAddressRequest),
    WalletBalance,
    ListUnspent(ListUnspentRequest, bool),
    SendCoins(SendCoinsRequest),
    ListChainTxns(GetTransactionsRequest),
    Connect(ConnectPeerRequest),
    Disconnect(String),
    ListPeers,
    /// Connect first (when `--connect` is given), then open.
    OpenChannel(Option<ConnectPeerRequest>, Box<OpenChannelRequest>),
    ListChannels(ListChannelsRequest),
    PendingChannels,
    Stop,
}

fn request(command: NodeCommand) -> Result<Request, String> {
    Ok(match command {
        NodeCommand::Getinfo { .. } => Request::GetInfo,
        NodeCommand::Newaddress { address_type, .. } => {
            let address_type = address_type
                .parse::<AddressType>()
                .map_err(|e| e.to_string())?;
            Request::NewAddress(NewAddressRequest {
                address_type,
                account: String::new(),
            })
        }
        NodeCommand::Walletbalance { .. } => Request::WalletBalance,
        NodeCommand::Listunspent {
            min_confs,
            max_confs,
            unconfirmed_only,
            min_confs_arg,
            max_confs_arg,
            ..
        } => {
            let min_confs = min_confs.or(min_confs_arg).unwrap_or(0);
            let max_confs = max_confs.or(max_confs_arg).unwrap_or(0);
            if max_confs != 0 && min_confs > max_confs {
                return Err(format!(
                    "--min_confs ({min_confs}) must not exceed --max_confs ({max_confs})"
                ));
            }
            Request::ListUnspent(
                ListUnspentRequest {
                    min_confs,
                    max_confs,
                    account: String::new(),
                },
                unconfirmed_only,
            )
        }
        NodeCommand::Sendcoins(args) => Request::SendCoins(send_coins_request(args)?),
        NodeCommand::Listchaintxns {
            start_height,
            end_height,
            ..
        } => Request::ListChainTxns(GetTransactionsRequest {
            start_height: start_height.unwrap_or(0),
            end_height: end_height.unwrap_or(0),
            account: String::new(),
        }),
        NodeCommand::Connect {
            address,
            perm,
            timeout,
            ..
        } => Request::Connect(ConnectPeerRequest {
            addr: parse_peer_address(&address)?,
            perm,
            timeout: timeout.unwrap_or(0),
        }),
        NodeCommand::Disconnect {
            pubkey, node_key, ..
        } => {
            let key = pubkey.or(node_key).ok_or("give the peer's public key")?;
            check_pubkey(&key)?;
            Request::Disconnect(key)
        }
        NodeCommand::Listpeers { .. } => Request::ListPeers,
        NodeCommand::Openchannel(args) => {
            let (connect, open) = open_channel_request(args)?;
            Request::OpenChannel(connect, Box::new(open))
        }
        NodeCommand::Listchannels {
            active_only,
            inactive_only,
            public_only,
            private_only,
            peer,
            ..
        } => {
            if active_only && inactive_only {
                return Err("give --active_only or --inactive_only, not both".to_owned());
            }
            if public_only && private_only {
                return Err("give --public_only or --private_only, not both".to_owned());
            }
            let peer = match peer {
                Some(key) => pubkey_bytes(&key)?,
                None => Vec::new(),
            };
            Request::ListChannels(ListChannelsRequest {
                active_only,
                inactive_only,
                public_only,
                private_only,
                peer,
                peer_alias_lookup: false,
            })
        }
        NodeCommand::Pendingchannels { .. } => Request::PendingChannels,
        NodeCommand::Stop { .. } => Request::Stop,
    })
}

/// The `connect` (with `--connect`) and the open request of `openchannel`,
/// read as lncli reads its flags and arguments: the pubkey from --node_key
/// or the first argument, then the local amount from --local_amt or the next
/// argument, then the push amount from --push_amt or the next argument.
fn open_channel_request(
    args: OpenChannelArgs,
) -> Result<(Option<ConnectPeerRequest>, OpenChannelRequest), String> {
    let mut words = args.args.into_iter();
    let usage = "rayo openchannel --node_key PUBKEY --local_amt SAT (or `rayo openchannel PUBKEY LOCAL_AMT [PUSH_AMT]`)";
    let node_key = args
        .node_key
        .or_else(|| words.next())
        .ok_or_else(|| format!("openchannel needs the peer's public key: {usage}"))?;
    let node_pubkey = pubkey_bytes(&node_key)?;
    let amount = |word: String, what: &str| {
        word.parse::<i64>()
            .map_err(|_| format!("`{word}` is not an amount in satoshis ({what})"))
    };
    let local_amt = match args.local_amt {
        Some(amt) => amt,
        None => match words.next() {
            Some(word) => amount(word, "the local amount")?,
            None => return Err(format!("openchannel needs an amount: {usage}")),
        },
    };
    let push_amt = match args.push_amt {
        Some(amt) => amt,
        None => match words.next() {
            Some(word) => amount(word, "the push amount")?,
            None => 0,
        },
    };
    if let Some(extra) = words.next() {
        return Err(format!(
            "unexpected argument `{extra}`: openchannel takes PUBKEY LOCAL_AMT [PUSH_AMT]"
        ));
    }
    if local_amt <= 0 {
        return Err(format!(
            "the local amount must be a positive number of satoshis, not {local_amt}"
        ));
    }
    if push_amt < 0 {
        return Err(format!(
            "the push amount must not be negative, not {push_amt}"
        ));
    }
    if push_amt >= local_amt {
        return Err(format!(
            "the push amount ({push_amt} sat) must be below the local amount ({local_amt} sat)"
        ));
    }
    let connect = match args.connect {
        Some(host) => {
            check_host_port(&host, DEFAULT_P2P_PORT)
                .map_err(|why| format!("invalid --connect `{host}`: {why}"))?;
            Some(ConnectPeerRequest {
                addr: LightningAddress {
                    pubkey: node_key.clone(),
                    host,
                },
                perm: false,
                timeout: 0,
            })
        }
        None => None,
    };
    let open = OpenChannelRequest {
        node_pubkey,
        node_pubkey_string: node_key,
        local_funding_amount: local_amt,
        push_sat: push_amt,
        sat_per_vbyte: args.sat_per_vbyte.unwrap_or(0),
        target_conf: args.conf_target.unwrap_or(0),
        private: args.private,
        min_confs: args.min_confs,
        // As lncli: --min_confs 0 spends unconfirmed coins.
        spend_unconfirmed: args.min_confs == 0,
        memo: args.memo.unwrap_or_default(),
        ..Default::default()
    };
    Ok((connect, open))
}

/// What `openchannel` prints: lncli's `funding_txid`, and the output index.
#[derive(Debug, PartialEq, Serialize)]
struct OpenChannelOutput {
    funding_txid: String,
    output_index: u32,
}

impl OpenChannelOutput {
    fn from_point(point: &ChannelPoint) -> Result<Self, String> {
        let funding_txid = point
            .txid()
            .ok_or("unexpected answer from the node: no funding txid in the channel point")?;
        Ok(OpenChannelOutput {
            funding_txid,
            output_index: point.output_index,
        })
    }
}

/// Whether `channel` passes the `listchannels` filters. Applied here too, so
/// they hold whether or not the node filters.
fn channel_matches(req: &ListChannelsRequest, peer_hex: &str, channel: &Channel) -> bool {
    (!req.active_only || channel.active)
        && (!req.inactive_only || !channel.active)
        && (!req.public_only || !channel.private)
        && (!req.private_only || channel.private)
        && (peer_hex.is_empty() || channel.remote_pubkey.eq_ignore_ascii_case(peer_hex))
}

/// Whether a failed connect only says that the peer is connected already.
fn already_connected(error: &ClientError) -> bool {
    matches!(error, ClientError::Api { message, .. } if message.contains("already connected"))
}

fn send_coins_request(args: SendCoinsArgs) -> Result<SendCoinsRequest, String> {
    let addr = args
        .addr
        .or(args.addr_arg)
        .ok_or("sendcoins needs an address: --addr ADDR (or `rayo sendcoins ADDR AMT`)")?;
    let amount = args.amt.or(args.amt_arg);
    let amount = match (args.sweepall, amount) {
        (true, _) => 0,
        (false, Some(amount)) => amount,
        (false, None) => {
            return Err(
                "sendcoins needs an amount: --amt SAT, or --sweepall to send every coin".to_owned(),
            )
        }
    };
    Ok(SendCoinsRequest {
        addr,
        amount,
        target_conf: args.conf_target.unwrap_or(0),
        sat_per_vbyte: args.sat_per_vbyte.unwrap_or(0),
        send_all: args.sweepall,
        label: args.label.unwrap_or_default(),
        min_confs: args.min_confs,
        // As lncli: --min_confs 0 spends unconfirmed coins.
        spend_unconfirmed: args.min_confs == 0,
    })
}

/// Whether a transaction at `block_height` (0: unconfirmed) is in the
/// `listchaintxns` range. The range is applied here too, so it holds
/// whether or not the node filters.
fn in_height_range(req: &GetTransactionsRequest, block_height: i32) -> bool {
    if block_height <= 0 {
        return req.end_height <= 0;
    }
    block_height >= req.start_height && (req.end_height <= 0 || block_height <= req.end_height)
}

/// Runs one node verb against the node the flags name and prints the answer.
pub fn run(
    command: NodeCommand,
    flags: &NodeFlags,
    home: &Path,
    network: &str,
) -> Result<(), String> {
    // Bad input is refused before any file is read or request sent.
    let request = request(command)?;
    let target = resolve(flags, home, network)?;
    let client = client(&target)?;
    let fail = |e: ClientError| describe(e, &target);
    match request {
        Request::GetInfo => print_json(&client.get_info().map_err(fail)?),
        Request::NewAddress(req) => print_json(&client.new_address(&req).map_err(fail)?),
        Request::WalletBalance => print_json(&client.wallet_balance().map_err(fail)?),
        Request::ListUnspent(req, unconfirmed_only) => {
            let mut answer = client.list_unspent(&req).map_err(fail)?;
            if unconfirmed_only {
                answer.utxos.retain(|u| u.confirmations == 0);
            }
            print_json(&answer)
        }
        Request::SendCoins(req) => print_json(&client.send_coins(&req).map_err(fail)?),
        Request::ListChainTxns(req) => {
            let mut answer = client.get_transactions(&req).map_err(fail)?;
            answer
                .transactions
                .retain(|t| in_height_range(&req, t.block_height));
            print_json(&answer)
        }
        Request::Connect(req) => print_json(&client.connect_peer(&req).map_err(fail)?),
        Request::Disconnect(key) => print_json(&client.disconnect_peer(&key).map_err(fail)?),
        Request::ListPeers => print_json(&client.list_peers().map_err(fail)?),
        Request::OpenChannel(connect, open) => {
            if let Some(connect) = connect {
                match client.connect_peer(&connect) {
                    Ok(_) => {}
                    Err(e) if already_connected(&e) => {}
                    Err(e) => return Err(format!("connecting to the peer: {}", fail(e))),
                }
            }
            let point = client.open_channel(&open).map_err(fail)?;
            print_json(&OpenChannelOutput::from_point(&point)?)
        }
        Request::ListChannels(req) => {
            let mut answer = client.list_channels_filtered(&req).map_err(fail)?;
            let peer_hex: String = req.peer.iter().map(|b| format!("{b:02x}")).collect();
            answer
                .channels
                .retain(|c| channel_matches(&req, &peer_hex, c));
            print_json(&answer)
        }
        Request::PendingChannels => print_json(&client.pending_channels().map_err(fail)?),
        Request::Stop => print_json(&client.stop().map_err(fail)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";

    #[test]
    fn peer_addresses() {
        let ok = |s: &str| parse_peer_address(s).unwrap();
        assert_eq!(
            ok(&format!("{PK}@127.0.0.1:9736")),
            LightningAddress {
                pubkey: PK.into(),
                host: "127.0.0.1:9736".into()
            }
        );
        // No port: left to the node (9735).
        assert_eq!(ok(&format!("{PK}@localhost")).host, "localhost");
        assert_eq!(ok(&format!("{PK}@[::1]:9735")).host, "[::1]:9735");
        assert_eq!(ok(&format!("{PK}@[::1]")).host, "[::1]");
        for (bad, why) in [
            ("notakey@127.0.0.1:1", "not a node public key"),
            (&format!("{PK}127.0.0.1"), "expected <pubkey>@<host>"),
            (&format!("{PK}@"), "host is missing"),
            (&format!("{PK}@:9735"), "host is missing"),
            (&format!("{PK}@host:0"), "port must be"),
            (&format!("{PK}@host:70000"), "port must be"),
            (&format!("{PK}@host:x"), "port must be"),
            (&format!("{PK}@::1"), "brackets"),
            (&format!("{PK}@[::1"), "missing `]`"),
            (&format!("{PK}@a b"), "not a host"),
            (&format!("04{}@h", &PK[2..]), "not a node public key"),
            (&format!("{}@h", &PK[..64]), "not a node public key"),
            ("@h", "not a node public key"),
        ] {
            let err = parse_peer_address(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.starts_with("invalid peer address"), "{err}");
        }
    }

    #[test]
    fn rest_urls() {
        assert_eq!(
            rest_url("127.0.0.1:8080").unwrap(),
            "https://127.0.0.1:8080"
        );
        assert_eq!(rest_url("localhost").unwrap(), "https://localhost:8080");
        assert_eq!(rest_url("https://h:1/").unwrap(), "https://h:1");
        assert_eq!(rest_url("HTTPS://[::1]:9").unwrap(), "https://[::1]:9");
        assert!(rest_url("http://h:1").unwrap_err().contains("HTTPS only"));
        assert!(rest_url("").is_err());
        assert!(rest_url("h:0").is_err());
        assert!(rest_url("https://h:1/v1").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("30"), Ok(30));
        assert_eq!(parse_duration_secs("30s"), Ok(30));
        assert_eq!(parse_duration_secs("2m"), Ok(120));
        assert!(parse_duration_secs("0").is_err());
        assert!(parse_duration_secs("x").is_err());
        assert!(parse_duration_secs("1h").is_err());
    }

    #[test]
    fn height_ranges() {
        let r = |start, end| GetTransactionsRequest {
            start_height: start,
            end_height: end,
            account: String::new(),
        };
        assert!(in_height_range(&r(0, 0), 0));
        assert!(in_height_range(&r(0, 0), 500));
        assert!(in_height_range(&r(0, -1), 0));
        assert!(!in_height_range(&r(10, 20), 0));
        assert!(!in_height_range(&r(10, 20), 9));
        assert!(in_height_range(&r(10, 20), 20));
        assert!(!in_height_range(&r(10, 20), 21));
        assert!(in_height_range(&r(10, -1), 21));
    }

    fn target_for(flags: NodeFlags, home: &Path) -> Result<Target, String> {
        resolve(&flags, home, "local")
    }

    #[test]
    fn targets_from_flags() {
        let home = Path::new("/h");
        let t = target_for(NodeFlags::default(), home).unwrap();
        assert_eq!(t.url, "https://127.0.0.1:8080");
        assert_eq!(t.cert, PathBuf::from("/h/node/tls.cert"));
        assert_eq!(t.token, PathBuf::from("/h/node/access.token"));
        assert!(t.start_hint.contains("rayod --datadir /h/node"));

        let t = target_for(
            NodeFlags {
                datadir: Some("/d".into()),
                rpcserver: Some("127.0.0.1:10080".into()),
                tokenpath: Some("/t".into()),
                ..NodeFlags::default()
            },
            home,
        )
        .unwrap();
        assert_eq!(t.url, "https://127.0.0.1:10080");
        assert_eq!(t.cert, PathBuf::from("/d/tls.cert"));
        assert_eq!(t.token, PathBuf::from("/t"));

        let err = target_for(
            NodeFlags {
                node: Some("alice".into()),
                ..NodeFlags::default()
            },
            home,
        )
        .unwrap_err();
        assert!(err.contains("no local network `local`"), "{err}");
        assert!(err.contains("rayo net up"), "{err}");
        let err = target_for(
            NodeFlags {
                node: Some("alice".into()),
                datadir: Some("/d".into()),
                ..NodeFlags::default()
            },
            home,
        )
        .unwrap_err();
        assert!(err.contains("not both"), "{err}");
    }

    #[test]
    fn missing_files_on_a_closed_port_mean_not_running() {
        let tmp = tempfile::tempdir().unwrap();
        // A port that was free a moment ago: nothing listens there.
        let port = crate::process::free_ports(1).unwrap()[0];
        let target = target_for(
            NodeFlags {
                rpcserver: Some(format!("127.0.0.1:{port}")),
                ..NodeFlags::default()
            },
            tmp.path(),
        )
        .unwrap();
        let err = client(&target).unwrap_err();
        assert!(err.contains("is rayod running?"), "{err}");
        // Something listens but the files are missing: say which file.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = Target {
            url: format!("https://{}", listener.local_addr().unwrap()),
            ..target
        };
        let err = client(&target).unwrap_err();
        assert!(err.contains("no TLS certificate at"), "{err}");
        assert!(err.contains("--tlscertpath"), "{err}");
    }

    #[test]
    fn send_coins_requests() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            args: SendCoinsArgs,
        }
        let req = |argv: &[&str]| {
            let mut full = vec!["sendcoins"];
            full.extend_from_slice(argv);
            T::try_parse_from(full)
                .map_err(|e| e.to_string())
                .and_then(|t| send_coins_request(t.args))
        };
        let r = req(&["--addr", "bcrt1q", "--amt", "1000", "--sat_per_vbyte", "3"]).unwrap();
        assert_eq!(
            (r.addr.as_str(), r.amount, r.sat_per_vbyte),
            ("bcrt1q", 1000, 3)
        );
        assert_eq!(
            (r.min_confs, r.spend_unconfirmed, r.send_all),
            (1, false, false)
        );
        let r = req(&["bcrt1q", "5000"]).unwrap();
        assert_eq!((r.addr.as_str(), r.amount), ("bcrt1q", 5000));
        let r = req(&["--addr", "bcrt1q", "--sweepall", "--min_confs", "0"]).unwrap();
        assert!(r.send_all && r.spend_unconfirmed);
        assert_eq!(r.amount, 0);
        let r = req(&["--addr=bcrt1q", "--sweepall=true"]).unwrap();
        assert!(r.send_all);
        assert!(req(&["--addr", "bcrt1q"])
            .unwrap_err()
            .contains("needs an amount"));
        assert!(req(&["--amt", "5"])
            .unwrap_err()
            .contains("needs an address"));
        assert!(req(&["--addr", "a", "--amt", "5", "--sweepall"]).is_err());
        assert!(req(&["--addr", "a", "--amt", "0"]).is_err());
        assert!(req(&["--addr", "a", "--amt", "-5"]).is_err());
        assert!(req(&["--addr", "a", "b", "5"]).is_err());
        assert!(req(&[
            "--addr",
            "a",
            "--amt",
            "5",
            "--sat_per_vbyte",
            "2",
            "--conf_target",
            "3"
        ])
        .is_err());
    }

    fn open_req(argv: &[&str]) -> Result<(Option<ConnectPeerRequest>, OpenChannelRequest), String> {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            args: OpenChannelArgs,
        }
        let mut full = vec!["openchannel"];
        full.extend_from_slice(argv);
        T::try_parse_from(full)
            .map_err(|e| e.to_string())
            .and_then(|t| open_channel_request(t.args))
    }

    #[test]
    fn open_channel_flags() {
        let key = format!("--node_key={PK}");
        let (connect, r) = open_req(&[&key, "--local_amt=1000000"]).unwrap();
        assert_eq!(connect, None);
        assert_eq!(r.node_pubkey_string, PK);
        assert_eq!(r.node_pubkey.len(), 33);
        assert_eq!(r.node_pubkey[0], 0x02);
        assert_eq!(r.node_pubkey[32], 0xdc);
        assert_eq!(r.node_pubkey_hex(), PK);
        assert_eq!((r.local_funding_amount, r.push_sat), (1_000_000, 0));
        assert_eq!((r.min_confs, r.spend_unconfirmed), (1, false));
        assert_eq!((r.sat_per_vbyte, r.target_conf, r.private), (0, 0, false));
        // The wire form: int64 as strings, the key both ways.
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["local_funding_amount"], "1000000");
        assert_eq!(json["node_pubkey_string"], PK);

        let (connect, r) = open_req(&[
            "--node_key",
            PK,
            "--local_amt",
            "500000",
            "--push_amt",
            "10000",
            "--sat_per_vbyte",
            "5",
            "--private",
            "--connect",
            "127.0.0.1:9736",
            "--min_confs",
            "0",
            "--memo",
            "to bob",
        ])
        .unwrap();
        assert_eq!(
            connect,
            Some(ConnectPeerRequest {
                addr: LightningAddress {
                    pubkey: PK.into(),
                    host: "127.0.0.1:9736".into()
                },
                perm: false,
                timeout: 0,
            })
        );
        assert_eq!(
            (r.local_funding_amount, r.push_sat, r.sat_per_vbyte),
            (500_000, 10_000, 5)
        );
        assert!(r.private && r.spend_unconfirmed);
        assert_eq!((r.min_confs, r.memo.as_str()), (0, "to bob"));
        let (_, r) = open_req(&[PK, "20000", "--conf_target", "6", "--private=false"]).unwrap();
        assert_eq!(
            (r.local_funding_amount, r.target_conf, r.private),
            (20_000, 6, false)
        );
    }

    #[test]
    fn open_channel_positional_arguments_as_lncli() {
        let (_, r) = open_req(&[PK, "1000000"]).unwrap();
        assert_eq!(
            (
                r.node_pubkey_string.as_str(),
                r.local_funding_amount,
                r.push_sat
            ),
            (PK, 1_000_000, 0)
        );
        let (_, r) = open_req(&[PK, "1000000", "5000"]).unwrap();
        assert_eq!(r.push_sat, 5_000);
        // A value given by flag is skipped in the positional list.
        let (_, r) = open_req(&["--node_key", PK, "300000", "7"]).unwrap();
        assert_eq!((r.local_funding_amount, r.push_sat), (300_000, 7));
        let (_, r) = open_req(&["--local_amt", "300000", PK, "7"]).unwrap();
        assert_eq!((r.node_pubkey_string.as_str(), r.push_sat), (PK, 7));
        let (_, r) = open_req(&["--node_key", PK, "--local_amt", "300000", "8"]).unwrap();
        assert_eq!(r.push_sat, 8);
    }

    #[test]
    fn open_channel_bad_input_is_refused_locally() {
        for (argv, why) in [
            (&[][..], "needs the peer's public key"),
            (&["--local_amt", "5"][..], "needs the peer's public key"),
            (&[PK][..], "needs an amount"),
            (&["--node_key", PK][..], "needs an amount"),
            (&["nothex", "1000"][..], "not a node public key"),
            (&[&PK[..64], "1000"][..], "not a node public key"),
            (
                &[&format!("04{}", &PK[2..]), "1000"][..],
                "not a node public key",
            ),
            (&[PK, "abc"][..], "not an amount"),
            (&[PK, "1000", "x"][..], "not an amount"),
            (&[PK, "0"][..], "positive"),
            (&[PK, "1000", "1000"][..], "below the local amount"),
            (&[PK, "1000", "2000"][..], "below the local amount"),
            (
                &[
                    "--node_key",
                    PK,
                    "--local_amt",
                    "1000",
                    "--push_amt",
                    "1000",
                ][..],
                "below",
            ),
            (
                &["--node_key", PK, "--local_amt", "0"][..],
                "0 is not in 1..",
            ),
            (
                &["--node_key", PK, "--local_amt", "-5"][..],
                "unexpected argument",
            ),
            (&[PK, "1000", "1", "2"][..], "unexpected value '2'"),
            (
                &["--node_key", PK, "1000", "1", "2"][..],
                "unexpected argument `2`",
            ),
            (&[PK, "1000", "--connect", "h:0"][..], "invalid --connect"),
            (&[PK, "1000", "--connect", "::1"][..], "invalid --connect"),
            (&[PK, "1000", "--sat_per_vbyte", "0"][..], "0 is not in 1.."),
            (
                &[PK, "1000", "--sat_per_vbyte", "2", "--conf_target", "3"][..],
                "cannot be used with",
            ),
            (
                &[PK, "1000", "--min_confs", "-1"][..],
                "unexpected argument",
            ),
            (&[PK, "1000", "--private=maybe"][..], "invalid value"),
        ] {
            let err = open_req(argv).unwrap_err();
            assert!(err.contains(why), "{argv:?}: {err}");
        }
    }

    #[test]
    fn channel_point_prints_as_funding_txid_and_index() {
        let point = ChannelPoint::from_txid_bytes((0u8..32).collect(), 1);
        let out = OpenChannelOutput::from_point(&point).unwrap();
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            serde_json::json!({
                "funding_txid": "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
                "output_index": 1
            })
        );
        assert!(OpenChannelOutput::from_point(&ChannelPoint::default())
            .unwrap_err()
            .contains("no funding txid"));
    }

    #[test]
    fn list_channels_filters() {
        let ch = |active, private, key: &str| Channel {
            active,
            private,
            remote_pubkey: key.into(),
            ..Default::default()
        };
        let all = ListChannelsRequest::default();
        assert!(channel_matches(&all, "", &ch(false, true, "02aa")));
        let active = ListChannelsRequest {
            active_only: true,
            ..Default::default()
        };
        assert!(channel_matches(&active, "", &ch(true, false, "02aa")));
        assert!(!channel_matches(&active, "", &ch(false, false, "02aa")));
        let inactive = ListChannelsRequest {
            inactive_only: true,
            ..Default::default()
        };
        assert!(channel_matches(&inactive, "", &ch(false, false, "02aa")));
        assert!(!channel_matches(&inactive, "", &ch(true, false, "02aa")));
        let public = ListChannelsRequest {
            public_only: true,
            ..Default::default()
        };
        assert!(!channel_matches(&public, "", &ch(true, true, "02aa")));
        let private = ListChannelsRequest {
            private_only: true,
            ..Default::default()
        };
        assert!(channel_matches(&private, "", &ch(true, true, "02aa")));
        assert!(!channel_matches(&private, "", &ch(true, false, "02aa")));
        assert!(channel_matches(&all, "02aa", &ch(true, false, "02AA")));
        assert!(!channel_matches(&all, "02aa", &ch(true, false, "02bb")));
    }

    #[test]
    fn pubkeys_as_bytes() {
        let bytes = pubkey_bytes(PK).unwrap();
        assert_eq!(bytes.len(), 33);
        assert_eq!(&bytes[..3], [0x02, 0xa1, 0x63]);
        let upper = pubkey_bytes(&PK.to_uppercase()).unwrap();
        assert_eq!(upper, bytes);
        assert!(pubkey_bytes("02").is_err());
        assert!(pubkey_bytes(&format!("02{}", "g".repeat(64))).is_err());
    }

    #[test]
    fn already_connected_is_not_an_error_for_connect_first() {
        let api = |message: &str| ClientError::Api {
            status: 500,
            code: 2,
            message: message.into(),
        };
        assert!(already_connected(&api(&format!(
            "already connected to peer: {PK}"
        ))));
        assert!(!already_connected(&api("cannot make connection to self")));
        assert!(!already_connected(&ClientError::Unauthorized));
    }
}
