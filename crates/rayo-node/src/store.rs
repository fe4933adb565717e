//! The node's durable state behind [`NodeStore`], with SQLite as the
//! embedded backend. The schema is versioned and migrated forward in order;
//! a second backend (PostgreSQL) implements the same trait and callers do
//! not change.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
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
    /// Every wallet record, in the order written.
    fn wallet_records(&self) -> Result<Vec<String>, StoreError>;
    /// Appends wallet records atomically (all or none).
    fn append_wallet_records(&mut self, records: &[String]) -> Result<(), StoreError>;
    /// Peers to reconnect to.
    fn peers(&self) -> Result<Vec<SavedPeer>, StoreError>;
    /// Remembers a peer to reconnect to.
    fn save_peer(&mut self, peer: &SavedPeer) -> Result<(), StoreError>;
    /// Forgets a peer (after `disconnect`).
    fn forget_peer(&mut self, pubkey: &str) -> Result<(), StoreError>;
    /// Hands out the next channel key index (never the same twice).
    fn next_channel_index(&mut self) -> Result<u32, StoreError>;
    /// Every persisted channel.
    fn channels(&self) -> Result<Vec<SavedChannel>, StoreError>;
    /// Writes (inserts or replaces) a channel's state, durably, before the
    /// message that commits to it is sent.
    fn save_channel(&mut self, channel: &SavedChannel) -> Result<(), StoreError>;
    /// Removes a channel that never got funded.
    fn delete_channel(&mut self, id: &str) -> Result<(), StoreError>;
}

/// A channel as stored: its id, peer, key index and serialized state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedChannel {
    /// Hex channel id.
    pub id: String,
    /// Hex node id of the peer.
    pub peer: String,
    /// Index of its keys under the node seed.
    pub key_index: u32,
    /// The channel phase, serialized by the channel manager.
    pub state: String,
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
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
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

    fn wallet_records(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT record FROM wallet_records ORDER BY seq")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn append_wallet_records(&mut self, records: &[String]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO wallet_records (record) VALUES (?1)")?;
            for record in records {
                insert.execute([record])?;
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

    fn next_channel_index(&mut self) -> Result<u32, StoreError> {
        let tx = self.conn.transaction()?;
        let current: u32 = tx
            .query_row(
                "SELECT value FROM counters WHERE name = 'channel_index'",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0);
        tx.execute(
            "INSERT OR REPLACE INTO counters (name, value) VALUES ('channel_index', ?1)",
            [current + 1],
        )?;
        tx.commit()?;
        Ok(current)
    }

    fn channels(&self) -> Result<Vec<SavedChannel>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, peer, key_index, state FROM channels ORDER BY key_index")?;
        let rows = stmt.query_map([], |r| {
            Ok(SavedChannel {
                id: r.get(0)?,
                peer: r.get(1)?,
                key_index: r.get(2)?,
                state: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn save_channel(&mut self, c: &SavedChannel) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO channels (id, peer, key_index, state) VALUES (?1, ?2, ?3, ?4)",
            params![c.id, c.peer, c.key_index, c.state],
        )?;
        Ok(())
    }

    fn delete_channel(&mut self, id: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM channels WHERE id = ?1", [id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_state_persists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.sqlite");
        {
            let mut store = SqliteNodeStore::open(&path).unwrap();
            store.save_seed(&[7; 32]).unwrap();
            store
                .append_wallet_records(&["a".into(), "b".into()])
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
        assert_eq!(store.wallet_records().unwrap(), vec!["a", "b"]);
        assert_eq!(store.peers().unwrap().len(), 1);
        store.forget_peer("02aa").unwrap();
        assert!(store.peers().unwrap().is_empty());
        // A second seed is refused: it would orphan the first wallet.
        assert!(store.save_seed(&[8; 32]).is_err());
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
