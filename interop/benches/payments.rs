//! Payments benchmark: two `rayod` processes against two `ldk-node`s, on
//! the same `rayo-chaind` regtest chain, in one run.
//!
//! Run it with `cargo bench -p rayo-interop --bench payments` (the bench
//! profile: release settings). It first builds `rayod` and `rayo-chaind`
//! with that profile (`cargo build --profile bench`), so the daemons
//! measured are optimized ones.
//!
//! Rayo: two `rayod` processes with on-disk SQLite data directories in a
//! temporary directory, talking over real TCP. The first is funded, opens an
//! unannounced 16,000,000 sat channel to the second (pushing 1,000,000 sat
//! so the payee keeps its reserve when it pays back), the funding is
//! confirmed and the channel is waited for active on both sides. Then:
//!
//! - (a) sequential: 1,000 invoices of 10,000 sat, each created by the payee
//!   (`addinvoice`, not timed) and paid by the payer with `send_payment_sync`
//!   (timed), one at a time: p50, p90 and p99 of the pay call;
//! - (b) throughput: 1,000 keysend payments of 10,000 sat from N client
//!   threads at once (N = 30, then N = 50; each thread its own
//!   `rayo_api::Client`, so at most N are in flight): payments/s, how many
//!   failed, and each payment's own time under that load;
//! - the clients keep their TLS connection (their timeout is raised to
//!   `SEND_PAYMENT_TIMEOUT`: with a shorter one, `send_payment_sync` makes a
//!   new agent, so a new TCP + TLS connection, per call); 300 sequential
//!   payments and a 50-thread round with default clients show what that
//!   costs;
//! - fsyncs per payment (and their wall time): both `rayod`s traced with
//!   `strace -f -c -w` during 100 sequential payments and 500 keysends from
//!   50 threads (separate rounds, so the tracing slows no measured figure);
//!   1,000 `getinfo` calls, what REST over TLS costs alone; bytes written to
//!   disk per payment (`/proc/PID/io`); the payer's channel record (the JSON
//!   each persisted batch rewrites) idle and while 50 threads pay (read with
//!   the `sqlite3` command, in a round of its own). Signatures and
//!   verifications cannot be counted from outside the process: the
//!   in-process figure of the manager's bench
//!   (`crates/rayo-manager/benches/payment.rs`) is printed for them.
//!
//! Between rounds the payee pays the moved amount back (keysend, 1,000,000
//! sat at a time, not timed), so every round starts from the same balances.
//!
//! LDK: two `ldk-node`s (anchors off, SQLite store, Info log level) with a
//! 16,000,000 sat channel (1,000,000 sat pushed, as ldk-node's own
//! `benches/payments.rs`): (a) the same 1,000 sequential payments with BOLT 11
//! invoices, timed from `send` to the `PaymentSuccessful` event; (b) 1,000
//! keysends (`spontaneous_payment().send`) with up to 50 in flight, sending
//! only when `next_outbound_htlc_limit_msat` allows, as ldk-node's bench
//! does. LDK 0.2 holds every HTLC it receives for a random privacy delay
//! (log-normal, median ~50 ms), so its sequential figure is delay-bound.
//!
//! At the end one markdown table: every figure, Rayo/LDK ratios, Rayo's aims
//! (printed, not asserted), the machine's core count, the build profile and
//! how busy the machine was (other processes' share of the CPU, per round).
//!
//! Environment: `PAYMENTS_BENCH_PERF_DIR=<dir>` adds a round of 1,000
//! keysends (50 threads) recorded with `perf record -g` on both `rayod`s into
//! `<dir>` (`rayod-payer.data`, `rayod-payee.data`);
//! `PAYMENTS_BENCH_RAYO_ONLY=1` skips the LDK rounds.
//!
//! Every wait is bounded: a watchdog ends the run (killing every process it
//! started and printing the daemons' logs) when a stage overruns; the
//! daemons are killed on the way out, panics included.

#[path = "../support/ldk_node_harness.rs"]
#[allow(dead_code)] // the bench uses its waits and chain helpers only
mod harness;
#[path = "../support/miner.rs"]
mod miner;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bitcoin::hashes::{sha256, Hash};
use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Address, Amount, CompressedPublicKey, Network, OutPoint};
use harness::{at_tip, in_mempool, mine, send, wait_for, wait_value};
use ldk_node::config::Config;
use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::lightning::ln::msgs::SocketAddress;
use ldk_node::lightning_invoice::{Bolt11InvoiceDescription, Description};
use ldk_node::logger::LogLevel;
use ldk_node::{Builder, Event, Node};
use rayo_api::types::{
    AddressType, ConnectPeerRequest, Invoice, LightningAddress, NewAddressRequest,
    OpenChannelRequest, SendRequest, KEYSEND_RECORD,
};
use rayo_e2e::node::{NodeDaemon, StartOptions};
use rayo_e2e::{free_port, ChainDaemon};
use serde_json::json;

/// Channel capacity, both pairs (under 2^24: no large-channel option).
const CAPACITY_SAT: u64 = 16_000_000;
/// Pushed to the payee at open (ldk-node's bench pushes as much).
const PUSH_SAT: u64 = 1_000_000;
/// Every measured payment.
const AMOUNT_SAT: u64 = 10_000;
/// Payments in a sequential round.
const SEQUENTIAL: usize = 1_000;
/// Payments in a throughput round.
const THROUGHPUT: usize = 1_000;
/// Rayo's client threads in the throughput rounds.
const RAYO_THREADS: [usize; 2] = [30, 50];
/// LDK's payments in flight at most (its peer accepts 50 HTLCs).
const LDK_IN_FLIGHT: usize = 50;
/// Untimed payments before the first round (connections, caches).
const WARMUP: usize = 20;
/// Payments in the sequential round with default clients.
const PER_CALL_SEQUENTIAL: usize = 300;
/// Payments in the traced rounds.
const TRACED_SEQUENTIAL: usize = 100;
const TRACED_LOAD: usize = 500;
const TRACED_THREADS: usize = 50;
/// Largest payment when paying back.
const PAYBACK_CHUNK_SAT: u64 = 1_000_000;
/// Any single wait (a sync, a channel, one payment).
const STEP_TIMEOUT: Duration = Duration::from_secs(60);
/// Confirmations mined on a funding transaction (LDK asks 6, rayod 3).
const CONFIRMATIONS: u64 = 6;
/// Deposit to the paying ldk-node, and its fee.
const LDK_DEPOSIT: Amount = Amount::from_sat(20_000_000);
const DEPOSIT_FEE: Amount = Amount::from_sat(1_000);
/// The bench's miner key (block 1 pays it; it funds ldk-node).
const MINER_SECRET: [u8; 32] = [0x66; 32];
/// What the manager's in-process bench counts per payment, both nodes.
const INPROCESS_SIGNATURES: u32 = 6;
const INPROCESS_VERIFICATIONS: u32 = 6;
const INPROCESS_BATCHES: u32 = 11;
/// The syscalls that reach the disk.
const SYNC_CALLS: &str = "fsync,fdatasync,sync_file_range,msync,syncfs";

