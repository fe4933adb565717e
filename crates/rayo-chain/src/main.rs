//! `rayo-chaind`: the embedded private chain as a daemon, with bitcoind's
//! flags and a Bitcoin Core compatible JSON-RPC.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{bail, Context};
use bitcoin::secp256k1::rand::{thread_rng, RngCore};
use bitcoin::{Address, Amount, FeeRate, Network};
use clap::Parser;
use rayo_chain::chain::Chain;
use rayo_chain::rpc::{self, RpcServerConfig, RpcState};
use rayo_chain::store::SqliteStore;
use tokio::sync::Notify;

/// Command-line flags, named as bitcoind's.
#[derive(Parser, Debug)]
#[command(
    name = "rayo-chaind",
    version,
    about = "An embedded private Bitcoin chain (regtest rules) with a Bitcoin Core compatible JSON-RPC"
)]
struct Args {
    /// Data directory; chain data and the cookie live in its `regtest/`.
    #[arg(long, env = "RAYO_CHAIN_DATADIR")]
    datadir: Option<PathBuf>,
    /// JSON-RPC port.
    #[arg(long, default_value_t = 18443)]
    rpcport: u16,
    /// Address to bind the JSON-RPC to.
    #[arg(long, default_value = "127.0.0.1")]
    rpcbind: IpAddr,
    /// JSON-RPC user; without it a `.cookie` file is written.
    #[arg(long, requires = "rpcpassword")]
    rpcuser: Option<String>,
    /// JSON-RPC password.
    #[arg(long, requires = "rpcuser")]
    rpcpassword: Option<String>,
    /// Address that `generate N` pays (btcd's `--miningaddr`).
    #[arg(long)]
    miningaddr: Option<String>,
    /// Fee rate (BTC/kvB) `estimatesmartfee` answers while there is nothing
    /// to measure.
    #[arg(long, default_value = "0.0002")]
    fallbackfee: f64,
    /// Accepted for bitcoind compatibility; the chain is always regtest.
    #[arg(long)]
    regtest: bool,
}

fn default_datadir() -> PathBuf {
    let home = std::env::var_os("RAYO_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".rayo")))
        .unwrap_or_else(|| PathBuf::from(".rayo"));
    home.join("chain")
}

/// Writes `__cookie__:<random hex>` readable only by the user, as bitcoind.
fn write_cookie(path: &Path) -> anyhow::Result<String> {
    let mut secret = [0u8; 32];
    thread_rng().fill_bytes(&mut secret);
    let credentials = format!(
        "__cookie__:{}",
        bitcoin::hex::DisplayHex::to_lower_hex_string(&secret[..])
    );
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(credentials.as_bytes())?;
    std::fs::rename(&tmp, path)?;
    Ok(credentials)
}

fn parse_fee(btc_per_kvb: f64) -> anyhow::Result<FeeRate> {
    let sat_per_kvb = Amount::from_btc(btc_per_kvb)
        .context("invalid --fallbackfee")?
        .to_sat();
    Ok(FeeRate::from_sat_per_kwu(sat_per_kvb / 4))
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let dir = args
        .datadir
        .clone()
        .unwrap_or_else(default_datadir)
        .join("regtest");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    let lock = std::fs::File::create(dir.join(".lock"))?;
    if lock.try_lock().is_err() {
        bail!("another rayo-chaind is using {}", dir.display());
    }

    let mining_script = args
        .miningaddr
        .as_deref()
        .map(|a| {
            Address::from_str(a)
                .ok()
                .and_then(|a| a.require_network(Network::Regtest).ok())
                .map(|a| a.script_pubkey())
                .with_context(|| format!("--miningaddr {a} is not a regtest address"))
        })
        .transpose()?;
    let fallback_feerate = parse_fee(args.fallbackfee)?;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as u32;
    let store =
        SqliteStore::open(&dir.join("chain.sqlite")).context("cannot open the chain database")?;
    let chain = Chain::open(store, now).context("cannot load the chain")?;
    let (height, mempool) = (chain.height(), chain.mempool().len());

    let cookie_path = dir.join(".cookie");
    let credentials = match (&args.rpcuser, &args.rpcpassword) {
        (Some(user), Some(password)) => format!("{user}:{password}"),
        _ => write_cookie(&cookie_path)?,
    };
    let state = Arc::new(RpcState {
        chain: Mutex::new(chain),
        credentials,
        mining_script,
        fallback_feerate,
        started: Instant::now(),
        stop: Notify::new(),
    });

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let addr = SocketAddr::new(args.rpcbind, args.rpcport);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let auth = if args.rpcuser.is_some() {
            "user/password".to_owned()
        } else {
            format!("cookie {}", cookie_path.display())
        };
        println!(
            "rayo-chaind ready: regtest height {height}, {mempool} mempool txs, RPC {} ({auth})",
            rpc::describe(&listener.local_addr()?)
        );
        rpc::serve(
            listener,
            state,
            RpcServerConfig::default(),
            shutdown_signal(),
        )
        .await?;
        anyhow::Ok(())
    });
    if args.rpcuser.is_none() {
        let _ = std::fs::remove_file(&cookie_path);
    }
    tracing::info!("rayo-chaind stopped");
    result
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
