//! `rayod`'s settings: command-line flags named as lnd's, optionally preset
//! in `<datadir>/rayod.toml` (same names; flags win).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bitcoin::Network;
use clap::Parser;

/// The command line of `rayod`.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "rayod",
    version,
    about = "Rayo: a Lightning Network node",
    args_override_self = true
)]
pub struct Config {
    /// Data directory: keys, wallet, database, TLS certificate, access token.
    #[arg(long)]
    pub datadir: Option<PathBuf>,
    /// Bitcoin network: regtest, signet, testnet or mainnet.
    #[arg(long, default_value = "regtest", value_parser = parse_network)]
    pub network: Network,
    /// Required to run on mainnet, where real money is at stake.
    #[arg(long)]
    pub allow_mainnet: bool,
    /// Peer-to-peer listen address.
    #[arg(long, default_value = "0.0.0.0:9735")]
    pub listen: SocketAddr,
    /// REST API listen address (TLS).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub restlisten: SocketAddr,
    /// The node's alias.
    #[arg(long, default_value = "")]
    pub alias: String,
    /// Address other nodes reach us at, shown in getinfo's `uris`.
    #[arg(long)]
    pub externalip: Option<String>,
    /// Chain RPC `host:port` (rayo-chaind or bitcoind).
    #[arg(long = "bitcoind.rpchost")]
    pub bitcoind_rpchost: Option<String>,
    /// Chain RPC user.
    #[arg(long = "bitcoind.rpcuser", requires = "bitcoind_rpcpass")]
    pub bitcoind_rpcuser: Option<String>,
    /// Chain RPC password.
    #[arg(long = "bitcoind.rpcpass", requires = "bitcoind_rpcuser")]
    pub bitcoind_rpcpass: Option<String>,
    /// Chain RPC cookie file (instead of user and password).
    #[arg(long = "bitcoind.rpccookie")]
    pub bitcoind_rpccookie: Option<PathBuf>,
    /// Development mode, as lnd's: create the wallet at first start without
    /// asking (its words go to `<datadir>/seed.txt`, mode 0600) and encrypt
    /// the seed with a published dev password, so the node starts
    /// without `rayo create`/`rayo unlock`. Never for real funds.
    #[arg(long)]
    pub noseedbackup: bool,
    /// Unlock the wallet at startup with the password in this file (lnd's
    /// flag; trailing newlines are trimmed) instead of waiting for
    /// `rayo unlock`.
    #[arg(long = "wallet-unlock-password-file", value_name = "PATH")]
    pub wallet_unlock_password_file: Option<PathBuf>,
    /// With --wallet-unlock-password-file: if there is no wallet yet, wait
    /// for `rayo create` instead of failing (lnd's flag).
    #[arg(long = "wallet-unlock-allow-create")]
    pub wallet_unlock_allow_create: bool,
    /// Smallest inbound channel accepted, in satoshis (lnd's flag).
    #[arg(long, default_value_t = 20_000)]
    pub minchansize: u64,
    /// Most unconfirmed inbound channels one peer may have (waiting for
    /// `funding_created` or for the funding to confirm): lnd's flag, with
    /// lnd's default. All peers together get at most 50.
    #[arg(long, default_value_t = 1)]
    pub maxpendingchannels: usize,
    /// Confirmations before a channel is usable (3 on regtest, as the
    /// tutorial; lnd's `bitcoin.defaultchanconfs`).
    #[arg(long = "bitcoin.defaultchanconfs", default_value_t = 3)]
    pub defaultchanconfs: u32,
    /// Seconds between keep-alive pings to each peer (lower it in tests).
    #[arg(long = "dev.pinginterval", default_value_t = 30, hide = true)]
    pub ping_interval_secs: u64,
    /// Seconds one write to a peer may take before it is disconnected
    /// (lower it in tests).
    #[arg(long = "dev.writetimeout", default_value_t = 30, hide = true)]
    pub write_timeout_secs: u64,
}

fn parse_network(s: &str) -> Result<Network, String> {
    match s {
        "regtest" => Ok(Network::Regtest),
        "signet" => Ok(Network::Signet),
        "testnet" | "testnet3" => Ok(Network::Testnet),
        "mainnet" | "bitcoin" => Ok(Network::Bitcoin),
        other => Err(format!(
            "unknown network {other:?}: use regtest, signet, testnet or mainnet"
        )),
    }
}