fn main() {
    let load_before = loadavg();
    eprintln!("load average before the run: {load_before}");
    if let Ok(out) = Command::new("top").args(["-bn1"]).output() {
        let text = String::from_utf8_lossy(&out.stdout);
        eprintln!("---- top before the run ----");
        for line in text.lines().take(20) {
            eprintln!("{line}");
        }
        eprintln!("----");
    }
    let watchdog = Watchdog::start();
    watchdog.stage("building rayod and rayo-chaind", Duration::from_secs(3600));
    build_daemons();

    watchdog.stage("starting the chain", STEP_TIMEOUT);
    let tmp = tempfile::tempdir().expect("temp dir");
    let chain = ChainDaemon::start(&[]);
    let chain_pid = pid_of("rayo-chaind", &chain.datadir).expect("rayo-chaind's pid");
    watchdog.watch(chain_pid, None);

    let secp = Secp256k1::new();
    let miner_key = SecretKey::from_slice(&MINER_SECRET).expect("valid secret");
    let miner = Address::p2wpkh(
        &CompressedPublicKey(miner_key.public_key(&secp)),
        Network::Regtest,
    );
    // Block 1 pays the miner, who funds ldk-node later.
    mine(&chain, &miner, 1);

    let rayo = rayo_rounds(&chain, tmp.path(), &watchdog, chain_pid);
    let ldk = if std::env::var_os("PAYMENTS_BENCH_RAYO_ONLY").is_some() {
        LdkResults::skipped()
    } else {
        ldk_rounds(&chain, tmp.path(), &watchdog, &miner, &miner_key, chain_pid)
    };

    watchdog.stage("printing", STEP_TIMEOUT);
    let load_after = loadavg();
    print_table(&rayo, &ldk, &load_before, &load_after);
    watchdog.stage("stopping", STEP_TIMEOUT);
    drop(chain);
    watchdog.unwatch(chain_pid);
    watchdog.done();
}

// ---------------------------------------------------------------------------
// Rayo

/// A `rayod` and what the watchdog needs of it.
struct Rayod {
    daemon: NodeDaemon,
    pid: u32,
    log: PathBuf,
    pubkey: [u8; 33],
}

impl Rayod {
    fn start(dir: &Path, alias: &str, chain: &ChainDaemon, watchdog: &Watchdog) -> Rayod {
        let datadir = dir.join(alias);
        let log = dir.join(format!("{alias}.log"));
        let daemon = NodeDaemon::start_with(
            &datadir,
            alias,
            chain,
            &[],
            &StartOptions {
                log_file: Some(log.clone()),
                ..StartOptions::default()
            },
        );
        let pid = pid_of("rayod", &datadir).expect("rayod's pid");
        watchdog.watch(pid, Some(log.clone()));
        let pubkey = PublicKey::from_str(&daemon.pubkey)
            .expect("rayod's node id")
            .serialize();
        Rayod {
            daemon,
            pid,
            log,
            pubkey,
        }
    }

    /// A client whose connection is reused by `send_payment_sync`: its own
    /// timeout is at least `SEND_PAYMENT_TIMEOUT`, else `send_payment_sync`
    /// runs on a new `ureq` agent, so on a new TCP and TLS connection, each
    /// call (see [`Connections`]).
    fn client(&self) -> rayo_api::Client {
        self.daemon
            .client()
            .with_timeout(rayo_api::client::SEND_PAYMENT_TIMEOUT)
    }

    /// A client as `NodeDaemon::client` gives it (the default timeout).
    fn default_client(&self) -> rayo_api::Client {
        self.daemon.client()
    }

    fn client_for(&self, connections: Connections) -> rayo_api::Client {
        match connections {
            Connections::Reused => self.client(),
            Connections::PerCall => self.default_client(),
        }
    }

    /// Local channel balance in sat.
    fn balance(&self) -> u64 {
        self.client()
            .channel_balance()
            .expect("channelbalance")
            .local_balance
            .sat
    }
}

/// How the payer's REST clients reach it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Connections {
    /// One TLS connection per client, kept alive across calls.
    Reused,
    /// A `rayo_api::Client` with its default timeout (120 s): under
    /// `SEND_PAYMENT_TIMEOUT` (300 s), so each `send_payment_sync` makes
    /// itself a new agent, and a new TCP connection and TLS handshake.
    PerCall,
}

/// The Rayo figures.
struct RayoResults {
    sequential: Latencies,
    throughput: Vec<(usize, Throughput)>,
    /// (a) and (b) at 50 threads with default clients: a new connection per
    /// pay call.
    per_call: (Latencies, Throughput),
    /// Bytes both nodes wrote to disk per payment: (a), and (b) at the last
    /// thread count.
    disk: (Option<f64>, Option<f64>),
    /// The payer's channel record (the JSON every persisted batch rewrites),
    /// bytes: idle after setup, the most seen while 50 threads pay, idle at
    /// the end.
    record: [Option<u64>; 3],
    /// Sync calls during the traced rounds: sequential, then under load.
    fsyncs: Option<(Syncs, Syncs)>,
    /// `getinfo` round trips: what REST over TLS costs alone.
    rest: Latencies,
    /// The payee's `addinvoice` calls in (a), a POST answered at once.
    invoices: Latencies,
    perf: Option<(Throughput, PathBuf)>,
    cpu_note: Vec<String>,
}

