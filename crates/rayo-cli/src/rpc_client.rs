//! A blocking JSON-RPC 1.0 client over plain HTTP, speaking to a Bitcoin Core
//! compatible server (`rayo-chaind` or `bitcoind`) the way `bitcoin-cli` does.
//!
//! Parameters and results travel as [`RawValue`]s so that their text is kept
//! byte for byte: bitcoind's amounts (`0.00001410`) must not pass through `f64`.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde_json::value::RawValue;

/// How long to wait for the TCP connection. Only the connection is bounded:
/// a call such as `generate 1000` may legitimately take a long time to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Replies larger than this are refused rather than exhausting memory; a
/// verbose regtest block is far smaller.
const MAX_REPLY_BYTES: u64 = 256 * 1024 * 1024;

/// The user name and password sent as HTTP Basic credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The RPC user (`__cookie__` when the credentials come from a cookie file).
    pub user: String,
    /// The RPC password (the random hex secret of a cookie file).
    pub password: String,
}

impl Credentials {
    /// Reads the cookie file that bitcoind (and `rayo-chaind`) writes at start-up,
    /// so a local user needs no configured password.
    pub fn from_cookie_file(path: &Path) -> Result<Self, RpcError> {
        let contents = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => RpcError::CookieMissing {
                path: path.to_path_buf(),
            },
            _ => RpcError::CookieInvalid {
                path: path.to_path_buf(),
                reason: e.to_string(),
            },
        })?;
        parse_cookie(&contents).map_err(|reason| RpcError::CookieInvalid {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        })
    }

    /// The value of the `Authorization` header for these credentials.
    pub fn basic_auth_header(&self) -> String {
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.user, self.password));
        format!("Basic {token}")
    }
}

/// Parses cookie file contents, `__cookie__:<hex>` as bitcoind writes them.
///
/// Like bitcoin-cli, the first line is taken as `user:password` and split at
/// the first colon; a trailing newline (added by hand-edited files) is ignored.
pub fn parse_cookie(contents: &str) -> Result<Credentials, &'static str> {
    let line = contents.lines().next().unwrap_or("").trim_end();
    let (user, password) = line
        .split_once(':')
        .ok_or("expected `user:password` (such as `__cookie__:<hex>`)")?;
    if user.is_empty() || password.is_empty() {
        return Err("expected `user:password` with a non-empty user and password");
    }
    Ok(Credentials {
        user: user.to_owned(),
        password: password.to_owned(),
    })
}

/// Why a call did not produce a result. Each variant is a different thing for
/// the user to fix, so the command line prints a different hint for each.
#[derive(Debug)]
pub enum RpcError {
    /// The cookie file does not exist: usually the daemon is not running.
    CookieMissing {
        /// Where the cookie was looked for.
        path: PathBuf,
    },
    /// The cookie file exists but cannot be read or is not `user:password`.
    CookieInvalid {
        /// The cookie file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No TCP connection could be made (refused, unresolvable, timed out).
    Connect {
        /// `host:port` that was tried.
        addr: String,
        /// The underlying cause.
        reason: String,
    },
    /// The server answered HTTP 401: wrong user/password or a stale cookie.
    Unauthorized {
        /// `host:port` that refused the credentials.
        addr: String,
    },
    /// The server executed the call and reported an error (bitcoind's
    /// `{"error":{"code":C,"message":M}}`, usually with HTTP 500 or 404).
    Rpc {
        /// The JSON-RPC error code (e.g. -8 invalid parameter, -32601 method not found).
        code: i64,
        /// The server's message.
        message: String,
    },
    /// A non-2xx HTTP status without a JSON-RPC error body (e.g. 403 Forbidden).
    Http {
        /// `host:port` that answered.
        addr: String,
        /// The HTTP status code.
        status: u16,
        /// The body, possibly empty.
        body: String,
    },
    /// The reply is not a JSON-RPC response.
    BadReply {
        /// `host:port` that answered.
        addr: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Any other transport failure after connecting (connection reset, ...).
    Transport {
        /// `host:port` being talked to.
        addr: String,
        /// The underlying cause.
        reason: String,
    },
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CookieMissing { path } => {
                write!(f, "cookie file {} not found", path.display())
            }
            Self::CookieInvalid { path, reason } => {
                write!(f, "cannot use cookie file {}: {reason}", path.display())
            }
            Self::Connect { addr, reason } => {
                write!(f, "could not connect to the server {addr}: {reason}")
            }
            Self::Unauthorized { addr } => {
                write!(f, "authorization failed (HTTP 401) at {addr}")
            }
            Self::Rpc { code, message } => {
                write!(f, "error code: {code}\nerror message:\n{message}")
            }
            Self::Http { addr, status, body } => {
                write!(f, "server {addr} answered HTTP {status}")?;
                if body.trim().is_empty() {
                    Ok(())
                } else {
                    write!(f, ": {}", body.trim())
                }
            }
            Self::BadReply { addr, reason } => {
                write!(f, "unexpected reply from {addr}: {reason}")
            }
            Self::Transport { addr, reason } => {
                write!(f, "error talking to {addr}: {reason}")
            }
        }
    }
}

