//! Durable chain state behind a trait, with SQLite as the embedded backend.
//!
//! Every change a block brings (the block, its undo data, the UTXO delta, the
//! new tip, mempool changes) is one [`StoreBatch`] written in one database
//! transaction, so a process killed at any instant leaves either the state
//! before the block or the state after it, never a mix.

use std::path::Path;

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::{Block, BlockHash, OutPoint, Transaction, Txid};
use rusqlite::{params, Connection, OptionalExtension};

use crate::coins::{decode_coins, encode_coins, Coin};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored bytes did not decode: the file is damaged or from elsewhere.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database was written by a newer Rayo.
    #[error("database schema version {0} is newer than this program understands")]
    TooNew(i64),
}

/// Validity of a stored block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockStatus {
    /// Passed validation (or not yet found invalid).
    Valid,
    /// Failed validation or was invalidated by `invalidateblock`.
    Failed,
    /// Descends from a failed block.
    FailedChild,
}

impl BlockStatus {
    fn to_db(self) -> i64 {
        match self {
            BlockStatus::Valid => 0,
            BlockStatus::Failed => 1,
            BlockStatus::FailedChild => 2,
        }
    }

    fn from_db(v: i64) -> Result<Self, StoreError> {
        match v {
            0 => Ok(BlockStatus::Valid),
            1 => Ok(BlockStatus::Failed),
            2 => Ok(BlockStatus::FailedChild),
            other => Err(StoreError::Corrupt(format!("block status {other}"))),
        }
    }
}

/// A stored block's index data: enough to rebuild the block tree at start.
#[derive(Debug, Clone)]
pub struct StoredBlock {
    /// The header.
    pub header: bitcoin::block::Header,
    /// Its height.
    pub height: u32,
    /// Its validity.
    pub status: BlockStatus,
    /// Order of arrival, to break chainwork ties in favour of the first seen.
    pub sequence: u64,
    /// Number of transactions.
    pub tx_count: u32,
    /// Serialized size in bytes.
    pub size: u32,
    /// Weight units.
    pub weight: u64,
}

/// Everything read at start-up.
#[derive(Debug, Default)]
pub struct LoadedState {
    /// Every stored block's index data.
    pub blocks: Vec<(BlockHash, StoredBlock)>,
    /// The active tip, if any block was ever stored.
    pub tip: Option<BlockHash>,
    /// The UTXO set of the active chain.
    pub utxos: Vec<(OutPoint, Coin)>,
    /// Mempool transactions with their arrival time, oldest first.
    pub mempool: Vec<(Transaction, u64)>,
}

/// One atomic set of changes.
#[derive(Debug, Default)]
pub struct StoreBatch {
    /// New blocks with their index data.
    pub new_blocks: Vec<(Block, StoredBlock)>,
    /// Status changes of known blocks.
    pub statuses: Vec<(BlockHash, BlockStatus)>,
    /// Undo data (spent coins, in spending order) of connected blocks.
    pub undo: Vec<(BlockHash, Vec<Coin>)>,
    /// UTXO set changes in the order they happened: `Some` adds an output,
    /// `None` spends it (an output created and spent in one block appears
    /// twice, and ends up absent).
    pub utxo_changes: Vec<(OutPoint, Option<Coin>)>,
    /// The new active tip.
    pub tip: Option<BlockHash>,
    /// Transactions confirmed in the active chain, and their block.
    pub txindex_added: Vec<(Txid, BlockHash)>,
    /// Transactions no longer in the active chain.
    pub txindex_removed: Vec<Txid>,
    /// Transactions that entered the mempool, with their arrival time.
    pub mempool_added: Vec<(Transaction, u64)>,
    /// Transactions that left the mempool.
    pub mempool_removed: Vec<Txid>,
}

