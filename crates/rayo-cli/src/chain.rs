//! `rayo chain ...`: a bitcoin-cli work-alike for the chain daemon.
//!
//! Every verb, typed or passed through, ends up as a method name and a list of
//! command-line words. The words become JSON-RPC parameters the way
//! bitcoin-cli converts them (a per-method table of JSON positions, everything
//! else a string), the call goes to the daemon, and the result is printed the
//! way bitcoin-cli prints it, so scripts written for one work with the other.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::value::RawValue;

use crate::rpc_client::{Credentials, RpcClient, RpcError};

/// The regtest JSON-RPC port of Bitcoin Core, which `rayo-chaind` also uses.
pub const DEFAULT_RPC_PORT: u16 = 18443;

/// The default `--rpcserver`, as bitcoin-cli's `-rpcconnect`.
pub const DEFAULT_RPC_SERVER: &str = "127.0.0.1";

/// Where and how to reach the chain daemon (the `rayo chain` flags).
#[derive(Clone, Debug, Default)]
pub struct Connection {
    /// The daemon's data directory; `None` means the default (see [`default_datadir`]).
    pub datadir: Option<PathBuf>,
    /// `HOST[:PORT]`; the port here is used unless `rpcport` is given.
    pub rpcserver: String,
    /// Overrides any port in `rpcserver`, as bitcoin-cli's `-rpcport` does.
    pub rpcport: Option<u16>,
    /// With a user the cookie file is not read.
    pub rpcuser: Option<String>,
    /// The password for `rpcuser` (empty when not given).
    pub rpcpassword: Option<String>,
    /// How to start the daemon, for the not-running hint (default:
    /// `rayo-chaind --datadir DIR`).
    pub start_hint: Option<String>,
}

/// Positions that hold JSON (numbers, booleans, arrays, objects) for the
/// methods we know, after bitcoin-cli's `vRPCConvertParams`. Every position
/// not listed is sent as a string, so a hash or a hex string made only of
/// digits is never mistaken for a number. Methods listed with no positions
/// take only strings.
const JSON_PARAMS: &[(&str, &[(usize, &str)])] = &[
    ("generate", &[(0, "nblocks"), (1, "maxtries")]),
    ("generatetoaddress", &[(0, "nblocks"), (2, "maxtries")]),
    (
        "generatetodescriptor",
        &[(0, "num_blocks"), (2, "maxtries")],
    ),
    ("generateblock", &[(1, "transactions"), (2, "submit")]),
    ("getblock", &[(1, "verbosity")]),
    ("getblockhash", &[(0, "height")]),
    ("getblockheader", &[(1, "verbose")]),
    ("getchaintxstats", &[(0, "nblocks")]),
    ("getnetworkhashps", &[(0, "nblocks"), (1, "height")]),
    ("getrawtransaction", &[(1, "verbose")]),
    ("getrawmempool", &[(0, "verbose"), (1, "mempool_sequence")]),
    ("getmempoolancestors", &[(1, "verbose")]),
    ("getmempooldescendants", &[(1, "verbose")]),
    ("getmempoolentry", &[]),
    ("gettxout", &[(1, "n"), (2, "include_mempool")]),
    ("gettxoutproof", &[(0, "txids")]),
    ("estimatesmartfee", &[(0, "conf_target")]),
    ("testmempoolaccept", &[(0, "rawtxs"), (1, "maxfeerate")]),
    (
        "sendrawtransaction",
        &[(1, "maxfeerate"), (2, "maxburnamount")],
    ),
    ("decoderawtransaction", &[(1, "iswitness")]),
    (
        "createrawtransaction",
        &[
            (0, "inputs"),
            (1, "outputs"),
            (2, "locktime"),
            (3, "replaceable"),
        ],
    ),
    (
        "signrawtransactionwithkey",
        &[(1, "privkeys"), (2, "prevtxs")],
    ),
    ("scantxoutset", &[(1, "scanobjects")]),
    ("pruneblockchain", &[(0, "height")]),
    ("waitfornewblock", &[(0, "timeout")]),
    ("waitforblockheight", &[(0, "height"), (1, "timeout")]),
    ("invalidateblock", &[]),
    ("reconsiderblock", &[]),
    ("submitblock", &[]),
    ("decodescript", &[]),
];

