//! Finding the node a verb talks to (`-n NAME` of a local network,
//! `--datadir`, or `--rpcserver` with `--tlscertpath` and `--tokenpath`),
//! making its client, saying what to do when it cannot be reached, and
//! printing its answers as lncli does.

use std::io::Write as _;
use std::net::{TcpStream, ToSocketAddrs as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use rayo_api::address::check_host_port;
use rayo_api::{Client, ClientError, TLS_CERT_FILE, TOKEN_FILE};
use serde::Serialize;

use crate::net;

/// The REST address lncli's users expect a local node at (lnd's `restlisten`).
pub const DEFAULT_RPCSERVER: &str = "127.0.0.1:8080";

/// The REST port assumed when `--rpcserver` names only a host.
const DEFAULT_REST_PORT: u16 = 8080;

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
    /// Set when no flag names a node while a local network is up: the
    /// message naming its nodes, given instead of the not-running one (who
    /// ran `rayo net up` means one of them, not rayod's default address).
    pub pick_hint: Option<String>,
}

/// Finds the node the flags name. `home` and `network` locate `-n` nodes;
/// `verb` is the node verb, for the example in [`Target::pick_hint`].
pub(super) fn resolve(
    flags: &NodeFlags,
    home: &Path,
    network: &str,
    verb: &str,
) -> Result<Target, String> {
    let rayo = net::rayo_cmd(network);
    let net_cmd = format!("{rayo} net up");
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
                // `up` restarts the daemons of a partly running network.
                format!(
                    "`{net_cmd}`, which restarts the daemons that stopped \
                     (`{rayo} net status` shows why they stopped)"
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
                pick_hint: None,
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
                pick_hint: if flags.any() {
                    None
                } else {
                    pick_hint(home, network, verb)
                },
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

/// When the local network `network` is up: "a local network is running
/// with nodes alice, bob: pick one with -n NAME (e.g. rayo -n alice
/// getinfo)". `None` when there is no such network or it is down.
fn pick_hint(home: &Path, network: &str, verb: &str) -> Option<String> {
    let netfile = net::read_network(&net::network_dir(home, network)).ok()??;
    if netfile.state != net::NetState::Up {
        return None;
    }
    let first = netfile.nodes.first()?;
    let names: Vec<&str> = netfile.nodes.iter().map(|n| n.name.as_str()).collect();
    Some(format!(
        "a local network is running with nodes {}: pick one with -n NAME (e.g. {} -n {} {verb})",
        names.join(", "),
        net::rayo_cmd(network),
        first.name
    ))
}

/// Why the target cannot be reached, and what to do about it.
fn not_running(target: &Target) -> String {
    if let Some(pick) = &target.pick_hint {
        return format!(
            "no node at {} (where rayo looks without -n); {pick}",
            target.url
        );
    }
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
pub(super) fn client(target: &Target) -> Result<Client, String> {
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
        if target.pick_hint.is_some() || listening(&target.url) == Some(false) {
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
pub(super) fn describe(error: ClientError, target: &Target) -> String {
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
pub(super) fn print_json<T: Serialize>(value: &T) -> Result<(), String> {
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

/// Prints `value` as lncli prints a response whose `bytes` fields are named
/// in `bytes_fields`: those fields (anywhere in it, and every value of such
/// a map) are hex, not the REST API's base64.
pub(super) fn print_json_hex<T: Serialize>(value: &T, bytes_fields: &[&str]) -> Result<(), String> {
    let mut json =
        serde_json::to_value(value).map_err(|e| format!("cannot print the answer: {e}"))?;
    bytes_as_hex(&mut json, bytes_fields);
    print_json(&json)
}

/// Rewrites the base64 of the `bytes` fields named in `keys` as hex.
pub(super) fn bytes_as_hex(value: &mut serde_json::Value, keys: &[&str]) {
    use serde_json::Value;
    let to_hex = |v: &mut Value| {
        if let Value::String(text) = v {
            if let Ok(bytes) = rayo_api::encoding::bytes_base64::decode(text) {
                *text = hex::encode(bytes);
            }
        }
    };
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if !keys.contains(&key.as_str()) {
                    bytes_as_hex(v, keys);
                } else if let Value::Object(entries) = v {
                    entries.values_mut().for_each(to_hex);
                } else {
                    to_hex(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| bytes_as_hex(v, keys)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_fields_print_as_hex() {
        let mut json = serde_json::json!({
            "r_hash": "+/8B",
            "payment_request": "lnbc1",
            "add_index": "1",
            "route": {"hops": [{"custom_records": {"5482373484": "AQI="}, "pub_key": "02aa"}]},
            "empty": "",
            "not_base64": "!!",
        });
        bytes_as_hex(
            &mut json,
            &["r_hash", "custom_records", "empty", "not_base64"],
        );
        assert_eq!(
            json,
            serde_json::json!({
                "r_hash": "fbff01",
                "payment_request": "lnbc1",
                "add_index": "1",
                "route": {"hops": [{"custom_records": {"5482373484": "0102"}, "pub_key": "02aa"}]},
                "empty": "",
                "not_base64": "!!",
            })
        );
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

    fn target_for(flags: NodeFlags, home: &Path) -> Result<Target, String> {
        resolve(&flags, home, "local", "getinfo")
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
}
