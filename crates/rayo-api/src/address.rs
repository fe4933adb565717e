//! Node keys and peer addresses as a person types them (`rayo connect
//! <pubkey>@<host>[:port]`) or an lnd client sends them (`ConnectPeerRequest`):
//! checked once here, for the CLI and the node alike, so both refuse the same
//! input with the same words.

use crate::types::LightningAddress;

/// The peer-to-peer port a Lightning address without one gets (BOLT 1).
pub const DEFAULT_P2P_PORT: u16 = 9735;

/// Why a typed node key or address was refused: what is wrong and what is
/// expected, for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AddressError {
    message: String,
}

impl AddressError {
    fn new(message: impl Into<String>) -> Self {
        AddressError {
            message: message.into(),
        }
    }
}

/// Checks a node identity public key as typed: 33 bytes compressed, hex.
pub fn check_pubkey(key: &str) -> Result<(), AddressError> {
    pubkey_bytes(key).map(drop)
}

/// The 33 bytes of a node public key typed as hex (checked as
/// [`check_pubkey`] does), as `OpenChannelRequest.node_pubkey` carries them.
pub fn pubkey_bytes(key: &str) -> Result<Vec<u8>, AddressError> {
    match hex::decode(key) {
        Ok(bytes) if bytes.len() == 33 && matches!(bytes[0], 0x02 | 0x03) => Ok(bytes),
        _ => Err(AddressError::new(format!(
            "`{key}` is not a node public key: expected 66 hex characters starting with 02 or 03 \
             (a node's identity_pubkey from getinfo)"
        ))),
    }
}

/// Splits `<pubkey>@<host>[:port]` (IPv6 as `[::1]:9735`), checking both
/// parts. The host is kept as given, without a port if none was typed, as
/// lnd's `LightningAddress` carries it; [`LightningAddress::host_port`] adds
/// [`DEFAULT_P2P_PORT`] to dial it.
pub fn parse_peer_address(text: &str) -> Result<LightningAddress, AddressError> {
    let bad =
        |why: AddressError| AddressError::new(format!("invalid peer address `{text}`: {why}"));
    let (pubkey, host) = text
        .trim()
        .split_once('@')
        .ok_or_else(|| bad(AddressError::new("expected <pubkey>@<host>[:port]")))?;
    check_pubkey(pubkey).map_err(bad)?;
    check_host_port(host, DEFAULT_P2P_PORT).map_err(bad)?;
    Ok(LightningAddress {
        pubkey: pubkey.to_owned(),
        host: host.to_owned(),
    })
}

impl LightningAddress {
    /// The `host:port` to dial: `host` with [`DEFAULT_P2P_PORT`] added when
    /// it names no port (IPv6 stays in brackets, `[::1]:9735`). Never fails
    /// for an address from [`parse_peer_address`]; for any other, the error
    /// says what is wrong with the host.
    pub fn host_port(&self) -> Result<String, AddressError> {
        check_host_port(&self.host, DEFAULT_P2P_PORT)
    }
}

/// Checks `host[:port]` (IPv6 in brackets); returns `host:port` with
/// `default_port` added when none is given. Shared by peer addresses and the
/// CLI's `--rpcserver` (another default port).
pub fn check_host_port(text: &str, default_port: u16) -> Result<String, AddressError> {
    let err = |message: String| Err(AddressError::new(message));
    if text.is_empty() {
        return err("the host is missing".to_owned());
    }
    if text.contains(|c: char| c.is_whitespace() || matches!(c, '/' | '@' | '?' | '#')) {
        return err(format!("`{text}` is not a host[:port]"));
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return err(format!("`{text}`: missing `]` after the IPv6 address"));
        };
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return err(format!("`{text}`: expected `:PORT` after `]`")),
            },
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            Some(_) => {
                return err(format!(
                    "`{text}`: write an IPv6 address in brackets, such as [::1]:9735"
                ))
            }
            None => (text, None),
        }
    };
    if host.is_empty() {
        return err(format!("`{text}`: the host is missing"));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(port) if port != 0 => port,
            _ => {
                return err(format!(
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
            (&format!("{PK}@[::1]9735"), "expected `:PORT` after `]`"),
            (&format!("{PK}@a b"), "not a host"),
            (&format!("04{}@h", &PK[2..]), "not a node public key"),
            (&format!("{}@h", &PK[..64]), "not a node public key"),
            ("@h", "not a node public key"),
        ] {
            let err = parse_peer_address(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            assert!(err.starts_with("invalid peer address"), "{err}");
        }
    }

    #[test]
    fn host_ports_to_dial() {
        let dial = |s: &str| parse_peer_address(s).unwrap().host_port().unwrap();
        assert_eq!(dial(&format!("{PK}@localhost")), "localhost:9735");
        assert_eq!(dial(&format!("{PK}@127.0.0.1:9736")), "127.0.0.1:9736");
        assert_eq!(dial(&format!("{PK}@[::1]")), "[::1]:9735");
        assert_eq!(dial(&format!("{PK}@[::1]:1")), "[::1]:1");
        let unchecked = LightningAddress {
            pubkey: PK.into(),
            host: "::1".into(),
        };
        assert!(unchecked
            .host_port()
            .unwrap_err()
            .to_string()
            .contains("brackets"));
        assert_eq!(check_host_port("h", 8080).unwrap(), "h:8080");
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
        // 33 bytes, but not a compressed key's prefix.
        assert!(pubkey_bytes(&format!("04{}", &PK[2..])).is_err());
        assert!(check_pubkey(PK).is_ok());
    }
}