fn rayo_rounds(
    chain: &ChainDaemon,
    dir: &Path,
    watchdog: &Watchdog,
    chain_pid: u32,
) -> RayoResults {
    watchdog.stage("rayo: start and fund", STEP_TIMEOUT * 2);
    let payer = Rayod::start(dir, "alice", chain, watchdog);
    let payee = Rayod::start(dir, "bob", chain, watchdog);
    let address = payer
        .client()
        .new_address(&NewAddressRequest {
            address_type: AddressType::WitnessPubkeyHash,
            ..NewAddressRequest::default()
        })
        .expect("newaddress")
        .address;
    chain.call("generatetoaddress", json!([101, &address]));
    payer.daemon.wait_synced(chain);
    payee.daemon.wait_synced(chain);

    watchdog.stage("rayo: open the channel", STEP_TIMEOUT * 3);
    payer
        .client()
        .connect_peer(&ConnectPeerRequest {
            addr: LightningAddress {
                pubkey: payee.daemon.pubkey.clone(),
                host: payee.daemon.p2p.clone(),
            },
            ..ConnectPeerRequest::default()
        })
        .expect("alice connects to bob");
    let point = payer
        .client()
        .open_channel(&OpenChannelRequest {
            node_pubkey_string: payee.daemon.pubkey.clone(),
            local_funding_amount: CAPACITY_SAT as i64,
            push_sat: PUSH_SAT as i64,
            private: true,
            ..OpenChannelRequest::default()
        })
        .expect("alice opens the channel");
    let funding = format!(
        "{}:{}",
        point.txid().expect("funding txid"),
        point.output_index
    );
    chain.call("generatetoaddress", json!([CONFIRMATIONS, address]));
    for node in [&payer, &payee] {
        let client = node.client();
        wait_for("the channel active on both rayods", || {
            client.list_channels().is_ok_and(|l| {
                l.channels
                    .iter()
                    .any(|c| c.channel_point == funding && c.active)
            })
        });
    }
    let channel = payer
        .client()
        .list_channels()
        .expect("listchannels")
        .channels;
    eprintln!(
        "rayo channel {funding}: capacity {} sat, local {} sat, remote {} sat, fee rate {} sat/kw",
        channel[0].capacity,
        channel[0].local_balance,
        channel[0].remote_balance,
        channel[0].fee_per_kw
    );

    let payer_client = payer.client();
    let payee_client = payee.client();
    watchdog.stage("rayo: warm-up", STEP_TIMEOUT);
    let (warm, _) = rayo_sequential(&payer_client, &payee_client, WARMUP);
    assert_eq!(warm.failed, 0, "warm-up payments failed: {:?}", warm.errors);
    rayo_payback(&payee, &payer, WARMUP as u64 * AMOUNT_SAT, watchdog);

    watchdog.stage("rayo: REST round trips", STEP_TIMEOUT);
    let rest = rest_round_trips(&payer_client, SEQUENTIAL);
    eprintln!("rayo getinfo round trips: {}", rest.summary());
    let record_idle = channel_record_bytes(&payer.daemon.datadir);

    let ours = [payer.pid, payee.pid, std::process::id(), chain_pid];
    let mut cpu_note = Vec::new();

    watchdog.stage("rayo (a): sequential payments", Duration::from_secs(600));
    let before = payee.balance();
    let cpu = CpuSample::take(&ours);
    let written = write_bytes(&[payer.pid, payee.pid]);
    let (sequential, invoices) = rayo_sequential(&payer_client, &payee_client, SEQUENTIAL);
    let disk_sequential = per_payment(
        write_bytes(&[payer.pid, payee.pid]).saturating_sub(written),
        sequential.ok(),
    );
    cpu_note.push(format!("Rayo (a): {}", cpu.since(&ours)));
    check_moved("rayo (a)", before, payee.balance(), sequential.ok());
    eprintln!("rayo (a): {}", sequential.summary());
    eprintln!(
        "rayo (a), the payee's addinvoice calls: {}",
        invoices.summary()
    );
    rayo_payback(
        &payee,
        &payer,
        sequential.ok() as u64 * AMOUNT_SAT,
        watchdog,
    );

    let mut throughput = Vec::new();
    let mut disk_load = None;
    for threads in RAYO_THREADS {
        watchdog.stage(
            &format!("rayo (b): keysend, {threads} threads"),
            Duration::from_secs(600),
        );
        let before = payee.balance();
        let cpu = CpuSample::take(&ours);
        let written = write_bytes(&[payer.pid, payee.pid]);
        let round = rayo_keysend(
            &payer,
            &payee,
            THROUGHPUT,
            threads,
            "load",
            Connections::Reused,
        );
        disk_load = per_payment(
            write_bytes(&[payer.pid, payee.pid]).saturating_sub(written),
            round.ok,
        );
        cpu_note.push(format!("Rayo (b) {threads} threads: {}", cpu.since(&ours)));
        check_moved("rayo (b)", before, payee.balance(), round.ok);
        eprintln!("rayo (b), {threads} threads: {}", round.summary());
        rayo_payback(&payee, &payer, round.ok as u64 * AMOUNT_SAT, watchdog);
        throughput.push((threads, round));
    }

    // The same with `rayo_api::Client`'s default timeout: a new TCP and TLS
    // connection per pay call.
    watchdog.stage(
        "rayo (a) with default clients (a connection per call)",
        Duration::from_secs(600),
    );
    let default_payer = payer.default_client();
    let (per_call_sequential, _) =
        rayo_sequential(&default_payer, &payee_client, PER_CALL_SEQUENTIAL);
    eprintln!(
        "rayo (a), default clients: {}",
        per_call_sequential.summary()
    );
    rayo_payback(
        &payee,
        &payer,
        per_call_sequential.ok() as u64 * AMOUNT_SAT,
        watchdog,
    );
    watchdog.stage(
        "rayo (b) with default clients, 50 threads",
        Duration::from_secs(600),
    );
    let per_call_throughput = rayo_keysend(
        &payer,
        &payee,
        THROUGHPUT,
        50,
        "per-call",
        Connections::PerCall,
    );
    eprintln!(
        "rayo (b), default clients, 50 threads: {}",
        per_call_throughput.summary()
    );
    rayo_payback(
        &payee,
        &payer,
        per_call_throughput.ok as u64 * AMOUNT_SAT,
        watchdog,
    );

    // The channel record's size while HTLCs are in flight (a round not
    // reported: sqlite3 polls the payer's database meanwhile).
    watchdog.stage("rayo: channel record under load", Duration::from_secs(300));
    let done = std::sync::atomic::AtomicBool::new(false);
    let (record_load, sampled) = thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut max = None;
            while !done.load(Ordering::Relaxed) {
                max = max.max(channel_record_bytes(&payer.daemon.datadir));
                thread::sleep(Duration::from_millis(50));
            }
            max
        });
        let round = rayo_keysend(
            &payer,
            &payee,
            TRACED_LOAD,
            TRACED_THREADS,
            "sampled",
            Connections::Reused,
        );
        done.store(true, Ordering::Relaxed);
        (sampler.join().expect("sampler"), round)
    });
    eprintln!(
        "rayo channel record: {record_idle:?} bytes idle, at most {record_load:?} bytes with {TRACED_THREADS} threads paying ({})",
        sampled.summary()
    );
    rayo_payback(&payee, &payer, sampled.ok as u64 * AMOUNT_SAT, watchdog);

    // fsyncs, from outside the process.
    watchdog.stage("rayo: fsyncs traced", Duration::from_secs(900));
    let fsyncs = strace_available().then(|| {
        let tracers = [&payer, &payee]
            .map(|n| Strace::attach(n.pid, &dir.join(format!("strace-seq-{}.txt", n.pid))));
        let (traced, _) = rayo_sequential(&payer_client, &payee_client, TRACED_SEQUENTIAL);
        let sequential = Syncs::sum(tracers.map(Strace::finish), traced.ok());
        rayo_payback(&payee, &payer, traced.ok() as u64 * AMOUNT_SAT, watchdog);
        eprintln!(
            "rayo traced sequential: {sequential:?} for {} payments ({})",
            traced.ok(),
            traced.summary()
        );

        let tracers = [&payer, &payee]
            .map(|n| Strace::attach(n.pid, &dir.join(format!("strace-load-{}.txt", n.pid))));
        let traced = rayo_keysend(
            &payer,
            &payee,
            TRACED_LOAD,
            TRACED_THREADS,
            "traced",
            Connections::Reused,
        );
        let load = Syncs::sum(tracers.map(Strace::finish), traced.ok);
        rayo_payback(&payee, &payer, traced.ok as u64 * AMOUNT_SAT, watchdog);
        eprintln!(
            "rayo traced load: {load:?} for {} payments ({})",
            traced.ok,
            traced.summary()
        );
        (sequential, load)
    });

    let perf = std::env::var_os("PAYMENTS_BENCH_PERF_DIR").map(|out| {
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).expect("perf output directory");
        watchdog.stage("rayo: perf round", Duration::from_secs(600));
        let recorders = [(&payer, "payer"), (&payee, "payee")]
            .map(|(n, name)| Perf::attach(n.pid, &out.join(format!("rayod-{name}.data"))));
        let round = rayo_keysend(&payer, &payee, THROUGHPUT, 50, "perf", Connections::Reused);
        for recorder in recorders {
            recorder.finish();
        }
        eprintln!("rayo perf round (50 threads): {}", round.summary());
        rayo_payback(&payee, &payer, round.ok as u64 * AMOUNT_SAT, watchdog);
        (round, out)
    });

    let record_end = channel_record_bytes(&payer.daemon.datadir);
    watchdog.stage("rayo: stopping", STEP_TIMEOUT);
    for node in [payer, payee] {
        let Rayod {
            mut daemon,
            pid,
            log,
            ..
        } = node;
        daemon.kill();
        watchdog.unwatch(pid);
        report_log_errors(&log);
    }
    RayoResults {
        sequential,
        throughput,
        fsyncs,
        rest,
        invoices,
        per_call: (per_call_sequential, per_call_throughput),
        disk: (disk_sequential, disk_load),
        record: [record_idle, record_load, record_end],
        perf,
        cpu_note,
    }
}

/// `n` invoices by `payee`, each paid by `payer`; only the pay call timed.
/// Also the `addinvoice` calls' latencies (a REST POST answered at once).
fn rayo_sequential(
    payer: &rayo_api::Client,
    payee: &rayo_api::Client,
    n: usize,
) -> (Latencies, Latencies) {
    let mut result = Latencies::default();
    let mut invoices = Latencies::default();
    for i in 0..n {
        let start = Instant::now();
        let invoice = payee
            .add_invoice(&Invoice {
                value: AMOUNT_SAT as i64,
                memo: format!("bench {i}"),
                ..Invoice::default()
            })
            .expect("addinvoice");
        invoices.samples.push(start.elapsed());
        let request = SendRequest {
            payment_request: invoice.payment_request,
            ..SendRequest::default()
        };
        let start = Instant::now();
        let paid = payer.send_payment_sync(&request);
        let took = start.elapsed();
        match paid {
            Ok(r) if r.payment_error.is_empty() => result.samples.push(took),
            Ok(r) => result.fail(r.payment_error),
            Err(e) => result.fail(e.to_string()),
        }
    }
    (result, invoices)
}

/// `n` `getinfo` calls, one at a time, each timed.
fn rest_round_trips(client: &rayo_api::Client, n: usize) -> Latencies {
    let mut result = Latencies::default();
    for _ in 0..n {
        let start = Instant::now();
        match client.get_info() {
            Ok(_) => result.samples.push(start.elapsed()),
            Err(e) => result.fail(e.to_string()),
        }
    }
    result
}

