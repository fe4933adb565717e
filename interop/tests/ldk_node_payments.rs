//! Payments between `rayod` and LDK's `ldk-node` (anchors off) over two
//! unannounced 1,000,000 sat channels, one opened by each side, on
//! `rayo-chaind`:
//!
//! 1. both channels open and usable on both sides;
//! 2. rayod pays an ldk-node BOLT 11 invoice: ldk-node reports the payment
//!    received, rayod's payment succeeded with the preimage ldk-node holds;
//! 3. ldk-node pays a rayod invoice: ldk-node reports success with the
//!    preimage, rayod's invoice is settled for the amount;
//! 4. keysend each way;
//! 5. 200 payments of 3,000 sat each way with up to 30 in flight: rayod
//!    with 30 concurrent `sendpayment` calls, ldk-node in waves of 30;
//! 6. (second test) a stream of payments both ways during which rayod is
//!    killed and restarted, then one during which ldk-node is restarted:
//!    once the channels are usable again every payment of the stream ends
//!    succeeded or failed, none lost and none paid twice, and the channels
//!    still carry a payment each way.
//!
//! After every step both sides' balances are checked to the millisatoshi:
//! rayod's per channel (`listchannels`, fee put back on the opener's side)
//! and in total (`channelbalance`), ldk-node's from its channel capacities
//! and from its monitors' balances (`list_balances`); each side's records
//! of what it paid and was paid (payments, invoices, channel totals) match
//! the payments that succeeded, and nothing else moved.
//!
//! Amounts and fees fit LDK's limits: 30 payments in flight within its 10%
//! cap on the channel rayod opened (100,000 sat) are at most 3,333 sat
//! each, and LDK counts an HTLC as dust (against its dust-exposure cap,
//! 30,500 sat here) while it is under the dust limit plus its HTLC
//! transaction's fee at the channel feerate plus 2,530 sat/kw. So the chain
//! runs with a low fallback fee (500 sat/kw, where that bound is about
//! 2,500 sat; at its default of 5,000 sat/kw it is about 5,700 sat) and
//! streams pay 3,000 sat a payment. With 2,000 sat payments LDK refuses the
//! 16th HTLC in flight (`DustLimitCounterparty`) and cannot route its own.
//!
//! Each scenario runs under [`TEST_TIMEOUT`], each wait is bounded; on a
//! failure the end of ldk-node's debug log and of rayod's logs is printed.
//! The two tests run one at a time (the machine is small).

#[path = "../support/ldk_node_harness.rs"]
#[allow(dead_code)] // each test uses part of the harness
mod harness;
#[path = "../support/miner.rs"]
mod miner;

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use bitcoin::hashes::{sha256, Hash};
use bitcoin::hex::DisplayHex;
use bitcoin::secp256k1::PublicKey;
use bitcoin::OutPoint;
use harness::{
    both_usable, ldk_channel, ldk_opens, rayod_opens, start_funded, start_rayod, Env, RayodSlot,
    CONFIRMATIONS,
};
use ldk_node::lightning::ln::channelmanager::PaymentId;
use ldk_node::lightning_invoice::{Bolt11Invoice, Bolt11InvoiceDescription, Description};
use ldk_node::payment::{
    PaymentDetails, PaymentDirection, PaymentKind, PaymentStatus as LdkStatus,
};
use ldk_node::{Event, LightningBalance, Node};
use rayo_api::types::{
    ChannelBalanceResponse, Invoice, InvoiceState, ListInvoiceRequest, ListPaymentsRequest,
    Payment, PaymentStatus, SendRequest, KEYSEND_RECORD,
};
use rayo_api::ClientError;
use rayo_e2e::node::NodeDaemon;
use rayo_e2e::ChainDaemon;

/// Upper bound for each scenario once the binaries are built.
const TEST_TIMEOUT: Duration = Duration::from_secs(600);

/// Upper bound for a stream of payments to end, and for payments in flight
/// across a restart to resolve.
const STREAM_TIMEOUT: Duration = Duration::from_secs(180);

/// `rayo-chaind`'s fee estimate while its mempool is empty: 0.00002
/// BTC/kvB, 500 sat/kw (see the module documentation).
const CHAIN_ARGS: &[&str] = &["--fallbackfee", "0.00002"];

/// Each channel's capacity, in sat.
const CAPACITY: u64 = 1_000_000;

/// rayod pays ldk-node's invoice of step 2 (sat).
const RAYO_INVOICE_PAYMENT: u64 = 50_000;

/// ldk-node pays rayod's invoice of step 3 (sat).
const LDK_INVOICE_PAYMENT: u64 = 40_000;

/// ldk-node's keysend to rayod (sat).
const LDK_KEYSEND: u64 = 7_000;

/// rayod's keysend to ldk-node (sat).
const RAYO_KEYSEND: u64 = 6_000;

/// Each payment of a stream (sat).
const STREAM_AMOUNT: u64 = 3_000;

/// Payments each way in step 5.
const STREAM_PAYMENTS: usize = 200;

/// Payments in flight at once, each way: under LDK's 50 accepted HTLCs and,
/// at [`STREAM_AMOUNT`], under its 10% in-flight cap on rayod's channel.
const IN_FLIGHT: usize = 30;

/// Payments each way in a stream across a restart.
const RESTART_STREAM_PAYMENTS: usize = 60;

/// rayod's HTLCs pending (both directions) at which the restart is done:
/// the stream is in full swing.
const PENDING_AT_RESTART: usize = 10;

/// Seconds an invoice stays payable.
const INVOICE_EXPIRY_SECS: u32 = 3600;

/// A payment hash or preimage.
type Hash32 = [u8; 32];

