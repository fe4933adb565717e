//! The node: keys from the seed, the wallet kept in step with the chain, and
//! the peers. The REST API and the daemon's main drive it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use bitcoin::{Address, Amount, BlockHash, FeeRate, Network, Transaction, Txid};
use rayo_wallet::{AddressType, Recipients, Seed, Wallet, WalletRecord};
use rayo_wire::bitcoin::constants::ChainHash;
use tokio::sync::Notify;

use crate::chain_client::{ChainClient, ChainClientError};
use crate::config::Config;
use crate::peers::{PeerError, Peers};
use crate::store::{NodeStore, SavedPeer, SqliteNodeStore, StoreError};

/// How often the node polls the chain for new blocks and mempool changes.
pub const SYNC_INTERVAL: Duration = Duration::from_millis(500);

/// Why a node operation failed; each maps to an API status.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The caller asked for something malformed (HTTP 400).
    #[error("{0}")]
    InvalidArgument(String),
    /// Not possible in the current state, e.g. not enough funds (HTTP 400).
    #[error("{0}")]
    FailedPrecondition(String),
    /// The chain is unreachable or refused us (HTTP 503).
    #[error(transparent)]
    Chain(#[from] ChainClientError),
    /// A peer operation failed.
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// Storage failed (HTTP 500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The wallet refused (e.g. insufficient funds).
    #[error(transparent)]
    Wallet(#[from] rayo_wallet::WalletError),
}

/// The chain tip as last seen.
#[derive(Debug, Clone, Copy)]
pub struct ChainTip {
    /// Height.
    pub height: u32,
    /// Hash.
    pub hash: BlockHash,
}

/// A running node.
pub struct Node {
    /// Settings.
    pub config: Config,
    /// Our node id.
    pub node_id: PublicKey,
    /// The chain's RPC.
    pub chain: Arc<ChainClient>,
    /// Peer connections.
    pub peers: Arc<Peers>,
    wallet: Mutex<Wallet>,
    store: Mutex<SqliteNodeStore>,
    tip: Mutex<Option<ChainTip>>,
    seen_mempool: Mutex<HashSet<Txid>>,
    /// Woken by the API's stop call.
    pub stop: Notify,
    /// The BIP32 master key: channel keys derive from it.
    master: bitcoin::bip32::Xpriv,
    /// Most inbound channels waiting for funding at once.
    pub max_pending_inbound: usize,
    /// Our channel limits and defaults.
    pub channel_policy: rayo_channel::establish::ChannelPolicy,
    /// Every channel, by phase; owned by the channel loop.
    pub(crate) channels: Mutex<crate::channels::ChannelBook>,
}

/// What first start created: the words to show the user once.
pub struct NewSeed {
    /// The 24 words.
    pub words: String,
    /// Where they were written, with `--noseedbackup`.
    pub file: Option<PathBuf>,
}

fn entropy() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bitcoin::secp256k1::rand::RngCore::fill_bytes(
        &mut bitcoin::secp256k1::rand::thread_rng(),
        &mut bytes,
    );
    bytes
}

fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}