/// A keysend of `amount_sat` to `dest`, its preimage from `label` and `i`.
fn keysend(dest: &[u8; 33], amount_sat: u64, label: &str, i: usize) -> SendRequest {
    let preimage = sha256::Hash::hash(format!("{}/{label}/{i}", run_nonce()).as_bytes());
    let hash = sha256::Hash::hash(preimage.as_byte_array());
    SendRequest {
        dest: dest.to_vec(),
        amt: amount_sat as i64,
        payment_hash: hash.as_byte_array().to_vec(),
        dest_custom_records: [(KEYSEND_RECORD, preimage.as_byte_array().to_vec())].into(),
        ..SendRequest::default()
    }
}

/// `n` keysends of [`AMOUNT_SAT`] from `threads` client threads at once.
fn rayo_keysend(
    payer: &Rayod,
    payee: &Rayod,
    n: usize,
    threads: usize,
    label: &str,
    connections: Connections,
) -> Throughput {
    let clients: Vec<rayo_api::Client> = (0..threads)
        .map(|_| {
            let client = payer.client_for(connections);
            // The TLS connection is set up outside the timed part (reused
            // with `Connections::Reused` only).
            client.get_info().expect("getinfo");
            client
        })
        .collect();
    let label = format!("{label}-{threads}-{}", run_counter());
    let next = AtomicUsize::new(0);
    let ok = AtomicUsize::new(0);
    let errors = Mutex::new(Vec::new());
    let finished = Mutex::new(Vec::with_capacity(n));
    let barrier = Barrier::new(threads + 1);
    let start = thread::scope(|s| {
        let (next, ok, errors, finished) = (&next, &ok, &errors, &finished);
        let (barrier, label, dest) = (&barrier, &label, &payee.pubkey);
        for client in &clients {
            s.spawn(move || {
                barrier.wait();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let request = keysend(dest, AMOUNT_SAT, label, i);
                    let sent = Instant::now();
                    let error = match client.send_payment_sync(&request) {
                        Ok(r) if r.payment_error.is_empty() => None,
                        Ok(r) => Some(r.payment_error),
                        Err(e) => Some(e.to_string()),
                    };
                    let at = Instant::now();
                    match error {
                        None => {
                            ok.fetch_add(1, Ordering::Relaxed);
                            finished.lock().expect("finished").push((sent, at));
                        }
                        Some(e) => errors.lock().expect("errors").push(e),
                    }
                }
            });
        }
        barrier.wait();
        Instant::now()
    });
    let finished = finished.into_inner().expect("finished");
    let end = finished.iter().map(|(_, at)| *at).max().unwrap_or(start);
    let errors = errors.into_inner().expect("errors");
    Throughput {
        ok: ok.into_inner(),
        failed: errors.len(),
        elapsed: end - start,
        errors: errors.into_iter().take(5).collect(),
        concurrency: threads,
        latency: Latencies {
            samples: finished.iter().map(|(sent, at)| *at - *sent).collect(),
            ..Latencies::default()
        },
    }
}

/// `from` pays `to` `total_sat` back, by keysend, at most
/// [`PAYBACK_CHUNK_SAT`] at a time.
fn rayo_payback(from: &Rayod, to: &Rayod, total_sat: u64, watchdog: &Watchdog) {
    let previous = watchdog.current();
    watchdog.stage("rayo: paying back", STEP_TIMEOUT * 2);
    let client = from.client();
    let mut left = total_sat;
    let mut i = 0;
    while left > 0 {
        let chunk = left.min(PAYBACK_CHUNK_SAT);
        let label = format!("payback-{}", run_counter());
        let paid = client
            .send_payment_sync(&keysend(&to.pubkey, chunk, &label, i))
            .expect("payback");
        assert!(
            paid.payment_error.is_empty(),
            "paying back {chunk} sat failed: {}",
            paid.payment_error
        );
        left -= chunk;
        i += 1;
    }
    watchdog.restore(previous);
}

fn check_moved(round: &str, before: u64, after: u64, ok: usize) {
    let expected = ok as u64 * AMOUNT_SAT;
    let moved = after.saturating_sub(before);
    if moved == expected {
        eprintln!("{round}: payee's balance up by {moved} sat, as the successes say");
    } else {
        eprintln!(
            "{round}: WARNING payee's balance up by {moved} sat, the successes say {expected}"
        );
    }
}

/// Prints the ERROR and WARN lines of a rayod log (a failed round's evidence).
fn report_log_errors(log: &Path) {
    let Ok(text) = std::fs::read_to_string(log) else {
        return;
    };
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .collect();
    eprintln!(
        "{}: {} lines, {} ERROR/WARN",
        log.display(),
        text.lines().count(),
        bad.len()
    );
    for line in bad.iter().take(20) {
        eprintln!("  {line}");
    }
}

// ---------------------------------------------------------------------------
// LDK

/// An ldk-node and its events, each with the instant it was taken.
struct Ldk {
    node: Arc<Node>,
    events: Receiver<(Event, Instant)>,
}

/// The LDK figures.
struct LdkResults {
    sequential: Latencies,
    throughput: Throughput,
    send_retries: usize,
    cpu_note: Vec<String>,
    /// Bytes the bench process (both ldk-nodes, and their Info logs) wrote
    /// to disk per payment: (a), (b).
    disk: (Option<f64>, Option<f64>),
}

impl LdkResults {
    /// No LDK rounds (`PAYMENTS_BENCH_RAYO_ONLY`).
    fn skipped() -> LdkResults {
        LdkResults {
            sequential: Latencies::default(),
            throughput: Throughput {
                ok: 0,
                failed: 0,
                elapsed: Duration::ZERO,
                errors: Vec::new(),
                concurrency: LDK_IN_FLIGHT,
                latency: Latencies::default(),
            },
            send_retries: 0,
            cpu_note: vec!["LDK: skipped (PAYMENTS_BENCH_RAYO_ONLY)".to_owned()],
            disk: (None, None),
        }
    }
}

