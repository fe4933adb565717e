//! `rayod` put together: opens the data dir (private), the store, the seed
//! and the keys, rebuilds the manager, and runs the tasks under one
//! supervisor:
//!
//! ```text
//! peers (listener + one reader/writer pair per peer) --PeerInbox--+
//! REST (axum over TLS) ------------------DriverHandle (commands)--+--> driver (owns the Manager)
//! chain task (sync, mempool, broadcasts) --DriverHandle (events)--+        |
//!        ^------------------------- broadcasts, watches -----------------+
//! store thread <-- one transaction per batch (awaited by the driver)
//! ```
//!
//! If any task ends, the daemon stops with an error; a panic anywhere is
//! logged and ends the process with a non-zero status (see `main.rs`), so
//! half a node never keeps running.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bitcoin::secp256k1::Secp256k1;
use rayo_channel::establish::ChannelPolicy;
use rayo_manager::{Manager, ManagerConfig};
use rayo_wire::bitcoin::constants::ChainHash;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinSet;

use crate::chain_client::ChainClient;
use crate::chain_sync::ChainSync;
use crate::config::Config;
use crate::driver::Driver;
use crate::peers::{PeerSettings, Peers};
use crate::rest::{Api, NodeInfo};
use crate::store::{SqliteNodeStore, StoreHandle};

/// How often saved peers that are not connected are dialled again.
pub const RECONNECT_INTERVAL: Duration = Duration::from_secs(5);

/// Opens the database in `datadir`, private: the file is created 0600 (so
/// SQLite's WAL and SHM files are too) and an existing one that others can
/// read is refused, as ssh refuses a readable key.
fn open_store(datadir: &Path) -> anyhow::Result<SqliteNodeStore> {
    let path = datadir.join("node.sqlite");
    crate::secrets::create_private_file(&path)?;
    crate::secrets::check_database_files(&path)?;
    Ok(SqliteNodeStore::open(&path)?)
}

/// The manager's settings from the flags.
fn manager_config(config: &Config) -> ManagerConfig {
    let policy = ChannelPolicy {
        min_funding: rayo_wire::amount::Sat(config.minchansize),
        minimum_depth: config.defaultchanconfs.max(1),
        ..ChannelPolicy::new(ChainHash::using_genesis_block(config.network))
    };
    ManagerConfig {
        max_pending_per_peer: config.maxpendingchannels.max(1),
        ..ManagerConfig::new(config.network, policy)
    }
}

/// Runs the daemon until `rayo stop`, SIGINT or SIGTERM (Ok), or until a
/// task fails (Err).
pub fn run(config: Config) -> anyhow::Result<()> {
    let datadir = config.datadir();
    if let crate::secrets::DirState::Tightened { from } =
        crate::secrets::ensure_private_dir(&datadir)?
    {
        tracing::warn!(dir = %datadir.display(), from = format!("{from:o}"), "data dir was readable by others; now 0700");
    }
    let lock = std::fs::File::create(datadir.join(".lock"))?;
    if lock.try_lock().is_err() {
        anyhow::bail!("another rayod is using {}", datadir.display());
    }
    let store = open_store(&datadir).context("cannot open the node's database")?;
    let network = config.network;
    let hosts: Vec<String> = config.externalip.iter().cloned().collect();
    let (tls_config, _) =
        crate::tls::load_or_create_tls(&datadir, &hosts).context("TLS certificate")?;
    let token = crate::tls::load_or_create_token(
        &datadir.join(rayo_api::TOKEN_FILE),
        crate::entropy::random_32()?,
    )
    .context("access token")?;
    let store = StoreHandle::spawn(Box::new(store))?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let seed = tokio::select! {
            unlocked = crate::unlocker::obtain_seed(
                &config,
                &store,
                config.restlisten,
                Arc::clone(&tls_config),
                &token,
            ) => unlocked?,
            _ = shutdown_signal() => {
                tracing::info!("rayod stopped before its wallet was unlocked");
                return Ok(());
            }
        };
        let master = seed.master_key(network)?;
        let node_secret = rayo_wallet::node_secret(&master)?;
        let node_id = node_secret.public_key(&Secp256k1::signing_only());
        let stored = store
            .run(|s| s.load())
            .await
            .context("cannot read the node's state")?;
        let (manager, startup) = Manager::restore(
            manager_config(&config),
            master,
            stored,
            crate::entropy::unix_now(),
        )
        .context("cannot restore the wallet")?;

        let p2p = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen for peers on {}", config.listen))?;
        let rest_listener = tokio::net::TcpListener::bind(config.restlisten)
            .await
            .with_context(|| format!("cannot listen for the REST API on {}", config.restlisten))?;
        let p2p_addr = p2p.local_addr()?;
        let rest_addr = rest_listener.local_addr()?;

        let settings = PeerSettings {
            ping_interval: Duration::from_secs(config.ping_interval_secs.max(1)),
            write_timeout: Duration::from_secs(config.write_timeout_secs.max(1)),
            ..PeerSettings::default()
        };
        let init = crate::connection::default_init(ChainHash::using_genesis_block(network));
        let (peers, inbox) = Peers::new(node_secret, init, settings);
        let chain = ChainClient::new(&config.chain_host(), config.chain_auth());
        let (chain_requests, chain_queue) = mpsc::unbounded_channel();
        let (driver, handle, inputs) =
            Driver::new(manager, store.clone(), Arc::clone(&peers), chain_requests);
        let (tip_tx, tip) = watch::channel(None);
        let mut chain_sync =
            ChainSync::new(Arc::clone(&chain), handle.clone(), chain_queue, tip_tx);
        let stop = Arc::new(Notify::new());

        let mut tasks: JoinSet<Supervised> = JoinSet::new();
        tasks.spawn(async move {
            (
                "driver",
                driver.run(startup, inputs, inbox).await.map_err(Into::into),
            )
        });
        // A first sync before "ready", so getinfo shows the chain at once; an
        // unreachable chain is reported and retried, not fatal.
        if let Err(e) = chain_sync.sync_now().await {
            tracing::warn!(error = %e, "chain not reachable yet; will keep trying");
        }
        tasks.spawn(async move {
            chain_sync.run().await;
            ("chain sync", Ok(()))
        });
        let listener_peers = Arc::clone(&peers);
        tasks.spawn(async move {
            listener_peers.listen(p2p).await;
            ("peer listener", Ok(()))
        });
        let (reconnect_peers, reconnect_store) = (Arc::clone(&peers), store.clone());
        tasks.spawn(async move {
            reconnect_loop(reconnect_peers, reconnect_store).await;
            ("reconnect", Ok(()))
        });
        let api = Api {
            info: Arc::new(NodeInfo {
                node_id,
                alias: config.alias.clone(),
                network,
                listen: config.listen,
                externalip: config.externalip.clone(),
            }),
            driver: handle,
            peers,
            store,
            chain,
            tip,
            stop: Arc::clone(&stop),
            token: token.into(),
        };
        let app = crate::rest::router(api);
        let stop_rest = Arc::clone(&stop);
        let server = tokio::spawn(crate::tls::serve_tls(
            rest_listener,
            tls_config,
            app,
            async move {
                tokio::select! {
                    _ = stop_rest.notified() => {}
                    _ = shutdown_signal() => {}
                }
            },
        ));
        println!(
            "rayod ready: node {node_id}@{p2p_addr}, REST https://{rest_addr}, network {network}"
        );
        supervise(server, &mut tasks).await
    })
}

