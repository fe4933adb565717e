//! Driving `rayo` as a user types it, against a local network under a
//! temporary `--home`: the helpers every walkthrough test needs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::binary;

/// A `rayo --home <home>` command line; brings the network down when
/// dropped, even if the test failed midway.
pub struct Rayo {
    home: PathBuf,
}

impl Rayo {
    /// Commands against `home`.
    pub fn new(home: &Path) -> Rayo {
        Rayo {
            home: home.to_owned(),
        }
    }

    /// The `--home` folder.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Runs `rayo <args>` and returns its stdout, panicking on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new(binary("rayo"))
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .output()
            .expect("running rayo");
        assert!(
            out.status.success(),
            "rayo {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs `rayo <args>`, which must fail; returns what it printed
    /// (stdout, then stderr).
    pub fn run_failing(&self, args: &[&str]) -> String {
        let out = Command::new(binary("rayo"))
            .arg("--home")
            .arg(&self.home)
            .args(args)
            .output()
            .expect("running rayo");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "rayo {args:?} succeeded:\n{printed}");
        printed
    }

    /// Runs `rayo <args>` and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let text = self.run(args);
        serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("rayo {args:?} printed no JSON: {text}"))
    }

    /// Waits (up to 60 s) until `node`'s wallet has processed the chain tip.
    pub fn synced(&self, node: &str) {
        let height: u64 = self
            .run(&["chain", "getblockcount"])
            .parse()
            .expect("height");
        wait_until(&format!("{node} synced to {height}"), || {
            let info = self.json(&["-n", node, "getinfo"]);
            info["synced_to_chain"] == true && info["block_height"].as_u64() == Some(height)
        });
    }

    /// The pids `rayo net up` recorded (chain first).
    pub fn pids(&self) -> Vec<u64> {
        let text = std::fs::read_to_string(self.home.join("net/local/network.json"))
            .expect("network.json");
        let net: Value = serde_json::from_str(&text).expect("network.json is JSON");
        let mut pids = vec![net["chain"]["pid"].as_u64().expect("chain pid")];
        pids.extend(
            net["nodes"]
                .as_array()
                .expect("nodes")
                .iter()
                .filter_map(|n| n["pid"].as_u64()),
        );
        pids
    }
}

impl Drop for Rayo {
    fn drop(&mut self) {
        let _ = Command::new(binary("rayo"))
            .arg("--home")
            .arg(&self.home)
            .args(["net", "down"])
            .output();
    }
}

/// An lnd int64 field (a JSON string, or a number) as an integer.
pub fn int(v: &Value) -> i64 {
    v.as_str()
        .map(|s| s.parse().expect("integer string"))
        .or_else(|| v.as_i64())
        .unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// Polls `ready` until it holds, panicking after 60 s with what was awaited.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// True while the process lives (and is not a zombie).
pub fn alive(pid: u64) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}