impl Node {
    /// Opens (or on first start creates) the node in the config's data dir.
    /// Also returns the queue of peer events that [`Node::channel_loop`]
    /// consumes.
    #[allow(clippy::type_complexity)]
    pub fn open(
        config: Config,
    ) -> Result<
        (
            Arc<Node>,
            Option<NewSeed>,
            tokio::sync::mpsc::Receiver<crate::peers::PeerEvent>,
        ),
        NodeError,
    > {
        let datadir = config.datadir();
        std::fs::create_dir_all(&datadir).map_err(|e| {
            NodeError::InvalidArgument(format!("cannot create {}: {e}", datadir.display()))
        })?;
        let mut store = SqliteNodeStore::open(&datadir.join("node.sqlite"))?;
        let mut new_seed = None;
        let seed = match store.seed()? {
            Some(words) => {
                let words = String::from_utf8(words).map_err(|_| {
                    NodeError::FailedPrecondition("the stored seed is not UTF-8 text".into())
                })?;
                Seed::from_mnemonic(&words, "")
                    .map_err(|e| NodeError::FailedPrecondition(e.to_string()))?
            }
            None => {
                let seed = Seed::generate(entropy());
                let words = seed.mnemonic().to_string();
                let file = if config.noseedbackup {
                    let path = datadir.join("seed.txt");
                    write_private(&path, format!("{words}\n").as_bytes()).map_err(|e| {
                        NodeError::FailedPrecondition(format!(
                            "cannot write {}: {e}",
                            path.display()
                        ))
                    })?;
                    Some(path)
                } else {
                    None
                };
                store.save_seed(words.as_bytes())?;
                new_seed = Some(NewSeed { words, file });
                seed
            }
        };
        let network = config.network;
        let master = seed
            .master_key(network)
            .map_err(|e| NodeError::FailedPrecondition(e.to_string()))?;
        let node_secret: SecretKey = rayo_wallet::node_secret(&master)
            .map_err(|e| NodeError::FailedPrecondition(e.to_string()))?;
        let node_id = node_secret.public_key(&Secp256k1::signing_only());
        let records = store
            .wallet_records()?
            .iter()
            .map(|r| serde_json::from_str::<WalletRecord>(r))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| NodeError::FailedPrecondition(format!("corrupt wallet record: {e}")))?;
        let wallet = Wallet::restore(&master, network, records)?;
        let chain = ChainClient::new(&config.chain_host(), config.chain_auth());
        let init = crate::connection::default_init(ChainHash::using_genesis_block(network));
        let (events, events_rx) = tokio::sync::mpsc::channel(crate::peers::QUEUE_DEPTH);
        let peers = Peers::new(
            node_secret,
            init,
            Duration::from_secs(config.ping_interval_secs.max(1)),
            events,
        );
        let chain_hash = ChainHash::using_genesis_block(network);
        let channel_policy = rayo_channel::establish::ChannelPolicy {
            min_funding: rayo_wire::amount::Sat(config.minchansize),
            minimum_depth: config.defaultchanconfs.max(1),
            ..rayo_channel::establish::ChannelPolicy::new(chain_hash)
        };
        let max_pending_inbound = config.maxpendingchannels;
        let channels = crate::channels::ChannelBook::load(&store, network)?;
        let node = Arc::new(Node {
            config,
            node_id,
            chain,
            peers,
            wallet: Mutex::new(wallet),
            store: Mutex::new(store),
            tip: Mutex::new(None),
            seen_mempool: Mutex::new(HashSet::new()),
            stop: Notify::new(),
            master,
            max_pending_inbound,
            channel_policy,
            channels: Mutex::new(channels),
        });
        Ok((node, new_seed, events_rx))
    }

    /// The network we run on.
    pub fn network(&self) -> Network {
        self.config.network
    }

    /// The channel keys of key index `index`.
    pub(crate) fn channel_keys(
        &self,
        index: u32,
    ) -> Result<rayo_channel::keys::ChannelKeys, NodeError> {
        rayo_channel::keys::ChannelKeys::derive(
            &Secp256k1::new(),
            &self.master,
            self.network(),
            index,
        )
        .map_err(|e| NodeError::FailedPrecondition(format!("channel keys: {e}")))
    }

    /// Runs `f` with the store locked.
    pub(crate) fn with_store<T>(
        &self,
        f: impl FnOnce(&mut SqliteNodeStore) -> Result<T, StoreError>,
    ) -> Result<T, NodeError> {
        Ok(f(&mut self.store.lock().expect("store lock"))?)
    }

    /// Runs `f` with the wallet locked, persisting the records it returns,
    /// and gives back its other result.
    pub(crate) fn wallet_op<T>(
        &self,
        f: impl FnOnce(&mut Wallet) -> Result<(T, Vec<WalletRecord>), NodeError>,
    ) -> Result<T, NodeError> {
        let (value, records) = f(&mut self.wallet.lock().expect("wallet lock"))?;
        self.persist(records)?;
        Ok(value)
    }

    fn persist(&self, records: Vec<WalletRecord>) -> Result<(), NodeError> {
        if records.is_empty() {
            return Ok(());
        }
        let rows: Vec<String> = records
            .iter()
            .map(|r| serde_json::to_string(r).expect("wallet records serialize"))
            .collect();
        self.store
            .lock()
            .expect("store lock")
            .append_wallet_records(&rows)?;
        Ok(())
    }

    /// Runs `change` on the wallet and persists the records it returns. The
    /// wallet lock is released before the store is written.
    fn update_wallet(
        &self,
        change: impl FnOnce(&mut Wallet) -> Vec<WalletRecord>,
    ) -> Result<(), NodeError> {
        let records = change(&mut self.wallet.lock().expect("wallet lock"));
        self.persist(records)
    }

    /// The chain tip as of the last sync.
    pub fn chain_tip(&self) -> Option<ChainTip> {
        *self.tip.lock().expect("tip lock")
    }

    /// True when the wallet has processed every block up to the chain's tip.
    pub fn synced_to_chain(&self) -> bool {
        let wallet_tip = self.wallet.lock().expect("wallet lock").sync_tip();
        match (self.chain_tip(), wallet_tip) {
            (Some(chain), Some(wallet)) => chain.hash == wallet.hash,
            _ => false,
        }
    }

    /// Brings the wallet to the chain's tip, one block at a time, following
    /// reorgs; then looks at the mempool for unconfirmed payments.
    pub async fn sync_once(&self) -> Result<(), NodeError> {
        let info = self.chain.chain_info().await?;
        *self.tip.lock().expect("tip lock") = Some(ChainTip {
            height: info.blocks,
            hash: info.bestblockhash,
        });
        loop {
            let wallet_tip = self.wallet.lock().expect("wallet lock").sync_tip();
            let next = match wallet_tip {
                // A new wallet starts at the tip it was born at.
                None => info.blocks,
                Some(tip) if tip.hash == info.bestblockhash => break,
                Some(tip) => tip.height + 1,
            };
            let stale_tip = match wallet_tip {
                // The chain got shorter than the wallet: a reorg.
                Some(tip) if next > info.blocks => Some(tip),
                _ => None,
            };
            let block = match stale_tip {
                Some(_) => None,
                None => Some(self.chain.block(self.chain.block_hash(next).await?).await?),
            };
            let connects = match (&block, wallet_tip) {
                (Some(block), Some(tip)) => block.header.prev_blockhash == tip.hash,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let records = {
                let mut wallet = self.wallet.lock().expect("wallet lock");
                match (block, wallet_tip) {
                    (Some(block), _) if connects => match wallet.apply_block(&block, next) {
                        Ok(records) => records,
                        // The chain moved under us between the calls; look again.
                        Err(rayo_wallet::WalletError::BlockDoesNotConnect { .. }) => continue,
                        Err(e) => return Err(e.into()),
                    },
                    // Our tip is no longer on the chain: step back one block.
                    (_, Some(tip)) => wallet.disconnect_to(tip.height.saturating_sub(1)),
                    (_, None) => continue,
                }
            };
            self.persist(records)?;
        }
        self.sync_mempool().await
    }

    async fn sync_mempool(&self) -> Result<(), NodeError> {
        let txids: HashSet<Txid> = self.chain.mempool().await?.into_iter().collect();
        let unseen: Vec<Txid> = {
            let seen = self.seen_mempool.lock().expect("mempool lock");
            txids
                .iter()
                .filter(|t| !seen.contains(*t))
                .copied()
                .collect()
        };
        for txid in unseen {
            if let Some(tx) = self.chain.transaction(txid).await? {
                self.update_wallet(|w| w.apply_unconfirmed(&tx, unix_now()))?;
            }
        }
        // Unconfirmed wallet transactions that left the mempool without a
        // block were replaced or evicted.
        let gone: Vec<Txid> = {
            let wallet = self.wallet.lock().expect("wallet lock");
            let tip = wallet.sync_tip().map_or(0, |t| t.height);
            wallet
                .transactions(tip)
                .into_iter()
                .filter(|t| t.confirmations == 0 && !txids.contains(&t.txid))
                .map(|t| t.txid)
                .collect()
        };
        for txid in gone {
            self.update_wallet(|w| w.drop_unconfirmed(txid))?;
        }
        *self.seen_mempool.lock().expect("mempool lock") = txids;
        Ok(())
    }

    /// Syncs until stopped, logging (not failing on) chain outages.
    pub async fn sync_loop(self: Arc<Self>) {
        let mut last_error: Option<String> = None;
        loop {
            let result = match self.sync_once().await {
                Ok(()) => self.check_funding_depths().await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => last_error = None,
                Err(e) => {
                    let text = e.to_string();
                    if last_error.as_deref() != Some(&text) {
                        tracing::warn!(error = %text, "chain sync failed; retrying");
                    }
                    last_error = Some(text);
                }
            }
            tokio::time::sleep(SYNC_INTERVAL).await;
        }
    }

    /// A wallet view: runs `f` on the wallet with the wallet's tip height.
    pub fn with_wallet<T>(&self, f: impl FnOnce(&Wallet, u32) -> T) -> T {
        let wallet = self.wallet.lock().expect("wallet lock");
        let tip = wallet.sync_tip().map_or(0, |t| t.height);
        f(&wallet, tip)
    }

    /// `newaddress`: reveals (and persists) the next address of `kind`.
    pub fn new_address(&self, kind: AddressType) -> Result<Address, NodeError> {
        let (address, record) = self
            .wallet
            .lock()
            .expect("wallet lock")
            .reveal_address(kind, false)?;
        self.persist(vec![record])?;
        Ok(address)
    }

    /// Parses an address for our network.
    pub fn parse_address(&self, text: &str) -> Result<Address, NodeError> {
        let unchecked: bitcoin::Address<bitcoin::address::NetworkUnchecked> = text
            .parse()
            .map_err(|e| NodeError::InvalidArgument(format!("invalid address {text:?}: {e}")))?;
        unchecked.require_network(self.network()).map_err(|_| {
            NodeError::InvalidArgument(format!(
                "address {text} is not for the {} network",
                self.network()
            ))
        })
    }

    /// `sendcoins`: pays `amount` (or everything) to `address`, signs,
    /// persists, then broadcasts. Inputs are unlocked if broadcast fails.
    pub async fn send_coins(
        &self,
        address: &Address,
        amount: Option<Amount>,
        feerate: Option<FeeRate>,
        min_conf: u32,
    ) -> Result<Txid, NodeError> {
        let feerate = match feerate {
            Some(rate) => rate,
            None => self
                .chain
                .fee_estimate(6)
                .await?
                .map(|sat_per_kvb| FeeRate::from_sat_per_kwu(sat_per_kvb / 4))
                .unwrap_or(FeeRate::from_sat_per_vb_u32(1)),
        };
        let recipients = match amount {
            Some(amount) => Recipients::Pay(vec![(address.script_pubkey(), amount)]),
            None => Recipients::SweepAll(address.script_pubkey()),
        };
        let (tx, spend_records, inputs) = {
            let mut wallet = self.wallet.lock().expect("wallet lock");
            let spend =
                wallet.build_transaction(&recipients, feerate, AddressType::P2wkh, min_conf)?;
            let tx = wallet.sign(&spend)?;
            let mut records = spend.records.clone();
            records.extend(wallet.lock_inputs(&spend));
            (tx, records, spend)
        };
        self.persist(spend_records)?;
        match self.chain.broadcast(&tx).await {
            Ok(txid) => {
                self.update_wallet(|w| w.apply_unconfirmed(&tx, unix_now()))?;
                Ok(txid)
            }
            Err(e) => {
                self.update_wallet(|w| w.unlock_inputs(&inputs))?;
                Err(match e {
                    ChainClientError::Rpc { message, .. } => NodeError::FailedPrecondition(
                        format!("the chain refused the transaction: {message}"),
                    ),
                    other => other.into(),
                })
            }
        }
    }

    /// `connect`: dials `pubkey@host:port` and remembers it for restarts.
    pub async fn connect(&self, node_id: PublicKey, address: &str) -> Result<(), NodeError> {
        self.peers.connect(node_id, address).await?;
        self.store
            .lock()
            .expect("store lock")
            .save_peer(&SavedPeer {
                pubkey: node_id.to_string(),
                address: address.to_owned(),
            })?;
        Ok(())
    }

    /// `disconnect`: closes the connection and forgets the peer.
    pub fn disconnect(&self, node_id: &PublicKey) -> Result<(), NodeError> {
        self.peers.disconnect(node_id)?;
        self.store
            .lock()
            .expect("store lock")
            .forget_peer(&node_id.to_string())?;
        Ok(())
    }

    /// Keeps dialling saved peers that are not connected.
    pub async fn reconnect_loop(self: Arc<Self>) {
        loop {
            let saved = self
                .store
                .lock()
                .expect("store lock")
                .peers()
                .unwrap_or_default();
            for peer in saved {
                let Ok(node_id) = peer.pubkey.parse::<PublicKey>() else {
                    continue;
                };
                if !self.peers.is_connected(&node_id) {
                    if let Err(e) = self.peers.connect(node_id, &peer.address).await {
                        tracing::debug!(peer = %node_id, error = %e, "reconnect failed");
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    }

    /// Our own signed transaction seen by the wallet, for tests and tools.
    pub fn wallet_transaction(&self, txid: &Txid) -> Option<Transaction> {
        self.wallet
            .lock()
            .expect("wallet lock")
            .transaction(txid)
            .map(|(tx, _)| tx.clone())
    }
}

/// Seconds since the epoch, as the wallet records first-seen times.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