impl std::error::Error for RpcError {}

/// A JSON-RPC client bound to one server and one set of credentials.
pub struct RpcClient {
    agent: ureq::Agent,
    url: String,
    addr: String,
    authorization: String,
}

impl RpcClient {
    /// Creates a client for `http://host:port/`. `host` may be an IPv6
    /// literal without brackets.
    pub fn new(host: &str, port: u16, credentials: &Credentials) -> Self {
        let addr = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let config = ureq::Agent::config_builder()
            // bitcoind reports RPC errors with HTTP 500/404 and a JSON body we must read.
            .http_status_as_error(false)
            // The chain RPC is local or explicitly addressed: never route it via $http_proxy.
            .proxy(None)
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .build();
        Self {
            agent: ureq::Agent::new_with_config(config),
            url: format!("http://{addr}/"),
            addr,
            authorization: credentials.basic_auth_header(),
        }
    }

    /// `host:port` this client talks to, for messages.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Calls `method` with positional `params` and returns the raw `result`.
    pub fn call(&self, method: &str, params: &[Box<RawValue>]) -> Result<Box<RawValue>, RpcError> {
        let body = request_body(method, params);
        let mut response = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("Authorization", &self.authorization)
            .send(body.as_str())
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        if status == 401 {
            return Err(RpcError::Unauthorized {
                addr: self.addr.clone(),
            });
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| self.transport_error(e))?;
        parse_reply(&self.addr, status, &text)
    }

    /// Sorts a ureq error into "could not connect" and everything else.
    fn transport_error(&self, error: ureq::Error) -> RpcError {
        let addr = self.addr.clone();
        match error {
            ureq::Error::Io(e) if is_connect_error(e.kind()) => RpcError::Connect {
                addr,
                reason: e.to_string(),
            },
            ureq::Error::HostNotFound => RpcError::Connect {
                addr,
                reason: "host not found".to_owned(),
            },
            ureq::Error::ConnectionFailed => RpcError::Connect {
                addr,
                reason: "connection failed".to_owned(),
            },
            ureq::Error::Timeout(t @ (ureq::Timeout::Connect | ureq::Timeout::Resolve)) => {
                RpcError::Connect {
                    addr,
                    reason: format!("timed out ({t})"),
                }
            }
            other => RpcError::Transport {
                addr,
                reason: other.to_string(),
            },
        }
    }
}

/// Errors that mean no server is listening at the address.
fn is_connect_error(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::TimedOut
    )
}

/// The JSON-RPC 1.0 request body bitcoin-cli sends.
fn request_body(method: &str, params: &[Box<RawValue>]) -> String {
    // Built by hand so the raw parameter text goes out unchanged.
    format!(
        r#"{{"jsonrpc":"1.0","id":"rayo","method":{},"params":{}}}"#,
        serde_json::Value::from(method),
        serde_json::to_string(params).unwrap_or_else(|_| "[]".to_owned()),
    )
}