/// Durable storage of the chain. A second backend (e.g. PostgreSQL) only
/// has to implement this.
pub trait ChainStore: Send {
    /// Reads everything needed to resume.
    fn load(&mut self) -> Result<LoadedState, StoreError>;
    /// A block's full data.
    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError>;
    /// A connected block's undo data.
    fn undo(&self, hash: &BlockHash) -> Result<Option<Vec<Coin>>, StoreError>;
    /// The active-chain block confirming `txid`, if any.
    fn tx_block(&self, txid: &Txid) -> Result<Option<BlockHash>, StoreError>;
    /// Applies a batch atomically.
    fn apply(&mut self, batch: &StoreBatch) -> Result<(), StoreError>;
    /// Bytes used on disk.
    fn size_on_disk(&self) -> u64;
}

const SCHEMA_VERSION: i64 = 1;

/// SQLite-backed [`ChainStore`], in WAL mode: commits are atomic and survive
/// a killed process.
pub struct SqliteStore {
    conn: Connection,
    path: Option<std::path::PathBuf>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        Self::init(conn, Some(path.to_owned()))
    }

    /// An in-memory database, for tests and benchmarks.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(conn: Connection, path: Option<std::path::PathBuf>) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew(version));
        }
        if version < 1 {
            conn.execute_batch(
                "BEGIN;
                 CREATE TABLE blocks (
                     hash BLOB PRIMARY KEY, height INTEGER NOT NULL, header BLOB NOT NULL,
                     data BLOB NOT NULL, status INTEGER NOT NULL, seq INTEGER NOT NULL,
                     tx_count INTEGER NOT NULL, size INTEGER NOT NULL, weight INTEGER NOT NULL);
                 CREATE TABLE undo (hash BLOB PRIMARY KEY, data BLOB NOT NULL);
                 CREATE TABLE utxos (txid BLOB NOT NULL, vout INTEGER NOT NULL, coin BLOB NOT NULL,
                     PRIMARY KEY (txid, vout));
                 CREATE TABLE mempool (txid BLOB PRIMARY KEY, raw BLOB NOT NULL,
                     time INTEGER NOT NULL, seq INTEGER NOT NULL);
                 CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                 CREATE TABLE txindex (txid BLOB PRIMARY KEY, block BLOB NOT NULL);
                 PRAGMA user_version = 1;
                 COMMIT;",
            )?;
        }
        Ok(Self { conn, path })
    }
}

fn corrupt(what: &str) -> impl Fn(bitcoin::consensus::encode::Error) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

