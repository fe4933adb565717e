//! `rayod`: the Rayo Lightning node daemon.

use std::sync::Arc;

use anyhow::Context;
use rayo_node::config::{Config, ConfigError};
use rayo_node::node::Node;
use rayo_node::{rest, tls};

fn main() -> std::process::ExitCode {
    let config = match Config::load(std::env::args().collect()) {
        Ok(config) => config,
        Err(ConfigError::Args(e)) => e.exit(),
        Err(e) => {
            eprintln!("rayod: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(config) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rayod: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn random_32() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bitcoin::secp256k1::rand::RngCore::fill_bytes(
        &mut bitcoin::secp256k1::rand::thread_rng(),
        &mut bytes,
    );
    bytes
}

fn run(config: Config) -> anyhow::Result<()> {
    let datadir = config.datadir();
    std::fs::create_dir_all(&datadir)
        .with_context(|| format!("cannot create {}", datadir.display()))?;
    let lock = std::fs::File::create(datadir.join(".lock"))?;
    if lock.try_lock().is_err() {
        anyhow::bail!("another rayod is using {}", datadir.display());
    }
    let (node, new_seed, peer_events) =
        Node::open(config.clone()).context("cannot open the node")?;
    if let Some(seed) = new_seed {
        match seed.file {
            Some(path) => println!(
                "rayod: new wallet seed written to {} (--noseedbackup)",
                path.display()
            ),
            None => {
                println!(
                    "!!! NEW WALLET SEED: write these 24 words down; they are shown only once !!!"
                );
                println!("{}", seed.words);
                println!("!!! END OF SEED !!!");
            }
        }
    }
    let hosts: Vec<String> = config.externalip.iter().cloned().collect();
    let (tls_config, _) = tls::load_or_create_tls(&datadir, &hosts).context("TLS certificate")?;
    let token = tls::load_or_create_token(&datadir.join(rayo_api::TOKEN_FILE), random_32())
        .context("access token")?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let p2p = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen for peers on {}", config.listen))?;
        let rest_listener = tokio::net::TcpListener::bind(config.restlisten)
            .await
            .with_context(|| format!("cannot listen for the REST API on {}", config.restlisten))?;
        let p2p_addr = p2p.local_addr()?;
        let rest_addr = rest_listener.local_addr()?;
        tokio::spawn(Arc::clone(&node.peers).listen(p2p));
        // A first sync before "ready", so getinfo shows the chain at once;
        // an unreachable chain is reported and retried, not fatal.
        if let Err(e) = node.sync_once().await {
            tracing::warn!(error = %e, "chain not reachable yet; will keep trying");
        }
        tokio::spawn(Arc::clone(&node).sync_loop());
        tokio::spawn(Arc::clone(&node).reconnect_loop());
        tokio::spawn(Arc::clone(&node).channel_loop(peer_events));
        let app = rest::router(Arc::clone(&node), token);
        let stop_node = Arc::clone(&node);
        let server = tokio::spawn(tls::serve_tls(rest_listener, tls_config, app, async move {
            tokio::select! {
                _ = stop_node.stop.notified() => {}
                _ = shutdown_signal() => {}
            }
        }));
        println!(
            "rayod ready: node {}@{p2p_addr}, REST https://{rest_addr}, network {}",
            node.node_id, config.network
        );
        server.await?;
        tracing::info!("rayod stopped");
        anyhow::Ok(())
    })
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