/// `$RAYO_HOME`, or `~/.rayo`.
pub fn rayo_home() -> PathBuf {
    std::env::var_os("RAYO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".rayo")))
        .unwrap_or_else(|| PathBuf::from(".rayo"))
}

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `rayod.toml` could not be read or parsed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Flags that cannot work together or are unsafe.
    #[error("{0}")]
    Invalid(String),
    /// The command line itself is wrong (clap's message).
    #[error(transparent)]
    Args(#[from] clap::Error),
}

/// Turns `rayod.toml` entries into `--key=value` arguments.
fn file_args(path: &Path) -> Result<Vec<String>, ConfigError> {
    let err = |reason: String| ConfigError::File {
        path: path.to_owned(),
        reason,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(err(e.to_string())),
    };
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| err(e.to_string()))?;
    let mut args = Vec::new();
    for (key, value) in flatten("", &table) {
        match value {
            toml::Value::Boolean(true) => args.push(format!("--{key}")),
            toml::Value::Boolean(false) => {}
            toml::Value::String(s) => args.push(format!("--{key}={s}")),
            toml::Value::Integer(i) => args.push(format!("--{key}={i}")),
            other => return Err(err(format!("{key}: unsupported value {other}"))),
        }
    }
    Ok(args)
}

/// `[bitcoind] rpchost = ..` and `"bitcoind.rpchost" = ..` both become
/// `bitcoind.rpchost`.
fn flatten<'a>(prefix: &str, table: &'a toml::Table) -> Vec<(String, &'a toml::Value)> {
    let mut out = Vec::new();
    for (key, value) in table {
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => out.extend(flatten(&name, inner)),
            other => out.push((name, other)),
        }
    }
    out
}

impl Config {
    /// Parses `args` (program name first), after presetting the values of
    /// `<datadir>/rayod.toml`.
    pub fn load(args: Vec<String>) -> Result<Config, ConfigError> {
        let first = Config::try_parse_from(&args)?;
        let datadir = first.datadir();
        let mut merged = vec![args[0].clone()];
        merged.extend(file_args(&datadir.join("rayod.toml"))?);
        merged.extend(args.into_iter().skip(1));
        let config = Config::try_parse_from(merged)?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.network == Network::Bitcoin && !self.allow_mainnet {
            return Err(ConfigError::Invalid(
                "refusing to start on mainnet without --allow-mainnet: real money is at stake"
                    .into(),
            ));
        }
        if self.bitcoind_rpcuser.is_some() && self.bitcoind_rpccookie.is_some() {
            return Err(ConfigError::Invalid(
                "give --bitcoind.rpcuser/--bitcoind.rpcpass or --bitcoind.rpccookie, not both"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The data directory: `--datadir`, or `~/.rayo/node`.
    pub fn datadir(&self) -> PathBuf {
        self.datadir
            .clone()
            .unwrap_or_else(|| rayo_home().join("node"))
    }

    /// The chain RPC host, defaulting to the network's local bitcoind port.
    pub fn chain_host(&self) -> String {
        self.bitcoind_rpchost.clone().unwrap_or_else(|| {
            let port = match self.network {
                Network::Bitcoin => 8332,
                Network::Testnet => 18332,
                Network::Signet => 38332,
                _ => 18443,
            };
            format!("127.0.0.1:{port}")
        })
    }

    /// The chain RPC credentials: user/password, the given cookie, or on
    /// regtest the embedded chain's default cookie.
    pub fn chain_auth(&self) -> crate::chain_client::ChainAuth {
        use crate::chain_client::ChainAuth;
        match (
            &self.bitcoind_rpcuser,
            &self.bitcoind_rpcpass,
            &self.bitcoind_rpccookie,
        ) {
            (Some(user), Some(pass), _) => ChainAuth::UserPass(user.clone(), pass.clone()),
            (_, _, Some(cookie)) => ChainAuth::Cookie(cookie.clone()),
            _ => {
                let subdir = match self.network {
                    Network::Bitcoin => "",
                    Network::Testnet => "testnet3",
                    Network::Signet => "signet",
                    _ => "regtest",
                };
                let base = if self.network == Network::Regtest {
                    rayo_home().join("chain")
                } else {
                    std::env::var_os("HOME")
                        .map(|h| PathBuf::from(h).join(".bitcoin"))
                        .unwrap_or_default()
                };
                ChainAuth::Cookie(base.join(subdir).join(".cookie"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        std::iter::once("rayod")
            .chain(list.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn mainnet_needs_explicit_opt_in() {
        let err =
            Config::load(args(&["--network", "mainnet", "--datadir", "/nonexistent"])).unwrap_err();
        assert!(err.to_string().contains("--allow-mainnet"));
        assert!(Config::load(args(&[
            "--network",
            "mainnet",
            "--allow-mainnet",
            "--datadir",
            "/nonexistent"
        ]))
        .is_ok());
    }

    #[test]
    fn toml_presets_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("rayod.toml"),
            "alias = \"from-file\"\nlisten = \"127.0.0.1:9999\"\n[bitcoind]\nrpchost = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let d = dir.path().to_str().unwrap();
        let c = Config::load(args(&["--datadir", d, "--alias", "from-flag"])).unwrap();
        assert_eq!(c.alias, "from-flag");
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.chain_host(), "127.0.0.1:1");
        std::fs::write(dir.path().join("rayod.toml"), "listen = [1]").unwrap();
        assert!(Config::load(args(&["--datadir", d])).is_err());
    }

    #[test]
    fn unknown_network_is_refused() {
        assert!(Config::load(args(&["--network", "moon"])).is_err());
    }
}