fn ldk_rounds(
    chain: &ChainDaemon,
    dir: &Path,
    watchdog: &Watchdog,
    miner: &Address,
    miner_key: &SecretKey,
    chain_pid: u32,
) -> LdkResults {
    watchdog.stage("ldk: start and fund", STEP_TIMEOUT * 2);
    let payer_port = free_port();
    let payee_port = free_port();
    let payer = start_ldk(chain, &dir.join("ldk-payer"), payer_port, [0x27; 64]);
    let payee = start_ldk(chain, &dir.join("ldk-payee"), payee_port, [0x28; 64]);
    for ldk in [&payer, &payee] {
        wait_for("ldk-node to sync to the tip", || at_tip(&ldk.node, chain));
    }
    let address = payer
        .node
        .onchain_payment()
        .new_address()
        .expect("ldk address");
    let deposit = miner::pay_from_coinbase(
        chain,
        miner_key,
        miner,
        &address.script_pubkey(),
        LDK_DEPOSIT,
        DEPOSIT_FEE,
    );
    send(chain, &deposit);
    mine(chain, miner, 1);
    wait_for("ldk-node's deposit to confirm", || {
        payer.node.list_balances().spendable_onchain_balance_sats == LDK_DEPOSIT.to_sat()
    });

    watchdog.stage("ldk: open the channel", STEP_TIMEOUT * 3);
    let payee_id = payee.node.node_id();
    let payer_id = payer.node.node_id();
    payer
        .node
        .open_channel(
            payee_id,
            SocketAddress::from_str(&format!("127.0.0.1:{payee_port}")).expect("address"),
            CAPACITY_SAT,
            Some(PUSH_SAT * 1000),
            None,
        )
        .expect("ldk-node opens the channel");
    let funding: OutPoint = wait_value("ldk-node to broadcast its funding", || {
        payer
            .node
            .list_channels()
            .iter()
            .find(|c| c.counterparty_node_id == payee_id)
            .and_then(|c| c.funding_txo)
            .filter(|txo| in_mempool(chain, &txo.txid))
    });
    mine(chain, miner, CONFIRMATIONS);
    for ldk in [&payer, &payee] {
        wait_for("the channel usable on both ldk-nodes", || {
            ldk.node
                .list_channels()
                .iter()
                .any(|c| c.funding_txo == Some(funding) && c.is_channel_ready && c.is_usable)
        });
    }
    let channel = payer
        .node
        .list_channels()
        .into_iter()
        .find(|c| c.funding_txo == Some(funding))
        .expect("channel");
    eprintln!(
        "ldk channel {funding}: capacity {} sat, outbound {} msat, fee rate {} sat/kw",
        channel.channel_value_sats,
        channel.outbound_capacity_msat,
        channel.feerate_sat_per_1000_weight
    );

    watchdog.stage("ldk: warm-up", STEP_TIMEOUT * 2);
    let warm = ldk_sequential(&payer, &payee, WARMUP);
    assert_eq!(warm.failed, 0, "ldk warm-up failed: {:?}", warm.errors);
    ldk_payback(&payee, payer_id, WARMUP as u64 * AMOUNT_SAT);

    let ours = [std::process::id(), chain_pid];
    let mut cpu_note = Vec::new();

    watchdog.stage("ldk (a): sequential payments", Duration::from_secs(900));
    let cpu = CpuSample::take(&ours);
    let written = write_bytes(&[std::process::id()]);
    let sequential = ldk_sequential(&payer, &payee, SEQUENTIAL);
    let disk_sequential = per_payment(
        write_bytes(&[std::process::id()]).saturating_sub(written),
        sequential.ok(),
    );
    cpu_note.push(format!("LDK (a): {}", cpu.since(&ours)));
    eprintln!("ldk (a): {}", sequential.summary());
    watchdog.stage("ldk: paying back", STEP_TIMEOUT * 3);
    ldk_payback(&payee, payer_id, sequential.ok() as u64 * AMOUNT_SAT);

    watchdog.stage(
        "ldk (b): keysend, up to 50 in flight",
        Duration::from_secs(600),
    );
    let cpu = CpuSample::take(&ours);
    let written = write_bytes(&[std::process::id()]);
    let (throughput, send_retries) = ldk_keysend(&payer, payee_id, funding, THROUGHPUT);
    let disk_load = per_payment(
        write_bytes(&[std::process::id()]).saturating_sub(written),
        throughput.ok,
    );
    cpu_note.push(format!("LDK (b): {}", cpu.since(&ours)));
    eprintln!(
        "ldk (b): {} ({send_retries} sends refused and retried)",
        throughput.summary()
    );

    watchdog.stage("ldk: stopping", STEP_TIMEOUT);
    for ldk in [&payer, &payee] {
        let _ = ldk.node.stop();
    }
    LdkResults {
        sequential,
        throughput,
        send_retries,
        cpu_note,
        disk: (disk_sequential, disk_load),
    }
}

/// An ldk-node on `chain` with anchors off, listening on `port`, its log
/// (Info) and SQLite store in `dir`; its events drained on a thread.
fn start_ldk(chain: &ChainDaemon, dir: &Path, port: u16, seed: [u8; 64]) -> Ldk {
    let (user, password) = chain.cookie();
    let config = Config {
        network: Network::Regtest,
        storage_dir_path: dir.to_string_lossy().into_owned(),
        listening_addresses: Some(vec![
            SocketAddress::from_str(&format!("127.0.0.1:{port}")).expect("address")
        ]),
        anchor_channels_config: None,
        ..Config::default()
    };
    let mut builder = Builder::from_config(config);
    builder
        .set_entropy_seed_bytes(seed)
        .set_filesystem_logger(
            Some(dir.join("ldk-node.log").to_string_lossy().into_owned()),
            Some(LogLevel::Info),
        )
        .set_chain_source_bitcoind_rpc("127.0.0.1".to_owned(), chain.port, user, password);
    let node = Arc::new(builder.build().expect("ldk-node builds"));
    node.start().expect("ldk-node starts");
    let (tx, events) = mpsc::channel();
    let drained = Arc::clone(&node);
    // Blocks in wait_next_event until the process ends.
    thread::spawn(move || loop {
        let event = drained.wait_next_event();
        let at = Instant::now();
        let _ = drained.event_handled();
        if tx.send((event, at)).is_err() {
            return;
        }
    });
    Ldk { node, events }
}

/// Waits for the end of payment `id`: the instant it succeeded, or why it
/// failed.
fn ldk_wait(ldk: &Ldk, id: PaymentId) -> Result<Instant, String> {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ldk.events.recv_timeout(left) {
            Ok((Event::PaymentSuccessful { payment_id, .. }, at)) if payment_id == Some(id) => {
                return Ok(at)
            }
            Ok((
                Event::PaymentFailed {
                    payment_id, reason, ..
                },
                _,
            )) if payment_id == Some(id) => return Err(format!("payment failed: {reason:?}")),
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {
                panic!("ldk-node payment {id} did not end within {STEP_TIMEOUT:?}")
            }
            Err(RecvTimeoutError::Disconnected) => panic!("ldk-node's event thread ended"),
        }
    }
}

/// `n` BOLT 11 invoices by `payee`, each paid by `payer`: from `send` to
/// `PaymentSuccessful`.
fn ldk_sequential(payer: &Ldk, payee: &Ldk, n: usize) -> Latencies {
    let description = Bolt11InvoiceDescription::Direct(
        Description::new("bench".to_owned()).expect("description"),
    );
    let mut result = Latencies::default();
    for _ in 0..n {
        let invoice = payee
            .node
            .bolt11_payment()
            .receive(AMOUNT_SAT * 1000, &description, 3600)
            .expect("ldk invoice");
        let start = Instant::now();
        match payer.node.bolt11_payment().send(&invoice, None) {
            Ok(id) => match ldk_wait(payer, id) {
                Ok(at) => result.samples.push(at - start),
                Err(e) => result.fail(e),
            },
            Err(e) => result.fail(format!("send: {e:?}")),
        }
    }
    result
}

/// `n` keysends with at most [`LDK_IN_FLIGHT`] in flight, each sent once
/// the channel has a free HTLC slot (as ldk-node's bench checks
/// `next_outbound_htlc_limit_msat`); a failed payment is sent again, as
/// there. Also how many sends LDK refused (then retried).
fn ldk_keysend(payer: &Ldk, payee: PublicKey, funding: OutPoint, n: usize) -> (Throughput, usize) {
    let amount_msat = AMOUNT_SAT * 1000;
    let slot_free = || {
        payer
            .node
            .list_channels()
            .iter()
            .find(|c| c.funding_txo == Some(funding))
            .is_some_and(|c| c.next_outbound_htlc_limit_msat >= amount_msat)
    };
    let mut in_flight: HashMap<PaymentId, Instant> = HashMap::new();
    let mut latency = Latencies::default();
    let (mut ok, mut failed, mut refused) = (0, 0, 0);
    let mut errors = Vec::new();
    let start = Instant::now();
    let mut end = start;
    while ok < n {
        while in_flight.len() < LDK_IN_FLIGHT && ok + in_flight.len() < n && slot_free() {
            match payer
                .node
                .spontaneous_payment()
                .send(amount_msat, payee, None)
            {
                Ok(id) => {
                    in_flight.insert(id, Instant::now());
                }
                Err(e) => {
                    refused += 1;
                    if errors.len() < 5 {
                        errors.push(format!("send: {e:?}"));
                    }
                    break;
                }
            }
        }
        // Full (or nothing left to send): wait for an end. Otherwise look
        // again for a free slot soon.
        let full = in_flight.len() >= LDK_IN_FLIGHT || ok + in_flight.len() >= n;
        let wait = if full {
            STEP_TIMEOUT
        } else {
            Duration::from_millis(1)
        };
        match payer.events.recv_timeout(wait) {
            Ok((
                Event::PaymentSuccessful {
                    payment_id: Some(id),
                    ..
                },
                at,
            )) if in_flight.contains_key(&id) => {
                let sent = in_flight.remove(&id).expect("in flight");
                latency.samples.push(at - sent);
                ok += 1;
                end = end.max(at);
            }
            Ok((
                Event::PaymentFailed {
                    payment_id: Some(id),
                    reason,
                    ..
                },
                _,
            )) if in_flight.remove(&id).is_some() => {
                failed += 1;
                if errors.len() < 5 {
                    errors.push(format!("failed: {reason:?}"));
                }
            }
            Ok(_) => {}
            Err(RecvTimeoutError::Timeout) => {
                assert!(!full, "no ldk-node payment ended within {STEP_TIMEOUT:?}");
            }
            Err(RecvTimeoutError::Disconnected) => panic!("ldk-node's event thread ended"),
        }
    }
    (
        Throughput {
            ok,
            failed,
            elapsed: end - start,
            errors,
            concurrency: LDK_IN_FLIGHT,
            latency,
        },
        refused,
    )
}