impl ChainStore for SqliteStore {
    fn load(&mut self) -> Result<LoadedState, StoreError> {
        let mut state = LoadedState::default();
        let mut stmt = self.conn.prepare(
            "SELECT hash, height, header, status, seq, tx_count, size, weight FROM blocks ORDER BY height, seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, u32>(5)?,
                r.get::<_, u32>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        for row in rows {
            let (hash, height, header, status, seq, tx_count, size, weight) = row?;
            let hash: BlockHash = deserialize(&hash).map_err(corrupt("block hash"))?;
            let header = deserialize(&header).map_err(corrupt("header"))?;
            state.blocks.push((
                hash,
                StoredBlock {
                    header,
                    height,
                    status: BlockStatus::from_db(status)?,
                    sequence: seq as u64,
                    tx_count,
                    size,
                    weight: weight as u64,
                },
            ));
        }
        state.tip = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'tip'", [], |r| {
                r.get::<_, Vec<u8>>(0)
            })
            .optional()?
            .map(|b| deserialize(&b).map_err(corrupt("tip")))
            .transpose()?;
        let mut stmt = self.conn.prepare("SELECT txid, vout, coin FROM utxos")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        for row in rows {
            let (txid, vout, coin) = row?;
            let txid = deserialize(&txid).map_err(corrupt("utxo txid"))?;
            let (coin, _) = Coin::decode_from(&coin).map_err(corrupt("coin"))?;
            state.utxos.push((OutPoint { txid, vout }, coin));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT raw, time FROM mempool ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (raw, time) = row?;
            state.mempool.push((
                deserialize(&raw).map_err(corrupt("mempool tx"))?,
                time as u64,
            ));
        }
        Ok(state)
    }

    fn block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        self.conn
            .query_row(
                "SELECT data FROM blocks WHERE hash = ?1",
                [serialize(hash)],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .map(|b| deserialize(&b).map_err(corrupt("block")))
            .transpose()
    }

    fn undo(&self, hash: &BlockHash) -> Result<Option<Vec<Coin>>, StoreError> {
        self.conn
            .query_row(
                "SELECT data FROM undo WHERE hash = ?1",
                [serialize(hash)],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .map(|b| decode_coins(&b).map_err(corrupt("undo")))
            .transpose()
    }

    fn tx_block(&self, txid: &Txid) -> Result<Option<BlockHash>, StoreError> {
        self.conn
            .query_row(
                "SELECT block FROM txindex WHERE txid = ?1",
                [serialize(txid)],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?
            .map(|b| deserialize(&b).map_err(corrupt("txindex")))
            .transpose()
    }

    fn apply(&mut self, batch: &StoreBatch) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert_block = tx.prepare_cached(
                "INSERT OR REPLACE INTO blocks (hash, height, header, data, status, seq, tx_count, size, weight)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for (block, info) in &batch.new_blocks {
                insert_block.execute(params![
                    serialize(&block.block_hash()),
                    info.height,
                    serialize(&info.header),
                    serialize(block),
                    info.status.to_db(),
                    info.sequence as i64,
                    info.tx_count,
                    info.size,
                    info.weight as i64,
                ])?;
            }
            let mut set_status =
                tx.prepare_cached("UPDATE blocks SET status = ?2 WHERE hash = ?1")?;
            for (hash, status) in &batch.statuses {
                set_status.execute(params![serialize(hash), status.to_db()])?;
            }
            let mut insert_undo =
                tx.prepare_cached("INSERT OR REPLACE INTO undo (hash, data) VALUES (?1, ?2)")?;
            for (hash, coins) in &batch.undo {
                insert_undo.execute(params![serialize(hash), encode_coins(coins)])?;
            }
            let mut delete_utxo =
                tx.prepare_cached("DELETE FROM utxos WHERE txid = ?1 AND vout = ?2")?;
            let mut insert_utxo = tx.prepare_cached(
                "INSERT OR REPLACE INTO utxos (txid, vout, coin) VALUES (?1, ?2, ?3)",
            )?;
            for (outpoint, change) in &batch.utxo_changes {
                let txid = serialize(&outpoint.txid);
                match change {
                    Some(coin) => {
                        let mut bytes = Vec::new();
                        coin.encode_into(&mut bytes);
                        insert_utxo.execute(params![txid, outpoint.vout, bytes])?;
                    }
                    None => {
                        delete_utxo.execute(params![txid, outpoint.vout])?;
                    }
                }
            }
            if let Some(tip) = &batch.tip {
                tx.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('tip', ?1)",
                    [serialize(tip)],
                )?;
            }
            let mut unindex = tx.prepare_cached("DELETE FROM txindex WHERE txid = ?1")?;
            for txid in &batch.txindex_removed {
                unindex.execute([serialize(txid)])?;
            }
            let mut index =
                tx.prepare_cached("INSERT OR REPLACE INTO txindex (txid, block) VALUES (?1, ?2)")?;
            for (txid, block) in &batch.txindex_added {
                index.execute(params![serialize(txid), serialize(block)])?;
            }
            let mut delete_mempool = tx.prepare_cached("DELETE FROM mempool WHERE txid = ?1")?;
            for txid in &batch.mempool_removed {
                delete_mempool.execute([serialize(txid)])?;
            }
            let mut insert_mempool = tx.prepare_cached(
                "INSERT OR REPLACE INTO mempool (txid, raw, time, seq)
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(seq), 0) + 1 FROM mempool))",
            )?;
            for (mtx, time) in &batch.mempool_added {
                insert_mempool.execute(params![
                    serialize(&mtx.compute_txid()),
                    serialize(mtx),
                    *time as i64
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn size_on_disk(&self) -> u64 {
        let Some(path) = &self.path else { return 0 };
        let wal = path.with_extension("sqlite-wal");
        [path.as_path(), wal.as_path()]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}