/// A command-line word that had to be JSON but is not.
#[derive(Debug, PartialEq, Eq)]
pub struct ParamError {
    /// The method being called.
    pub method: String,
    /// The parameter's name from [`JSON_PARAMS`].
    pub name: &'static str,
    /// The word as typed.
    pub text: String,
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Error parsing JSON: {} (parameter `{}` of {} must be a JSON value such as a number or true/false)",
            self.text, self.name, self.method
        )
    }
}

/// Converts command-line words into JSON-RPC parameters for `method`.
///
/// Known methods follow [`JSON_PARAMS`] strictly, as bitcoin-cli does; an
/// unknown method's words go through [`guess_param`]. The JSON text is kept as
/// typed (`0.00001` stays `0.00001`, never `1e-5`).
pub fn convert_params(method: &str, args: &[String]) -> Result<Vec<Box<RawValue>>, ParamError> {
    let Some((_, json_positions)) = JSON_PARAMS.iter().find(|(m, _)| *m == method) else {
        return Ok(args.iter().map(|a| guess_param(a)).collect());
    };
    args.iter()
        .enumerate()
        .map(
            |(i, text)| match json_positions.iter().find(|(p, _)| *p == i) {
                Some((_, name)) => parse_json(text).ok_or_else(|| ParamError {
                    method: method.to_owned(),
                    name,
                    text: text.clone(),
                }),
                None => Ok(string_param(text)),
            },
        )
        .collect()
}

/// Converts one word for a method we have no table entry for: JSON when it is
/// `true`, `false`, `null`, a number, or starts with `[` or `{` (and parses);
/// otherwise a string. A 64-hex-digit word is always a string: it is a hash or
/// txid even when every digit happens to be decimal.
pub fn guess_param(text: &str) -> Box<RawValue> {
    let trimmed = text.trim();
    let is_hash = trimmed.len() == 64 && trimmed.bytes().all(|b| b.is_ascii_hexdigit());
    let looks_json = matches!(trimmed, "true" | "false" | "null")
        || trimmed.starts_with(['[', '{'])
        || matches!(
            serde_json::from_str(trimmed),
            Ok(serde_json::Value::Number(_))
        );
    if looks_json && !is_hash {
        if let Some(value) = parse_json(trimmed) {
            return value;
        }
    }
    string_param(text)
}

/// The word as JSON, text preserved, or `None` when it is not JSON.
fn parse_json(text: &str) -> Option<Box<RawValue>> {
    RawValue::from_string(text.trim().to_owned()).ok()
}

/// The word as a JSON string.
fn string_param(text: &str) -> Box<RawValue> {
    // Serializing a &str cannot fail; the fallback keeps this panic-free anyway.
    serde_json::value::to_raw_value(text)
        .unwrap_or_else(|_| RawValue::from_string("\"\"".to_owned()).expect("valid JSON"))
}

/// The default data directory: `$RAYO_HOME/chain`, else `~/.rayo/chain`.
/// `None` when neither `RAYO_HOME` nor a home directory is known.
pub fn default_datadir() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"));
    default_datadir_from(std::env::var_os("RAYO_HOME"), home)
}

/// [`default_datadir`] with the environment passed in, for tests.
fn default_datadir_from(rayo_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let nonempty = |v: Option<OsString>| v.filter(|v| !v.is_empty());
    nonempty(rayo_home)
        .map(|r| PathBuf::from(r).join("chain"))
        .or_else(|| nonempty(home).map(|h| PathBuf::from(h).join(".rayo").join("chain")))
}

/// Where the daemon writes its cookie inside `datadir`, as bitcoind does on regtest.
pub fn cookie_path(datadir: &Path) -> PathBuf {
    datadir.join("regtest").join(".cookie")
}

