//! The node's durable state behind [`NodeStore`], with SQLite as the
//! embedded backend. The schema is versioned and migrated forward in order;
//! a second backend (PostgreSQL) implements the same trait and callers do
//! not change.
//!
//! The manager's [`Changeset`]s are written with [`NodeStore::commit`], one
//! store transaction each: wallet records (coin locks included), channel
//! rows and the key counter land together or not at all. [`StoreHandle`]
//! runs the store on a thread of its own, so SQLite's fsyncs never block
//! the async runtime.

use std::path::Path;

use rayo_manager::{Changeset, ChannelRecord, StoredState};
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row does not decode (a damaged or foreign database).
    #[error("corrupt {what}: {reason}")]
    Corrupt {
        /// Which row.
        what: String,
        /// Why it does not decode.
        reason: String,
    },
    /// The store's thread is gone (the daemon is stopping).
    #[error("the store is closed")]
    Closed,
    /// The database comes from a newer Rayo.
    #[error("database schema version {found} is newer than this rayod understands ({known})")]
    TooNew {
        /// Version in the file.
        found: i64,
        /// Newest version known here.
        known: i64,
    },
}

/// A peer we dialled and should dial again after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPeer {
    /// Hex node id.
    pub pubkey: String,
    /// `host:port`.
    pub address: String,
}

/// Durable node state.
pub trait NodeStore: Send {
    /// The wallet seed (its BIP39 words, as bytes), if created.
    fn seed(&self) -> Result<Option<Vec<u8>>, StoreError>;
    /// Saves the seed (once, at creation; a second call fails, since it
    /// would orphan the wallet of the first).
    fn save_seed(&mut self, seed: &[u8]) -> Result<(), StoreError>;
    /// Replaces the stored seed with the same seed in another form (a
    /// plaintext seed of an older Rayo, encrypted).
    fn replace_seed(&mut self, seed: &[u8]) -> Result<(), StoreError>;
    /// What the manager restarts from: wallet records in the order
    /// written, every channel, the next key index.
    fn load(&self) -> Result<StoredState, StoreError>;
    /// Writes a changeset durably, all of it or none, before anything that
    /// depends on it is said to a peer or the chain.
    fn commit(&mut self, changes: &Changeset) -> Result<(), StoreError>;
    /// Peers to reconnect to.
    fn peers(&self) -> Result<Vec<SavedPeer>, StoreError>;
    /// Remembers a peer to reconnect to.
    fn save_peer(&mut self, peer: &SavedPeer) -> Result<(), StoreError>;
    /// Forgets a peer (after `disconnect`).
    fn forget_peer(&mut self, pubkey: &str) -> Result<(), StoreError>;
}

/// Migrations, applied in order; the schema version is the count applied.
const MIGRATIONS: &[&str] = &[
    // 1: seed, wallet record log, peers.
    "CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
     CREATE TABLE wallet_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
     CREATE TABLE peers (pubkey TEXT PRIMARY KEY, address TEXT NOT NULL);",
    // 2: channels and counters.
    "CREATE TABLE channels (id TEXT PRIMARY KEY, peer TEXT NOT NULL, key_index INTEGER NOT NULL, state TEXT NOT NULL);
     CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
    // 3: invoices, payments, and the peer's revoked commitments (append
    // only: what a penalty needs once the peer broadcasts one).
    "CREATE TABLE invoices (payment_hash TEXT PRIMARY KEY, record TEXT NOT NULL);
     CREATE TABLE payments (payment_hash TEXT PRIMARY KEY, record TEXT NOT NULL);
     CREATE TABLE revoked_commitments (channel_id TEXT NOT NULL, number INTEGER NOT NULL, txid TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (channel_id, number));
     CREATE INDEX revoked_by_txid ON revoked_commitments (txid);",
];

/// SQLite-backed [`NodeStore`].
pub struct SqliteNodeStore {
    conn: Connection,
}

impl SqliteNodeStore {
    /// Opens (creating and migrating) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::init(Connection::open(path)?)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Freed pages are zeroed: a replaced secret leaves no copy behind.
        conn.pragma_update(None, "secure_delete", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        let applied = usize::try_from(version).map_err(|_| StoreError::Corrupt {
            what: "schema version".into(),
            reason: format!("{version} is negative"),
        })?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = conn.transaction()?;
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
        }
        Ok(Self { conn })
    }
}

