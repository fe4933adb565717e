//! The driver: the one task that owns the [`Manager`]. Everything that
//! changes channel or wallet state reaches it as an event: peer events
//! through the peer layer's fair per-peer inbox, API calls and chain updates
//! through one bounded queue with oneshot replies, and a timer tick. It
//! hands each event to the manager and applies the actions it returns in one
//! order (DESIGN "The node's core", ADR 4):
//!
//! 1. persist the whole batch in one store transaction (on the store's own
//!    thread, awaited, so the runtime is never blocked),
//! 2. send to peers, in order,
//! 3. broadcast and watch (queued for the chain task, never awaited here),
//!    reply, disconnect.
//!
//! Events already queued when one arrives are handled with it and applied
//! as one batch (group commit): one store transaction for all of them, then
//! all their sends in order.
//!
//! A store failure stops the driver (and the daemon): the manager's memory
//! would no longer match the disk, and a restart reloads a consistent state.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rayo_manager::{Action, Command, CommandError, Event, Manager, Plan, Reply, RequestId, Watch};
use tokio::sync::{mpsc, oneshot};

use crate::peers::{PeerEvent, PeerInbox, Peers};
use crate::store::{StoreError, StoreHandle};

/// How often the manager's timeouts are checked.
pub const TICK_INTERVAL: Duration = Duration::from_secs(1);

/// Most events handled into one batch (one store transaction) when they
/// are already queued: a busy node commits once for many messages.
pub const MAX_BATCH_EVENTS: usize = 64;

/// How many inputs (API calls, chain updates) may wait for the driver;
/// callers wait beyond that (back-pressure, never an unbounded queue).
pub const INPUT_DEPTH: usize = 256;

/// The answer to an API call.
pub type CommandResult = Result<Reply, CommandError>;

/// What REST and the chain task hand the driver.
#[derive(Debug)]
pub enum DriverInput {
    /// An API call and where its answer goes.
    Command(Command, oneshot::Sender<CommandResult>),
    /// A chain update (block, reorg, mempool transaction, broadcast result).
    Chain(Event),
}

/// A clonable way to reach the driver.
#[derive(Clone)]
pub struct DriverHandle {
    inputs: mpsc::Sender<DriverInput>,
}

impl DriverHandle {
    /// Asks the manager and waits for its answer. Every call is answered
    /// (the manager times out what it waits for); an error here means the
    /// daemon is stopping.
    pub async fn call(&self, command: Command) -> CommandResult {
        let (answer, result) = oneshot::channel();
        let stopped = || CommandError::Unavailable("the node is shutting down".into());
        self.inputs
            .send(DriverInput::Command(command, answer))
            .await
            .map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())?
    }

    /// Hands a chain update to the manager, in order with calls.
    pub async fn chain_event(&self, event: Event) -> Result<(), DriverStopped> {
        self.inputs
            .send(DriverInput::Chain(event))
            .await
            .map_err(|_| DriverStopped)
    }
}

/// The driver is gone.
#[derive(Debug, thiserror::Error)]
#[error("the driver stopped")]
pub struct DriverStopped;

/// What the driver asks of the chain task; never awaited by the driver.
#[derive(Debug)]
pub enum ChainRequest {
    /// Hand a transaction to the chain; report the answer back when asked.
    Broadcast {
        /// The transaction.
        tx: bitcoin::Transaction,
        /// Send [`Event::BroadcastResult`] back.
        report: bool,
    },
    /// Deliver unconfirmed transactions touching this.
    Watch(Watch),
    /// No longer needed.
    Unwatch(Watch),
}