/// Splits `--rpcserver HOST[:PORT]` (IPv6 as `[::1]:PORT` or bare `::1`) and
/// applies `--rpcport`, which wins over a port in `HOST[:PORT]`.
pub fn server_address(rpcserver: &str, rpcport: Option<u16>) -> Result<(String, u16), String> {
    let server = rpcserver.trim();
    let invalid = |why: &str| format!("invalid --rpcserver `{rpcserver}`: {why}");
    if server.is_empty() || server.contains(['/', ' ']) {
        return Err(invalid("expected HOST or HOST:PORT"));
    }
    let (host, port_text) = if let Some(rest) = server.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(|| invalid("missing `]`"))?;
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(invalid("expected `:PORT` after `]`")),
            },
        }
    } else {
        match server.split_once(':') {
            // One colon: HOST:PORT. More: a bare IPv6 address.
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (server, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("empty host"));
    }
    let port_in_server = match port_text {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(port) if port != 0 => Some(port),
            _ => return Err(invalid("the port must be a number from 1 to 65535")),
        },
    };
    let port = rpcport.or(port_in_server).unwrap_or(DEFAULT_RPC_PORT);
    Ok((host.to_owned(), port))
}

/// How the result is shown, as bitcoin-cli shows it: nothing for `null`, a
/// string without quotes (block hashes, txids, hex), anything else as JSON
/// indented by two spaces with its numbers exactly as the daemon wrote them.
pub fn format_result(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw == "null" {
        return None;
    }
    if raw.starts_with('"') {
        if let Ok(s) = serde_json::from_str::<String>(raw) {
            return Some(s);
        }
    }
    Some(pretty_json(raw))
}

