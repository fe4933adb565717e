//! Starting `rayod` as a process against a [`crate::ChainDaemon`].

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::{binary, free_port, ChainDaemon};

/// A running `rayod`, killed when dropped.
pub struct NodeDaemon {
    child: Option<Child>,
    /// Its data directory.
    pub datadir: PathBuf,
    /// Its peer-to-peer address.
    pub p2p: String,
    /// Its REST address (`127.0.0.1:port`).
    pub rest: String,
    /// Its node id, from the ready line.
    pub pubkey: String,
}

impl NodeDaemon {
    /// Starts `rayod` in `datadir` on free ports, on `chain`'s RPC.
    pub fn start(
        datadir: &Path,
        alias: &str,
        chain: &ChainDaemon,
        extra_args: &[&str],
    ) -> NodeDaemon {
        let (p2p, rest) = (
            format!("127.0.0.1:{}", free_port()),
            format!("127.0.0.1:{}", free_port()),
        );
        let mut child = Command::new(binary("rayod"))
            .arg("--datadir")
            .arg(datadir)
            .args([
                "--network",
                "regtest",
                "--listen",
                &p2p,
                "--restlisten",
                &rest,
                "--alias",
                alias,
            ])
            .args(["--bitcoind.rpchost", &format!("127.0.0.1:{}", chain.port)])
            .arg("--bitcoind.rpccookie")
            .arg(chain.cookie_path())
            .arg("--noseedbackup")
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting rayod");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let pubkey = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("rayod printed its ready line");
            if let Some(rest) = line.strip_prefix("rayod ready: node ") {
                break rest.split('@').next().expect("pubkey@addr").to_owned();
            }
        };
        NodeDaemon {
            child: Some(child),
            datadir: datadir.to_owned(),
            p2p,
            rest,
            pubkey,
        }
    }

    /// A REST client pinned to the node's certificate, with its token.
    pub fn client(&self) -> rayo_api::Client {
        rayo_api::Client::from_files(
            &format!("https://{}", self.rest),
            &self.datadir.join(rayo_api::TLS_CERT_FILE),
            &self.datadir.join(rayo_api::TOKEN_FILE),
        )
        .expect("REST client")
    }

    /// Stops the node with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the node through its API and waits for it to exit.
    pub fn stop(&mut self) {
        let _ = self.client().stop();
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

impl Drop for NodeDaemon {
    fn drop(&mut self) {
        self.kill();
    }
}
