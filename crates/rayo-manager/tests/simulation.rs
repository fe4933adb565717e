//! The deterministic simulation over the open flow: Alice opens a channel
//! to Bob, pushing him some of it; the run is repeated with a crash at every
//! action boundary (of either node), and after every crash and at the end
//! the invariants hold: both sides agree on every channel, no coin is locked
//! without a channel, no abandoned funding was broadcast, and each wallet
//! plus its channels holds what went in, minus fees. The channel opens in
//! the end, exactly once.
//!
//! `RAYO_SIM_SEEDS=a,b,c` runs other seeds; a failing seed reproduces its
//! run exactly.

mod support;

use bitcoin::{Amount, FeeRate};
use rayo_manager::{Command, OpenChannelCommand, Reply};
use rayo_wire::amount::{Msat, Sat};
use support::{CrashPlan, Sim};

const ALICE: usize = 0;
const BOB: usize = 1;
const CAPACITY: Sat = Sat(1_000_000);
const PUSH: Msat = Msat(10_000_000);

/// The world before the open: Alice has mature coins, both are synced and
/// connected. Returns it with what each holds.
fn world(seed: u64) -> (Sim, Vec<Amount>) {
    let sim = Sim::funded_pair(seed);
    let held = [ALICE, BOB]
        .iter()
        .map(|&i| {
            let b = sim
                .manager(i)
                .wallet()
                .balance(sim.manager(i).wallet().sync_tip().map_or(0, |t| t.height));
            b.confirmed + b.unconfirmed + b.immature + b.locked
        })
        .collect();
    (sim, held)
}

fn open_to(peer: bitcoin::secp256k1::PublicKey) -> Command {
    Command::OpenChannel(OpenChannelCommand {
        peer,
        capacity: CAPACITY,
        push: PUSH,
        announce: false,
        funding_feerate: FeeRate::from_sat_per_vb_u32(2),
        commitment_feerate_per_kw: 2_500,
    })
}

/// Runs the whole flow under `crash`; returns the simulation at the end.
fn run(seed: u64, crash: CrashPlan) -> Sim {
    let (mut sim, initial) = world(seed);
    let bob = sim.nodes[BOB].id;
    sim.crash = Some(crash);
    let mut attempts = 0;
    loop {
        let crashes_before = sim.crashes.len();
        let request = sim.ask(ALICE, open_to(bob));
        attempts += 1;
        // The open runs; time passes; nothing answers past the timeout.
        for _ in 0..100 {
            sim.settle();
            if sim.nodes[ALICE].replies.contains_key(&request)
                || sim.nodes[ALICE].lost.contains(&request)
            {
                break;
            }
            sim.advance(5);
        }
        if sim.crashes.len() > crashes_before {
            sim.check_invariants(&initial);
        }
        let answer = sim.nodes[ALICE].replies.get(&request).cloned();
        let has_channel = sim.manager(ALICE).channels().any(|c| c.funded().is_some());
        match answer {
            Some(Ok(Reply::ChannelOpened(_))) => break,
            // A lost answer: a careful user looks before trying again.
            None if has_channel => break,
            Some(Err(_)) | None => {
                assert!(
                    !has_channel,
                    "seed {seed} {crash:?}: the open failed but a channel was funded"
                );
                assert!(
                    attempts < 4,
                    "seed {seed} {crash:?}: the open never succeeds: {answer:?}"
                );
            }
            Some(Ok(other)) => panic!("unexpected reply {other:?}"),
        }
    }
    // Confirm: three blocks, then both see channel_ready.
    for _ in 0..6 {
        sim.mine(1);
        sim.sync_all();
        sim.settle();
    }
    sim.check_invariants(&initial);
    for (i, name) in [(ALICE, "alice"), (BOB, "bob")] {
        let usable: Vec<_> = sim
            .manager(i)
            .channels()
            .filter_map(|c| c.funded())
            .filter(|f| f.is_usable())
            .collect();
        assert_eq!(
            usable.len(),
            1,
            "seed {seed} {crash:?}: {name} has {} usable channels",
            usable.len()
        );
        assert_eq!(usable[0].phase.setup.capacity, CAPACITY);
    }
    sim
}

#[test]
fn the_open_flow_survives_a_crash_at_every_action_boundary() {
    let mut explored = 0;
    for seed in support::seeds(&[1, 2]) {
        let counted = run(seed, CrashPlan::Count);
        let boundaries = counted.boundaries;
        assert!(boundaries > 20, "the open flow has {boundaries} boundaries");
        for at in 0..boundaries {
            let sim = run(seed, CrashPlan::At(at));
            assert_eq!(sim.crashes.len(), 1, "seed {seed}: crash {at} happened");
            explored += 1;
        }
        eprintln!("seed {seed}: {boundaries} action boundaries, each crashed once");
    }
    eprintln!("{explored} crash points explored");
}