/// Why the driver stopped.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// A changeset could not be written: the daemon must stop.
    #[error("cannot persist the node's state: {0}")]
    Store(#[from] StoreError),
    /// No randomness.
    #[error(transparent)]
    Entropy(#[from] crate::entropy::EntropyError),
}

/// The driver task's state.
pub struct Driver {
    manager: Manager,
    store: StoreHandle,
    peers: Arc<Peers>,
    chain: mpsc::UnboundedSender<ChainRequest>,
    waiting: HashMap<RequestId, oneshot::Sender<CommandResult>>,
    next_request: u64,
}

impl Driver {
    /// A driver owning `manager`, and the handle to reach it. `chain`
    /// carries broadcasts and watches to the chain task.
    pub fn new(
        manager: Manager,
        store: StoreHandle,
        peers: Arc<Peers>,
        chain: mpsc::UnboundedSender<ChainRequest>,
    ) -> (Driver, DriverHandle, mpsc::Receiver<DriverInput>) {
        let (inputs, queue) = mpsc::channel(INPUT_DEPTH);
        let driver = Driver {
            manager,
            store,
            peers,
            chain,
            waiting: HashMap::new(),
            next_request: 0,
        };
        (driver, DriverHandle { inputs }, queue)
    }

    /// Runs until every input is closed or the store fails. `startup` are
    /// the actions of [`Manager::restore`], applied first.
    pub async fn run(
        mut self,
        startup: Vec<Action>,
        mut inputs: mpsc::Receiver<DriverInput>,
        mut inbox: PeerInbox,
    ) -> Result<(), DriverError> {
        self.apply(startup).await?;
        let mut ticker = tokio::time::interval(TICK_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let event = tokio::select! {
                input = inputs.recv() => match input {
                    Some(input) => self.event_of(input),
                    None => return Ok(()),
                },
                peer = inbox.recv() => match peer {
                    Some(peer) => peer_event(peer),
                    None => return Ok(()),
                },
                _ = ticker.tick() => {
                    // Callers that went away (a closed REST connection):
                    // the manager abandons what they started.
                    let gone: Vec<RequestId> = self
                        .waiting
                        .iter()
                        .filter(|(_, answer)| answer.is_closed())
                        .map(|(id, _)| *id)
                        .collect();
                    for id in gone {
                        self.waiting.remove(&id);
                        let actions = self.manager.handle(
                            Event::CallDropped { id },
                            crate::entropy::unix_now(),
                            crate::entropy::random_32()?,
                        );
                        self.apply(actions).await?;
                    }
                    Event::Tick
                }
            };
            // Group commit: what is already queued is handled too, and the
            // whole batch is persisted in one store transaction (one fsync)
            // before any of its messages go out.
            let mut actions = self.handle(event)?;
            for _ in 1..MAX_BATCH_EVENTS {
                let next = match inbox.try_recv() {
                    Some(peer) => peer_event(peer),
                    None => match inputs.try_recv() {
                        Ok(input) => self.event_of(input),
                        Err(_) => break,
                    },
                };
                actions.extend(self.handle(next)?);
            }
            self.apply(actions).await?;
        }
    }

    /// The event for an API call (registering where its answer goes) or a
    /// chain update.
    fn event_of(&mut self, input: DriverInput) -> Event {
        match input {
            DriverInput::Command(command, answer) => {
                self.next_request += 1;
                let id = RequestId(self.next_request);
                self.waiting.insert(id, answer);
                Event::Command { id, command }
            }
            DriverInput::Chain(event) => event,
        }
    }

    /// Hands one event to the manager, in a span naming its peer.
    fn handle(&mut self, event: Event) -> Result<Vec<Action>, DriverError> {
        let span = tracing::info_span!("event", peer = tracing::field::Empty);
        if let Event::PeerConnected { peer, .. }
        | Event::PeerMessage { peer, .. }
        | Event::PeerDisconnected { peer } = &event
        {
            span.record("peer", tracing::field::display(peer));
        }
        let _guard = span.enter();
        Ok(self.manager.handle(
            event,
            crate::entropy::unix_now(),
            crate::entropy::random_32()?,
        ))
    }

    /// Applies a batch: persist (one transaction), then send, then the rest.
    async fn apply(&mut self, actions: Vec<Action>) -> Result<(), DriverError> {
        if actions.is_empty() {
            return Ok(());
        }
        let plan = Plan::new(actions);
        if !plan.changeset.is_empty() {
            self.store.commit(plan.changeset).await?;
        }
        for (peer, message) in plan.sends {
            if let rayo_wire::message::Message::Error(e) = &message {
                tracing::debug!(%peer, channel = %e.channel_id, error = %e.printable_data(), "sending error");
            }
            if let Err(e) = self.peers.send(&peer, message) {
                tracing::debug!(%peer, error = %e, "message not sent");
            }
        }
        for action in plan.after {
            match action {
                Action::Broadcast { tx, report } => {
                    let _ = self.chain.send(ChainRequest::Broadcast { tx, report });
                }
                Action::Watch(watch) => {
                    let _ = self.chain.send(ChainRequest::Watch(watch));
                }
                Action::Unwatch(watch) => {
                    let _ = self.chain.send(ChainRequest::Unwatch(watch));
                }
                Action::Reply { id, reply } => {
                    if let Some(answer) = self.waiting.remove(&id) {
                        let _ = answer.send(reply);
                    }
                }
                Action::Disconnect { peer } => {
                    let _ = self.peers.disconnect(&peer);
                }
                Action::Persist(_) | Action::Send { .. } => {
                    unreachable!("Plan sorts persists and sends out")
                }
            }
        }
        Ok(())
    }
}

/// The manager's event for what the peer layer delivered.
fn peer_event(event: PeerEvent) -> Event {
    match event {
        PeerEvent::Connected { peer, features } => Event::PeerConnected { peer, features },
        PeerEvent::Message { peer, message } => Event::PeerMessage { peer, message },
        PeerEvent::Disconnected { peer } => Event::PeerDisconnected { peer },
    }
}