/// Keeps the two scenarios (each a chain, a rayod and an ldk-node) from
/// running at once.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn payments_both_ways_singly_by_keysend_and_200_each_way_in_flight() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    harness::run_scenario(CHAIN_ARGS, TEST_TIMEOUT, |env| {
        let mut stages = Stages::default();
        let mut pair = Pair::open(env, &mut stages);

        let t = Instant::now();
        pair.rayo_pays_ldk_invoice(RAYO_INVOICE_PAYMENT);
        pair.check_balances("step 2: rayod paid an ldk-node invoice");
        stages.done("2. rayod pays an ldk-node invoice", t);

        let t = Instant::now();
        pair.ldk_pays_rayo_invoice(LDK_INVOICE_PAYMENT);
        pair.check_balances("step 3: ldk-node paid a rayod invoice");
        stages.done("3. ldk-node pays a rayod invoice", t);

        let t = Instant::now();
        pair.ldk_keysends(LDK_KEYSEND);
        pair.check_balances("step 4: ldk-node's keysend");
        pair.rayo_keysends(RAYO_KEYSEND);
        pair.check_balances("step 4: rayod's keysend");
        stages.done("4. keysend both ways", t);

        let t = Instant::now();
        let invoices = pair.ldk_invoices(STREAM_PAYMENTS, STREAM_AMOUNT);
        let calls = pair.rayo_stream(&invoices, |_| {});
        let count = pair.settle_rayo_stream(&invoices, &calls, true);
        pair.check_balances("step 5: rayod's 200 payments");
        stages.done(
            &format!("5a. rayod pays {STREAM_PAYMENTS} invoices, {IN_FLIGHT} in flight ({count})"),
            t,
        );

        let t = Instant::now();
        let invoices = pair.rayo_invoices(STREAM_PAYMENTS, STREAM_AMOUNT);
        for wave in invoices.chunks(IN_FLIGHT) {
            pair.ldk_sends(wave);
            pair.wait_ldk_outcomes(wave);
        }
        let count = pair.settle_ldk_stream(&invoices, true);
        pair.check_balances("step 5: ldk-node's 200 payments");
        stages.done(
            &format!(
                "5b. ldk-node pays {STREAM_PAYMENTS} invoices in waves of {IN_FLIGHT} ({count})"
            ),
            t,
        );

        pair.close(stages);
    });
}

#[test]
fn payments_in_flight_survive_a_restart_of_either_side() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    harness::run_scenario(CHAIN_ARGS, TEST_TIMEOUT, |env| {
        let mut stages = Stages::default();
        let mut pair = Pair::open(env, &mut stages);

        let t = Instant::now();
        pair.stream_across_restart(Restart::Rayod);
        stages.done("6a. both ways across a rayod kill and restart", t);

        let t = Instant::now();
        pair.stream_across_restart(Restart::LdkNode);
        stages.done("6b. both ways across an ldk-node restart", t);

        pair.close(stages);
    });
}

/// How long each stage took, printed at the end.
#[derive(Default)]
struct Stages(Vec<(String, Duration)>);

impl Stages {
    /// Records (and prints) that `stage`, begun at `started`, is done.
    fn done(&mut self, stage: &str, started: Instant) {
        let took = started.elapsed();
        eprintln!("== {stage}: {took:.1?}");
        self.0.push((stage.to_owned(), took));
    }
}

/// Which side a stream of payments is interrupted by.
#[derive(Debug, Clone, Copy)]
enum Restart {
    /// rayod is killed (its `NodeDaemon` dropped: SIGKILL) and started again
    /// on the same data directory.
    Rayod,
    /// ldk-node is stopped and started again.
    LdkNode,
}

/// What the payments that succeeded so far moved, in msat.
#[derive(Debug, Default, Clone, Copy)]
struct Ledger {
    /// Paid by rayod to ldk-node.
    rayo_sent: u64,
    /// Paid by ldk-node to rayod.
    rayo_received: u64,
}

/// What ldk-node's events said, by payment hash.
#[derive(Default)]
struct LdkEvents {
    /// `PaymentReceived` amounts (msat): one per payment received.
    received: HashMap<Hash32, Vec<u64>>,
    /// `PaymentSuccessful` preimages.
    succeeded: HashMap<Hash32, Vec<Option<Hash32>>>,
    /// `PaymentFailed` reasons.
    failed: HashMap<Hash32, Vec<String>>,
}

impl LdkEvents {
    /// Takes every event ldk-node has queued. A channel closed is a
    /// failure at once: nothing in these scenarios closes one.
    fn pump(&mut self, ldk: &Node) {
        while let Some(event) = ldk.next_event() {
            match &event {
                Event::PaymentReceived {
                    payment_hash,
                    amount_msat,
                    ..
                } => self
                    .received
                    .entry(payment_hash.0)
                    .or_default()
                    .push(*amount_msat),
                Event::PaymentSuccessful {
                    payment_hash,
                    payment_preimage,
                    ..
                } => self
                    .succeeded
                    .entry(payment_hash.0)
                    .or_default()
                    .push(payment_preimage.map(|p| p.0)),
                Event::PaymentFailed {
                    payment_hash,
                    reason,
                    ..
                } => {
                    let hash = payment_hash.expect("ldk-node names the failed payment's hash");
                    self.failed
                        .entry(hash.0)
                        .or_default()
                        .push(format!("{reason:?}"));
                }
                Event::ChannelClosed { .. } => panic!("ldk-node closed a channel: {event:?}"),
                _ => {}
            }
            ldk.event_handled()
                .expect("ldk-node marks the event handled");
        }
    }

    /// Final events (success or failure) of the payment `hash` sent.
    fn outcomes(&self, hash: &Hash32) -> usize {
        self.succeeded.get(hash).map_or(0, Vec::len) + self.failed.get(hash).map_or(0, Vec::len)
    }
}

/// One `sendpayment` call of rayod's.
#[derive(Debug, Clone)]
enum Call {
    /// Answered: the payment succeeded with this preimage.
    Succeeded(Vec<u8>),
    /// Answered: the payment failed.
    Failed(String),
    /// rayod refused the call with an API error.
    Refused(String),
    /// The call broke off (rayod went away during it): unknown outcome.
    BrokenOff(String),
}

/// How a stream of payments ended.
#[derive(Debug, Default, Clone, Copy)]
struct Count {
    succeeded: usize,
    failed: usize,
    /// Of rayod's calls: broken off by the restart.
    broken_off: usize,
    /// Of rayod's calls: never reached a payment record (refused, or broken
    /// off before rayod stored it).
    not_recorded: usize,
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} succeeded, {} failed, {} calls broken off, {} never recorded",
            self.succeeded, self.failed, self.broken_off, self.not_recorded
        )
    }
}

/// Both nodes, their two channels, and what has been paid so far.
struct Pair<'a> {
    chain: &'a ChainDaemon,
    slot: &'a RayodSlot,
    rayod: NodeDaemon,
    rayod_dir: PathBuf,
    ldk: Node,
    ldk_id: PublicKey,
    rayo_id: PublicKey,
    /// The channel rayod opened, then the one ldk-node opened.
    funded: [OutPoint; 2],
    events: LdkEvents,
    ledger: Ledger,
    /// Numbers invoices and keysend preimages, so each is new.
    serial: u64,
}

