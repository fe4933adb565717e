//! The chain task: follows the chain through its RPC and feeds the driver
//! (blocks one at a time with reorgs, the mempool transactions the manager
//! watches), and carries out the driver's broadcasts. Chain calls (up to
//! the client's timeout each) happen here, never in the driver.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bitcoin::{BlockHash, Txid};
use rayo_manager::{Command, Event, Reply, Watch};
use tokio::sync::{mpsc, watch};

use crate::chain_client::{ChainClient, ChainClientError};
use crate::driver::{ChainRequest, DriverHandle};

/// How often the chain is polled for new blocks and mempool changes.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(500);

/// Sync rounds between two fee estimates handed to the manager (30 s).
pub const FEE_ESTIMATE_ROUNDS: u32 = 60;

/// The confirmation target of the commitment fee estimate, in blocks.
pub const COMMITMENT_FEE_TARGET: u32 = 6;

/// Most blocks connected (or disconnected) in one sync round.
pub const MAX_BLOCKS_PER_ROUND: u32 = 100;

/// The chain tip as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTip {
    /// Height.
    pub height: u32,
    /// Hash.
    pub hash: BlockHash,
}

/// Why one sync round failed (retried next round).
#[derive(Debug, thiserror::Error)]
enum SyncError {
    #[error(transparent)]
    Chain(#[from] ChainClientError),
    #[error("the driver stopped")]
    Stopped,
}

/// `txs` ordered so that a transaction comes after any of the list it
/// spends from (a child is refused before its parent is in the mempool).
fn parents_first(mut txs: Vec<bitcoin::Transaction>) -> Vec<bitcoin::Transaction> {
    let mut ordered = Vec::with_capacity(txs.len());
    while !txs.is_empty() {
        let pending: HashSet<Txid> = txs.iter().map(|t| t.compute_txid()).collect();
        let (ready, waiting): (Vec<_>, Vec<_>) = txs.into_iter().partition(|t| {
            t.input
                .iter()
                .all(|i| !pending.contains(&i.previous_output.txid))
        });
        if ready.is_empty() {
            // A cycle cannot happen between valid transactions; keep going.
            ordered.extend(waiting);
            break;
        }
        ordered.extend(ready);
        txs = waiting;
    }
    ordered
}

/// The chain task's state.
pub struct ChainSync {
    chain: Arc<ChainClient>,
    driver: DriverHandle,
    requests: mpsc::UnboundedReceiver<ChainRequest>,
    watched_scripts: HashSet<bitcoin::ScriptBuf>,
    watched_outpoints: HashSet<bitcoin::OutPoint>,
    /// Mempool transactions already looked at (with the scripts they pay),
    /// and those handed over.
    seen: HashMap<Txid, Vec<bitcoin::ScriptBuf>>,
    delivered: BTreeSet<Txid>,
    tip: watch::Sender<Option<ChainTip>>,
    /// Rounds since the last fee estimate.
    fee_rounds: u32,
    /// The last estimate handed over (sat/kw).
    last_fee_estimate: Option<u32>,
}

impl ChainSync {
    /// A chain task on `chain` feeding `driver`; `tip` publishes the chain's
    /// tip for `getinfo`.
    pub fn new(
        chain: Arc<ChainClient>,
        driver: DriverHandle,
        requests: mpsc::UnboundedReceiver<ChainRequest>,
        tip: watch::Sender<Option<ChainTip>>,
    ) -> Self {
        Self {
            chain,
            driver,
            requests,
            watched_scripts: HashSet::new(),
            watched_outpoints: HashSet::new(),
            seen: HashMap::new(),
            delivered: BTreeSet::new(),
            tip,
            fee_rounds: 0,
            last_fee_estimate: None,
        }
    }