/// Re-indents valid JSON text without re-encoding any token. serde_json's own
/// pretty printer would go through `f64` and print `0.00001410` as `1.41e-5`.
fn pretty_json(raw: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    }
    let mut out = String::with_capacity(raw.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                while chars.next_if(|c| c.is_ascii_whitespace()).is_some() {}
                let close = if c == '{' { '}' } else { ']' };
                out.push(c);
                if chars.next_if_eq(&close).is_some() {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Runs one call and prints its outcome: the result on stdout (exit 0), or
/// an error on stderr (exit 1), in bitcoin-cli's formats.
pub fn run(conn: &Connection, method: &str, args: &[String]) -> ExitCode {
    match call(conn, method, args) {
        Ok(result) => {
            if let Some(text) = format_result(result.get()) {
                // A closed pipe (`| head`) is not an error worth a panic.
                let _ = writeln!(std::io::stdout().lock(), "{text}");
            }
            ExitCode::SUCCESS
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr().lock(), "{message}");
            ExitCode::FAILURE
        }
    }
}

/// Converts, connects, calls; on failure returns the full text for stderr.
fn call(conn: &Connection, method: &str, args: &[String]) -> Result<Box<RawValue>, String> {
    let params = convert_params(method, args).map_err(|e| format!("error: {e}"))?;
    let (host, port) =
        server_address(&conn.rpcserver, conn.rpcport).map_err(|e| format!("error: {e}"))?;
    let datadir = conn.datadir.clone().or_else(default_datadir);
    let start_hint = |datadir: &Option<PathBuf>| {
        if let Some(hint) = &conn.start_hint {
            return format!("Start it with:\n  {hint}");
        }
        let dir = datadir
            .as_ref()
            .map_or_else(|| "<dir>".to_owned(), |d| d.display().to_string());
        format!("Start it with:\n  rayo-chaind --datadir {dir}")
    };

    let (credentials, cookie) = match &conn.rpcuser {
        Some(user) => {
            let credentials = Credentials {
                user: user.clone(),
                password: conn.rpcpassword.clone().unwrap_or_default(),
            };
            (credentials, None)
        }
        None => {
            let dir = datadir.as_ref().ok_or_else(|| {
                "error: no data directory to read the RPC cookie from: \
                 set RAYO_HOME or HOME, pass --datadir DIR, or pass --rpcuser/--rpcpassword"
                    .to_owned()
            })?;
            let path = cookie_path(dir);
            let credentials = Credentials::from_cookie_file(&path).map_err(|e| match e {
                RpcError::CookieMissing { .. } => format!(
                    "error: {e}\n\
                     The chain daemon writes this cookie when it starts; is it running? {}\n\
                     (or pass --rpcuser and --rpcpassword for a server that uses a password)",
                    start_hint(&datadir)
                ),
                _ => format!("error: {e}"),
            })?;
            (credentials, Some(path))
        }
    };

    let client = RpcClient::new(&host, port, &credentials);
    client.call(method, &params).map_err(|e| match e {
        RpcError::Rpc { .. } => e.to_string(),
        RpcError::Connect { .. } => format!(
            "error: {e}\n\
             Is the chain daemon running and listening on {}? {}",
            client.addr(),
            start_hint(&datadir)
        ),
        RpcError::Unauthorized { .. } => match cookie {
            Some(path) => format!(
                "error: {e}\n\
                 The server rejected the cookie from {}: it is stale or belongs to another daemon.\n\
                 Check that --datadir and --rpcserver/--rpcport name the same daemon.",
                path.display()
            ),
            None => format!("error: {e}\nIncorrect --rpcuser or --rpcpassword."),
        },
        _ => format!("error: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(method: &str, args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        serde_json::to_string(&convert_params(method, &args).unwrap()).unwrap()
    }

    const HASH: &str = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
    const DIGIT_HASH: &str = "1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn table_positions_are_json_the_rest_strings() {
        assert_eq!(params("generate", &["101"]), "[101]");
        assert_eq!(
            params("generatetoaddress", &["5", "bcrt1qxyz"]),
            r#"[5,"bcrt1qxyz"]"#
        );
        assert_eq!(params("getblock", &[HASH, "2"]), format!(r#"["{HASH}",2]"#));
        assert_eq!(
            params("getblock", &[HASH, "true"]),
            format!(r#"["{HASH}",true]"#)
        );
        assert_eq!(params("getblockhash", &["0"]), "[0]");
        assert_eq!(
            params("getblockheader", &[HASH, "false"]),
            format!(r#"["{HASH}",false]"#)
        );
        assert_eq!(
            params("getrawtransaction", &[HASH, "1", HASH]),
            format!(r#"["{HASH}",1,"{HASH}"]"#)
        );
        assert_eq!(params("getrawmempool", &["true"]), "[true]");
        assert_eq!(
            params("gettxout", &[HASH, "0", "false"]),
            format!(r#"["{HASH}",0,false]"#)
        );
        assert_eq!(params("estimatesmartfee", &["6"]), "[6]");
        assert_eq!(
            params("testmempoolaccept", &[r#"["00ff"]"#, "0.1"]),
            r#"[["00ff"],0.1]"#
        );
        assert_eq!(
            params("sendrawtransaction", &["0200", "0.00001410"]),
            r#"["0200",0.00001410]"#
        );
        assert_eq!(
            params("decoderawtransaction", &["0200", "true"]),
            r#"["0200",true]"#
        );
    }

    #[test]
    fn string_only_methods_never_guess() {
        // A txid or block hash made only of decimal digits stays a string.
        assert_eq!(params("getmempoolentry", &["1234"]), r#"["1234"]"#);
        assert_eq!(
            params("invalidateblock", &[DIGIT_HASH]),
            format!(r#"["{DIGIT_HASH}"]"#)
        );
        assert_eq!(params("reconsiderblock", &["true"]), r#"["true"]"#);
        // Strings at non-JSON positions of table methods too.
        assert_eq!(params("getblock", &["42"]), r#"["42"]"#);
        assert_eq!(params("sendrawtransaction", &["0100"]), r#"["0100"]"#);
    }

    #[test]
    fn bad_json_in_a_json_position_is_an_error() {
        let err = convert_params("getblock", &[HASH.into(), "abc".into()]).unwrap_err();
        assert_eq!(err.name, "verbosity");
        assert_eq!(err.text, "abc");
        assert!(err.to_string().starts_with("Error parsing JSON: abc"));
        assert!(convert_params("generate", &["ten".into()]).is_err());
        assert!(convert_params("testmempoolaccept", &["[00ff]".into()]).is_err());
    }

    #[test]
    fn unknown_methods_guess() {
        assert_eq!(
            params("frobnicate", &["true", "false", "null", "5", "-1.5", "1e3"]),
            "[true,false,null,5,-1.5,1e3]"
        );
        assert_eq!(
            params("frobnicate", &[r#"[1,"a"]"#, r#"{"k":2}"#]),
            r#"[[1,"a"],{"k":2}]"#
        );
        assert_eq!(
            params("frobnicate", &["abc", "bcrt1qxyz", "0x10", "007"]),
            r#"["abc","bcrt1qxyz","0x10","007"]"#
        );
        // 64 hex digits are a hash even when all are decimal digits.
        assert_eq!(
            params("frobnicate", &[DIGIT_HASH]),
            format!(r#"["{DIGIT_HASH}"]"#)
        );
        assert_eq!(params("frobnicate", &[HASH]), format!(r#"["{HASH}"]"#));
        // Not valid JSON after all: sent as typed.
        assert_eq!(params("frobnicate", &["[abc", "{"]), r#"["[abc","{"]"#);
        // Case matters as in JSON, and quoting survives.
        assert_eq!(
            params("frobnicate", &["True", "a\"b"]),
            r#"["True","a\"b"]"#
        );
        assert_eq!(params("frobnicate", &[]), "[]");
    }

    #[test]
    fn datadir_defaults() {
        let d = default_datadir_from(Some("/r".into()), Some("/h".into()));
        assert_eq!(d, Some(PathBuf::from("/r/chain")));
        let d = default_datadir_from(None, Some("/h".into()));
        assert_eq!(d, Some(PathBuf::from("/h/.rayo/chain")));
        let d = default_datadir_from(Some("".into()), Some("/h".into()));
        assert_eq!(d, Some(PathBuf::from("/h/.rayo/chain")));
        assert_eq!(default_datadir_from(None, None), None);
        assert_eq!(
            cookie_path(Path::new("/r/chain")),
            PathBuf::from("/r/chain/regtest/.cookie")
        );
    }

    #[test]
    fn server_addresses() {
        let ok = |s: &str, p: Option<u16>| server_address(s, p).unwrap();
        assert_eq!(ok("127.0.0.1", None), ("127.0.0.1".into(), 18443));
        assert_eq!(ok("127.0.0.1:18500", None), ("127.0.0.1".into(), 18500));
        assert_eq!(ok("127.0.0.1:18500", Some(1)), ("127.0.0.1".into(), 1));
        assert_eq!(ok("localhost", Some(9)), ("localhost".into(), 9));
        assert_eq!(ok("[::1]:18444", None), ("::1".into(), 18444));
        assert_eq!(ok("[::1]", None), ("::1".into(), 18443));
        assert_eq!(ok("::1", None), ("::1".into(), 18443));
        for bad in [
            "",
            "host:",
            "host:0",
            "host:99999",
            "host:x",
            "[::1",
            "[::1]x",
            ":80",
            "http://h/",
        ] {
            assert!(server_address(bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn results_print_like_bitcoin_cli() {
        assert_eq!(format_result("null"), None);
        assert_eq!(format_result("101").as_deref(), Some("101"));
        assert_eq!(format_result(&format!("\"{HASH}\"")).as_deref(), Some(HASH));
        assert_eq!(format_result(r#""a\nb""#).as_deref(), Some("a\nb"));
        assert_eq!(format_result("[]").as_deref(), Some("[]"));
        assert_eq!(
            format_result(r#"{"fee":0.00001410,"a":[1, {}],"s":"x,{y}:\"z\""}"#).as_deref(),
            Some("{\n  \"fee\": 0.00001410,\n  \"a\": [\n    1,\n    {}\n  ],\n  \"s\": \"x,{y}:\\\"z\\\"\"\n}")
        );
    }

    #[test]
    fn pretty_matches_serde_json_layout() {
        let raw =
            r#"{"blocks":101,"chain":"regtest","nested":{"empty":[],"list":[true,null,"x"]}}"#;
        let value: serde_json::Value = serde_json::from_str(raw).unwrap();
        assert_eq!(
            pretty_json(raw),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