impl<'a> Pair<'a> {
    /// Step 1: both nodes funded, a channel opened by each, both usable on
    /// both sides, balances as opened.
    fn open(env: &'a Env<'a>, stages: &mut Stages) -> Pair<'a> {
        let t = Instant::now();
        let nodes = start_funded(env);
        let rayo_funding = rayod_opens(&nodes, CAPACITY);
        nodes.miner.mine(env.chain, CONFIRMATIONS);
        let ldk_funding = ldk_opens(&nodes, env.chain, CAPACITY);
        nodes.miner.mine(env.chain, CONFIRMATIONS);
        let funded = [rayo_funding, ldk_funding];
        both_usable(&nodes.rayod, &nodes.ldk, &funded);
        let mut pair = Pair {
            chain: env.chain,
            slot: env.rayod_slot,
            ldk_id: nodes.ldk.node_id(),
            rayo_id: nodes.rayod.pubkey.parse().expect("rayod pubkey"),
            rayod: nodes.rayod,
            rayod_dir: nodes.rayod_dir,
            ldk: nodes.ldk,
            funded,
            events: LdkEvents::default(),
            ledger: Ledger::default(),
            serial: 0,
        };
        let ours = ldk_channel(&pair.ldk, rayo_funding).expect("rayod's channel");
        let theirs = ldk_channel(&pair.ldk, ldk_funding).expect("ldk-node's channel");
        assert!(!ours.is_outbound && theirs.is_outbound);
        assert!(!ours.is_announced && !theirs.is_announced);
        pair.check_balances("step 1: channels opened");
        stages.done("1. both channels open and usable", t);
        pair
    }

    /// Stops both nodes and prints the stage times.
    fn close(mut self, stages: Stages) {
        self.events.pump(&self.ldk);
        self.ldk.stop().expect("ldk-node stops");
        self.slot.lock().expect("slot").take();
        self.rayod.stop();
        eprintln!("== stage times:");
        for (stage, took) in &stages.0 {
            eprintln!("==   {took:>8.1?}  {stage}");
        }
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// Step 2: rayod pays an invoice of ldk-node's for `amount` sat.
    fn rayo_pays_ldk_invoice(&mut self, amount: u64) {
        let invoice = self.ldk_invoices(1, amount).remove(0);
        let hash = invoice_hash(&invoice);
        let client = self.rayod.client();
        let decoded = client
            .decode_pay_req(&invoice.to_string())
            .expect("rayod decodes ldk-node's invoice");
        assert_eq!(decoded.destination, self.ldk_id.to_string());
        assert_eq!(decoded.payment_hash, hash.to_lower_hex_string());
        assert_eq!(decoded.num_satoshis, amount as i64);

        let sent = client
            .send_payment_sync(&SendRequest {
                payment_request: invoice.to_string(),
                ..SendRequest::default()
            })
            .expect("sendpayment answers");
        assert_eq!(sent.payment_error, "", "rayod's payment failed: {sent:?}");
        assert_eq!(sent.payment_hash, hash);
        self.wait_ldk_received(&hash, amount);
        let preimage = ldk_preimage(&self.ldk, &hash, PaymentDirection::Inbound, amount);
        assert_eq!(sent.payment_preimage, preimage, "the preimage ldk-node has");
        let record = self.rayo_payment(&hash).expect("rayod lists its payment");
        assert_eq!(record.status, PaymentStatus::Succeeded, "{record:?}");
        assert_eq!(record.payment_preimage, preimage.to_lower_hex_string());
        assert_eq!(record.value_msat, (amount * 1000) as i64);
        assert_eq!(record.fee_msat, 0);
        assert_eq!(record.payment_request, invoice.to_string());
        self.ledger.rayo_sent += amount * 1000;
    }

    /// Step 3: ldk-node pays an invoice of rayod's for `amount` sat.
    fn ldk_pays_rayo_invoice(&mut self, amount: u64) {
        let invoice = self.rayo_invoices(1, amount).remove(0);
        let hash = invoice_hash(&invoice);
        assert_eq!(invoice.recover_payee_pub_key(), self.rayo_id);
        let id = self
            .ldk
            .bolt11_payment()
            .send(&invoice, None)
            .expect("ldk-node sends the payment");
        assert_eq!(id, PaymentId(hash));
        self.wait_ldk_outcomes(std::slice::from_ref(&invoice));
        let preimage = self.ldk_success(&hash);
        let details = self.ldk.payment(&id).expect("ldk-node's payment");
        assert_eq!(details.status, LdkStatus::Succeeded, "{details:?}");
        assert_eq!(details.direction, PaymentDirection::Outbound);
        assert_eq!(details.amount_msat, Some(amount * 1000));
        assert_eq!(
            details.fee_paid_msat,
            Some(0),
            "a direct channel charges no fee"
        );
        self.check_rayo_invoice_paid(&hash, &preimage, amount, false);
        self.ledger.rayo_received += amount * 1000;
    }

    /// Step 4: ldk-node keysends `amount` sat to rayod.
    fn ldk_keysends(&mut self, amount: u64) {
        let id = self
            .ldk
            .spontaneous_payment()
            .send(amount * 1000, self.rayo_id, None)
            .expect("ldk-node sends the keysend");
        let hash = id.0;
        self.wait_ldk_outcomes_of(&[hash]);
        let preimage = self.ldk_success(&hash);
        let details = self.ldk.payment(&id).expect("ldk-node's payment");
        assert_eq!(details.status, LdkStatus::Succeeded, "{details:?}");
        assert!(
            matches!(details.kind, PaymentKind::Spontaneous { preimage: Some(p), .. } if p.0 == preimage)
        );
        self.check_rayo_invoice_paid(&hash, &preimage, amount, true);
        self.ledger.rayo_received += amount * 1000;
    }

    /// Step 4: rayod keysends `amount` sat to ldk-node through REST, as
    /// `rayo sendpayment --keysend` does.
    fn rayo_keysends(&mut self, amount: u64) {
        let preimage: Hash32 =
            sha256::Hash::hash(format!("rayo keysend {}", self.next_serial()).as_bytes())
                .to_byte_array();
        let hash = sha256::Hash::hash(&preimage).to_byte_array();
        let sent = self
            .rayod
            .client()
            .send_payment_sync(&SendRequest {
                dest: self.ldk_id.serialize().to_vec(),
                amt: amount as i64,
                payment_hash: hash.to_vec(),
                dest_custom_records: [(KEYSEND_RECORD, preimage.to_vec())].into(),
                ..SendRequest::default()
            })
            .expect("sendpayment answers");
        assert_eq!(sent.payment_error, "", "rayod's keysend failed: {sent:?}");
        assert_eq!(sent.payment_preimage, preimage);
        self.wait_ldk_received(&hash, amount);
        let details = self
            .ldk
            .payment(&PaymentId(hash))
            .expect("ldk-node's payment");
        assert_eq!(details.status, LdkStatus::Succeeded, "{details:?}");
        assert_eq!(details.direction, PaymentDirection::Inbound);
        assert_eq!(details.amount_msat, Some(amount * 1000));
        assert!(
            matches!(details.kind, PaymentKind::Spontaneous { preimage: Some(p), .. } if p.0 == preimage),
            "{details:?}"
        );
        let record = self.rayo_payment(&hash).expect("rayod lists its keysend");
        assert_eq!(record.status, PaymentStatus::Succeeded, "{record:?}");
        assert_eq!(record.payment_request, "");
        assert_eq!(record.value_msat, (amount * 1000) as i64);
        self.ledger.rayo_sent += amount * 1000;
    }

    /// `count` ldk-node invoices of `amount` sat each.
    fn ldk_invoices(&mut self, count: usize, amount: u64) -> Vec<Bolt11Invoice> {
        (0..count)
            .map(|_| {
                let text = format!("rayod pays ldk-node {}", self.next_serial());
                let description =
                    Bolt11InvoiceDescription::Direct(Description::new(text).expect("description"));
                self.ldk
                    .bolt11_payment()
                    .receive(amount * 1000, &description, INVOICE_EXPIRY_SECS)
                    .expect("ldk-node makes an invoice")
            })
            .collect()
    }

    /// `count` rayod invoices of `amount` sat each, read by LDK's parser.
    fn rayo_invoices(&mut self, count: usize, amount: u64) -> Vec<Bolt11Invoice> {
        let client = self.rayod.client();
        (0..count)
            .map(|_| {
                let added = client
                    .add_invoice(&Invoice {
                        memo: format!("ldk-node pays rayod {}", self.next_serial()),
                        value: amount as i64,
                        ..Invoice::default()
                    })
                    .expect("addinvoice");
                let invoice = Bolt11Invoice::from_str(&added.payment_request)
                    .unwrap_or_else(|e| panic!("LDK cannot read rayod's invoice: {e:?}"));
                assert_eq!(invoice_hash(&invoice).to_vec(), added.r_hash);
                assert_eq!(invoice.amount_milli_satoshis(), Some(amount * 1000));
                invoice
            })
            .collect()
    }

    /// ldk-node starts paying each of `invoices` (rayod's).
    fn ldk_sends(&self, invoices: &[Bolt11Invoice]) {
        for invoice in invoices {
            self.ldk
                .bolt11_payment()
                .send(invoice, None)
                .unwrap_or_else(|e| panic!("ldk-node refuses to send a payment: {e:?}"));
        }
    }

    /// Waits until ldk-node reported every payment of `invoices` it sent
    /// succeeded or failed.
    fn wait_ldk_outcomes(&mut self, invoices: &[Bolt11Invoice]) {
        let hashes: Vec<Hash32> = invoices.iter().map(invoice_hash).collect();
        self.wait_ldk_outcomes_of(&hashes);
    }

    /// [`Pair::wait_ldk_outcomes`] by payment hash.
    fn wait_ldk_outcomes_of(&mut self, hashes: &[Hash32]) {
        let what = format!("ldk-node's {} payments to end", hashes.len());
        self.wait_within(&what, STREAM_TIMEOUT, |pair| {
            hashes.iter().all(|h| pair.events.outcomes(h) > 0)
        });
    }

    /// Waits for ldk-node's `PaymentReceived` of `hash`, checking it is the
    /// only one and for `amount` sat.
    fn wait_ldk_received(&mut self, hash: &Hash32, amount: u64) {
        self.wait_within("ldk-node to receive the payment", STREAM_TIMEOUT, |pair| {
            pair.events.received.contains_key(hash)
        });
        assert_eq!(self.events.received[hash], [amount * 1000]);
    }

    /// The preimage of ldk-node's successful payment `hash` (its only
    /// outcome), which must hash to it.
    fn ldk_success(&self, hash: &Hash32) -> Hash32 {
        assert_eq!(
            self.events.failed.get(hash),
            None,
            "ldk-node's payment failed"
        );
        let preimages = &self.events.succeeded[hash];
        assert_eq!(preimages.len(), 1, "one PaymentSuccessful: {preimages:?}");
        let preimage = preimages[0].expect("PaymentSuccessful carries the preimage");
        assert_eq!(sha256::Hash::hash(&preimage).to_byte_array(), *hash);
        preimage
    }

    /// rayod's invoice `hash` is settled, once, for `amount` sat with
    /// `preimage`.
    fn check_rayo_invoice_paid(
        &self,
        hash: &Hash32,
        preimage: &Hash32,
        amount: u64,
        keysend: bool,
    ) {
        let invoice = self
            .rayod
            .client()
            .lookup_invoice(&hash.to_lower_hex_string())
            .expect("lookupinvoice");
        assert_eq!(invoice.state, InvoiceState::Settled, "{invoice:?}");
        assert!(invoice.settled);
        assert_eq!(invoice.is_keysend, keysend);
        assert_eq!(invoice.r_preimage, preimage);
        assert_eq!(invoice.amt_paid_msat, (amount * 1000) as i64);
        assert_eq!(invoice.amt_paid_sat, amount as i64);
        // rayod lists no HTLCs in its invoices (`htlcs` is always empty), so
        // that paying once is checked by the amount paid and the balances.
    }

    /// rayod's payment record of `hash`, if any (there is at most one).
    fn rayo_payment(&self, hash: &Hash32) -> Option<Payment> {
        let hex = hash.to_lower_hex_string();
        let mut found: Vec<Payment> = rayo_payments(&self.rayod.client())
            .into_iter()
            .filter(|p| p.payment_hash == hex)
            .collect();
        assert!(found.len() <= 1, "one payment record per hash: {found:?}");
        found.pop()
    }

    /// Pays each of `invoices` (ldk-node's) from rayod, with [`IN_FLIGHT`]
    /// threads each making its own `sendpayment` calls on its own client,
    /// while `meanwhile` is run over and over on this thread (it may
    /// restart either node). Returns each call's outcome by payment hash.
    fn rayo_stream(
        &mut self,
        invoices: &[Bolt11Invoice],
        mut meanwhile: impl FnMut(&mut Pair<'a>),
    ) -> HashMap<Hash32, Call> {
        let queue: Mutex<VecDeque<(Hash32, String)>> = Mutex::new(
            invoices
                .iter()
                .map(|i| (invoice_hash(i), i.to_string()))
                .collect(),
        );
        let slot = self.slot;
        let datadir = self.rayod_dir.clone();
        let start = Instant::now();
        thread::scope(|s| {
            let workers: Vec<_> = (0..IN_FLIGHT)
                .map(|_| s.spawn(|| pay_from_queue(&queue, slot, &datadir)))
                .collect();
            while !workers.iter().all(|w| w.is_finished()) {
                assert!(
                    start.elapsed() < STREAM_TIMEOUT,
                    "rayod's payments did not all end within {STREAM_TIMEOUT:?}"
                );
                self.events.pump(&self.ldk);
                meanwhile(self);
                thread::sleep(Duration::from_millis(20));
            }
            workers
                .into_iter()
                .flat_map(|w| w.join().expect("payer thread"))
                .collect()
        })
    }

    /// Checks how rayod's payments of `invoices` (with `calls`, each's
    /// `sendpayment` outcome) ended, on both sides, once nothing is in
    /// flight: every payment rayod records succeeded or failed; one that
    /// succeeded was received by ldk-node exactly once with the same
    /// preimage, and one that did not was not received at all. With
    /// `strict`, every payment must have succeeded. Adds what succeeded to
    /// the ledger.
    fn settle_rayo_stream(
        &mut self,
        invoices: &[Bolt11Invoice],
        calls: &HashMap<Hash32, Call>,
        strict: bool,
    ) -> Count {
        let hashes: HashMap<String, Hash32> = invoices
            .iter()
            .map(|i| {
                let hash = invoice_hash(i);
                (hash.to_lower_hex_string(), hash)
            })
            .collect();
        let mut records: HashMap<Hash32, Payment> = HashMap::new();
        self.wait_within(
            "rayod's payments to leave IN_FLIGHT and ldk-node to report those received",
            STREAM_TIMEOUT,
            |pair| {
                records.clear();
                for p in rayo_payments(&pair.rayod.client()) {
                    if let Some(hash) = hashes.get(&p.payment_hash) {
                        assert!(
                            records.insert(*hash, p).is_none(),
                            "two payment records for one hash"
                        );
                    }
                }
                records.iter().all(|(hash, p)| {
                    matches!(p.status, PaymentStatus::Succeeded | PaymentStatus::Failed)
                        && (p.status != PaymentStatus::Succeeded
                            || pair.events.received.contains_key(hash))
                })
            },
        );
        let mut count = Count::default();
        for invoice in invoices {
            let hash = invoice_hash(invoice);
            let call = calls.get(&hash).expect("every invoice was tried");
            let record = records.get(&hash);
            let ldk = self
                .ldk
                .payment(&PaymentId(hash))
                .expect("ldk-node's invoice");
            let received = self.events.received.get(&hash);
            let context = format!("{call:?} / {record:?} / {ldk:?} / received {received:?}");
            match call {
                Call::Succeeded(preimage) => {
                    let record = record.expect("a succeeded call has a record");
                    assert_eq!(record.status, PaymentStatus::Succeeded, "{context}");
                    assert_eq!(record.payment_preimage, preimage.to_lower_hex_string());
                }
                Call::Failed(_) => {
                    let record = record.expect("a failed call has a record");
                    assert_eq!(record.status, PaymentStatus::Failed, "{context}");
                }
                Call::Refused(_) => assert!(
                    record.is_none_or(|r| r.status == PaymentStatus::Failed),
                    "{context}"
                ),
                Call::BrokenOff(_) => count.broken_off += 1,
            }
            match record {
                Some(r) if r.status == PaymentStatus::Succeeded => {
                    assert_eq!(
                        received.map(Vec::as_slice),
                        Some(&[STREAM_AMOUNT * 1000][..])
                    );
                    let preimage =
                        ldk_preimage(&self.ldk, &hash, PaymentDirection::Inbound, STREAM_AMOUNT);
                    assert_eq!(
                        r.payment_preimage,
                        preimage.to_lower_hex_string(),
                        "{context}"
                    );
                    assert_eq!(r.value_msat, (STREAM_AMOUNT * 1000) as i64);
                    count.succeeded += 1;
                }
                other => {
                    assert_eq!(received, None, "ldk-node received it: {context}");
                    assert_ne!(ldk.status, LdkStatus::Succeeded, "{context}");
                    if other.is_some() {
                        count.failed += 1;
                    } else {
                        count.not_recorded += 1;
                    }
                }
            }
        }
        let mut reasons: Vec<&str> = calls
            .values()
            .filter_map(|c| match c {
                Call::Succeeded(_) => None,
                Call::Failed(m) | Call::Refused(m) | Call::BrokenOff(m) => Some(m.as_str()),
            })
            .collect();
        reasons.sort_unstable();
        reasons.dedup();
        eprintln!(
            "rayod -> ldk-node, {} payments: {count}; failure reasons: {reasons:?}",
            invoices.len()
        );
        if strict {
            assert_eq!(count.succeeded, invoices.len(), "{count}: {calls:?}");
        }
        self.ledger.rayo_sent += count.succeeded as u64 * STREAM_AMOUNT * 1000;
        count
    }

    /// Checks how ldk-node's payments of `invoices` (rayod's) ended, once
    /// it reported each: one outcome each, its payment record agreeing; an
    /// invoice settled by rayod for the amount exactly when ldk-node's
    /// payment succeeded, with the same preimage, and open otherwise. With
    /// `strict`, every payment must have succeeded. Adds what succeeded to
    /// the ledger.
    fn settle_ldk_stream(&mut self, invoices: &[Bolt11Invoice], strict: bool) -> Count {
        self.wait_ldk_outcomes(invoices);
        let client = self.rayod.client();
        let mut count = Count::default();
        let mut failures = Vec::new();
        for invoice in invoices {
            let hash = invoice_hash(invoice);
            assert_eq!(self.events.outcomes(&hash), 1, "one outcome each");
            let details = self
                .ldk
                .payment(&PaymentId(hash))
                .expect("ldk-node's payment");
            let ours = client
                .lookup_invoice(&hash.to_lower_hex_string())
                .expect("lookupinvoice");
            let context = format!("{details:?} / {ours:?}");
            if let Some(reasons) = self.events.failed.get(&hash) {
                assert_eq!(details.status, LdkStatus::Failed, "{context}");
                assert_eq!(ours.state, InvoiceState::Open, "{context}");
                assert_eq!(ours.amt_paid_msat, 0, "{context}");
                failures.push(reasons[0].clone());
                count.failed += 1;
            } else {
                let preimage = self.ldk_success(&hash);
                assert_eq!(details.status, LdkStatus::Succeeded, "{context}");
                self.check_rayo_invoice_paid(&hash, &preimage, STREAM_AMOUNT, false);
                count.succeeded += 1;
            }
        }
        eprintln!(
            "ldk-node -> rayod, {} payments: {count}; failure reasons: {failures:?}",
            invoices.len()
        );
        if strict {
            assert_eq!(count.succeeded, invoices.len(), "{count}: {failures:?}");
        }
        self.ledger.rayo_received += count.succeeded as u64 * STREAM_AMOUNT * 1000;
        count
    }

    /// Step 6: payments both ways, [`IN_FLIGHT`] at a time each way, with
    /// `restart` done while rayod has HTLCs in flight; then a second wave
    /// from ldk-node once both channels are usable again. Every payment
    /// ends, none is lost or paid twice, and a payment each way still
    /// succeeds afterwards.
    fn stream_across_restart(&mut self, restart: Restart) {
        let to_ldk = self.ldk_invoices(RESTART_STREAM_PAYMENTS, STREAM_AMOUNT);
        let to_rayo = self.rayo_invoices(RESTART_STREAM_PAYMENTS, STREAM_AMOUNT);
        let (first_wave, second_wave) = to_rayo.split_at(IN_FLIGHT.min(to_rayo.len()));
        // 0: ldk-node's first wave not sent yet; 1: waiting for HTLCs to
        // pile up; 2: restarted, second wave not sent; 3: all sent.
        let mut phase = 0;
        let mut pending_seen = 0;
        let started = Instant::now();
        let calls = self.rayo_stream(&to_ldk, |pair| match phase {
            0 => {
                pair.ldk_sends(first_wave);
                phase = 1;
            }
            1 => {
                let pending = rayo_pending_htlcs(&pair.rayod);
                pending_seen = pending_seen.max(pending);
                if pending >= PENDING_AT_RESTART {
                    eprintln!(
                        "restarting {restart:?} with {pending} HTLCs pending at rayod, {:.1?} into the stream",
                        started.elapsed()
                    );
                    let t = Instant::now();
                    pair.restart(restart);
                    both_usable(&pair.rayod, &pair.ldk, &pair.funded);
                    eprintln!("{restart:?} restarted, channels usable: {:.1?}", t.elapsed());
                    phase = 2;
                }
            }
            2 => {
                pair.ldk_sends(second_wave);
                phase = 3;
            }
            _ => {}
        });
        assert!(
            phase >= 2,
            "the stream ended before {PENDING_AT_RESTART} HTLCs were pending at rayod (at most {pending_seen})"
        );
        if phase == 2 {
            self.ldk_sends(second_wave);
        }
        let rayo_count = self.settle_rayo_stream(&to_ldk, &calls, false);
        let ldk_count = self.settle_ldk_stream(&to_rayo, false);
        eprintln!(
            "stream across the {restart:?} restart: rayod -> ldk-node {rayo_count}; ldk-node -> rayod {ldk_count}"
        );
        self.check_balances(&format!("step 6: stream across a {restart:?} restart"));

        // The channels still carry payments both ways.
        self.rayo_pays_ldk_invoice(RAYO_INVOICE_PAYMENT);
        self.ldk_pays_rayo_invoice(LDK_INVOICE_PAYMENT);
        self.check_balances(&format!(
            "step 6: a payment each way after the {restart:?} restart"
        ));
    }

    /// Restarts one side: rayod killed (SIGKILL, its `NodeDaemon` dropped)
    /// and started again on its data directory, or ldk-node stopped and
    /// started.
    fn restart(&mut self, which: Restart) {
        match which {
            Restart::Rayod => {
                self.slot.lock().expect("slot").take();
                self.rayod.kill();
                self.rayod = start_rayod(&self.rayod_dir, self.chain, self.slot);
            }
            Restart::LdkNode => {
                self.events.pump(&self.ldk);
                self.ldk.stop().expect("ldk-node stops");
                self.ldk.start().expect("ldk-node starts again");
            }
        }
    }

    /// Polls `ready` (after taking ldk-node's events) until it holds,
    /// panicking after `timeout`.
    fn wait_within(
        &mut self,
        what: &str,
        timeout: Duration,
        mut ready: impl FnMut(&mut Pair<'a>) -> bool,
    ) {
        let start = Instant::now();
        loop {
            self.events.pump(&self.ldk);
            if ready(self) {
                eprintln!("{what}: {:.1?}", start.elapsed());
                return;
            }
            assert!(
                start.elapsed() < timeout,
                "timed out after {timeout:?} waiting for {what}"
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Both sides' balances once nothing is pending, checked against the
    /// ledger: on each channel rayod and ldk-node agree to the msat, rayod's
    /// balance (its commitment fee put back when it opened the channel)
    /// moved by exactly the payments that succeeded, and each side's
    /// records of what it paid and was paid add up to the same.
    fn check_balances(&mut self, stage: &str) {
        let mut last = None;
        self.wait_within(
            &format!("balances to settle ({stage})"),
            STREAM_TIMEOUT,
            |pair| {
                let snapshot = pair.snapshot();
                let settled = snapshot.settled();
                last = Some(snapshot);
                settled
            },
        );
        let snapshot = last.expect("a snapshot");
        let ledger = self.ledger;
        let context = format!("{stage}: {ledger:?}, {snapshot:#?}");
        let rayo_local: u64 = snapshot.channels.iter().map(|c| c.rayo_local).sum();
        assert_eq!(
            rayo_local,
            CAPACITY * 1000 + ledger.rayo_received - ledger.rayo_sent,
            "rayod's balance moved by the payments that succeeded, {context}"
        );
        for (c, rayod_opened) in snapshot.channels.iter().zip([true, false]) {
            let funding = c.funding;
            assert_eq!(c.rayo_initiator, rayod_opened, "{funding}: {context}");
            assert_eq!(c.capacity, CAPACITY, "{funding}: {context}");
            assert_eq!(
                c.rayo_local + c.rayo_remote,
                c.capacity * 1000,
                "{funding}: {context}"
            );
            assert_eq!(c.ldk_local, Some(c.rayo_remote), "{funding}: {context}");
            assert_eq!(
                c.ldk_monitor_local,
                Some(c.rayo_remote),
                "{funding}: {context}"
            );
            assert_eq!(
                i64::from(c.ldk_feerate),
                c.rayo_fee_per_kw,
                "{funding}: {context}"
            );
        }
        let sent: i64 = snapshot.channels.iter().map(|c| c.rayo_total_sent).sum();
        let received: i64 = snapshot
            .channels
            .iter()
            .map(|c| c.rayo_total_received)
            .sum();
        assert_eq!(
            sent as u64 * 1000,
            ledger.rayo_sent,
            "total_satoshis_sent, {context}"
        );
        assert_eq!(
            received as u64 * 1000,
            ledger.rayo_received,
            "total_satoshis_received, {context}"
        );
        // channelbalance: the sums of listchannels' balances.
        let b = &snapshot.rayo_balance;
        let net_local: i64 = snapshot.channels.iter().map(|c| c.rayo_net_local).sum();
        let net_remote: i64 = snapshot.channels.iter().map(|c| c.rayo_net_remote).sum();
        assert_eq!(b.local_balance.msat, net_local as u64 * 1000, "{context}");
        assert_eq!(b.remote_balance.msat, net_remote as u64 * 1000, "{context}");
        assert_eq!(b.balance, net_local, "{context}");

        // Each side's records: rayod's payments and invoices, ldk-node's
        // payments.
        let client = self.rayod.client();
        let paid: u64 = rayo_payments(&client)
            .iter()
            .filter(|p| p.status == PaymentStatus::Succeeded)
            .map(|p| p.value_msat as u64)
            .sum();
        assert_eq!(
            paid, ledger.rayo_sent,
            "rayod's succeeded payments, {stage}"
        );
        let settled: u64 = rayo_invoices(&client)
            .iter()
            .filter(|i| i.state == InvoiceState::Settled)
            .map(|i| i.amt_paid_msat as u64)
            .sum();
        assert_eq!(
            settled, ledger.rayo_received,
            "rayod's settled invoices, {stage}"
        );
        let ldk_total = |direction: PaymentDirection| -> u64 {
            self.ldk
                .list_payments_with_filter(|p: &&PaymentDetails| {
                    p.direction == direction
                        && p.status == LdkStatus::Succeeded
                        && !matches!(p.kind, PaymentKind::Onchain { .. })
                })
                .iter()
                .map(|p| p.amount_msat.expect("an amount"))
                .sum()
        };
        assert_eq!(
            ldk_total(PaymentDirection::Inbound),
            ledger.rayo_sent,
            "{stage}"
        );
        assert_eq!(
            ldk_total(PaymentDirection::Outbound),
            ledger.rayo_received,
            "{stage}"
        );
        eprintln!(
            "balances agree ({stage}): rayod {rayo_local} msat over both channels, sent {}, received {}",
            ledger.rayo_sent, ledger.rayo_received
        );
    }

    /// Both sides' view of both channels now.
    fn snapshot(&self) -> Snapshot {
        let client = self.rayod.client();
        let list = client.list_channels().expect("listchannels").channels;
        let rayo_balance = client.channel_balance().expect("channelbalance");
        let monitors = self.ldk.list_balances().lightning_balances;
        let channels = self
            .funded
            .iter()
            .map(|funding| {
                let ours = list
                    .iter()
                    .find(|c| c.channel_point == funding.to_string())
                    .unwrap_or_else(|| panic!("rayod lists the channel {funding}: {list:?}"));
                let theirs = ldk_channel(&self.ldk, *funding)
                    .unwrap_or_else(|| panic!("ldk-node lists the channel {funding}"));
                let sat = |v: i64| u64::try_from(v).expect("a balance") * 1000;
                let fee = sat(ours.commit_fee);
                let (local_fee, remote_fee) = if ours.initiator { (fee, 0) } else { (0, fee) };
                let value = theirs.channel_value_sats * 1000;
                // LDK's capacities leave out the reserve each side must keep;
                // one that is zero may be clamped, so it is read from the
                // other side (they must add up when neither is zero).
                let ldk_local = Some(theirs.outbound_capacity_msat)
                    .filter(|c| *c > 0)
                    .map(|c| c + theirs.unspendable_punishment_reserve.unwrap_or(0) * 1000);
                let ldk_remote = Some(theirs.inbound_capacity_msat)
                    .filter(|c| *c > 0)
                    .map(|c| c + theirs.counterparty_unspendable_punishment_reserve * 1000);
                let ldk_local = match (ldk_local, ldk_remote) {
                    (Some(l), Some(r)) => (l + r == value).then_some(l),
                    (Some(l), None) => Some(l),
                    (None, Some(r)) => value.checked_sub(r),
                    (None, None) => None,
                };
                let ldk_monitor_local = monitors.iter().find_map(|b| match b {
                    LightningBalance::ClaimableOnChannelClose {
                        channel_id,
                        amount_satoshis,
                        transaction_fee_satoshis,
                        ..
                    } if *channel_id == theirs.channel_id => {
                        Some((amount_satoshis + transaction_fee_satoshis) * 1000)
                    }
                    _ => None,
                });
                ChannelSnapshot {
                    funding: *funding,
                    capacity: u64::try_from(ours.capacity).expect("capacity"),
                    rayo_active: ours.active,
                    rayo_initiator: ours.initiator,
                    rayo_pending_htlcs: ours.pending_htlcs.len(),
                    rayo_net_local: ours.local_balance,
                    rayo_net_remote: ours.remote_balance,
                    rayo_local: sat(ours.local_balance) + local_fee,
                    rayo_remote: sat(ours.remote_balance) + remote_fee,
                    rayo_fee_per_kw: ours.fee_per_kw,
                    rayo_total_sent: ours.total_satoshis_sent,
                    rayo_total_received: ours.total_satoshis_received,
                    ldk_usable: theirs.is_usable,
                    ldk_local,
                    ldk_monitor_local,
                    ldk_feerate: theirs.feerate_sat_per_1000_weight,
                }
            })
            .collect();
        Snapshot {
            channels,
            rayo_balance,
        }
    }
}

/// Both sides' balances on both channels at one moment.
#[derive(Debug)]
struct Snapshot {
    channels: Vec<ChannelSnapshot>,
    rayo_balance: ChannelBalanceResponse,
}

/// One channel as both sides list it; balances in msat unless named
/// otherwise.
#[derive(Debug)]
struct ChannelSnapshot {
    funding: OutPoint,
    /// In sat.
    capacity: u64,
    rayo_active: bool,
    rayo_initiator: bool,
    rayo_pending_htlcs: usize,
    /// listchannels' `local_balance` (sat, net of the fee if rayod opened).
    rayo_net_local: i64,
    /// listchannels' `remote_balance` (sat, net of the fee if ldk-node
    /// opened).
    rayo_net_remote: i64,
    /// rayod's balance before the commitment fee.
    rayo_local: u64,
    /// ldk-node's balance before the commitment fee, as rayod sees it.
    rayo_remote: u64,
    rayo_fee_per_kw: i64,
    /// `total_satoshis_sent` (sat).
    rayo_total_sent: i64,
    /// `total_satoshis_received` (sat).
    rayo_total_received: i64,
    ldk_usable: bool,
    /// ldk-node's balance from its capacities (None while they do not add
    /// up: HTLCs pending).
    ldk_local: Option<u64>,
    /// ldk-node's balance from its channel monitor (to_self output plus the
    /// fee it pays), in whole sat times 1000.
    ldk_monitor_local: Option<u64>,
    ldk_feerate: u32,
}

impl Snapshot {
    /// Whether nothing is pending and both sides agree on every channel.
    fn settled(&self) -> bool {
        self.rayo_balance.unsettled_local_balance.msat == 0
            && self.rayo_balance.unsettled_remote_balance.msat == 0
            && self.channels.iter().all(|c| {
                c.rayo_active
                    && c.ldk_usable
                    && c.rayo_pending_htlcs == 0
                    && c.ldk_local == Some(c.rayo_remote)
                    && c.ldk_monitor_local == Some(c.rayo_remote)
            })
    }
}

/// A payer thread of [`Pair::rayo_stream`]: takes invoices off `queue` and
/// pays each with `sendpayment` on its own client of the rayod in `slot`.
/// A call refused at connect (rayod down for a restart) is made again, on
/// the restarted rayod, since it never reached a node; any other error
/// ends the call as broken off.
fn pay_from_queue(
    queue: &Mutex<VecDeque<(Hash32, String)>>,
    slot: &RayodSlot,
    datadir: &Path,
) -> Vec<(Hash32, Call)> {
    let mut done = Vec::new();
    let mut client: Option<rayo_api::Client> = None;
    loop {
        let Some((hash, pay_req)) = queue.lock().expect("queue").pop_front() else {
            return done;
        };
        let request = SendRequest {
            payment_request: pay_req,
            ..SendRequest::default()
        };
        let start = Instant::now();
        let call = loop {
            let url = slot
                .lock()
                .expect("slot")
                .as_ref()
                .map(|c| c.base_url().to_owned());
            let Some(url) = url else {
                thread::sleep(Duration::from_millis(100));
                continue;
            };
            if client.as_ref().is_none_or(|c| c.base_url() != url) {
                client = Some(
                    rayo_api::Client::from_files(
                        &url,
                        &datadir.join(rayo_api::TLS_CERT_FILE),
                        &datadir.join(rayo_api::TOKEN_FILE),
                    )
                    .expect("a REST client"),
                );
            }
            let c = client.as_ref().expect("client");
            match c.send_payment_sync(&request) {
                Ok(r) if r.payment_error.is_empty() => break Call::Succeeded(r.payment_preimage),
                Ok(r) => break Call::Failed(r.payment_error),
                Err(ClientError::NotRunning { .. }) if start.elapsed() < STREAM_TIMEOUT => {
                    thread::sleep(Duration::from_millis(100));
                }
                Err(ClientError::Api { message, .. }) => break Call::Refused(message),
                Err(e) => break Call::BrokenOff(e.to_string()),
            }
        };
        done.push((hash, call));
    }
}

/// Every payment rayod lists, in flight and failed included.
fn rayo_payments(client: &rayo_api::Client) -> Vec<Payment> {
    client
        .list_payments(&ListPaymentsRequest {
            include_incomplete: true,
            ..ListPaymentsRequest::default()
        })
        .expect("listpayments")
        .payments
}

/// Every invoice rayod lists, page by page.
fn rayo_invoices(client: &rayo_api::Client) -> Vec<Invoice> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = client
            .list_invoices(&ListInvoiceRequest {
                index_offset: offset,
                num_max_invoices: 500,
                ..ListInvoiceRequest::default()
            })
            .expect("listinvoices");
        if page.invoices.is_empty() {
            return all;
        }
        offset = page.last_index_offset;
        all.extend(page.invoices);
    }
}

/// HTLCs pending on rayod's channels (0 while it does not answer).
fn rayo_pending_htlcs(rayod: &NodeDaemon) -> usize {
    rayod.client().list_channels().map_or(0, |l| {
        l.channels.iter().map(|c| c.pending_htlcs.len()).sum()
    })
}

/// An invoice's payment hash.
fn invoice_hash(invoice: &Bolt11Invoice) -> Hash32 {
    invoice.payment_hash().to_byte_array()
}

/// The preimage ldk-node holds for its payment `hash` (`direction`, of
/// `amount` sat), which it must have settled.
fn ldk_preimage(ldk: &Node, hash: &Hash32, direction: PaymentDirection, amount: u64) -> Hash32 {
    let details = ldk
        .payment(&PaymentId(*hash))
        .expect("ldk-node has the payment");
    assert_eq!(details.status, LdkStatus::Succeeded, "{details:?}");
    assert_eq!(details.direction, direction, "{details:?}");
    assert_eq!(details.amount_msat, Some(amount * 1000), "{details:?}");
    let preimage = match details.kind {
        PaymentKind::Bolt11 {
            preimage: Some(p), ..
        }
        | PaymentKind::Spontaneous {
            preimage: Some(p), ..
        } => p.0,
        other => panic!("no preimage in {other:?}"),
    };
    assert_eq!(sha256::Hash::hash(&preimage).to_byte_array(), *hash);
    preimage
}