/// A supervised task: its name and how it ended.
pub type Supervised = (&'static str, anyhow::Result<()>);

/// Waits until `server` ends (a clean stop: `rayo stop` or a signal) or any
/// of `tasks` ends, which is a failure whether it returned, failed or
/// panicked: the daemon stops rather than run without it.
pub async fn supervise(
    server: tokio::task::JoinHandle<()>,
    tasks: &mut JoinSet<Supervised>,
) -> anyhow::Result<()> {
    tokio::select! {
        served = server => {
            served.context("the REST server failed")?;
            tracing::info!("rayod stopped");
            Ok(())
        }
        Some(ended) = tasks.join_next() => {
            let (name, result) = ended.context("a task panicked")?;
            let error = match result {
                Ok(()) => anyhow::anyhow!("the {name} task ended unexpectedly"),
                Err(e) => e.context(format!("the {name} task failed")),
            };
            tracing::error!(error = %format!("{error:#}"), "stopping");
            Err(error)
        }
    }
}

/// Keeps dialling saved peers that are not connected; each peer's failure
/// is logged when it changes, not at every attempt.
async fn reconnect_loop(peers: Arc<Peers>, store: StoreHandle) {
    let mut last_error: std::collections::HashMap<bitcoin::secp256k1::PublicKey, String> =
        std::collections::HashMap::new();
    loop {
        let saved = store.run(|s| s.peers()).await.unwrap_or_default();
        for peer in saved {
            let Ok(node_id) = peer.pubkey.parse() else {
                continue;
            };
            if peers.is_connected(&node_id) {
                continue;
            }
            match peers.connect(node_id, &peer.address).await {
                Ok(()) => {
                    last_error.remove(&node_id);
                }
                Err(e) => {
                    let text = e.to_string();
                    if last_error.get(&node_id) != Some(&text) {
                        tracing::info!(peer = %node_id, address = %peer.address, error = %text, "reconnect failed");
                        last_error.insert(node_id, text);
                    }
                }
            }
        }
        tokio::time::sleep(RECONNECT_INTERVAL).await;
    }
}

/// Resolves on SIGINT or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "no SIGTERM handler; only SIGINT stops rayod");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle_server() -> tokio::task::JoinHandle<()> {
        tokio::spawn(std::future::pending())
    }

    #[tokio::test]
    async fn a_panicking_task_stops_the_daemon_with_an_error() {
        let mut tasks: JoinSet<Supervised> = JoinSet::new();
        tasks.spawn(std::future::pending());
        tasks.spawn(async { panic!("a bug") });
        let error = supervise(idle_server(), &mut tasks).await.unwrap_err();
        assert!(format!("{error:#}").contains("panicked"), "{error:#}");
    }

    #[tokio::test]
    async fn a_task_that_ends_or_fails_stops_the_daemon_with_an_error() {
        let mut tasks: JoinSet<Supervised> = JoinSet::new();
        tasks.spawn(async { ("chain sync", Ok(())) });
        let error = supervise(idle_server(), &mut tasks).await.unwrap_err();
        assert!(
            error.to_string().contains("chain sync task ended"),
            "{error:#}"
        );
        let mut tasks: JoinSet<Supervised> = JoinSet::new();
        tasks.spawn(async { ("driver", Err(anyhow::anyhow!("disk full"))) });
        let error = supervise(idle_server(), &mut tasks).await.unwrap_err();
        assert!(
            format!("{error:#}").contains("driver task failed: disk full"),
            "{error:#}"
        );
    }

    #[tokio::test]
    async fn a_clean_stop_is_ok() {
        let mut tasks: JoinSet<Supervised> = JoinSet::new();
        tasks.spawn(std::future::pending());
        supervise(tokio::spawn(async {}), &mut tasks).await.unwrap();
    }
}