impl NodeStore for SqliteNodeStore {
    fn seed(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM secrets WHERE name = 'seed'", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn save_seed(&mut self, entropy: &[u8]) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO secrets (name, value) VALUES ('seed', ?1)",
            [entropy],
        )?;
        Ok(())
    }

    fn replace_seed(&mut self, seed: &[u8]) -> Result<(), StoreError> {
        self.conn
            .execute("UPDATE secrets SET value = ?1 WHERE name = 'seed'", [seed])?;
        // Move the new page into the main file over the old one, and empty
        // the WAL, so the old seed is in neither.
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn load(&self) -> Result<StoredState, StoreError> {
        let corrupt = |what: String, e: &dyn std::fmt::Display| StoreError::Corrupt {
            what,
            reason: e.to_string(),
        };
        let mut stmt = self
            .conn
            .prepare("SELECT seq, record FROM wallet_records ORDER BY seq")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut wallet = Vec::new();
        for row in rows {
            let (seq, text) = row?;
            wallet.push(
                serde_json::from_str(&text)
                    .map_err(|e| corrupt(format!("wallet record {seq}"), &e))?,
            );
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id, peer, key_index, state FROM channels ORDER BY key_index")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut channels = Vec::new();
        for row in rows {
            let (id, peer, key_index, state) = row?;
            let what = || format!("channel {id}");
            channels.push(ChannelRecord {
                peer: peer.parse().map_err(|e| corrupt(what(), &e))?,
                key_index,
                phase: serde_json::from_str(&state).map_err(|e| corrupt(what(), &e))?,
            });
        }
        let next_key_index = self
            .conn
            .query_row(
                "SELECT value FROM counters WHERE name = 'channel_index'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        Ok(StoredState {
            wallet,
            channels,
            next_key_index,
            invoices: self.records("invoices")?,
            payments: self.records("payments")?,
        })
    }

    fn commit(&mut self, changes: &Changeset) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO wallet_records (record) VALUES (?1)")?;
            for record in &changes.wallet {
                let text = serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
                    what: "wallet record".into(),
                    reason: e.to_string(),
                })?;
                insert.execute([text])?;
            }
            let mut save = tx.prepare_cached(
                "INSERT OR REPLACE INTO channels (id, peer, key_index, state) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for channel in &changes.channels {
                let state =
                    serde_json::to_string(&channel.phase).map_err(|e| StoreError::Corrupt {
                        what: format!("channel {}", channel.channel_id()),
                        reason: e.to_string(),
                    })?;
                save.execute(params![
                    channel.channel_id().to_string(),
                    channel.peer.to_string(),
                    channel.key_index,
                    state
                ])?;
            }
            let mut delete = tx.prepare_cached("DELETE FROM channels WHERE id = ?1")?;
            for id in &changes.removed_channels {
                delete.execute([id.to_string()])?;
            }
            if let Some(next) = changes.next_key_index {
                tx.execute(
                    "INSERT OR REPLACE INTO counters (name, value) VALUES ('channel_index', ?1)",
                    [next],
                )?;
            }
            let mut invoice = tx.prepare_cached(
                "INSERT OR REPLACE INTO invoices (payment_hash, record) VALUES (?1, ?2)",
            )?;
            for record in &changes.invoices {
                invoice.execute(params![hex::encode(record.payment_hash), to_json(record)?])?;
            }
            let mut payment = tx.prepare_cached(
                "INSERT OR REPLACE INTO payments (payment_hash, record) VALUES (?1, ?2)",
            )?;
            for record in &changes.payments {
                payment.execute(params![hex::encode(record.payment_hash), to_json(record)?])?;
            }
            // Append only: a revoked commitment never changes; a replayed
            // revocation (the same number) is already there.
            let mut revoked = tx.prepare_cached(
                "INSERT OR IGNORE INTO revoked_commitments (channel_id, number, txid, record) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (channel_id, commitment) in &changes.revoked {
                let number = i64::try_from(commitment.number).map_err(|_| StoreError::Corrupt {
                    what: format!("revoked commitment of {channel_id}"),
                    reason: "number over 2^63".into(),
                })?;
                revoked.execute(params![
                    channel_id.to_string(),
                    number,
                    commitment.txid.to_string(),
                    to_json(commitment)?
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn peers(&self) -> Result<Vec<SavedPeer>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT pubkey, address FROM peers ORDER BY pubkey")?;
        let rows = stmt.query_map([], |r| {
            Ok(SavedPeer {
                pubkey: r.get(0)?,
                address: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_peer(&mut self, peer: &SavedPeer) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO peers (pubkey, address) VALUES (?1, ?2)",
            params![peer.pubkey, peer.address],
        )?;
        Ok(())
    }

    fn forget_peer(&mut self, pubkey: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM peers WHERE pubkey = ?1", [pubkey])?;
        Ok(())
    }
}

impl SqliteNodeStore {
    /// Every JSON record of a `(payment_hash, record)` table.
    fn records<T: serde::de::DeserializeOwned>(&self, table: &str) -> Result<Vec<T>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT payment_hash, record FROM {table}"))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut records = Vec::new();
        for row in rows {
            let (key, text) = row?;
            records.push(
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                    what: format!("{table} row {key}"),
                    reason: e.to_string(),
                })?,
            );
        }
        Ok(records)
    }
}

/// A record as the JSON text the store keeps.
fn to_json<T: serde::Serialize>(record: &T) -> Result<String, StoreError> {
    serde_json::to_string(record).map_err(|e| StoreError::Corrupt {
        what: "record".into(),
        reason: e.to_string(),
    })
}

/// A store job: runs on the store's thread with the store.
type Job = Box<dyn FnOnce(&mut dyn NodeStore) + Send>;

/// The store on a thread of its own: callers send it work and await the
/// answer, so a slow disk never blocks the async runtime's workers. Jobs run
/// one at a time, in the order sent.
#[derive(Clone)]
pub struct StoreHandle {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl StoreHandle {
    /// Moves `store` to a new thread. The thread ends when every handle is
    /// dropped.
    pub fn spawn(mut store: Box<dyn NodeStore>) -> std::io::Result<StoreHandle> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("rayod-store".into())
            .spawn(move || {
                while let Ok(job) = queue.recv() {
                    job(store.as_mut());
                }
            })?;
        Ok(StoreHandle { jobs })
    }

    /// Runs `f` on the store's thread and returns its result.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut dyn NodeStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |store| {
                let _ = answer.send(f(store));
            }))
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }

    /// Commits a changeset (one store transaction).
    pub async fn commit(&self, changes: Changeset) -> Result<(), StoreError> {
        self.run(move |store| store.commit(&changes)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayo_wallet::WalletRecord;

    #[test]
    fn migrations_apply_once_and_state_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.sqlite");
        {
            let mut store = SqliteNodeStore::open(&path).unwrap();
            store.save_seed(&[7; 32]).unwrap();
            let records = vec![
                WalletRecord::Disconnected { height: 1 },
                WalletRecord::Disconnected { height: 2 },
            ];
            store
                .commit(&Changeset {
                    wallet: records,
                    next_key_index: Some(3),
                    ..Changeset::default()
                })
                .unwrap();
            store
                .save_peer(&SavedPeer {
                    pubkey: "02aa".into(),
                    address: "127.0.0.1:9735".into(),
                })
                .unwrap();
        }
        let mut store = SqliteNodeStore::open(&path).unwrap();
        assert_eq!(store.seed().unwrap(), Some(vec![7; 32]));
        let state = store.load().unwrap();
        assert_eq!(
            state.wallet,
            vec![
                WalletRecord::Disconnected { height: 1 },
                WalletRecord::Disconnected { height: 2 }
            ]
        );
        assert_eq!(state.next_key_index, 3);
        assert_eq!(store.peers().unwrap().len(), 1);
        store.forget_peer("02aa").unwrap();
        assert!(store.peers().unwrap().is_empty());
        // A second seed is refused: it would orphan the first wallet.
        assert!(store.save_seed(&[8; 32]).is_err());
    }

    #[test]
    fn a_replaced_seed_leaves_no_copy_in_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.sqlite");
        let words = b"legacy plaintext seed words that must vanish";
        let mut store = SqliteNodeStore::open(&path).unwrap();
        store.save_seed(words).unwrap();
        store.replace_seed(b"RYSD encrypted blob").unwrap();
        assert_eq!(store.seed().unwrap().unwrap(), b"RYSD encrypted blob");
        for file in ["node.sqlite", "node.sqlite-wal"] {
            if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
                assert!(
                    !bytes.windows(words.len()).any(|w| w == words),
                    "{file} still holds the old seed"
                );
            }
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        assert!(matches!(
            SqliteNodeStore::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }
}