/// Turns an HTTP status and body into the call's result or error.
fn parse_reply(addr: &str, status: u16, text: &str) -> Result<Box<RawValue>, RpcError> {
    let fields = serde_json::from_str::<std::collections::BTreeMap<String, Box<RawValue>>>(text);
    let Ok(mut fields) = fields else {
        return Err(if (200..300).contains(&status) {
            RpcError::BadReply {
                addr: addr.to_owned(),
                reason: format!("not a JSON-RPC response: {}", text.trim()),
            }
        } else {
            RpcError::Http {
                addr: addr.to_owned(),
                status,
                body: text.to_owned(),
            }
        });
    };
    if let Some(error) = fields.get("error").filter(|e| e.get() != "null") {
        let error: serde_json::Value = serde_json::from_str(error.get()).unwrap_or_default();
        let code = error.get("code").and_then(serde_json::Value::as_i64);
        let message = error.get("message").and_then(serde_json::Value::as_str);
        return Err(match (code, message) {
            (Some(code), Some(message)) => RpcError::Rpc {
                code,
                message: message.to_owned(),
            },
            _ => RpcError::BadReply {
                addr: addr.to_owned(),
                reason: format!("malformed error: {error}"),
            },
        });
    }
    if !(200..300).contains(&status) {
        return Err(RpcError::Http {
            addr: addr.to_owned(),
            status,
            body: text.to_owned(),
        });
    }
    fields.remove("result").ok_or_else(|| RpcError::BadReply {
        addr: addr.to_owned(),
        reason: "no `result` field".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_as_bitcoind_writes_it() {
        let c = parse_cookie("__cookie__:0123abcd").unwrap();
        assert_eq!(c.user, "__cookie__");
        assert_eq!(c.password, "0123abcd");
    }

    #[test]
    fn cookie_with_trailing_newline_and_colon_in_password() {
        let c = parse_cookie("__cookie__:ab:cd\n").unwrap();
        assert_eq!(c.password, "ab:cd");
        let c = parse_cookie("u:p\r\nignored").unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("u", "p"));
    }

    #[test]
    fn malformed_cookies_are_rejected() {
        for bad in [
            "",
            "\n",
            "nocolon",
            ":secret",
            "__cookie__:",
            "__cookie__:\n",
        ] {
            assert!(parse_cookie(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn basic_auth_header() {
        let c = Credentials {
            user: "__cookie__".into(),
            password: "abc".into(),
        };
        // base64("__cookie__:abc")
        assert_eq!(c.basic_auth_header(), "Basic X19jb29raWVfXzphYmM=");
    }

    #[test]
    fn missing_cookie_file() {
        let err = Credentials::from_cookie_file(Path::new("/nonexistent/regtest/.cookie"));
        assert!(matches!(err, Err(RpcError::CookieMissing { .. })));
    }

    #[test]
    fn request_body_keeps_param_text() {
        let params = vec![
            RawValue::from_string("0.00001410".into()).unwrap(),
            serde_json::value::to_raw_value("a\"b").unwrap(),
        ];
        assert_eq!(
            request_body("sendrawtransaction", &params),
            r#"{"jsonrpc":"1.0","id":"rayo","method":"sendrawtransaction","params":[0.00001410,"a\"b"]}"#
        );
    }

    #[test]
    fn replies() {
        let ok = parse_reply(
            "a",
            200,
            r#"{"result":1.50000000,"error":null,"id":"rayo"}"#,
        );
        assert_eq!(ok.unwrap().get(), "1.50000000");
        let err = parse_reply(
            "a",
            500,
            r#"{"result":null,"error":{"code":-8,"message":"bad"},"id":"rayo"}"#,
        );
        assert!(matches!(err, Err(RpcError::Rpc { code: -8, ref message }) if message == "bad"));
        let err = parse_reply("a", 403, "");
        assert!(matches!(err, Err(RpcError::Http { status: 403, .. })));
        let err = parse_reply("a", 200, "<html>");
        assert!(matches!(err, Err(RpcError::BadReply { .. })));
        let err = parse_reply("a", 500, r#"{"result":null,"error":"boom","id":1}"#);
        assert!(matches!(err, Err(RpcError::BadReply { .. })));
    }
}