/// `from` pays `total_sat` back to `to` by keysend, in chunks.
fn ldk_payback(from: &Ldk, to: PublicKey, total_sat: u64) {
    let mut left = total_sat;
    while left > 0 {
        let chunk = left.min(PAYBACK_CHUNK_SAT);
        let id = from
            .node
            .spontaneous_payment()
            .send(chunk * 1000, to, None)
            .expect("ldk payback");
        ldk_wait(from, id).expect("ldk payback");
        left -= chunk;
    }
}

// ---------------------------------------------------------------------------
// Figures

/// Latencies of one sequential round.
#[derive(Default)]
struct Latencies {
    samples: Vec<Duration>,
    failed: usize,
    errors: Vec<String>,
}

impl Latencies {
    fn fail(&mut self, error: String) {
        self.failed += 1;
        if self.errors.len() < 5 {
            self.errors.push(error);
        }
    }

    fn ok(&self) -> usize {
        self.samples.len()
    }

    /// The `p`th percentile (nearest rank).
    fn percentile(&self, p: f64) -> Option<Duration> {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
    }

    fn ms(&self, p: f64) -> Option<f64> {
        self.percentile(p).map(|d| d.as_secs_f64() * 1e3)
    }

    fn summary(&self) -> String {
        format!(
            "{} ok, {} failed, p50 {} ms, p90 {} ms, p99 {} ms, histogram {}{}",
            self.ok(),
            self.failed,
            fmt_opt(self.ms(50.0), 2),
            fmt_opt(self.ms(90.0), 2),
            fmt_opt(self.ms(99.0), 2),
            self.histogram(),
            errors_note(&self.errors)
        )
    }

    /// How many samples fall in each bucket, in ms.
    fn histogram(&self) -> String {
        const EDGES: [u64; 9] = [1, 2, 5, 10, 20, 40, 60, 100, 200];
        let mut counts = [0usize; EDGES.len() + 1];
        for sample in &self.samples {
            let ms = sample.as_secs_f64() * 1e3;
            let bucket = EDGES
                .iter()
                .position(|e| ms < *e as f64)
                .unwrap_or(EDGES.len());
            counts[bucket] += 1;
        }
        let mut out = Vec::new();
        for (i, count) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let low = if i == 0 { 0 } else { EDGES[i - 1] };
            match EDGES.get(i) {
                Some(high) => out.push(format!("[{low},{high}) {count}")),
                None => out.push(format!("[{low},..) {count}")),
            }
        }
        out.join(", ")
    }
}

/// One throughput round.
struct Throughput {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    errors: Vec<String>,
    concurrency: usize,
    /// Each successful payment's own time, send to success.
    latency: Latencies,
}

impl Throughput {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn summary(&self) -> String {
        format!(
            "{} ok, {} failed in {:.2?} at concurrency {}: {:.0} payments/s; each payment p50 {} ms, p99 {} ms{}",
            self.ok,
            self.failed,
            self.elapsed,
            self.concurrency,
            self.per_second(),
            fmt_opt(self.latency.ms(50.0), 1),
            fmt_opt(self.latency.ms(99.0), 1),
            errors_note(&self.errors)
        )
    }
}

fn errors_note(errors: &[String]) -> String {
    if errors.is_empty() {
        String::new()
    } else {
        format!(" (first errors: {errors:?})")
    }
}

fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

fn ratio(rayo: Option<f64>, ldk: Option<f64>) -> String {
    match (rayo, ldk) {
        (Some(r), Some(l)) if l > 0.0 => format!("{:.3}", r / l),
        _ => "-".to_owned(),
    }
}

