//! Starting `rayod` as a process against a [`crate::ChainDaemon`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{binary, free_port, ChainDaemon, StdoutLines};

/// A running `rayod`, killed when dropped.
pub struct NodeDaemon {
    child: Option<Child>,
    /// Its data directory.
    pub datadir: PathBuf,
    /// Its peer-to-peer address.
    pub p2p: String,
    /// Its REST address (`127.0.0.1:port`).
    pub rest: String,
    /// Its node id, from the ready line (empty while it waits for its
    /// wallet).
    pub pubkey: String,
    /// The rest of its stdout.
    lines: StdoutLines,
}

/// The line `rayod` prints once it runs.
const READY: &str = "rayod ready: node ";
/// The line `rayod` prints while it waits for `rayo create`/`rayo unlock`.
const WAITING: &str = "rayod waiting for its wallet";

/// How to start a `rayod`, beyond its flags.
#[derive(Debug, Default, Clone)]
pub struct StartOptions {
    /// A soft limit on open files (`ulimit -n`) for the daemon, to test what
    /// it does when it runs out of file descriptors.
    pub max_open_files: Option<u32>,
    /// Where to write the daemon's log (its stderr), so a test can read it;
    /// by default it goes to the test's stderr.
    pub log_file: Option<PathBuf>,
    /// Start without `--noseedbackup`: the node may wait for its wallet
    /// (`rayo create`/`rayo unlock`, then [`NodeDaemon::wait_ready`]);
    /// `start_with` returns once it waits or is ready (`pubkey` is empty
    /// while it waits).
    pub locked: bool,
}

impl NodeDaemon {
    /// Starts `rayod` in `datadir` on free ports, on `chain`'s RPC.
    pub fn start(
        datadir: &Path,
        alias: &str,
        chain: &ChainDaemon,
        extra_args: &[&str],
    ) -> NodeDaemon {
        Self::start_with(datadir, alias, chain, extra_args, &StartOptions::default())
    }

    /// [`NodeDaemon::start`] with [`StartOptions`].
    pub fn start_with(
        datadir: &Path,
        alias: &str,
        chain: &ChainDaemon,
        extra_args: &[&str],
        options: &StartOptions,
    ) -> NodeDaemon {
        let (p2p, rest) = (
            format!("127.0.0.1:{}", free_port()),
            format!("127.0.0.1:{}", free_port()),
        );
        let mut command = match options.max_open_files {
            // Rust's std cannot set rlimits; the shell lowers the limit and
            // then becomes rayod (same pid), so kill() still reaches it.
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                    .arg(binary("rayod"));
                sh
            }
            None => Command::new(binary("rayod")),
        };
        let stderr = match &options.log_file {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("creating the log file")),
            None => Stdio::inherit(),
        };
        let mut child = command
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
            .args((!options.locked).then_some("--noseedbackup"))
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("starting rayod");
        let lines = StdoutLines::of(&mut child);
        let mut node = NodeDaemon {
            child: Some(child),
            datadir: datadir.to_owned(),
            p2p,
            rest,
            pubkey: String::new(),
            lines,
        };
        // A locked node may wait for its wallet; otherwise it is ready.
        let first = node.lines.wait_for_any(&[WAITING, READY]);
        if first.starts_with(READY) {
            node.set_pubkey(&first);
        } else {
            assert!(options.locked, "an unlocked node waits: {first}");
        }
        node
    }

    /// Waits for the ready line (after `rayo create`/`rayo unlock`) and
    /// reads the node id from it.
    pub fn wait_ready(&mut self) {
        let line = self.lines.wait_for(READY);
        self.set_pubkey(&line);
    }

    fn set_pubkey(&mut self, ready_line: &str) {
        self.pubkey = ready_line[READY.len()..]
            .split('@')
            .next()
            .expect("pubkey@addr")
            .to_owned();
    }

    /// Waits for the daemon to exit and returns its status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        child.wait().expect("waiting for rayod")
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

    /// Waits (up to 60 s) until the node's wallet has processed `chain`'s
    /// tip, as `getinfo` reports it.
    pub fn wait_synced(&self, chain: &ChainDaemon) {
        let height = chain
            .call("getblockcount", serde_json::json!([]))
            .as_u64()
            .expect("height") as u32;
        let hash = chain.call("getbestblockhash", serde_json::json!([]));
        let client = self.client();
        let start = std::time::Instant::now();
        while !client.get_info().is_ok_and(|i| {
            i.synced_to_chain
                && i.block_height == height
                && Some(i.block_hash.as_str()) == hash.as_str()
        }) {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "node did not sync to {height}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
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