    /// One round now, then every [`SYNC_INTERVAL`], serving requests in
    /// between; logs (does not fail on) chain outages. Ends when the driver
    /// does.
    pub async fn run(mut self) {
        let mut ticker = tokio::time::interval(SYNC_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_error: Option<String> = None;
        loop {
            tokio::select! {
                request = self.requests.recv() => match request {
                    Some(request) => {
                        if self.serve(request).await.is_err() {
                            return;
                        }
                    }
                    None => return,
                },
                _ = ticker.tick() => match self.sync_once().await {
                    Ok(()) => {
                        if last_error.take().is_some() {
                            tracing::info!("chain reachable again");
                        }
                    }
                    Err(SyncError::Stopped) => return,
                    Err(e) => {
                        let text = e.to_string();
                        if last_error.as_deref() != Some(&text) {
                            tracing::warn!(error = %text, "chain sync failed; retrying");
                        }
                        last_error = Some(text);
                    }
                },
            }
        }
    }

    /// One sync round now (before the daemon says it is ready).
    pub async fn sync_now(&mut self) -> Result<(), String> {
        self.sync_once().await.map_err(|e| e.to_string())
    }

    async fn serve(&mut self, request: ChainRequest) -> Result<(), SyncError> {
        match request {
            ChainRequest::Watch(Watch::Script(script)) => {
                // A transaction already looked at may pay the new script:
                // forget having seen it, so the next round hands it over.
                self.seen.retain(|_, outputs| !outputs.contains(&script));
                self.watched_scripts.insert(script);
            }
            ChainRequest::Unwatch(Watch::Script(script)) => {
                self.watched_scripts.remove(&script);
            }
            ChainRequest::Unwatch(Watch::Outpoint(outpoint)) => {
                self.watched_outpoints.remove(&outpoint);
            }
            ChainRequest::Watch(Watch::Outpoint(outpoint)) => {
                self.watched_outpoints.insert(outpoint);
                // A peer may name a transaction that confirmed long ago:
                // tell the manager where, since no new block will.
                match self.already_confirmed(outpoint.txid).await {
                    Ok(Some(event)) => self.event(event).await?,
                    Ok(None) => {}
                    Err(e) => {
                        tracing::debug!(%outpoint, error = %e, "cannot look up a watched funding")
                    }
                }
            }
            ChainRequest::Broadcast { tx, report } => {
                let txid = tx.compute_txid();
                let result = match self.chain.broadcast(&tx).await {
                    Ok(_) => Ok(()),
                    Err(ChainClientError::Rpc { message, .. }) => Err(message),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(reason) = &result {
                    tracing::debug!(%txid, %reason, "broadcast refused");
                }
                if report {
                    self.driver
                        .chain_event(Event::BroadcastResult { txid, result })
                        .await
                        .map_err(|_| SyncError::Stopped)?;
                }
            }
        }
        Ok(())
    }

    /// Every [`FEE_ESTIMATE_ROUNDS`] rounds, hands the chain's commitment
    /// fee estimate to the manager when it changed (the funder of a channel
    /// moves its fee rate when it drifts).
    async fn refresh_fee_estimate(&mut self) -> Result<(), SyncError> {
        self.fee_rounds += 1;
        if self.fee_rounds < FEE_ESTIMATE_ROUNDS && self.last_fee_estimate.is_some() {
            return Ok(());
        }
        self.fee_rounds = 0;
        let Some(sat_per_kvb) = self.chain.fee_estimate(COMMITMENT_FEE_TARGET).await? else {
            return Ok(());
        };
        // 1 kvB is 4000 weight units: sat/kvB / 4 is sat per 1000 weight.
        let feerate_per_kw = u32::try_from(sat_per_kvb / 4).unwrap_or(u32::MAX);
        if self.last_fee_estimate != Some(feerate_per_kw) {
            self.last_fee_estimate = Some(feerate_per_kw);
            self.event(Event::FeeEstimate { feerate_per_kw }).await?;
        }
        Ok(())
    }

    /// [`Event::TransactionConfirmed`] for `txid` if it is in a block.
    async fn already_confirmed(&self, txid: Txid) -> Result<Option<Event>, ChainClientError> {
        let Some((hash, height)) = self.chain.transaction_block(txid).await? else {
            return Ok(None);
        };
        let block = self.chain.block(hash).await?;
        let found = block
            .txdata
            .into_iter()
            .enumerate()
            .find(|(_, tx)| tx.compute_txid() == txid);
        Ok(found.and_then(|(index, tx)| {
            u32::try_from(index)
                .ok()
                .map(|tx_index| Event::TransactionConfirmed {
                    tx,
                    height,
                    tx_index,
                })
        }))
    }

    /// Brings the manager to the chain's tip, one block at a time, stepping
    /// back over reorgs; then hands over the watched mempool transactions.
    async fn sync_once(&mut self) -> Result<(), SyncError> {
        self.refresh_fee_estimate().await?;
        let info = self.chain.chain_info().await?;
        self.tip.send_replace(Some(ChainTip {
            height: info.blocks,
            hash: info.bestblockhash,
        }));
        let mut steps = 0;
        loop {
            // Bounded work per round, so broadcasts and watches are served
            // between rounds even during a long catch-up.
            steps += 1;
            if steps > MAX_BLOCKS_PER_ROUND {
                return Ok(());
            }
            let ours = match self.driver.call(Command::SyncTip).await {
                Ok(Reply::SyncTip(tip)) => tip,
                _ => return Err(SyncError::Stopped),
            };
            let next = match ours {
                // A new wallet starts at the tip it was born at.
                None => info.blocks,
                Some(tip) if tip.hash == info.bestblockhash => break,
                Some(tip) => match tip.height.checked_add(1) {
                    Some(next) => next,
                    None => break,
                },
            };
            if let Some(tip) = ours {
                // Our tip left the best chain (or the chain got shorter):
                // step back one block. A failed call is an error, retried
                // next round, never a reorg.
                let still_there = tip.height <= info.blocks
                    && self.chain.block_hash(tip.height).await? == tip.hash;
                if !still_there {
                    self.event(Event::BlocksDisconnected {
                        height: tip.height.saturating_sub(1),
                    })
                    .await?;
                    continue;
                }
                if next > info.blocks {
                    break;
                }
            }
            let block = self.chain.block(self.chain.block_hash(next).await?).await?;
            self.event(Event::BlockConnected {
                height: next,
                block,
            })
            .await?;
        }
        self.reconcile_unconfirmed().await?;
        self.sync_mempool(info.bestblockhash).await
    }

    /// The wallet's own unconfirmed transactions that are not in the
    /// mempool (a crash between persisting and broadcasting, an eviction,
    /// a restarted chain) go out again; one the chain refuses (its inputs
    /// spent elsewhere) leaves the wallet.
    async fn reconcile_unconfirmed(&mut self) -> Result<(), SyncError> {
        let ours = match self.driver.call(Command::UnconfirmedTransactions).await {
            Ok(Reply::UnconfirmedTransactions(list)) => list,
            _ => return Err(SyncError::Stopped),
        };
        if ours.is_empty() {
            return Ok(());
        }
        let mempool: HashSet<Txid> = self.chain.mempool().await?.into_iter().collect();
        for tx in parents_first(ours) {
            let txid = tx.compute_txid();
            if mempool.contains(&txid) {
                continue;
            }
            match self.chain.broadcast(&tx).await {
                Ok(_) => tracing::info!(%txid, "rebroadcast an unconfirmed wallet transaction"),
                // Its inputs are gone (spent by another transaction): it can
                // never confirm.
                Err(ChainClientError::Rpc { message, .. })
                    if message.contains("missingorspent") || message.contains("conflict") =>
                {
                    self.event(Event::TransactionRejected {
                        txid,
                        reason: message,
                    })
                    .await?;
                }
                // Confirmed meanwhile (its block comes next round), or
                // refused for now (fees): try again later.
                Err(ChainClientError::Rpc { message, .. }) => {
                    tracing::debug!(%txid, reason = %message, "rebroadcast refused");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Hands over the watched mempool transactions not seen yet, and says
    /// which handed-over ones left it. `tip` is the block the round synced
    /// to: if another came meanwhile, departures wait for the next round
    /// (they may be in that block, which the manager has not seen yet).
    async fn sync_mempool(&mut self, tip: BlockHash) -> Result<(), SyncError> {
        let txids: HashSet<Txid> = self.chain.mempool().await?.into_iter().collect();
        let same_tip = self.chain.chain_info().await?.bestblockhash == tip;
        let unseen: Vec<Txid> = txids
            .iter()
            .filter(|t| !self.seen.contains_key(*t))
            .copied()
            .collect();
        for txid in unseen {
            let Some(tx) = self.chain.transaction(txid).await? else {
                continue;
            };
            self.seen.insert(
                txid,
                tx.output.iter().map(|o| o.script_pubkey.clone()).collect(),
            );
            let watched = tx
                .output
                .iter()
                .any(|o| self.watched_scripts.contains(&o.script_pubkey))
                || tx
                    .input
                    .iter()
                    .any(|i| self.watched_outpoints.contains(&i.previous_output));
            if watched {
                self.delivered.insert(txid);
                self.event(Event::MempoolTransaction { tx }).await?;
            }
        }
        // Handed-over transactions that left the mempool: confirmed ones are
        // already in a block the manager has; the others were replaced or
        // evicted.
        let gone: Vec<Txid> = self
            .delivered
            .iter()
            .filter(|t| same_tip && !txids.contains(*t))
            .copied()
            .collect();
        for txid in gone {
            self.delivered.remove(&txid);
            self.event(Event::MempoolDropped { txid }).await?;
        }
        self.seen.retain(|t, _| txids.contains(t));
        Ok(())
    }

    async fn event(&self, event: Event) -> Result<(), SyncError> {
        self.driver
            .chain_event(event)
            .await
            .map_err(|_| SyncError::Stopped)
    }
}