fn print_table(rayo: &RayoResults, ldk: &LdkResults, load_before: &str, load_after: &str) {
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let profile = if cfg!(debug_assertions) {
        "debug (unoptimized: not a benchmark figure)"
    } else {
        "bench (release settings: opt-level 3, debug = false); rayod and rayo-chaind built with `--profile bench`"
    };
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\n## Payments: Rayo (two rayod processes) vs LDK (two ldk-nodes)\n"
    );
    let _ = writeln!(
        t,
        "- machine: {cores} cores ({}), build profile: {profile}",
        cpu_model()
    );
    let _ = writeln!(
        t,
        "- load average before: {load_before}; after: {load_after}"
    );
    for note in rayo.cpu_note.iter().chain(&ldk.cpu_note) {
        let _ = writeln!(t, "- CPU during {note}");
    }
    let _ = writeln!(
        t,
        "- channel: {CAPACITY_SAT} sat, unannounced, {PUSH_SAT} sat pushed; every payment {AMOUNT_SAT} sat; on-disk SQLite on both sides; chain: rayo-chaind"
    );
    let _ = writeln!(
        t,
        "- Rayo (a): payee's `addinvoice` untimed, payer's `send_payment_sync` timed (REST over TLS). LDK (a): `bolt11_payment().send` to the `PaymentSuccessful` event"
    );
    let _ = writeln!(
        t,
        "- LDK 0.2 holds each HTLC it receives for a random privacy delay (log-normal, median ~50 ms, at most 200 ms) before processing it, so its sequential figure is delay-bound, whatever its peer does"
    );
    let _ = writeln!(
        t,
        "- Rayo's clients are `rayo_api::Client`s with a timeout of at least `SEND_PAYMENT_TIMEOUT`, so `send_payment_sync` keeps one TLS connection per client; with the default timeout it makes a new agent, and a new TCP + TLS connection, per call (rows \"with a default `Client`\")"
    );
    let _ = writeln!(
        t,
        "- Rayo (b): {THROUGHPUT} keysends from N client threads (each its own `rayo_api::Client`, so at most N in flight; rayod accepts 483 HTLCs). LDK (b): {THROUGHPUT} `spontaneous_payment().send` with at most {LDK_IN_FLIGHT} in flight (LDK accepts 50 HTLCs), a send only when `next_outbound_htlc_limit_msat` allows ({} sends refused and retried), as ldk-node's benches/payments.rs",
        ldk.send_retries
    );
    let _ = writeln!(t, "- disk writes: `write_bytes` of `/proc/PID/io` over the round, per successful payment: both rayods; for LDK the bench process, so both ldk-nodes and their Info-level logs");
    let _ = writeln!(t, "- ratio = Rayo / LDK (latency: below 1 is Rayo faster; throughput: above 1 is Rayo faster)\n");

    let _ = writeln!(t, "| figure | Rayo | LDK | Rayo/LDK | Rayo's aim |");
    let _ = writeln!(t, "|---|---|---|---|---|");
    let (rs, ls) = (&rayo.sequential, &ldk.sequential);
    for (p, aim) in [(50.0, "under 5 ms"), (90.0, ""), (99.0, "")] {
        let _ = writeln!(
            t,
            "| (a) sequential p{p:.0}, ms | {} | {} | {} | {aim} |",
            fmt_opt(rs.ms(p), 2),
            fmt_opt(ls.ms(p), 2),
            ratio(rs.ms(p), ls.ms(p))
        );
    }
    let _ = writeln!(
        t,
        "| (a) sequential failed | {} of {SEQUENTIAL} | {} of {SEQUENTIAL} | | |",
        rs.failed, ls.failed
    );
    let lt = &ldk.throughput;
    for (threads, round) in &rayo.throughput {
        let _ = writeln!(
            t,
            "| (b) keysend throughput, payments/s (Rayo {threads} threads; LDK up to {LDK_IN_FLIGHT} in flight) | {:.0} | {:.0} | {} | more than 2,000 |",
            round.per_second(),
            lt.per_second(),
            ratio(Some(round.per_second()), Some(lt.per_second()))
        );
        let _ = writeln!(
            t,
            "| (b) each payment under that load, p50 / p99, ms (Rayo {threads} threads) | {} / {} | {} / {} | | |",
            fmt_opt(round.latency.ms(50.0), 1),
            fmt_opt(round.latency.ms(99.0), 1),
            fmt_opt(lt.latency.ms(50.0), 1),
            fmt_opt(lt.latency.ms(99.0), 1)
        );
        let _ = writeln!(
            t,
            "| (b) failed (Rayo {threads} threads) | {} of {THROUGHPUT} | {} (resent) | | |",
            round.failed, lt.failed
        );
    }
    let (pcs, pct) = &rayo.per_call;
    let _ = writeln!(
        t,
        "| (a) sequential with a default `Client` (a new TCP + TLS connection per pay call), p50 / p90 / p99, ms | {} / {} / {} | | | |",
        fmt_opt(pcs.ms(50.0), 2),
        fmt_opt(pcs.ms(90.0), 2),
        fmt_opt(pcs.ms(99.0), 2)
    );
    let _ = writeln!(
        t,
        "| (b) keysend throughput with default `Client`s, 50 threads, payments/s | {:.0} ({} failed) | | | |",
        pct.per_second(),
        pct.failed
    );
    let (seq, load) = match &rayo.fsyncs {
        Some((seq, load)) => (Some(*seq), Some(*load)),
        None => (None, None),
    };
    let _ = writeln!(
        t,
        "| fsyncs per payment, both nodes, sequential (strace) | {} | | | |",
        fmt_opt(seq.map(|s| s.per_payment()), 2)
    );
    let _ = writeln!(
        t,
        "| wall time in fsync per payment, both nodes, sequential (strace -w), ms | {} ({} ms per call) | | | |",
        fmt_opt(seq.map(|s| s.ms_per_payment()), 2),
        fmt_opt(seq.map(|s| s.ms_per_call()), 2)
    );
    let _ = writeln!(
        t,
        "| fsyncs per payment, both nodes, {TRACED_THREADS} threads (strace) | {} | | | |",
        fmt_opt(load.map(|s| s.per_payment()), 2)
    );
    let kb = |v: Option<f64>| fmt_opt(v.map(|b| b / 1024.0), 1);
    let _ = writeln!(
        t,
        "| disk writes per payment, both nodes, (a) sequential, KiB (`/proc/PID/io` write_bytes) | {} | {} | {} | |",
        kb(rayo.disk.0),
        kb(ldk.disk.0),
        ratio(rayo.disk.0, ldk.disk.0)
    );
    let _ = writeln!(
        t,
        "| disk writes per payment, both nodes, (b) (Rayo {} threads), KiB | {} | {} | {} | |",
        RAYO_THREADS[RAYO_THREADS.len() - 1],
        kb(rayo.disk.1),
        kb(ldk.disk.1),
        ratio(rayo.disk.1, ldk.disk.1)
    );
    let bytes = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |b| b.to_string());
    let _ = writeln!(
        t,
        "| the payer's channel record (JSON rewritten by every persisted batch), bytes: idle after setup / most seen with {TRACED_THREADS} threads paying / idle at the end | {} / {} / {} | | | |",
        bytes(rayo.record[0]),
        bytes(rayo.record[1]),
        bytes(rayo.record[2])
    );
    let _ = writeln!(
        t,
        "| REST round trip alone (`getinfo`, sequential) p50 / p90 / p99, ms | {} / {} / {} | | | |",
        fmt_opt(rayo.rest.ms(50.0), 2),
        fmt_opt(rayo.rest.ms(90.0), 2),
        fmt_opt(rayo.rest.ms(99.0), 2)
    );
    let _ = writeln!(
        t,
        "| REST POST alone (the payee's `addinvoice` in (a), untimed there) p50 / p90 / p99, ms | {} / {} / {} | | | |",
        fmt_opt(rayo.invoices.ms(50.0), 2),
        fmt_opt(rayo.invoices.ms(90.0), 2),
        fmt_opt(rayo.invoices.ms(99.0), 2)
    );
    let _ = writeln!(
        t,
        "| persisted batches per payment, both nodes (in-process, manager bench, unbatched) | {INPROCESS_BATCHES} | | | |"
    );
    let _ = writeln!(
        t,
        "| signatures / verifications per payment, both nodes (in-process, manager bench) | {INPROCESS_SIGNATURES} / {INPROCESS_VERIFICATIONS} | | | |"
    );
    let _ = match &rayo.fsyncs {
        Some(_) => writeln!(
            t,
            "\nfsyncs measured with `strace -f -c -w -e trace={SYNC_CALLS}` attached to both rayods, in separate rounds ({TRACED_SEQUENTIAL} sequential invoice payments; {TRACED_LOAD} keysends from {TRACED_THREADS} threads), so the tracing slows none of the figures above. Signatures and verifications cannot be counted from outside the process: those are the manager bench's in-process figures."
        ),
        None => writeln!(
            t,
            "\nstrace not available: fsyncs are the manager bench's in-process figure only."
        ),
    };
    let _ = writeln!(
        t,
        "Each persisted batch is one SQLite transaction (WAL, synchronous=FULL: one fdatasync of the WAL, plus a checkpoint's now and then); under load the driver groups queued events into one batch, so there are fewer."
    );
    if let Some((round, out)) = &rayo.perf {
        let _ = writeln!(
            t,
            "perf round (50 threads, under `perf record -g`): {}; profiles in {}",
            round.summary(),
            out.display()
        );
    }
    println!("{t}");
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// CPU time of the whole machine and of the bench's own processes.
struct CpuSample {
    busy: u64,
    total: u64,
    ours: u64,
}

impl CpuSample {
    fn take(pids: &[u32]) -> CpuSample {
        let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let fields: Vec<u64> = text
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        let get = |i: usize| fields.get(i).copied().unwrap_or(0);
        // user nice system idle iowait irq softirq steal
        let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
        let total = busy + get(3) + get(4);
        let ours = pids.iter().map(|p| process_ticks(*p)).sum();
        CpuSample { busy, total, ours }
    }

    /// "machine busy X% (ours Y%, others Z%)" since `self`.
    fn since(&self, pids: &[u32]) -> String {
        let now = CpuSample::take(pids);
        let total = now.total.saturating_sub(self.total).max(1) as f64;
        let busy = now.busy.saturating_sub(self.busy) as f64;
        let ours = now.ours.saturating_sub(self.ours) as f64;
        format!(
            "machine {:.0}% busy (bench's processes {:.0}%, others {:.0}%) of all cores",
            100.0 * busy / total,
            100.0 * ours.min(busy) / total,
            100.0 * (busy - ours).max(0.0) / total
        )
    }
}

/// The size of the largest channel record in a rayod's database (read with
/// the `sqlite3` command, if installed; WAL readers do not block the node).
fn channel_record_bytes(datadir: &Path) -> Option<u64> {
    let out = Command::new("sqlite3")
        .arg("-readonly")
        .arg(datadir.join("node.sqlite"))
        .arg("SELECT coalesce(max(length(state)), 0) FROM channels")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Bytes the processes caused to be written to storage (`write_bytes` of
/// `/proc/PID/io`).
fn write_bytes(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/io")).ok())
        .filter_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("write_bytes:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .sum()
}

fn per_payment(bytes: u64, payments: usize) -> Option<f64> {
    (payments > 0).then(|| bytes as f64 / payments as f64)
}

/// utime + stime of a process, in clock ticks.
fn process_ticks(pid: u32) -> u64 {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    let Some((_, rest)) = text.rsplit_once(')') else {
        return 0;
    };
    // After the command: state is field 3; utime and stime are 14 and 15.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    get(11) + get(12)
}

// ---------------------------------------------------------------------------
// Processes

/// Builds `rayod` and `rayo-chaind` with the bench profile, so the ones
/// `rayo_e2e` starts (from `target/release`) are current and optimized.
fn build_daemons() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut command = Command::new(cargo);
    // What cargo set for this bench (its package's name, manifest, ...)
    // would reach build scripts that watch them (ring's) and make this
    // build, and the next one from a shell, rebuild them.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let set_for_us = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| key.starts_with(p))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*key);
        if set_for_us {
            command.env_remove(&*key);
        }
    }
    let status = command
        .current_dir(workspace)
        .args([
            "build",
            "--profile",
            "bench",
            "--bin",
            "rayod",
            "--bin",
            "rayo-chaind",
        ])
        .status()
        .expect("running cargo build");
    assert!(status.success(), "building rayod and rayo-chaind failed");
}

/// The pid of the `binary` process started with `datadir` among its
/// arguments.
fn pid_of(binary: &str, datadir: &Path) -> Option<u32> {
    let want = datadir.as_os_str().to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.first().is_some_and(|a| a.ends_with(binary)) && args.contains(&want) {
            return Some(pid);
        }
    }
    None
}

/// Sends `signal` to one process we started.
fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `limit` for `child` to exit; kills it after that.
fn wait_child(child: &mut Child, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

fn strace_available() -> bool {
    Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `strace -f -c` attached to one process, counting its disk syncs.
struct Strace {
    child: Child,
    out: PathBuf,
}

impl Strace {
    fn attach(pid: u32, out: &Path) -> Strace {
        let mut child = Command::new("strace")
            .args(["-f", "-c", "-w", "-e", &format!("trace={SYNC_CALLS}"), "-o"])
            .arg(out)
            .args(["-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting strace");
        // Attached once it says so (on stderr).
        let stderr = child.stderr.take().expect("strace's stderr");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("attached") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(15))
            .expect("strace attached within 15 s");
        thread::sleep(Duration::from_millis(200));
        Strace {
            child,
            out: out.to_owned(),
        }
    }

    /// Detaches and returns the sync calls counted and their wall time.
    fn finish(mut self) -> Syncs {
        signal(self.child.id(), "-INT");
        assert!(
            wait_child(&mut self.child, Duration::from_secs(30)),
            "strace did not stop"
        );
        let text = std::fs::read_to_string(&self.out).expect("strace's summary");
        let mut syncs = Syncs::default();
        // "% time seconds usecs/call calls [errors] syscall"
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let Some(name) = fields.last() else { continue };
            if fields.len() >= 5 && SYNC_CALLS.split(',').any(|s| s == *name) {
                syncs.calls += fields[3].parse::<u64>().unwrap_or(0);
                syncs.seconds += fields[1].parse::<f64>().unwrap_or(0.0);
            }
        }
        syncs
    }
}

/// Disk sync calls seen by strace, and per payment.
#[derive(Debug, Default, Clone, Copy)]
struct Syncs {
    calls: u64,
    /// Wall-clock time inside them (`strace -w`), summed over threads.
    seconds: f64,
    payments: usize,
}

impl Syncs {
    fn sum(parts: [Syncs; 2], payments: usize) -> Syncs {
        Syncs {
            calls: parts.iter().map(|p| p.calls).sum(),
            seconds: parts.iter().map(|p| p.seconds).sum(),
            payments,
        }
    }

    fn per_payment(&self) -> f64 {
        self.calls as f64 / self.payments.max(1) as f64
    }

    fn ms_per_payment(&self) -> f64 {
        1e3 * self.seconds / self.payments.max(1) as f64
    }

    fn ms_per_call(&self) -> f64 {
        1e3 * self.seconds / self.calls.max(1) as f64
    }
}

impl Drop for Strace {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `perf record -g` attached to one process.
struct Perf {
    child: Child,
}

impl Perf {
    fn attach(pid: u32, out: &Path) -> Perf {
        let child = Command::new("perf")
            .args(["record", "-g", "-F", "999", "-o"])
            .arg(out)
            .args(["-p", &pid.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting perf");
        thread::sleep(Duration::from_millis(500));
        Perf { child }
    }

    fn finish(mut self) {
        signal(self.child.id(), "-INT");
        wait_child(&mut self.child, Duration::from_secs(60));
    }
}

impl Drop for Perf {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ends the run when a stage overruns: prints the end of the daemons' logs,
/// kills every process it was told of and exits.
#[derive(Clone)]
struct Watchdog(Arc<Mutex<WatchState>>);

/// A stage put aside while a sub-stage runs.
struct Paused {
    stage: String,
    deadline: Instant,
    limit: Duration,
    at: Instant,
}

struct WatchState {
    stage: String,
    deadline: Instant,
    limit: Duration,
    pids: Vec<(u32, Option<PathBuf>)>,
    done: bool,
}

impl Watchdog {
    fn start() -> Watchdog {
        let state = Arc::new(Mutex::new(WatchState {
            stage: "start".into(),
            deadline: Instant::now() + STEP_TIMEOUT,
            limit: STEP_TIMEOUT,
            pids: Vec::new(),
            done: false,
        }));
        let watched = Arc::clone(&state);
        thread::spawn(move || loop {
            thread::sleep(Duration::from_millis(500));
            let state = watched.lock().unwrap_or_else(|e| e.into_inner());
            if state.done {
                return;
            }
            if Instant::now() > state.deadline {
                eprintln!(
                    "WATCHDOG: stage `{}` did not end within {:?}; stopping everything",
                    state.stage, state.limit
                );
                for (pid, log) in &state.pids {
                    if let Some(log) = log {
                        print_tail(log, 60);
                    }
                    signal(*pid, "-KILL");
                }
                std::process::exit(2);
            }
        });
        Watchdog(state)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, WatchState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stage(&self, name: &str, limit: Duration) {
        eprintln!("== {name}");
        let mut state = self.lock();
        state.stage = name.to_owned();
        state.limit = limit;
        state.deadline = Instant::now() + limit;
    }

    /// The current stage, to [`Watchdog::restore`] after a sub-stage.
    fn current(&self) -> Paused {
        let state = self.lock();
        Paused {
            stage: state.stage.clone(),
            deadline: state.deadline,
            limit: state.limit,
            at: Instant::now(),
        }
    }

    /// Back to a stage, its deadline moved by the sub-stage's time.
    fn restore(&self, paused: Paused) {
        let mut state = self.lock();
        state.stage = paused.stage;
        state.deadline = paused.deadline + paused.at.elapsed();
        state.limit = paused.limit;
    }

    fn watch(&self, pid: u32, log: Option<PathBuf>) {
        self.lock().pids.push((pid, log));
    }

    fn unwatch(&self, pid: u32) {
        self.lock().pids.retain(|(p, _)| *p != pid);
    }

    fn done(&self) {
        self.lock().done = true;
    }
}

fn print_tail(path: &Path, lines: usize) {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            eprintln!("---- {} (last {lines} lines) ----", path.display());
            for line in &all[all.len().saturating_sub(lines)..] {
                eprintln!("{line}");
            }
        }
        Err(e) => eprintln!("no log at {}: {e}", path.display()),
    }
}

/// Unique per run, so keysend preimages never repeat across runs.
fn run_nonce() -> &'static str {
    static NONCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NONCE.get_or_init(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{nanos}-{}", std::process::id())
    })
}

/// A fresh number for each round's preimage labels.
fn run_counter() -> usize {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    COUNTER.fetch_add(1, Ordering::Relaxed)
}
